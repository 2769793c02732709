"""Variance of least-squares coefficients: classical, HC0–HC3, CR0, CR1, CR2 (Bell–McCaffrey).

Formulas (X whitened by sqrt(w) when weighted, B = (X'X)^-1, e the residuals, h_i the leverages):

- classical: s² B with s² = e'e / (n - k);
- HC0: B X' diag(e²) X B; HC1 = HC0 · n/(n-k); HC2 uses e²/(1-h); HC3 uses e²/(1-h)²;
- CR0: B (Σ_g u_g u_g') B with u_g = X_g' e_g; CR1 = CR0 · G/(G-1) · (n-1)/(n-k) (Stata, statsmodels);
- CR2 (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018): u_g = X_g' A_g e_g with
  A_g = (I - H_gg)^(-1/2), the symmetric inverse square root (pseudo-inverse where a cluster's
  leverage is 1). A_g is applied through the k×k eigen-decomposition of the cluster's share of the
  hat matrix, never as an n_g×n_g matrix. Degrees of freedom for coefficient c: Satterthwaite
  (Bell & McCaffrey), (tr M)² / tr(M²) with M = G'ΩG, G the n×G matrix of columns (I - H) S_g p_g,
  p_g = A_g X_g B c. Under the independent working model (Ω = I) M = diag(p_g'p_g) - Q'BQ with
  q_g = X_g' p_g. By default the working model has cluster random effects, Ω = I + ρ·blockdiag(1 1'),
  as Imbens & Kolesar (2016) recommend, with ρ = σ²_u/σ²_e estimated from the residuals
  (σ²_u: mean within-cluster cross-product; σ²_u + σ²_e: e'e/(n-k)); then M gains ρ L'L with
  L = diag(1_g'p_g) - T B Q, T the cluster column sums of X. Only G×G matrices are formed.
  (With weights, "1" is sqrt(w), the whitened intercept.)

Degrees of freedom for the t reference: n - k for classical and HC types, G - 1 for CR0/CR1, and the
Bell–McCaffrey value for CR2.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np

try:  # y += A x for a CSC matrix A, accumulating in place (SciPy's own kernel, stable for decades)
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - bincount below gives the same sums
    _csc_matvec = None

from temoin.errors import InvalidInputError

from ._design import FloatArray, IntArray, run_split
from .ols import OLSFit

SEType = Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"]
SE_TYPES: tuple[str, ...] = ("classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2")
CLUSTER_TYPES: tuple[str, ...] = ("CR0", "CR1", "CR2")

__all__ = ["CLUSTER_TYPES", "SE_TYPES", "SEType", "Vcov", "cluster_scores", "leverages", "vcov"]

_CHUNK = 1 << 18
_SCORE_ROWS = 1 << 16


@dataclass(frozen=True)
class Vcov:
    matrix: FloatArray
    df: float
    """Degrees of freedom of the t reference for the coefficient of interest."""


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


def cluster_scores(xw: FloatArray, e: FloatArray, codes: IntArray, n_clusters: int) -> FloatArray:
    """Per-cluster score sums u_g = X_g' e_g as a (G, k) matrix.

    Each column of X goes through SciPy's sparse kernel for a G×n matrix holding each residual in
    its cluster's row (one entry per unit): u_gj += e_i x_ij in row order, with no n-long product
    formed, by blocks of rows so that no n-long index array is needed either. The sums are those of
    a weighted bincount per column, to the last bit. The kernel releases the GIL: on large data the
    columns are shared between two threads (each column still summed in row order by one thread).
    bincount is the fallback, and it refuses codes out of range as before.
    """
    n, k = xw.shape
    if _csc_matvec is None or n == 0 or int(codes.min()) < 0 or int(codes.max()) >= n_clusters:
        s = np.empty((n_clusters, k))
        for j in range(k):
            s[:, j] = np.bincount(codes, weights=xw[:, j] * e, minlength=n_clusters)
        return s
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    e = np.ascontiguousarray(e, dtype=np.float64)
    acc = np.zeros((k, n_clusters))
    step = min(n, _SCORE_ROWS)
    ptr = np.arange(step + 1, dtype=np.int64)

    def columns(js: range) -> None:
        for start in range(0, n, step):
            stop = min(start + step, n)
            for j in js:
                col = np.ascontiguousarray(xw[start:stop, j], dtype=np.float64)
                _csc_matvec(n_clusters, stop - start, ptr[: stop - start + 1], codes[start:stop], e[start:stop], col, acc[j])

    half = (k + 1) // 2
    run_split([partial(columns, range(half)), partial(columns, range(half, k))], n * k)
    return acc.T.copy()


@dataclass(frozen=True)
class CR2Parts:
    """What the CR2 variance and its Bell-McCaffrey df are made of, for one coefficient.

    ``pvec`` stacks the p_g (row order): the CR2 variance of the coefficient is sum_g (p_g' e_g)^2
    for any residual vector e. ``m0`` is M under the independent working model and ``ltl`` the
    term that the random-effects working model adds, M = m0 + rho * ltl.
    """

    v: FloatArray
    pvec: FloatArray
    m0: FloatArray
    ltl: FloatArray
    order: IntArray
    starts: IntArray
    pairs: float


def working_rho(parts: CR2Parts, raw: FloatArray, n: int, k: int) -> FloatArray:
    """rho = sigma2_u / sigma2_e of the random-effects working model, from unwhitened residuals
    ``raw`` (n,) or (n, R); 0 where the within-cluster covariance is not positive."""
    r2 = np.asarray(raw * raw)
    total = r2.sum(axis=0) / (n - k)
    sums = np.add.reduceat(raw[parts.order], parts.starts, axis=0)
    within = (sums * sums).sum(axis=0) - r2.sum(axis=0)
    between = np.maximum(within / parts.pairs, 0.0) if parts.pairs > 0 else np.zeros_like(total)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(total > between, between / (total - between), 0.0)
    return np.asarray(rho, dtype=np.float64)


def bell_mccaffrey_df(parts: CR2Parts, rho: FloatArray | float) -> FloatArray:
    """(tr M)^2 / tr(M^2) with M = m0 + rho * ltl, for one rho or a vector of them."""
    rho = np.asarray(rho, dtype=np.float64)
    m0, ltl = parts.m0, parts.ltl
    tr = np.trace(m0) + rho * np.trace(ltl)
    tr2 = np.sum(m0 * m0) + 2 * rho * np.sum(m0 * ltl) + rho * rho * np.sum(ltl * ltl)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(tr2 > 0, tr * tr / tr2, np.nan)
    return np.asarray(df, dtype=np.float64)


def _cr2(fit: OLSFit, codes: IntArray, n_clusters: int, coef: int) -> CR2Parts:
    """CR2 variance matrix and the parts of the Bell-McCaffrey df for ``coef``."""
    xw, e, b = fit.xw, fit.resid_w, fit.bread
    k = fit.k
    f = np.linalg.cholesky(b)  # B = F F'
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_clusters + 1))
    bc = b[:, coef]
    meat = np.zeros((k, k))
    q = np.empty((k, n_clusters))
    pp = np.empty(n_clusters)
    pvec = np.empty(fit.n)
    sums_p = np.empty(n_clusters)  # r_g' p_g, r = sqrt(w) (the whitened column of ones)
    sums_x = np.empty((n_clusters, k))  # r_g' X_g
    r_all = xw[:, 0]
    for g in range(n_clusters):
        idx = order[bounds[g] : bounds[g + 1]]
        xg = xw[idx]
        eg = e[idx]
        z = xg @ f
        lam, vec = np.linalg.eigh(z.T @ z)
        lam = np.clip(lam, 0.0, None)
        fl = np.empty_like(lam)
        small = lam < 1e-12
        full = (1.0 - lam) < 1e-10
        regular = ~small & ~full
        fl[small] = 0.5
        fl[regular] = ((1.0 - lam[regular]) ** -0.5 - 1.0) / lam[regular]
        fl[full] = -1.0 / lam[full]  # pseudo-inverse: that direction is removed
        core = vec @ (fl[:, None] * vec.T)

        def adjust(v: FloatArray, z: FloatArray = z, core: FloatArray = core) -> FloatArray:
            out: FloatArray = v + z @ (core @ (z.T @ v))
            return out

        ug = xg.T @ adjust(eg)
        meat += np.outer(ug, ug)
        pg = adjust(xg @ bc)
        pvec[idx] = pg
        q[:, g] = xg.T @ pg
        pp[g] = pg @ pg
        rg = r_all[idx]
        sums_p[g] = rg @ pg
        sums_x[g] = rg @ xg
    m0 = np.diag(pp) - q.T @ b @ q
    lmat = np.diag(sums_p) - sums_x @ b @ q
    sizes = np.diff(bounds).astype(np.float64)
    pairs = float(np.sum(sizes * (sizes - 1)))
    return CR2Parts(b @ meat @ b, pvec, m0, lmat.T @ lmat, order, bounds[:-1], pairs)


def vcov(
    fit: OLSFit,
    se_type: str,
    *,
    cluster: IntArray | None = None,
    n_clusters: int = 0,
    coef: int = 1,
) -> Vcov:
    """Variance matrix of the coefficients and the t degrees of freedom for ``coef``."""
    n, k = fit.n, fit.k
    b, e = fit.bread, fit.resid_w
    if se_type not in SE_TYPES:
        raise InvalidInputError(
            "evaluation.bad_se_type",
            f"Type d'erreur type inconnu : {se_type!r}.",
            f"Unknown standard-error type: {se_type!r}.",
            path="se",
            hint_fr=f"Choisissez parmi {', '.join(SE_TYPES)}.",
            hint_en=f"Choose among {', '.join(SE_TYPES)}.",
        )
    if se_type in CLUSTER_TYPES:
        if cluster is None:
            raise InvalidInputError(
                "evaluation.cluster_needed",
                f"L'erreur type {se_type} demande une colonne de grappes.",
                f"Standard error {se_type} needs a cluster column.",
                path="cluster",
                hint_fr="Indiquez la colonne des grappes, ou choisissez une erreur type HC.",
                hint_en="Give the cluster column, or choose an HC standard error.",
            )
        if se_type == "CR2":
            parts = _cr2(fit, cluster, n_clusters, coef)
            rho = working_rho(parts, fit.resid_w / fit.xw[:, 0], fit.n, fit.k)
            return Vcov(parts.v, float(bell_mccaffrey_df(parts, rho)))
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
            f"Une observation a un levier de 1 : l'erreur type {se_type} n'est pas définie.",
            f"An observation has leverage 1: standard error {se_type} is undefined.",
            path="se",
            hint_fr="Une strate ou une covariable isole une seule observation ; regroupez les strates ou utilisez HC1.",
            hint_en="A block or covariate isolates a single observation; merge blocks or use HC1.",
        )
    omega = e * e / (1 - h) if se_type == "HC2" else e * e / (1 - h) ** 2
    return Vcov(b @ _weighted_meat(fit.xw, omega) @ b, float(n - k))
