"""Many outcome vectors on one design at once: the effect and its standard error for each column.

For a fixed design (same covariates, assignment, clusters, weights), every estimator here is
linear in the outcome: the treatment coefficient is a'y with a = X B c, and every variance type is
a sum of squares of weighted residuals, sum_i (p_i e_i)^2 or sum_g (p_g' e_g)^2, where p depends
on the design only. So R simulated outcome vectors cost a few (n × R) matrix products, not R fits.
Used by the coverage simulations and the design diagnosis; equal to ``estimate_effect`` column by
column (tested), degenerate standard errors included: where :func:`.degenerate.degenerate_se`
flags a column (SE zero up to rounding for that column's outcome scale, infinite or NaN), its
standard error, p-value and interval are NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from temoin.errors import InvalidInputError
from temoin.messages import Msg

from ._design import FloatArray, check_alpha, prepare
from .degenerate import degenerate_se
from .linear import REGRESSION_METHODS, build_design
from .ols import fit_ols
from .vcov import CLUSTER_TYPES, _cr2, bell_mccaffrey_df, leverages, vcov, working_rho

__all__ = ["BatchEffects", "batch_effects"]


@dataclass(frozen=True)
class BatchEffects:
    estimate: FloatArray
    std_error: FloatArray
    df: FloatArray  # one per column (CR2's Bell-McCaffrey df depends on each column's residuals)
    ci_low: FloatArray
    ci_high: FloatArray
    p_value: FloatArray
    se_type: str


def batch_effects(
    data: pd.DataFrame,
    outcomes: FloatArray,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    cluster: str | None = None,
    block: str | None = None,
    weights: str | None = None,
    se: str = "HC2",
    method: str = "ols",
    alpha: float = 0.05,
) -> BatchEffects:
    """Effects of ``treatment`` on each column of ``outcomes`` (n, R), design taken from ``data``."""
    check_alpha(alpha)
    y = np.asarray(outcomes, dtype=np.float64)
    if y.ndim != 2 or y.shape[0] != len(data):
        raise InvalidInputError(
            "evaluation.batch_shape",
            Msg("Simulated outcomes must be an ({rows}, R) matrix; got {shape}.", rows=len(data), shape=str(y.shape)),
            path="outcomes",
        )
    if method not in REGRESSION_METHODS:
        raise InvalidInputError(
            "evaluation.bad_method",
            Msg('Method {method} is not available in batch.', method=repr(method)),
            path="method",
        )
    frame = data.assign(_batch_y=y[:, 0])
    p = prepare(frame, "_batch_y", treatment, covariates, cluster=cluster, block=block, weights=weights)
    if p.cluster is not None and se not in CLUSTER_TYPES:
        se = {"HC0": "CR0", "HC1": "CR1"}.get(se, "CR2")
    x, names, _ = build_design(p, method)
    fit = fit_ols(x, p.y, names, p.weights)
    n, k = fit.n, fit.k
    a = fit.xw @ fit.bread[:, 1]  # coefficient = a' y_w
    yw = y * np.sqrt(p.weights)[:, None] if p.weights is not None else y
    est = a @ yw
    resid = yw - fit.xw @ (fit.bread @ (fit.xw.T @ yw))
    parts = None
    # the single-fit variance gives the df (and refuses a cluster type without clusters); CR2's df is
    # per column below, from the same CR2 parts, so they are not computed twice
    template_df = (None if se == "CR2" and p.cluster is not None
                   else vcov(fit, se, cluster=p.cluster, n_clusters=p.n_clusters, coef=1).df)
    if se == "classical":
        var = (resid * resid).sum(axis=0) / (n - k) * fit.bread[1, 1]
    elif se in ("HC0", "HC1", "HC2", "HC3"):
        w2 = a * a
        if se == "HC2":
            w2 = w2 / (1 - leverages(fit))
        elif se == "HC3":
            w2 = w2 / (1 - leverages(fit)) ** 2
        var = w2 @ (resid * resid)
        if se == "HC1":
            var = var * n / (n - k)
    else:
        codes = p.cluster
        if codes is None:  # vcov() above refused this already; kept for the type checker
            raise InvalidInputError("evaluation.cluster_needed", Msg('Clusters needed.'))
        parts = _cr2(fit, codes, p.n_clusters, 1) if se == "CR2" else None
        pvec = parts.pvec if parts is not None else a
        order = np.argsort(codes, kind="stable")
        starts = np.searchsorted(codes[order], np.arange(p.n_clusters))
        scores = np.add.reduceat(pvec[order, None] * resid[order], starts, axis=0)
        var = (scores * scores).sum(axis=0)
        if se == "CR1":
            g = p.n_clusters
            var = var * (g / (g - 1)) * ((n - 1) / (n - k))
    std = np.sqrt(var)
    if parts is not None:
        raw = resid / fit.xw[:, [0]]
        df = bell_mccaffrey_df(parts, working_rho(parts, raw, n, k))
    else:
        df = np.full(est.shape, template_df)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = degenerate_se(std, np.max(np.abs(y), axis=0)) | ~np.isfinite(est)
    std = np.where(bad, np.nan, std)
    q = stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        pval = 2 * stats.t.sf(np.abs(est / std), df)
    return BatchEffects(est, std, df, est - q * std, est + q * std, pval, se)
