"""Témoin's estimator kernel: numpy/scipy only, checked against statsmodels and published results."""

from __future__ import annotations

from .vcov import SE_TYPES

__all__ = ["SE_TYPES"]
