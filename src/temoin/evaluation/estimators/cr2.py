"""CR2 (Bell–McCaffrey) cluster-robust variance and its small-sample degrees of freedom.

Notation: X the whitened design (n × k), B = (X'X)^-1 = F F' (Cholesky), e the whitened residuals,
c the coefficient of interest, g = 1..G the clusters, X_g the rows of cluster g, Γ_g = X_g'X_g.

Variance (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018): B (Σ_g u_g u_g') B with
u_g = X_g' A_g e_g and A_g = (I - H_gg)^(-1/2), the symmetric inverse square root (pseudo-inverse
where a leverage eigenvalue of the cluster is 1, as in a cluster's own fixed effect). With
Z_g = X_g F, the eigen-decomposition Z_g'Z_g = V diag(λ) V' gives A_g = I + Z_g V diag(f(λ)) V' Z_g'
with f(λ) = ((1-λ)^(-1/2) - 1)/λ (1/2 in the limit λ → 0, -1/λ where λ = 1: that direction is
removed). Writing E_g = F V diag(f(λ)) V' F', every quantity is a k-vector per cluster:
u_g = s_g + Γ_g E_g s_g with s_g = X_g'e_g, and p_g = A_g X_g B c = X_g m_g with
m_g = Bc + E_g Γ_g Bc. No n_g × n_g matrix is formed, and no G × G one.

Degrees of freedom (Satterthwaite): (tr M)² / tr(M²) with M = G'ΩG, G the n × G matrix of columns
(I - H) S_g p_g. With a_g = p_g'p_g, q_g = Γ_g m_g, w_g = F'q_g, t_g the cluster sums r_g'X_g of the
design (r = sqrt(w), the whitened intercept column: t_g is the first row of Γ_g), σ_g = t_g·m_g
and v_g = F't_g, the two working models give
  M = σ²_e (diag(a) - W'W) + σ²_u L'L,  L = diag(σ) - V'W,
  independent errors (Bell & McCaffrey): σ²_u = 0;
  cluster random effects (Imbens & Kolesár 2016): Ω = σ²_e I + σ²_u blockdiag(r_g r_g').
M = diag(δ) + Z'CZ with δ_g = σ²_e a_g + σ²_u σ_g², z_g = (w_g, σ_g v_g) and the 2k × 2k matrix
C = [[-σ²_e I + σ²_u V V', -σ²_u I], [-σ²_u I, 0]], so that
  tr M = Σ δ_g + tr(C K),  tr M² = Σ δ_g² + 2 tr(C K_δ) + tr(C K C K),
  K = Σ_g z_g z_g',  K_δ = Σ_g δ_g z_g z_g'.
Those sums of outer products are accumulated cluster by cluster: the whole computation is linear
in rows and clusters, and its memory is a few k × k matrices per cluster.

Working model of Imbens & Kolesár: σ²_u is the mean cross-product of two residuals of the same
cluster, σ²_u + σ²_e = e'e / (n - k) (unwhitened residuals); ρ = σ²_u / σ²_e. An estimated
intra-cluster correlation that is negative is set to 0 (a variance component cannot be negative):
the degrees of freedom are then Bell & McCaffrey's, and the result says so. One of 1 or more
(σ²_e ≤ 0) is taken as errors fully correlated within clusters, the limit ρ → ∞ (M = L'L).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from scipy import sparse

from temoin.errors import InvalidInputError
from temoin.messages import Msg

from ._design import FloatArray, IntArray
from .ols import OLSFit

__all__ = [
    "DF_METHODS",
    "CR2Parts",
    "DfMethod",
    "WorkingModel",
    "bell_mccaffrey_df",
    "cluster_scores",
    "cluster_sums",
    "cr2_parts",
    "working_model",
    "working_rho",
]

DfMethod = Literal["imbens_kolesar", "bell_mccaffrey"]
#: Degrees of freedom of CR2's t reference: Imbens–Kolesár (cluster random effects, the default) or
#: Bell–McCaffrey (independent errors, Ω = I, as R's estimatr and clubSandwich).
DF_METHODS: tuple[str, ...] = ("imbens_kolesar", "bell_mccaffrey")

#: Up to this many design columns the cluster Gram matrices come from one weighted bincount per pair
#: of columns; beyond, from one matrix product per cluster over the rows sorted by cluster.
PAIRWISE_MAX_K = 8
#: Clusters are processed in batches of at most this many numbers per (batch, k, k) stack.
BATCH_CELLS = 1 << 20
#: Eigenvalues of Z_g'Z_g under this are 0 (f = 1/2, their limit; the direction has no weight anyway).
SMALL_EIGENVALUE = 1e-12
#: Eigenvalues of Z_g'Z_g within this of 1 are 1: a fully fitted direction, removed (pseudo-inverse).
FULL_LEVERAGE = 1e-10


def cluster_sums(values: FloatArray, codes: IntArray, n_clusters: int) -> FloatArray:
    """Sum of ``values`` over each cluster's rows: (n,) gives (G,), (n, R) gives (G, R)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_clusters).astype(np.float64, copy=False)
    out = np.empty((n_clusters, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_clusters)
    return out


def cluster_scores(xw: FloatArray, e: FloatArray, codes: IntArray, n_clusters: int) -> FloatArray:
    """Per-cluster score sums u_g = X_g'e_g as a (G, k) matrix.

    The residuals form a sparse G × n matrix, e_i in row g(i) of column i; its product with each
    column of X gives that column's cluster sums in one pass over the rows, in row order (the sums
    of a weighted bincount, to the last bit), with no n-long product formed.
    """
    n = codes.shape[0]
    if n and (int(codes.min()) < 0 or int(codes.max()) >= n_clusters):
        raise InvalidInputError(
            "evaluation.bad_cluster_codes",
            Msg("Cluster codes outside 0..{last}.", last=n_clusters - 1),
            path="cluster",
        )
    resid = sparse.csc_matrix((e, codes, np.arange(n + 1)), shape=(n_clusters, n))
    out = np.empty((n_clusters, xw.shape[1]))
    for j in range(xw.shape[1]):
        out[:, j] = resid @ xw[:, j]
    return out


def _pairwise_grams(xw: FloatArray, codes: IntArray, n_clusters: int) -> FloatArray:
    """(G, k, k) Gram matrices X_g'X_g, one weighted bincount per pair of columns."""
    k = xw.shape[1]
    out = np.empty((n_clusters, k, k))
    for a in range(k):
        for b in range(a, k):
            out[:, a, b] = np.bincount(codes, weights=xw[:, a] * xw[:, b], minlength=n_clusters)
            out[:, b, a] = out[:, a, b]
    return out


def _gram_batches(xw: FloatArray, codes: IntArray, n_clusters: int) -> Callable[[int, int], FloatArray]:
    """A function giving the Gram matrices of clusters g0..g1-1 as a (g1 - g0, k, k) stack."""
    if xw.shape[1] <= PAIRWISE_MAX_K:
        grams = _pairwise_grams(xw, codes, n_clusters)
        return lambda g0, g1: grams[g0:g1]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_clusters + 1))

    def batch(g0: int, g1: int) -> FloatArray:
        rows = np.ascontiguousarray(xw[order[bounds[g0] : bounds[g1]]])
        local = bounds[g0 : g1 + 1] - bounds[g0]
        out = np.empty((g1 - g0, xw.shape[1], xw.shape[1]))
        for i in range(g1 - g0):
            xg = rows[local[i] : local[i + 1]]
            out[i] = xg.T @ xg
        return out

    return batch


def _adjustment(zz: FloatArray) -> FloatArray:
    """V diag(f(λ)) V' for each k × k matrix Z_g'Z_g of the stack (see the module docstring)."""
    lam, vec = np.linalg.eigh(zz)
    small = lam < SMALL_EIGENVALUE  # rounding may leave them slightly negative
    full = (1.0 - lam) < FULL_LEVERAGE
    regular = ~small & ~full
    fl = np.empty_like(lam)
    fl[small] = 0.5
    fl[regular] = ((1.0 - lam[regular]) ** -0.5 - 1.0) / lam[regular]
    fl[full] = -1.0 / lam[full]
    out: FloatArray = (vec * fl[:, None, :]) @ vec.transpose(0, 2, 1)
    return out


def _matvec(stack: FloatArray, vectors: FloatArray) -> FloatArray:
    """Row g: stack[g] @ vectors[g]."""
    out: FloatArray = np.einsum("gij,gj->gi", stack, vectors)
    return out


@dataclass(frozen=True)
class CR2Parts:
    """The CR2 variance and what its degrees of freedom are made of, for one coefficient.

    ``m`` (G, k) gives p_g = X_g m_g; ``pvec`` stacks the p_g in row order: the CR2 variance of the
    coefficient is Σ_g (p_g'e_g)² for any residual vector e. ``k_zz``, ``k_a``, ``k_s`` are
    Σ z_g z_g', Σ a_g z_g z_g', Σ σ_g² z_g z_g' (2k × 2k); ``vv`` is Σ v_g v_g'; ``sums`` holds
    Σ a, Σ σ², Σ a², Σ a σ², Σ σ⁴.
    """

    v: FloatArray
    m: FloatArray
    k_zz: FloatArray
    k_a: FloatArray
    k_s: FloatArray
    vv: FloatArray
    sums: FloatArray
    codes: IntArray
    xw: FloatArray
    pairs: float
    """Σ_g n_g (n_g - 1): ordered pairs of rows in the same cluster."""

    @property
    def n_clusters(self) -> int:
        return int(self.m.shape[0])

    @cached_property
    def pvec(self) -> FloatArray:
        out = np.zeros(self.xw.shape[0])
        for j in range(self.xw.shape[1]):
            out += self.xw[:, j] * self.m[self.codes, j]
        return out


def cr2_parts(fit: OLSFit, codes: IntArray, n_clusters: int, coef: int) -> CR2Parts:
    """CR2 variance matrix and the parts of the degrees of freedom for coefficient ``coef``."""
    xw, b, k = fit.xw, fit.bread, fit.k
    f = np.linalg.cholesky(b)  # B = F F'
    bc = b[:, coef]
    scores = cluster_scores(xw, fit.resid_w, codes, n_clusters)
    grams = _gram_batches(xw, codes, n_clusters)
    meat = np.zeros((k, k))
    m_all = np.empty((n_clusters, k))
    k_zz = np.zeros((2 * k, 2 * k))
    k_a = np.zeros((2 * k, 2 * k))
    k_s = np.zeros((2 * k, 2 * k))
    vv = np.zeros((k, k))
    sums = np.zeros(5)
    step = max(1, BATCH_CELLS // (k * k))
    for g0 in range(0, n_clusters, step):
        g1 = min(g0 + step, n_clusters)
        gram = grams(g0, g1)
        e_mat = f @ _adjustment(f.T @ gram @ f) @ f.T  # E_g
        s = scores[g0:g1]
        u = s + _matvec(gram, _matvec(e_mat, s))
        meat += u.T @ u
        m = bc + _matvec(e_mat, gram @ bc)
        m_all[g0:g1] = m
        q = _matvec(gram, m)
        a = np.einsum("gi,gi->g", m, q)  # p_g'p_g
        t = gram[:, 0, :]  # r_g'X_g
        sig = np.einsum("gi,gi->g", t, m)  # r_g'p_g
        v = t @ f
        z = np.concatenate([q @ f, sig[:, None] * v], axis=1)
        k_zz += z.T @ z
        k_a += (a[:, None] * z).T @ z
        s2 = sig * sig
        k_s += (s2[:, None] * z).T @ z
        vv += v.T @ v
        sums += [a.sum(), s2.sum(), a @ a, a @ s2, s2 @ s2]
    sizes = np.bincount(codes, minlength=n_clusters).astype(np.float64)
    pairs = float(sizes @ (sizes - 1.0))
    return CR2Parts(b @ meat @ b, m_all, k_zz, k_a, k_s, vv, sums, codes, xw, pairs)



@dataclass(frozen=True)
class WorkingModel:
    """The Imbens–Kolesár working model fitted to residuals: ρ = σ²_u/σ²_e (``inf`` when σ²_e ≤ 0)
    and the estimated intra-cluster correlation σ²_u/(σ²_u + σ²_e) before any truncation."""

    rho: FloatArray
    icc: FloatArray


def working_model(parts: CR2Parts, raw: FloatArray, n: int, k: int) -> WorkingModel:
    """ρ and the intra-cluster correlation from unwhitened residuals ``raw``, (n,) or (n, R).

    ρ is 0 where the within-cluster covariance is not positive (and with no two rows in one
    cluster), ``inf`` where it reaches the total variance e'e / (n - k).
    """
    r2 = np.asarray(raw * raw)
    total = r2.sum(axis=0) / (n - k)
    sums = cluster_sums(raw, parts.codes, parts.n_clusters)
    within = (sums * sums).sum(axis=0) - r2.sum(axis=0)
    between = within / parts.pairs if parts.pairs > 0 else np.zeros_like(total)
    positive = between > 0
    fully = positive & (between >= total)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(positive & ~fully, between / (total - between), 0.0)
        icc = np.where(total > 0, between / total, 0.0)
    rho = np.where(fully, np.inf, rho)
    return WorkingModel(np.asarray(rho, dtype=np.float64), np.asarray(icc, dtype=np.float64))


def working_rho(parts: CR2Parts, raw: FloatArray, n: int, k: int) -> FloatArray:
    """ρ = σ²_u/σ²_e of the Imbens–Kolesár working model (see :func:`working_model`)."""
    return working_model(parts, raw, n, k).rho


def bell_mccaffrey_df(parts: CR2Parts, rho: FloatArray | float) -> FloatArray:
    """(tr M)² / tr(M²) with M = M0 + ρ L'L, for one ρ or an array of them (``inf``: M = L'L)."""
    rho = np.asarray(rho, dtype=np.float64)
    shape = rho.shape
    rho = rho.reshape(-1)
    infinite = np.isinf(rho)
    s2e = np.where(infinite, 0.0, 1.0)  # σ²_e
    s2u = np.where(infinite, 1.0, rho)  # σ²_u
    k = parts.vv.shape[0]
    eye = np.eye(k)
    c = np.zeros((rho.size, 2 * k, 2 * k))
    c[:, :k, :k] = -s2e[:, None, None] * eye + s2u[:, None, None] * parts.vv
    c[:, :k, k:] = c[:, k:, :k] = -s2u[:, None, None] * eye
    sum_a, sum_s2, sum_a2, sum_as2, sum_s4 = parts.sums
    ck = c @ parts.k_zz
    k_delta = s2e[:, None, None] * parts.k_a + s2u[:, None, None] * parts.k_s
    tr = s2e * sum_a + s2u * sum_s2 + np.trace(ck, axis1=1, axis2=2)
    tr2 = (
        s2e * s2e * sum_a2
        + 2 * s2e * s2u * sum_as2
        + s2u * s2u * sum_s4
        + 2 * np.einsum("rij,rji->r", c, k_delta)
        + np.einsum("rij,rji->r", ck, ck)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(tr2 > 0, tr * tr / tr2, np.nan)
    return np.asarray(df, dtype=np.float64).reshape(shape)
