"""Difference-in-differences: two periods (2×2), and multi-period two-way fixed effects.

- ``method="did"``: ``y ~ 1 + group + post + group×post (+ covariates)``; the effect is the
  coefficient of ``group×post``. ``time`` must take exactly two values (the later one is "after").
- ``method="twfe"``: ``y ~ D + unit indicators + period indicators (+ covariates)``, with ``D`` the
  0/1 "treated at this period" column. Fixed effects are explicit indicator columns, so every
  standard error (CR2 included) is the full-model one. With staggered adoption and effects that
  change over time, TWFE can be biased (Goodman-Bacon 2021): a note says so.

Standard errors are clustered by ``unit`` (or ``cluster``) by default: CR1 for "did" and "twfe".
Clustered with fewer than about ten clusters, or a single treated (or control) cluster, the result
carries a warning note naming the risk (the organ-donation panel: one treated state of 27). A
degenerate standard error (zero up to rounding, infinite, NaN) gives no p-value and no interval
(:mod:`.degenerate`); a constant outcome is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate
from temoin.evaluation.text import label, significant
from temoin.messages import Msg

from ._design import (
    Missing,
    all_equal,
    check_alpha,
    check_columns,
    codes_of,
    complete_rows,
    numeric_column,
)
from .degenerate import cluster_warnings, guarded_inference, outcome_scale
from .linear import INTERCEPT
from .ols import fit_ols
from .vcov import CLUSTER_TYPES, vcov

__all__ = ["MAX_FIXED_EFFECTS", "did_effect"]

MAX_FIXED_EFFECTS = 3000


def _binary(frame: pd.DataFrame, name: str, role: str) -> np.ndarray:
    v = numeric_column(frame, name, role)
    if not np.all(np.isin(v, (0.0, 1.0))):
        raise InvalidInputError(
            "evaluation.treatment_not_binary",
            Msg("Column {name} ({role}) must be 0 or 1.", name=repr(name), role=label("column_role", role)),
            path=name,
        )
    return v


def did_effect(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    time: str,
    *,
    unit: str | None = None,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
    se: str | None = None,
    method: str = "did",
    alpha: float = 0.05,
    missing: Missing = "error",
) -> EffectEstimate:
    """Difference-in-differences effect of ``treatment`` on ``outcome`` (see module doc)."""
    if method not in ("did", "twfe"):
        raise InvalidInputError(
            "evaluation.bad_method",
            Msg('Unknown difference-in-differences method: {method}.', method=repr(method)),
            path="method",
            hint=Msg("Choose 'did' (two periods) or 'twfe' (several periods)."),
        )
    check_alpha(alpha)
    covariates = tuple(covariates)
    cols = [outcome, treatment, time, *covariates, *(c for c in (unit, cluster) if c is not None)]
    check_columns(data, cols)
    frame, _, notes = complete_rows(data, list(dict.fromkeys(cols)), missing)
    if method == "twfe" and unit is None:
        raise InvalidInputError(
            "evaluation.unit_needed",
            Msg('Two-way fixed effects need the column of the units followed.'),
            path="unit",
        )
    y = numeric_column(frame, outcome, "outcome")
    if y.size and all_equal(y):
        raise InvalidInputError(
            "evaluation.constant_outcome",
            Msg("Outcome {outcome} is constant (always {value}): no effect can be estimated.", outcome=repr(outcome),
                value=significant(float(y[0]), 6)),
            path=outcome,
            hint=Msg('Check the outcome column and the periods chosen.'),
        )
    d = _binary(frame, treatment, "treatment")
    t_codes, t_labels = codes_of(frame[time])
    n = y.size
    columns: list[tuple[str, np.ndarray]] = []
    if method == "did":
        if len(t_labels) != 2:
            raise InvalidInputError(
                "evaluation.did_two_periods",
                Msg("The two-period difference-in-differences needs exactly two periods; {time} has {count}.", time=repr(time),
                    count=len(t_labels)),
                path=time,
                hint=Msg("Use method='twfe' for several periods."),
            )
        post = (t_codes == 1).astype(float)
        columns = [("groupe×après", d * post), ("groupe", d), ("après", post)]
    else:
        u_codes, u_labels = codes_of(frame[unit])
        if len(u_labels) + len(t_labels) > MAX_FIXED_EFFECTS:
            raise InvalidInputError(
                "evaluation.too_many_fixed_effects",
                Msg("Too many fixed effects ({units} units + {periods} periods > {most}).", units=len(u_labels),
                    periods=len(t_labels), most=MAX_FIXED_EFFECTS),
                path="unit",
            )
        columns = [("traitement", d)]
        columns += [(f"unité[{u_labels[i]}]", (u_codes == i).astype(float)) for i in range(1, len(u_labels))]
        columns += [(f"période[{t_labels[i]}]", (t_codes == i).astype(float)) for i in range(1, len(t_labels))]
        # the first period each unit is treated (whatever the order of the rows)
        first = np.full(len(u_labels), len(t_labels))
        np.minimum.at(first, u_codes[d == 1], t_codes[d == 1])
        if np.unique(first[first < len(t_labels)]).size > 1:
            notes.append(
                Msg('Staggered entry into the programme: the fixed-effects estimator can be biased if the effect changes over time.')
            )
    for name in covariates:
        columns.append((name, numeric_column(frame, name, "covariate")))
    x = np.empty((n, 1 + len(columns)), order="F")
    x[:, 0] = 1.0
    for j, (_, col) in enumerate(columns):
        x[:, 1 + j] = col - col.mean() if np.ptp(col) > 0 else 0.0
    names = [INTERCEPT, *(c[0] for c in columns)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # an overflow gets a note instead
        fit = fit_ols(x, y, names)

    cl_name = cluster or unit
    cl_codes = None
    n_cl = 0
    if se is None:
        se = "CR1" if cl_name is not None else "HC1"
    if se in CLUSTER_TYPES:
        if cl_name is None:
            raise InvalidInputError(
                "evaluation.cluster_needed",
                Msg("The {se} needs a unit or cluster column.", se=label("se_type", se)),
                path="cluster",
            )
        cl_codes, labels = codes_of(frame[cl_name])
        n_cl = len(labels)
        if n_cl < 2:
            raise InvalidInputError(
                "evaluation.too_few_clusters",
                Msg("At least two clusters are needed (column {column}).", column=repr(cl_name)),
                path=cl_name,
            )
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        v = vcov(fit, se, cluster=cl_codes, n_clusters=n_cl, coef=1)
    est = float(fit.beta[1])
    std = float(np.sqrt(max(v.matrix[1, 1], 0.0)))
    if cl_codes is not None:
        # clusters holding the programme group (the "treated" units, whatever the period) and the others
        ever = np.bincount(cl_codes, weights=d, minlength=n_cl) > 0
        notes.extend(cluster_warnings(n_cl, int(ever.sum()), int((~ever).sum())))
    inference = guarded_inference(est, std, v.df, alpha, outcome_scale(y))
    notes.extend(inference.notes)
    if unit is not None:
        treated_units = frame.loc[d == 1, unit].nunique()  # units in the programme group
        n_t, n_c = int(treated_units), int(frame[unit].nunique() - treated_units)
    else:
        n_t, n_c = int(d.sum()), int(n - d.sum())
    return EffectEstimate(
        estimate=est,
        std_error=inference.std_error,
        ci_low=inference.ci_low,
        ci_high=inference.ci_high,
        p_value=inference.p_value,
        df=v.df,
        n_treated=n_t,
        n_control=n_c,
        se_type=se,
        method=method,
        alpha=alpha,
        notes=tuple(notes),
        n_clusters=n_cl or None,
    )
