"""Lee (2009) bounds on the effect when outcomes go missing differently in the two arms.

With observation rates q1 (programme) and q0 (control), the arm observed more often holds a share
``p = (q_high - q_low) / q_high`` of observed people who would have gone missing in the other arm.
Trimming that share from the top, then from the bottom, of its observed outcomes gives the lowest
and the highest effect compatible with the data (monotone attrition assumed). Trimming is exact:
the boundary observation gets a fractional weight. The confidence interval (Imbens & Manski style,
percentile bootstrap, seeded) covers the whole identified set at 1 - alpha. The bootstrap resamples
each arm's outcomes in sorted order, so the interval does not depend on the order of the rows.
``bootstrap=0`` gives the bounds without an interval (NaN, with a note). A bootstrap spread that is
degenerate (zero up to rounding, or not finite: :func:`.degenerate.degenerate_se`) gives no interval
either, with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError
from temoin.messages import Msg, Share

from ._design import FloatArray, check_alpha, check_columns, numeric_column
from .degenerate import degenerate_se, not_estimable_note, outcome_scale

__all__ = ["MAX_BOOTSTRAP", "LeeBounds", "lee_bounds", "min_bootstrap", "trimmed_mean"]


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
    notes: tuple[Msg, ...] = ()

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


#: The most bootstrap draws accepted (each is a Python-level resample of both arms).
MAX_BOOTSTRAP = 100_000


def min_bootstrap(alpha: float) -> int:
    """Fewest bootstrap draws for a 1 - alpha percentile interval: ceil(2 / alpha), so that the
    alpha/2 quantile lies inside the draws (40 for alpha = 0.05)."""
    return int(np.ceil(2 / alpha - 1e-9))


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
            Msg('Lee bounds are computed without covariates.'),
            path="covariates",
        )
    check_alpha(alpha)
    low_b = min_bootstrap(alpha)
    if (
        isinstance(bootstrap, bool)
        or not isinstance(bootstrap, (int, np.integer))
        or not (bootstrap == 0 or low_b <= bootstrap <= MAX_BOOTSTRAP)
    ):
        raise InvalidInputError(
            "evaluation.bad_bootstrap",
            Msg("Invalid number of bootstrap draws {bootstrap}: 0 (bounds without an interval) or a whole number between "
                "{least} and {most}.", bootstrap=repr(bootstrap), least=low_b, most=MAX_BOOTSTRAP),
            path="bootstrap",
            hint=Msg("With alpha = {alpha}, at least {least} draws are needed for the alpha/2 quantile not to be just the "
                     "smallest draw. 500 is usually fine.", alpha=alpha, least=low_b),
        )
    bootstrap = int(bootstrap)
    check_columns(data, [outcome, treatment])
    d = numeric_column(data, treatment, "treatment")
    if np.any(np.isnan(d)) or not np.all(np.isin(d, (0.0, 1.0))):
        raise InvalidInputError(
            "evaluation.treatment_not_binary",
            Msg('Treatment {treatment} must be 0 or 1 for every assigned person.', treatment=repr(treatment)),
            path=treatment,
        )
    y = numeric_column(data, outcome, "outcome")
    seen = ~np.isnan(y)
    t = d == 1
    n1, n0 = int(t.sum()), int((~t).sum())
    if min(int((seen & t).sum()), int((seen & ~t).sum())) < 2:
        raise InvalidInputError(
            "evaluation.lee_too_few",
            Msg('Fewer than two observed outcomes in one arm: no bounds possible.'),
            path=outcome,
        )
    q1, q0 = float(seen[t].mean()), float(seen[~t].mean())
    y1, y0 = y[seen & t], y[seen & ~t]
    lower, upper, share = _bounds(y1, y0, q1, q0)

    rng = np.random.default_rng(seed)
    lo_b = np.empty(bootstrap)
    hi_b = np.empty(bootstrap)
    # each arm in sorted order (missing last): the draws depend on the values, not on the row order
    idx1, idx0 = np.flatnonzero(t), np.flatnonzero(~t)
    idx1, idx0 = idx1[np.argsort(y[idx1], kind="stable")], idx0[np.argsort(y[idx0], kind="stable")]
    for b in range(bootstrap):
        s1 = rng.choice(idx1, size=idx1.size)
        s0 = rng.choice(idx0, size=idx0.size)
        ok1, ok0 = seen[s1], seen[s0]
        if ok1.sum() < 2 or ok0.sum() < 2:
            lo_b[b], hi_b[b] = np.nan, np.nan
            continue
        lo_b[b], hi_b[b], _ = _bounds(y[s1][ok1], y[s0][ok0], float(ok1.mean()), float(ok0.mean()))
    notes: list[Msg] = []
    nan = float("nan")
    if not bootstrap:
        ci_low = ci_high = nan
        notes.append(Msg('Bounds without a confidence interval (bootstrap=0).'))
    else:
        finite = np.isfinite(lo_b) & np.isfinite(hi_b)
        spread = max(float(np.std(lo_b[finite])), float(np.std(hi_b[finite]))) if finite.sum() > 1 else nan
        scale = outcome_scale(y[seen])
        if not (np.isfinite(lower) and np.isfinite(upper)) or bool(degenerate_se(spread, scale)):
            ci_low = ci_high = nan
            notes.append(not_estimable_note(spread, lower + upper))
        else:
            ci_low = float(np.quantile(lo_b[finite], alpha / 2))
            ci_high = float(np.quantile(hi_b[finite], 1 - alpha / 2))
            if not finite.all():
                notes.append(Msg("{count} bootstrap draw(s) without two observed outcomes per arm left out.",
                                 count=int((~finite).sum())))
    arm = "treated" if q1 >= q0 else "control"
    note = Msg("Lee bounds: {share} of the observed outcomes of the better-followed arm trimmed (observed: programme {q1}, "
               "control {q0}).", share=Share(share), q1=Share(q1), q0=Share(q0))
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
        notes=(note, *notes),
    )
