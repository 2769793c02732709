"""When the public is too volatile for the design: say so, and offer serious alternatives.

A wave whose attrition is past the WWC boundary makes the trial's comparison unreliable: those
still followed may no longer be comparable. Témoin then says so in plain words and proposes:

1. outcomes from administrative records (they follow people who stop answering);
2. Lee (2009) bounds: trim the better-followed arm so both arms keep the same share of
   respondents, giving the smallest and largest effect compatible with the data;
3. the sensitivity of the estimate to missing outcomes: how much worse the missing programme
   participants would have to have done (in control-group standard deviations) to erase the
   improvement (a "tipping point").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from temoin.evaluation.diagnostics._common import Verdict
from temoin.messages import Msg

__all__ = ["LeeBounds", "Sensitivity", "VolatilityReport", "lee_bounds", "missing_outcome_sensitivity", "volatility"]


@dataclass(frozen=True)
class LeeBounds:
    lower: float
    upper: float
    trimmed_arm: str
    trim_share: float

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _trimmed_mean(values: np.ndarray, share: float, *, drop: str) -> float:
    """Mean after removing ``share`` of the mass from the top or the bottom (fractional, tie-safe)."""
    v = np.sort(values)
    if drop == "top":
        v = v[::-1]
    n = len(v)
    remove = share * n
    weights = np.ones(n)
    whole = int(np.floor(remove))
    weights[:whole] = 0.0
    if whole < n:
        weights[whole] -= remove - whole
    return float((weights * v).sum() / weights.sum())


def lee_bounds(y_treated: np.ndarray, y_control: np.ndarray, *, n_treated: int, n_control: int) -> LeeBounds:
    """Lee bounds on the difference in means (programme − control) under monotone selection.

    ``y_*`` are the observed outcomes, ``n_*`` the randomised counts of each arm.
    """
    q_t, q_c = len(y_treated) / n_treated, len(y_control) / n_control
    yt, yc = np.asarray(y_treated, float), np.asarray(y_control, float)
    if q_t >= q_c:
        p = (q_t - q_c) / q_t if q_t else 0.0
        lower = _trimmed_mean(yt, p, drop="top") - yc.mean()
        upper = _trimmed_mean(yt, p, drop="bottom") - yc.mean()
        arm = "treated"
    else:
        p = (q_c - q_t) / q_c
        lower = yt.mean() - _trimmed_mean(yc, p, drop="bottom")
        upper = yt.mean() - _trimmed_mean(yc, p, drop="top")
        arm = "control"
    return LeeBounds(float(lower), float(upper), arm, float(p))


@dataclass(frozen=True)
class Sensitivity:
    deltas: tuple[float, ...]
    improvements: tuple[float, ...]
    tipping_delta: float | None
    """Shift (control SDs, worse = positive) of the missing programme outcomes that erases the improvement."""

    def to_dict(self) -> dict[str, object]:
        return {"deltas": list(self.deltas), "improvements": list(self.improvements), "tipping_delta": self.tipping_delta}


def missing_outcome_sensitivity(
    y_treated: np.ndarray,
    y_control: np.ndarray,
    *,
    n_treated: int,
    sign: int,
    deltas: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0),
) -> Sensitivity:
    """Improvement if missing programme outcomes were ``delta`` control SDs worse than observed ones.

    Missing control outcomes are imputed at the observed control mean. ``sign`` is +1 when a higher
    outcome is better, −1 when lower is better.
    """
    yt, yc = np.asarray(y_treated, float), np.asarray(y_control, float)
    q_t = len(yt) / n_treated
    sd = float(np.std(yc, ddof=1)) if len(yc) > 1 else 0.0
    base = sign * (yt.mean() - yc.mean())
    imps = tuple(float(base - (1 - q_t) * d * sd) for d in deltas)
    slope = (1 - q_t) * sd
    tipping = float(base / slope) if slope > 0 and base > 0 else None
    return Sensitivity(deltas, imps, tipping)


@dataclass(frozen=True)
class VolatilityReport:
    too_volatile: bool
    waves: tuple[str, ...]
    verdict: Verdict
    alternatives: tuple[Msg, ...]
    lee: LeeBounds | None = None
    sensitivity: Sensitivity | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "too_volatile": self.too_volatile, "waves": list(self.waves), "verdict": self.verdict.to_dict(),
            "alternatives": [a.to_dict() for a in self.alternatives],
            "lee_bounds": self.lee.to_dict() if self.lee else None,
            "sensitivity": self.sensitivity.to_dict() if self.sensitivity else None,
        }


def volatility(
    high_attrition_waves: list[str],
    *,
    data_source: str,
    lee: LeeBounds | None = None,
    sensitivity: Sensitivity | None = None,
) -> VolatilityReport:
    """Plain-words verdict on the volatility of the public, with alternatives when it is too volatile."""
    if not high_attrition_waves:
        return VolatilityReport(False, (), Verdict("ok", Msg("Following the same people over time holds: attrition is low.")),
                                ())
    alternatives = [
        Msg("Lee bounds: the smallest and largest effect compatible with the data, equalising the share of respondents "
            "in both groups."),
        Msg("Sensitivity to missing outcomes: how much worse the missing programme participants would have to have done "
            "to erase the improvement."),
    ]
    if data_source != "administrative":
        alternatives.insert(0, Msg("Measure the outcome from administrative records, which also follow people who stop "
                                   "answering."))
    verdict = Verdict("fail", Msg("The public is too volatile for this design (wave(s) {waves}): too many people lost to "
                                  "follow-up to compare the groups reliably.", waves=", ".join(high_attrition_waves)))
    return VolatilityReport(True, tuple(high_attrition_waves), verdict, tuple(alternatives), lee, sensitivity)
