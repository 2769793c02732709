"""Lee (2009) bounds on the effect when outcomes go missing differently in the two arms.

With observation rates q1 (programme) and q0 (control), the arm observed more often holds a share
``p = (q_high - q_low) / q_high`` of observed people who would have gone missing in the other arm.
Trimming that share from the top, then from the bottom, of its observed outcomes gives the lowest
and the highest effect compatible with the data (monotone attrition assumed). Trimming is exact:
the boundary observation gets a fractional weight. The confidence interval (Imbens & Manski style,
percentile bootstrap, seeded) covers the whole identified set at 1 - alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError

from ._design import FloatArray, bilingual, check_columns, numeric_column

__all__ = ["LeeBounds", "lee_bounds", "trimmed_mean"]


@dataclass(frozen=True)
class LeeBounds:
    lower: float
    upper: float
    ci_low: float
    ci_high: float
    trimmed_share: float
    trimmed_arm: str
    """``"treated"`` or ``"control"``: the arm observed more often."""
    observed_rate_treated: float
    observed_rate_control: float
    n_treated: int
    n_control: int
    alpha: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def trimmed_mean(values: FloatArray, share: float, *, from_top: bool) -> float:
    """Mean after removing exactly ``share`` of the mass from the top (or bottom), fractionally."""
    x = np.sort(values)
    if from_top:
        x = x[::-1]
    n = x.size
    cut = share * n
    w = np.clip(np.arange(1, n + 1) - cut, 0.0, 1.0)  # weight 0 for trimmed, fraction at the edge
    return float(np.sum(w * x) / np.sum(w))


def _bounds(y1: FloatArray, y0: FloatArray, q1: float, q0: float) -> tuple[float, float, float]:
    if q1 >= q0:
        share = (q1 - q0) / q1
        m0 = float(y0.mean())
        return trimmed_mean(y1, share, from_top=True) - m0, trimmed_mean(y1, share, from_top=False) - m0, share
    share = (q0 - q1) / q0
    m1 = float(y1.mean())
    return m1 - trimmed_mean(y0, share, from_top=False), m1 - trimmed_mean(y0, share, from_top=True), share


def lee_bounds(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    alpha: float = 0.05,
    bootstrap: int = 500,
    seed: int | None = 0,
    covariates: Sequence[str] = (),
) -> LeeBounds:
    """Lee bounds; a missing ``outcome`` value marks a person lost to follow-up.

    Every row must have its assigned arm: attrition is read from the outcome only.
    """
    if covariates:
        raise InvalidInputError(
            "evaluation.lee_covariates",
            "Les bornes de Lee sont calculées sans covariables.",
            "Lee bounds are computed without covariates.",
            path="covariates",
        )
    check_columns(data, [outcome, treatment])
    d = numeric_column(data, treatment, "traitement", "treatment")
    if np.any(np.isnan(d)) or not np.all(np.isin(d, (0.0, 1.0))):
        raise InvalidInputError(
            "evaluation.treatment_not_binary",
            f"Le traitement {treatment!r} doit valoir 0 ou 1 pour chaque personne affectée.",
            f"Treatment {treatment!r} must be 0 or 1 for every assigned person.",
            path=treatment,
        )
    y = numeric_column(data, outcome, "résultat", "outcome")
    seen = ~np.isnan(y)
    t = d == 1
    n1, n0 = int(t.sum()), int((~t).sum())
    if min(int((seen & t).sum()), int((seen & ~t).sum())) < 2:
        raise InvalidInputError(
            "evaluation.lee_too_few",
            "Moins de deux résultats observés dans un bras : pas de bornes possibles.",
            "Fewer than two observed outcomes in one arm: no bounds possible.",
            path=outcome,
        )
    q1, q0 = float(seen[t].mean()), float(seen[~t].mean())
    y1, y0 = y[seen & t], y[seen & ~t]
    lower, upper, share = _bounds(y1, y0, q1, q0)

    rng = np.random.default_rng(seed)
    lo_b = np.empty(bootstrap)
    hi_b = np.empty(bootstrap)
    idx1, idx0 = np.flatnonzero(t), np.flatnonzero(~t)
    for b in range(bootstrap):
        s1 = rng.choice(idx1, size=idx1.size)
        s0 = rng.choice(idx0, size=idx0.size)
        ok1, ok0 = seen[s1], seen[s0]
        if ok1.sum() < 2 or ok0.sum() < 2:
            lo_b[b], hi_b[b] = np.nan, np.nan
            continue
        lo_b[b], hi_b[b], _ = _bounds(y[s1][ok1], y[s0][ok0], float(ok1.mean()), float(ok0.mean()))
    ci_low = float(np.nanquantile(lo_b, alpha / 2)) if bootstrap else float("nan")
    ci_high = float(np.nanquantile(hi_b, 1 - alpha / 2)) if bootstrap else float("nan")
    arm = "treated" if q1 >= q0 else "control"
    note = bilingual(
        f"Bornes de Lee : {share:.1%} des résultats observés du bras le mieux suivi retirés "
        f"(observés : programme {q1:.1%}, témoin {q0:.1%}).",
        f"Lee bounds: {share:.1%} of the observed outcomes of the better-followed arm trimmed "
        f"(observed: programme {q1:.1%}, control {q0:.1%}).",
    )
    return LeeBounds(
        lower=lower,
        upper=upper,
        ci_low=ci_low,
        ci_high=ci_high,
        trimmed_share=share,
        trimmed_arm=arm,
        observed_rate_treated=q1,
        observed_rate_control=q0,
        n_treated=n1,
        n_control=n0,
        alpha=alpha,
        notes=(note,),
    )
