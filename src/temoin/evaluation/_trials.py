"""Simulated trials as counts, fitted all at once: the engine of the design diagnosis.

A simulated trial draws ``n`` participants independently from a template population of ``N``
people, assigns them (complete randomisation, within strata when stratified), and loses each to
follow-up with the expected attrition. The regression only sees a participant's row
``r = [1, t, covariates]`` and outcome ``y``, so template people alike in covariates and outcome
are one *row type* ``u`` (merged across strata: the strata matter for drawing, not for the fit),
and a trial is fully described by counts ``C[t·U + u, b]`` (how many followed participants of
trial ``b`` are of type ``u`` in arm ``t``). Then, exactly:

- ``X'X = Σ_j C_j r_j r_j'`` and ``X'y = Σ_j C_j r_j y_j``: one matrix product for all trials;
- the HC2 variance of the assignment coefficient is ``Σ_j C_j z_j² e_j² / (1 − h_j)`` with
  ``z = r (X'X)⁻¹ e₁``, ``h = r (X'X)⁻¹ r'`` and ``e = y − r β``. ``z`` and ``h`` depend on the row
  only through its *group* ``g`` (covariate pattern and arm), so ``w_g = z_g² / (1 − h_g)`` is
  computed for the few groups, and the variance is ``Σ_g w_g Σ_{j∈g} C_j e_j²``;
- all of it depends on a trial only through three sums per group: ``N_g = Σ C_j``,
  ``S_g = Σ C_j ỹ_j`` and ``Q_g = Σ C_j ỹ_j²``, with ``ỹ = y − m_g`` the outcome centred on the
  group's template mean (so that the expansion below does not lose digits). Then
  ``X'X = Σ_g N_g r_g r_g'``, ``X'y = Σ_g (S_g + m_g N_g) r_g`` and, with ``d_g = r_g β − m_g``,
  ``Σ_{j∈g} C_j e_j² = Q_g − 2 d_g S_g + d_g² N_g``. The three sums come from the counts by one
  sparse product. Nothing is approximated: the tests compare with statsmodels on the expanded
  trials.

Counts are drawn directly: stratum sizes are multinomial, the assigned numbers per stratum follow
the randomisation rule, the followed numbers are binomial, and the followed participants are
drawn uniformly among the stratum's people (exact bounded integers, one call per stratum for all
trials of a chunk), then counted with one ``bincount``. The counts are laid out type-major
(``(2U, B)``) so that every per-trial sum runs over contiguous memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["SINGULAR_RCOND", "TrialCounts", "TrialPopulation", "draw_counts", "expand", "fit_counts_hc2",
           "inverse_xtx", "population"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Ip = npt.NDArray[np.intp]


@dataclass(frozen=True)
class TrialPopulation:
    """The distinct regression rows of the template, in both arms, and how to draw people.

    Row ``t·U + u`` is row type ``u`` (distinct covariates and outcome) in arm ``t``; row types are
    sorted by covariate pattern, so each group (pattern, arm) is a contiguous run of rows.
    """

    rows: F  # (2U, k) = [1, t, covariates]
    y: F  # (2U,) outcome without the programme
    group_sums: sparse.csr_array  # (3·2G, 2U): counts → N, S, Q per group (module docstring)
    group_mean: F  # (2G,) m_g, the template mean outcome of the group's row types
    group_rows: F  # (2G, k) the row of each group (pattern, arm)
    group_outer: F  # (2G, k*k) their outer products
    person_type: Ip  # (N,) row type of each template person, people sorted by stratum
    starts: I64  # (K,) first person of each stratum (in that order)
    sizes: I64  # (K,) people per stratum


def _in_both_arms(cov: F) -> F:
    m, p = cov.shape
    rows = np.empty((2 * m, 2 + p))
    rows[:, 0] = 1.0
    rows[:m, 1], rows[m:, 1] = 0.0, 1.0
    rows[:m, 2:], rows[m:, 2:] = cov, cov
    return rows


def _outer(rows: F) -> F:
    k = rows.shape[1]
    return (rows[:, :, None] * rows[:, None, :]).reshape(len(rows), k * k)


def population(covariates: F, y0: F, strata: I64) -> TrialPopulation:
    """Merge the template into row types and groups (see the module docstring)."""
    order = np.argsort(strata, kind="stable")
    distinct, person_type = np.unique(np.column_stack([covariates[order], y0[order]]), axis=0, return_inverse=True)
    cov, y = distinct[:, :-1], distinct[:, -1]  # np.unique sorts rows: types of a pattern are contiguous
    patterns, pattern_of = np.unique(cov, axis=0, return_inverse=True)
    pattern_of = pattern_of.reshape(-1)
    rows = _in_both_arms(cov)
    y2 = np.tile(y, 2)
    group = np.concatenate([pattern_of, pattern_of + len(patterns)])
    n_groups = 2 * len(patterns)
    group_mean = np.bincount(group, weights=y2, minlength=n_groups) / np.bincount(group, minlength=n_groups)
    centred = y2 - group_mean[group]
    cols = np.arange(len(y2))
    group_sums = sparse.csr_array(
        (np.concatenate([np.ones(len(y2)), centred, centred * centred]),
         (np.concatenate([group, group + n_groups, group + 2 * n_groups]), np.tile(cols, 3))),
        shape=(3 * n_groups, len(y2)))
    group_rows = _in_both_arms(patterns)
    sizes = np.bincount(strata[order]).astype(np.int64)
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    keep = sizes > 0
    return TrialPopulation(rows, y2, group_sums, group_mean, group_rows, _outer(group_rows),
                           person_type.reshape(-1).astype(np.intp), starts[keep], sizes[keep])


@dataclass(frozen=True)
class TrialCounts:
    counts: I64  # (B, 2U) followed participants of each row (a transposed view of type-major counts)
    randomised: F  # (B, 2) assigned to control, programme
    followed: F  # (B, 2) followed in control, programme
    by_stratum: I64  # (B, K, 2) assigned per stratum and arm


def draw_counts(rng: np.random.Generator, pop: TrialPopulation, *, n: int, sims: int, ratio: float,
                stratified: bool, attrition: float) -> TrialCounts:
    """Draw ``sims`` trials as counts (the drawing model is in the module docstring)."""
    sizes, starts = pop.sizes, pop.starts
    n_people = int(sizes.sum())
    n_types = pop.rows.shape[0] // 2
    if stratified and len(sizes) > 1:
        per_stratum = rng.multinomial(n, sizes / n_people, size=sims)  # (B, K)
        exact = per_stratum * ratio
        treated = np.floor(exact) + (rng.random(per_stratum.shape) < exact - np.floor(exact))
        s_starts, s_sizes = starts, sizes
    else:
        per_stratum = np.full((sims, 1), n)
        treated = np.full((sims, 1), np.floor(n * ratio + 0.5))
        s_starts, s_sizes = np.array([0]), np.array([n_people])
    treated = treated.astype(np.int64)
    assigned = np.stack([per_stratum - treated, treated], axis=2)  # (B, K, 2): control, programme
    followed = rng.binomial(assigned, 1.0 - attrition) if attrition > 0 else assigned
    # Draws ordered by (stratum, arm, trial), so that each stratum's draws for all trials are one
    # call with a scalar bound. A draw of person i in arm t of trial b lands in the type-major cell
    # (t·U + type(i))·B + b; the part that does not depend on the person is laid down first.
    lengths = followed.transpose(1, 2, 0)  # (K, 2, B)
    arm_trial = (np.arange(2, dtype=np.intp)[:, None] * (n_types * sims) + np.arange(sims, dtype=np.intp)).reshape(-1)
    keys = np.repeat(np.broadcast_to(arm_trial, (lengths.shape[0], 2 * sims)).reshape(-1), lengths.reshape(-1))
    pos = 0
    for start, size, count in zip(s_starts.tolist(), s_sizes.tolist(), lengths.sum(axis=(1, 2)).tolist(), strict=True):
        if count:
            who = rng.integers(0, size, size=count, dtype=np.int16 if size <= np.iinfo(np.int16).max else np.int64)
            keys[pos:pos + count] += np.take(pop.person_type[start:start + size] * sims, who)
            pos += count
    counts = np.bincount(keys, minlength=2 * n_types * sims).reshape(2 * n_types, sims)
    return TrialCounts(counts.T, assigned.sum(axis=1).astype(float), followed.sum(axis=1).astype(float), assigned)


def fit_counts_hc2(pop: TrialPopulation, counts: npt.NDArray[Any]) -> tuple[F, F, F]:
    """Assignment coefficient, its HC2 standard error and residual df, for every trial at once.

    ``counts`` is ``(B, 2U)``; the three sums per group come from its type-major transpose (a free
    view of what :func:`draw_counts` returns). A trial whose X'X is singular (see
    :func:`inverse_xtx`) gets NaN for the estimate and its standard error.
    """
    c = np.ascontiguousarray(counts.T, dtype=np.float64)  # (2U, B)
    k = pop.rows.shape[1]
    g2 = len(pop.group_mean)
    sums = pop.group_sums @ c  # (3·2G, B)
    n_g, s_g, q_g = sums[:g2], sums[g2:2 * g2], sums[2 * g2:]
    xtx = (n_g.T @ pop.group_outer).reshape(-1, k, k)  # (B, k, k)
    xty = (s_g + pop.group_mean[:, None] * n_g).T @ pop.group_rows  # (B, k)
    inv, bad = inverse_xtx(xtx)
    beta = np.einsum("bij,bj->bi", inv, xty)  # (B, k)
    # per group: z = r (X'X)⁻¹ e₁ and 1 − h = 1 − r (X'X)⁻¹ r', then w = z² / (1 − h)
    z = pop.group_rows @ inv[:, :, 1].T  # (2G, B); X'X is symmetric, so column 1 is row 1
    omh = 1.0 - pop.group_outer @ inv.reshape(-1, k * k).T
    np.maximum(omh, 1e-12, out=omh)  # groups absent from a trial may have h ≥ 1; their sums are 0
    w = z * z / omh
    # per group: Σ C e² = Q − 2 d S + d² N with d = r β − m (module docstring)
    d = pop.group_rows @ beta.T - pop.group_mean[:, None]
    e2 = q_g - d * (2.0 * s_g - d * n_g)
    np.maximum(e2, 0.0, out=e2)
    var = np.einsum("gb,gb->b", e2, w)
    est = beta[:, 1].copy()
    se = np.sqrt(var)
    est[bad] = np.nan
    se[bad] = np.nan
    return est, se, n_g.sum(axis=0) - k


SINGULAR_RCOND = 1e-12
"""A trial's X'X counts as singular when the reciprocal condition number of its correlation form
(X'X scaled to a unit diagonal) is below this (see :func:`inverse_xtx`)."""


def inverse_xtx(xtx: F) -> tuple[F, npt.NDArray[np.bool_]]:
    """Inverses of a ``(B, k, k)`` stack of X'X matrices, and which ones are singular.

    A trial's X'X is singular when a covariate pattern or an arm is missing from it: a column of X
    is all zeros, or a dummy is constant in the trial and so collinear with the intercept. The
    criterion: scale X'X to a unit diagonal, ``R = D^-½ X'X D^-½`` (a zero diagonal stays zero),
    and flag the trial when ``λ_min(R) < SINGULAR_RCOND · λ_max(R)`` (eigenvalues by LAPACK,
    numpy's batched ``eigvalsh``). The scaling makes the test blind to the covariates' units. An
    exactly singular X'X keeps a ``λ_min`` of rounding size (about 1e-16 of ``λ_max``), a thousand
    times below the bound; a full-rank design only falls under it with a covariate whose mean is
    half a million times its spread (collinear with the intercept to twelve digits), where no fit
    has a meaningful answer either. The tests check the flag against the rank of the expanded
    design (numpy's ``matrix_rank``). The other trials are inverted by LAPACK (numpy's batched
    ``inv``: LU with partial pivoting) in their scaled form, ``(X'X)⁻¹ = D^-½ R⁻¹ D^-½``; a
    flagged trial's inverse is finite and meaningless.
    """
    diag = np.einsum("bii->bi", xtx)
    scale = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 0.0)  # (B, k)
    r = xtx * scale[:, :, None] * scale[:, None, :]
    eig = np.linalg.eigvalsh(r)  # ascending, per trial
    bad = ~(eig[:, 0] >= SINGULAR_RCOND * eig[:, -1])
    if bad.any():
        r[bad] = np.eye(xtx.shape[1])
    inv = np.linalg.inv(r).astype(np.float64, copy=False) * scale[:, :, None] * scale[:, None, :]
    return inv, bad


def expand(pop: TrialPopulation, counts_row: npt.NDArray[Any]) -> tuple[F, F]:
    """The individual rows (design, outcome) of one trial, for checking against statsmodels."""
    reps = np.asarray(counts_row).astype(np.int64)
    return np.repeat(pop.rows, reps, axis=0), np.repeat(pop.y, reps)
