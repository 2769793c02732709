"""Data entry: participants and follow-up waves (filled in when the evaluation service lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
