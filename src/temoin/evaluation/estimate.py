"""``estimate_effect``: the one call the rest of Témoin uses to estimate an effect from a table.

>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 4.0, 7.0], "t": [0, 0, 0, 1, 1, 1]})
>>> r = estimate_effect(df, "y", "t", method="diff_in_means")
>>> round(r.estimate, 6), r.n_treated, r.n_control, r.se_type
(3.333333, 3, 3, 'HC2')
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate
from temoin.messages import Msg

from .estimators._design import Missing, check_alpha, prepare
from .estimators.degenerate import guarded_inference, outcome_scale
from .estimators.linear import regression_effect
from .estimators.vcov import SE_TYPES

__all__ = ["ESTIMANDS", "METHODS", "estimate_effect"]

METHODS: tuple[str, ...] = ("diff_in_means", "ols", "lin", "matching", "ipw")
ESTIMANDS: dict[str, tuple[str, ...]] = {
    "diff_in_means": ("ATE",),
    "ols": ("ATE",),
    "lin": ("ATE",),
    "matching": ("ATT",),
    "ipw": ("ATE", "ATT"),
}
"""The estimands each method offers, the first being its default."""


def estimate_effect(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    block: str | None = None,
    se: str = "HC2",
    method: str = "ols",
    *,
    weights: str | None = None,
    alpha: float = 0.05,
    missing: Missing = "error",
    ri_permutations: int = 0,
    seed: int | None = None,
    caliper: float | None = 0.2,
    estimand: str | None = None,
    df_method: str = "imbens_kolesar",
) -> EffectEstimate:
    """Average effect of ``treatment`` (0/1) on ``outcome``.

    ``method``: ``"diff_in_means"`` (unadjusted; with ``block``, the block-size-weighted average of
    within-block differences), ``"ols"`` (regression adjustment; block fixed effects when ``block``
    is given), ``"lin"`` (Lin's interacted adjustment), ``"matching"`` (nearest-neighbour on a logit
    propensity score, ties averaged, with ``caliper`` in SDs of the logit score; no ``weights``) or
    ``"ipw"`` (inverse-probability weighting). ``estimand``: ``"ATE"`` (the regression methods and
    IPW, by default) or ``"ATT"`` (matching; IPW with odds weights); the result names it.
    ``se``: classical, HC0–HC3, CR0, CR1, CR2 (with ``cluster``). ``missing="drop"`` drops
    incomplete rows and reports the count in ``notes``. ``ri_permutations`` > 0 adds a
    randomisation-inference p-value (reproducible from ``seed``). ``df_method``: the degrees of
    freedom of CR2's t reference, ``"imbens_kolesar"`` (cluster random-effects working model) or
    ``"bell_mccaffrey"`` (independent errors, as R's estimatr and clubSandwich); named in the result.

    A standard error that is zero up to rounding, infinite or NaN gives no p-value and no interval
    (NaN, with a note: see :mod:`temoin.evaluation.estimators.degenerate`).
    """
    check_alpha(alpha)
    if method not in METHODS:
        raise InvalidInputError(
            "evaluation.bad_method",
            Msg('Unknown method: {method}.', method=repr(method)),
            path="method",
            hint=Msg("Choose among {choices}.", choices=", ".join(METHODS)),
        )
    if se not in SE_TYPES:
        raise InvalidInputError(
            "evaluation.bad_se_type",
            Msg("Unknown standard-error type: {se_type}.", se_type=repr(se)),
            path="se",
            hint=Msg("Choose among {choices}.", choices=", ".join(SE_TYPES)),
        )
    offered = ESTIMANDS[method]
    chosen = offered[0] if estimand is None else str(estimand).upper()
    if chosen not in offered:
        raise InvalidInputError(
            "evaluation.bad_estimand",
            Msg("Method {method} does not estimate {estimand}; it estimates: {offered}.", method=repr(method),
                estimand=repr(estimand), offered=", ".join(offered)),
            path="estimand",
            hint=Msg("ATE: average effect on everyone; ATT: average effect on the programme's participants. "
                     "For the ATT without matching, use method='ipw'."),
        )
    if method == "matching" and weights is not None:
        raise InvalidInputError(
            "evaluation.matching_weights",
            Msg('Matching takes no weights (column {weights}): they would be ignored.', weights=repr(weights)),
            path="weights",
            hint=Msg("Remove the weights, or use method='ipw' (the weights then multiply the propensity weights)."),
        )
    p = prepare(
        data, outcome, treatment, covariates, cluster=cluster, block=block, weights=weights, missing=missing
    )
    if method in ("matching", "ipw"):
        from .estimators.matching import ipw_effect, matching_effect

        if cluster is not None or block is not None or ri_permutations:
            raise InvalidInputError(
                "evaluation.option_not_supported",
                Msg('Method {method} takes no clusters, blocks or randomisation inference.', method=repr(method)),
                path="method",
                hint=Msg("Use 'ols' or 'lin' for a randomised trial."),
            )

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow gets a note instead
            if method == "matching":
                return matching_effect(p, alpha=alpha, caliper=caliper)
            return ipw_effect(p, alpha=alpha, estimand=chosen)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow gets a note instead
        r = regression_effect(p, method, se, df_method)
    inference = guarded_inference(r.estimate, r.std_error, r.df, alpha, outcome_scale(p.y))
    notes = (*p.notes, *r.notes, *inference.notes)
    ri_p: float | None = None
    if ri_permutations:
        from .estimators.ri import randomization_test

        ri = randomization_test(
            p, method=method, permutations=ri_permutations, seed=seed
        )
        ri_p = ri.p_value
        notes = (*notes, ri.note, *ri.notes)
    return EffectEstimate(
        estimate=r.estimate,
        std_error=inference.std_error,
        ci_low=inference.ci_low,
        ci_high=inference.ci_high,
        p_value=inference.p_value,
        df=r.df,
        n_treated=p.n_treated,
        n_control=p.n_control,
        se_type=r.se_type,
        method=method,
        alpha=alpha,
        notes=notes,
        n_clusters=p.n_clusters if r.se_type.startswith("CR") else None,
        ri_p_value=ri_p,
        estimand=chosen,
        df_method=r.df_method,
    )
