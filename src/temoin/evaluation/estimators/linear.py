"""Regression estimators of an average treatment effect: difference in means, OLS adjustment,
Lin's interacted adjustment, block fixed effects.

``regression_effect`` builds the design (intercept, treatment, centred covariates, block
indicators, and for Lin the treatment × centred-covariate interactions), fits it and returns the
treatment coefficient with the asked standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from temoin.errors import InvalidInputError

from ._design import FloatArray, Prepared, bilingual
from .ols import OLSFit, fit_ols
from .vcov import CLUSTER_TYPES, vcov

__all__ = ["INTERCEPT", "RegressionEffect", "build_design", "regression_effect", "t_inference"]

INTERCEPT = "(constante)"


@dataclass(frozen=True)
class RegressionEffect:
    estimate: float
    std_error: float
    df: float
    se_type: str
    fit: OLSFit
    notes: tuple[str, ...]


def _center(col: FloatArray, w: FloatArray | None) -> FloatArray:
    if np.ptp(col) == 0:
        return np.zeros_like(col)
    mean = float(np.average(col, weights=w))
    out: FloatArray = col - mean
    return out


def build_design(p: Prepared, method: str) -> tuple[FloatArray, list[str], list[str]]:
    """Design matrix (Fortran order), its column names, and notes on decisions taken."""
    notes: list[str] = []
    n = p.n
    w = p.weights
    cols: list[tuple[str, FloatArray]] = []
    for j, name in enumerate(p.covariate_names):
        cols.append((name, _center(p.covariates[:, j], w)))
    if p.block is not None:
        for level in range(1, len(p.block_labels)):
            ind = (p.block == level).astype(np.float64)
            cols.append((f"bloc[{p.block_labels[level]}]", _center(ind, w)))
    interact = method == "lin" or (method == "diff_in_means" and p.block is not None)
    if method == "diff_in_means" and p.block is not None:
        notes.append(
            bilingual(
                "Différence de moyennes par bloc, pondérée par la taille des blocs (forme de Lin).",
                "Difference in means within blocks, weighted by block size (Lin's form).",
            )
        )
    k = 2 + len(cols) * (2 if interact else 1)
    x = np.empty((n, k), order="F")
    names = [INTERCEPT, "traitement"]
    x[:, 0] = 1.0
    x[:, 1] = _center(p.d, w)
    for j, (name, col) in enumerate(cols):
        x[:, 2 + j] = col
        names.append(name)
    if interact:
        base = 2 + len(cols)
        for j, (name, col) in enumerate(cols):
            x[:, base + j] = _center(p.d * col, w)
            names.append(f"traitement×{name}")
    return x, names, notes


def t_inference(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float, float]:
    """Two-sided p-value and confidence interval from a t reference (normal when df is infinite)."""
    if not np.isfinite(df) or df <= 0:
        df = np.inf
    if se > 0:
        t = estimate / se
        p = float(2 * stats.t.sf(abs(t), df))
    else:
        p = float("nan")
    q = float(stats.t.ppf(1 - alpha / 2, df))
    return p, estimate - q * se, estimate + q * se


def regression_effect(p: Prepared, method: str, se_type: str) -> RegressionEffect:
    if method not in ("diff_in_means", "ols", "lin"):
        raise InvalidInputError(
            "evaluation.bad_method",
            f"Méthode inconnue : {method!r}.",
            f"Unknown method: {method!r}.",
            path="method",
        )
    if method == "diff_in_means" and p.covariate_names:
        raise InvalidInputError(
            "evaluation.covariates_in_diff",
            "La différence de moyennes ne prend pas de covariables.",
            "The difference in means takes no covariates.",
            path="covariates",
            hint_fr="Utilisez method='ols' ou 'lin' pour un ajustement sur covariables.",
            hint_en="Use method='ols' or 'lin' for covariate adjustment.",
        )
    notes: list[str] = []
    if p.cluster is not None and se_type not in CLUSTER_TYPES:
        mapped = {"HC0": "CR0", "HC1": "CR1"}.get(se_type, "CR2")
        notes.append(
            bilingual(
                f"Données en grappes : erreur type {mapped} au lieu de {se_type}.",
                f"Clustered data: {mapped} standard error used instead of {se_type}.",
            )
        )
        se_type = mapped
    x, names, design_notes = build_design(p, method)
    notes.extend(design_notes)
    fit = fit_ols(x, p.y, names, p.weights)
    v = vcov(fit, se_type, cluster=p.cluster, n_clusters=p.n_clusters, coef=1)
    se = float(np.sqrt(max(v.matrix[1, 1], 0.0)))
    return RegressionEffect(
        estimate=float(fit.beta[1]), std_error=se, df=v.df, se_type=se_type, fit=fit, notes=tuple(notes)
    )
