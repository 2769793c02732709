"""Evaluation: effect estimates, evidence grades and the records handed to settlement."""

from __future__ import annotations

from temoin.evaluation.estimate import METHODS, estimate_effect
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult

__all__ = [
    "METHODS",
    "EffectEstimate",
    "EvidenceGrade",
    "ImpactResult",
    "estimate_effect",
]
