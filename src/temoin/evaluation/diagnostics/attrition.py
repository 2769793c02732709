"""Attrition per follow-up wave, judged against the What Works Clearinghouse boundaries.

Overall attrition is the share of the randomised sample with no outcome; differential attrition
is the gap between the arms' attrition rates, in percentage points (WWC Standards Handbook v4.1,
Table II.1). ``wwc_attrition_boundaries.csv`` (bundled; a transcription of the handbook's table)
gives, for each whole-percent overall rate, the largest differential that is still "low
attrition" under the cautious and the optimistic boundary. Overall rates are rounded to the
nearest whole percent (half up) before the look-up; past the end of the table (or a blank cell)
attrition is high whatever the differential.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from temoin.evaluation.diagnostics._common import Verdict
from temoin.evaluation.text import label, rounded
from temoin.messages import Msg, Share

__all__ = ["BOUNDARIES_CSV", "AttritionReport", "Boundary", "attrition", "max_differential"]

Boundary = Literal["cautious", "optimistic"]
BOUNDARIES_CSV = Path(__file__).with_name("wwc_attrition_boundaries.csv")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[int, float | None]]:
    out: dict[str, dict[int, float | None]] = {"cautious": {}, "optimistic": {}}
    with BOUNDARIES_CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            overall = int(row["overall_attrition_pct"])
            for name, col in (("cautious", "max_differential_cautious_pp"), ("optimistic", "max_differential_optimistic_pp")):
                cell = row[col].strip()
                out[name][overall] = float(cell) if cell else None
    return out


def max_differential(overall_pct: float, boundary: Boundary) -> float | None:
    """Largest differential attrition (pp) still 'low' at this overall rate; None = always high."""
    key = int(np.floor(overall_pct + 0.5))
    return _table()[boundary].get(key)


@dataclass(frozen=True)
class AttritionReport:
    wave: str
    indicator: str
    randomised_treated: int
    randomised_control: int
    followed_treated: int
    followed_control: int
    boundary: Boundary
    overall_pct: float
    differential_pp: float
    limit_pp: float | None
    low: bool
    verdict: Verdict

    def to_dict(self) -> dict[str, object]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "verdict"}
        return d | {"verdict": self.verdict.to_dict()}


def attrition(
    *,
    wave: str,
    indicator: str,
    randomised: tuple[int, int],
    followed: tuple[int, int],
    boundary: Boundary,
) -> AttritionReport:
    """Attrition of one wave; ``randomised`` and ``followed`` are (treated, control) counts.

    For a design without a control cohort pass ``(n, 0)``: only overall attrition can be judged; it
    is read at a differential of 0, so it is high past the last overall rate the boundary accepts.
    """
    (rt, rc), (ft, fc) = randomised, followed
    total = rt + rc
    overall = 100.0 * (1 - (ft + fc) / total) if total else 100.0
    att_t = 100.0 * (1 - ft / rt) if rt else 0.0
    att_c = 100.0 * (1 - fc / rc) if rc else att_t
    differential = abs(att_t - att_c) if rc else 0.0
    limit = max_differential(overall, boundary)
    low = limit is not None and round(differential, 1) <= limit
    values = {"wave": wave, "overall": Share(overall / 100), "gap": rounded(differential, 1),
              "boundary": label("attrition_boundary", boundary)}
    if low:
        verdict = Verdict("ok", Msg("Wave {wave}: {overall} lost to follow-up, a gap of {gap} points between groups: "
                                    "low attrition (limit {limit} points, {boundary}).",
                                    limit=rounded(limit or 0.0, 1), **values))
    elif limit is not None:
        verdict = Verdict("fail", Msg("Wave {wave}: {overall} lost to follow-up, a gap of {gap} points between groups: "
                                      "high attrition (limit {limit} points, {boundary}).",
                                      limit=rounded(limit, 1), **values))
    else:
        verdict = Verdict("fail", Msg("Wave {wave}: {overall} lost to follow-up, a gap of {gap} points between groups: "
                                      "high attrition (beyond every limit, {boundary}).", **values))
    return AttritionReport(wave, indicator, rt, rc, ft, fc, boundary, overall, differential, limit, low, verdict)
