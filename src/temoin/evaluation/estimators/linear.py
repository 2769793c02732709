"""Regression estimators of an average treatment effect: difference in means, OLS adjustment,
Lin's interacted adjustment, block fixed effects.

``regression_effect`` builds the design (intercept, treatment, centred covariates, block
indicators, and for Lin the treatment × centred-covariate interactions), fits it and returns the
treatment coefficient with the asked standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from temoin.errors import InvalidInputError
from temoin.evaluation.text import label
from temoin.messages import Msg

from ._design import FloatArray, IntArray, Prepared, all_equal, run_split
from .degenerate import cluster_counts, cluster_warnings
from .ols import OLSFit, fit_ols
from .vcov import CLUSTER_TYPES, vcov

__all__ = ["INTERCEPT", "RegressionEffect", "build_design", "regression_effect"]

INTERCEPT = "(constante)"


@dataclass(frozen=True)
class RegressionEffect:
    estimate: float
    std_error: float
    df: float
    se_type: str
    fit: OLSFit
    notes: tuple[Msg, ...]
    df_method: str | None = None


def _center_into(out: FloatArray, col: FloatArray, w: FloatArray | None, mean: float | None = None) -> None:
    """Write ``col`` minus its (weighted) mean into ``out``; zeros when ``col`` is constant.

    ``mean``: the plain mean when already known (used only without weights).
    """
    if np.isfinite(col[0]) and all_equal(col):  # what np.ptp(col) == 0 says
        out[:] = 0.0
        return
    if w is not None or mean is None:
        mean = float(np.average(col, weights=w))
    np.subtract(col, mean, out=out)


def _center_block(out: FloatArray, block: IntArray, level: int, w: FloatArray | None) -> None:
    _center_into(out, (block == level).astype(np.float64), w)


def _center_interaction(x: FloatArray, d: FloatArray, j: int, n_cols: int, w: FloatArray | None) -> None:
    _center_into(x[:, 2 + n_cols + j], d * x[:, 2 + j], w)


def build_design(p: Prepared, method: str) -> tuple[FloatArray, list[str], list[Msg]]:
    """Design matrix (Fortran order), its column names, and notes on decisions taken.

    Columns: intercept, treatment, covariates, block indicators, then (Lin's form, or a blocked
    difference in means) the treatment × each of those, all centred. Each column is centred
    straight into the design, with no intermediate copies.
    """
    notes: list[Msg] = []
    n = p.n
    w = p.weights
    names = [INTERCEPT, "traitement", *p.covariate_names]
    if p.block is not None:
        names.extend(f"bloc[{label}]" for label in p.block_labels[1:])
    interact = method == "lin" or (method == "diff_in_means" and p.block is not None)
    if method == "diff_in_means" and p.block is not None:
        notes.append(
            Msg("Difference in means within blocks, weighted by block size (Lin's form).")
        )
    n_cols = len(names) - 2
    k = 2 + n_cols * (2 if interact else 1)
    x = np.empty((n, k), order="F")
    # one task per column, shared between two threads on large data (the loops release the GIL)
    tasks: list[Callable[[], None]] = [partial(x[:, 0].fill, 1.0)]
    # the mean of a 0/1 column is its count over n, exactly (the sum of 0s and 1s is exact)
    tasks.append(partial(_center_into, x[:, 1], p.d, w, p.n_treated / n))
    for j in range(len(p.covariate_names)):
        tasks.append(partial(_center_into, x[:, 2 + j], p.covariate_columns[j], w, p.covariate_means[j]))
    if p.block is not None:
        base = 2 + len(p.covariate_names)
        for level in range(1, len(p.block_labels)):
            tasks.append(partial(_center_block, x[:, base + level - 1], p.block, level, w))
    run_split(tasks, n * k)
    if interact:
        run_split([partial(_center_interaction, x, p.d, j, n_cols, w) for j in range(n_cols)], n * n_cols)
        names.extend(f"traitement×{names[2 + j]}" for j in range(n_cols))
    return x, names, notes


REGRESSION_METHODS = ("diff_in_means", "ols", "lin")  # the regression estimators (alone or in batch)


def regression_effect(p: Prepared, method: str, se_type: str, df_method: str = "imbens_kolesar") -> RegressionEffect:
    if method not in REGRESSION_METHODS:
        raise InvalidInputError(
            "evaluation.bad_method",
            Msg('Unknown method: {method}.', method=repr(method)),
            path="method",
        )
    if method == "diff_in_means" and p.covariate_names:
        raise InvalidInputError(
            "evaluation.covariates_in_diff",
            Msg('The difference in means takes no covariates.'),
            path="covariates",
            hint=Msg("Use method='ols' or 'lin' for covariate adjustment."),
        )
    notes: list[Msg] = []
    if p.cluster is not None and se_type not in CLUSTER_TYPES:
        mapped = {"HC0": "CR0", "HC1": "CR1"}.get(se_type, "CR2")
        notes.append(
            Msg("Clustered data: {used} used instead of {asked}.", used=label("se_type", mapped),
                asked=label("se_type", se_type))
        )
        se_type = mapped
    x, names, design_notes = build_design(p, method)
    notes.extend(design_notes)
    fit = fit_ols(x, p.y, names, p.weights)
    v = vcov(fit, se_type, cluster=p.cluster, n_clusters=p.n_clusters, coef=1, df_method=df_method)
    se = float(np.sqrt(max(v.matrix[1, 1], 0.0)))
    if p.cluster is not None and se_type in CLUSTER_TYPES:
        # two clusters of each kind rule the single-cluster warning out: no need to look further
        notes.extend(cluster_warnings(p.n_clusters, *cluster_counts(p.cluster, p.n_clusters, p.d, enough=2)))
    return RegressionEffect(
        estimate=float(fit.beta[1]), std_error=se, df=v.df, se_type=se_type, fit=fit,
        notes=(*notes, *v.notes), df_method=v.df_method,
    )
