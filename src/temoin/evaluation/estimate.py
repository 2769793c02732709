"""``estimate_effect``: the one call the rest of Témoin uses to estimate an effect from a table.

>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0, 4.0, 7.0], "t": [0, 0, 0, 1, 1, 1]})
>>> r = estimate_effect(df, "y", "t", method="diff_in_means")
>>> round(r.estimate, 6), r.n_treated, r.n_control, r.se_type
(3.333333, 3, 3, 'HC2')
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from temoin.evaluation.result import EffectEstimate

from .estimators._design import Missing, prepare
from .estimators.linear import regression_effect, t_inference

__all__ = ["METHODS", "estimate_effect"]

METHODS: tuple[str, ...] = ("diff_in_means", "ols", "lin", "matching", "ipw")


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
    df_method: str = "imbens_kolesar",
) -> EffectEstimate:
    """Average effect of ``treatment`` (0/1) on ``outcome``.

    ``method``: ``"diff_in_means"`` (unadjusted; with ``block``, the block-size-weighted average of
    within-block differences), ``"ols"`` (regression adjustment; block fixed effects when ``block``
    is given), ``"lin"`` (Lin's interacted adjustment), ``"matching"`` (nearest-neighbour on a logit
    propensity score, with ``caliper`` in SDs of the logit score) or ``"ipw"`` (inverse-probability
    weighting). ``se``: classical, HC0–HC3, CR0, CR1, CR2 (with ``cluster``). ``missing="drop"``
    drops incomplete rows and reports the count in ``notes``. ``ri_permutations`` > 0 adds a
    randomisation-inference p-value (reproducible from ``seed``). ``df_method``: the degrees of
    freedom of CR2's t reference, ``"imbens_kolesar"`` (cluster random-effects working model) or
    ``"bell_mccaffrey"`` (independent errors, as R's estimatr and clubSandwich); named in the result.
    """
    from temoin.errors import InvalidInputError

    if not 0 < alpha < 1:
        raise InvalidInputError(
            "evaluation.bad_alpha",
            f"Seuil alpha={alpha} hors de ]0, 1[.",
            f"Level alpha={alpha} outside (0, 1).",
            path="alpha",
        )
    if method not in METHODS:
        raise InvalidInputError(
            "evaluation.bad_method",
            f"Méthode inconnue : {method!r}.",
            f"Unknown method: {method!r}.",
            path="method",
            hint_fr=f"Choisissez parmi {', '.join(METHODS)}.",
            hint_en=f"Choose among {', '.join(METHODS)}.",
        )
    p = prepare(
        data, outcome, treatment, covariates, cluster=cluster, block=block, weights=weights, missing=missing
    )
    if method in ("matching", "ipw"):
        from .estimators.matching import ipw_effect, matching_effect

        if cluster is not None or block is not None or ri_permutations:
            raise InvalidInputError(
                "evaluation.option_not_supported",
                f"La méthode {method!r} ne prend ni grappes, ni blocs, ni inférence par randomisation.",
                f"Method {method!r} takes no clusters, blocks or randomisation inference.",
                path="method",
                hint_fr="Utilisez 'ols' ou 'lin' pour un essai randomisé.",
                hint_en="Use 'ols' or 'lin' for a randomised trial.",
            )

        if method == "matching":
            return matching_effect(p, alpha=alpha, caliper=caliper)
        return ipw_effect(p, alpha=alpha)
    r = regression_effect(p, method, se, df_method)
    pval, lo, hi = t_inference(r.estimate, r.std_error, r.df, alpha)
    notes = (*p.notes, *r.notes)
    ri_p: float | None = None
    if ri_permutations:
        from .estimators.ri import randomization_test

        ri = randomization_test(
            p, method=method, permutations=ri_permutations, seed=seed
        )
        ri_p = ri.p_value
        notes = (*notes, ri.note)
    return EffectEstimate(
        estimate=r.estimate,
        std_error=r.std_error,
        ci_low=lo,
        ci_high=hi,
        p_value=pval,
        df=r.df,
        n_treated=p.n_treated,
        n_control=p.n_control,
        se_type=r.se_type,
        method=method,
        alpha=alpha,
        notes=notes,
        n_clusters=p.n_clusters if r.se_type.startswith("CR") else None,
        ri_p_value=ri_p,
        df_method=r.df_method,
    )
