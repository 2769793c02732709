"""Variance of least-squares coefficients: classical, HC0–HC3, CR0, CR1, CR2 (Bell–McCaffrey).

Formulas (X whitened by sqrt(w) when weighted, B = (X'X)^-1, e the residuals, h_i the leverages):

- classical: s² B with s² = e'e / (n - k);
- HC0: B X' diag(e²) X B; HC1 = HC0 · n/(n-k); HC2 uses e²/(1-h); HC3 uses e²/(1-h)²;
- CR0: B (Σ_g u_g u_g') B with u_g = X_g' e_g; CR1 = CR0 · G/(G-1) · (n-1)/(n-k) (Stata, statsmodels);
- CR2 (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018): u_g = X_g' A_g e_g with
  A_g = (I - H_gg)^(-1/2); see :mod:`.cr2`, which computes it and its degrees of freedom in time
  linear in rows and clusters.

Degrees of freedom for the t reference: n - k for classical and HC types, G - 1 for CR0/CR1, and for
CR2 the Satterthwaite value (tr M)² / tr(M²) under a working model of the errors, named by
``df_method``: ``"imbens_kolesar"`` (default; cluster random effects, Imbens & Kolesár 2016) or
``"bell_mccaffrey"`` (independent errors, Ω = I, as R's estimatr and clubSandwich).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from temoin.errors import InvalidInputError
from temoin.evaluation.text import label, significant
from temoin.messages import Msg

from ._design import FloatArray, IntArray
from .cr2 import (
    DF_METHODS,
    CR2Parts,
    DfMethod,
    bell_mccaffrey_df,
    cluster_scores,
    cr2_parts,
    working_model,
    working_rho,
)
from .ols import OLSFit

SEType = Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"]
SE_TYPES: tuple[str, ...] = ("classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2")
CLUSTER_TYPES: tuple[str, ...] = ("CR0", "CR1", "CR2")

_cr2 = cr2_parts  # the name batch.py and older tests use

__all__ = [
    "CLUSTER_TYPES",
    "DF_METHODS",
    "SE_TYPES",
    "CR2Parts",
    "DfMethod",
    "SEType",
    "Vcov",
    "bell_mccaffrey_df",
    "cluster_scores",
    "leverages",
    "vcov",
    "working_rho",
]

_CHUNK = 1 << 18


@dataclass(frozen=True)
class Vcov:
    matrix: FloatArray
    df: float
    """Degrees of freedom of the t reference for the coefficient of interest."""
    df_method: str | None = None
    """CR2 only: the working model of its degrees of freedom, one of ``DF_METHODS``."""
    notes: tuple[Msg, ...] = ()


def leverages(fit: OLSFit) -> FloatArray:
    """Diagonal of the hat matrix, by row chunks (no n×n matrix)."""
    n = fit.n
    h = np.empty(n)
    for start in range(0, n, _CHUNK):
        xs = fit.xw[start : start + _CHUNK]
        h[start : start + _CHUNK] = np.einsum("ij,ij->i", xs @ fit.bread, xs)
    return h


def _weighted_meat(xw: FloatArray, omega: FloatArray) -> FloatArray:
    k = xw.shape[1]
    meat = np.zeros((k, k))
    for start in range(0, xw.shape[0], _CHUNK):
        xs = xw[start : start + _CHUNK]
        meat += xs.T @ (xs * omega[start : start + _CHUNK, None])
    return meat


def vcov(
    fit: OLSFit,
    se_type: str,
    *,
    cluster: IntArray | None = None,
    n_clusters: int = 0,
    coef: int = 1,
    df_method: str = "imbens_kolesar",
) -> Vcov:
    """Variance matrix of the coefficients and the t degrees of freedom for ``coef``.

    ``df_method`` chooses the working model of CR2's degrees of freedom (see ``DF_METHODS``);
    the other types do not use it.
    """
    n, k = fit.n, fit.k
    b, e = fit.bread, fit.resid_w
    if df_method not in DF_METHODS:
        raise InvalidInputError(
            "evaluation.bad_df_method",
            Msg('Unknown degrees of freedom: {df_method}.', df_method=repr(df_method)),
            path="df_method",
            hint=Msg("Choose among {choices}.", choices=", ".join(DF_METHODS)),
        )
    if se_type not in SE_TYPES:
        raise InvalidInputError(
            "evaluation.bad_se_type",
            Msg('Unknown standard-error type: {se_type}.', se_type=repr(se_type)),
            path="se",
            hint=Msg("Choose among {choices}.", choices=", ".join(SE_TYPES)),
        )
    if se_type in CLUSTER_TYPES:
        if cluster is None:
            raise InvalidInputError(
                "evaluation.cluster_needed",
                Msg("The {se_type} needs a cluster column.", se_type=label("se_type", se_type)),
                path="cluster",
                hint=Msg('Give the cluster column, or choose an HC standard error.'),
            )
        if se_type == "CR2":
            return _cr2_vcov(fit, cluster, n_clusters, coef, df_method)
        s = cluster_scores(fit.xw, e, cluster, n_clusters)
        v = b @ (s.T @ s) @ b
        if se_type == "CR1":
            v = v * (n_clusters / (n_clusters - 1)) * ((n - 1) / (n - k))
        return Vcov(v, float(n_clusters - 1))
    if se_type == "classical":
        return Vcov(b * float(e @ e) / (n - k), float(n - k))
    if se_type in ("HC0", "HC1"):
        v = b @ _weighted_meat(fit.xw, e * e) @ b
        if se_type == "HC1":
            v = v * n / (n - k)
        return Vcov(v, float(n - k))
    h = leverages(fit)
    if np.any(h > 1 - 1e-10):
        raise InvalidInputError(
            "evaluation.leverage_one",
            Msg("An observation has leverage 1: the {se_type} is undefined.", se_type=label("se_type", se_type)),
            path="se",
            hint=Msg('A block or covariate isolates a single observation; merge blocks or use HC1.'),
        )
    omega = e * e / (1 - h) if se_type == "HC2" else e * e / (1 - h) ** 2
    return Vcov(b @ _weighted_meat(fit.xw, omega) @ b, float(n - k))


def _cr2_vcov(fit: OLSFit, codes: IntArray, n_clusters: int, coef: int, df_method: str) -> Vcov:
    parts = cr2_parts(fit, codes, n_clusters, coef)
    if df_method == "bell_mccaffrey":
        return Vcov(parts.v, float(bell_mccaffrey_df(parts, 0.0)), df_method)
    model = working_model(parts, fit.resid_w / fit.xw[:, 0], fit.n, fit.k)
    icc = float(model.icc)
    notes: tuple[Msg, ...] = ()
    if icc < 0:
        notes = (
            Msg("The residuals' estimated intra-cluster correlation is negative ({icc}): the Imbens–Kolesár working "
                "model sets it to 0, so its degrees of freedom are Bell–McCaffrey's.", icc=significant(icc, 3)),
        )
    elif np.isinf(model.rho):
        notes = (
            Msg("The residuals' estimated intra-cluster correlation is {icc} (1 or more): the Imbens–Kolesár working "
                "model takes errors fully correlated within each cluster.", icc=significant(icc, 3)),
        )
    return Vcov(parts.v, float(bell_mccaffrey_df(parts, model.rho)), df_method, notes)
