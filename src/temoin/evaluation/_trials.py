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
  computed for the few groups, and the variance is ``Σ_g w_g Σ_{j∈g} C_j e_j²`` (row types are
  sorted by group, so the inner sums are contiguous runs). Nothing is approximated: the tests
  compare with statsmodels on the expanded trials.

Counts are drawn directly: stratum sizes are multinomial, the assigned numbers per stratum follow
the randomisation rule, the followed numbers are binomial, and the followed participants are
drawn uniformly among the stratum's people (exact bounded integers, one call per stratum for all
trials of a chunk), then counted with one ``bincount``. The counts are laid out type-major
(``(2U, B)``) so that every per-trial sum runs over contiguous memory.
"""

from __future__ import annotations

import ctypes
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TrialCounts", "TrialPopulation", "draw_counts", "expand", "fit_counts_hc2", "population",
           "single_threaded_blas"]

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
    moments: F  # (2U, k*k + k): row outer products, then rows × y (X'X and X'y in one product)
    group_rows: F  # (2G, k) the row of each group (pattern, arm)
    group_outer: F  # (2G, k*k) their outer products
    group_starts: Ip  # (2G,) first row of each group
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
    group_starts = np.flatnonzero(np.r_[True, np.diff(group) != 0]).astype(np.intp)
    group_rows = _in_both_arms(patterns)
    sizes = np.bincount(strata[order]).astype(np.int64)
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    keep = sizes > 0
    return TrialPopulation(rows, y2, np.column_stack([_outer(rows), rows * y2[:, None]]), group_rows,
                           _outer(group_rows), group_starts, person_type.reshape(-1).astype(np.intp),
                           starts[keep], sizes[keep])


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

    ``counts`` is ``(B, 2U)``; the work is done on its type-major transpose (a free view of what
    :func:`draw_counts` returns).
    """
    c = np.ascontiguousarray(counts.T, dtype=np.float64)  # (2U, B)
    b = c.shape[1]
    k = pop.rows.shape[1]
    mom = pop.moments.T @ c  # (k*k + k, B)
    xtx = np.ascontiguousarray(mom[:k * k].T).reshape(b, k, k)
    xty = mom[k * k:].T
    diag = np.diagonal(xtx, axis1=1, axis2=2)
    bad = np.abs(np.linalg.det(xtx)) < 1e-9 * np.prod(np.maximum(diag, 1e-300), axis=1)
    xtx[bad] += np.eye(k)
    inv = np.linalg.inv(xtx)
    beta = np.einsum("bij,bj->bi", inv, xty)
    # per group: z = r (X'X)⁻¹ e₁ and 1 − h = 1 − r (X'X)⁻¹ r', then w = z² / (1 − h)
    z = pop.group_rows @ inv[:, 1, :].T  # (2G, B)
    omh = 1.0 - pop.group_outer @ inv.reshape(b, k * k).T
    np.maximum(omh, 1e-12, out=omh)  # rows absent from a trial may have h ≥ 1; their count is 0
    w = z * z / omh
    # per row: C e² with e = y − r β as one product of augmented rows [y r] and [1; −β]
    e = np.column_stack([pop.y, pop.rows]) @ np.vstack([np.ones(b), -beta.T])  # (2U, B)
    e *= e
    e *= c
    var = np.einsum("gb,gb->b", np.add.reduceat(e, pop.group_starts, axis=0), w)
    est = beta[:, 1].copy()
    se = np.sqrt(np.maximum(var, 0.0))
    est[bad] = np.nan
    se[bad] = np.nan
    return est, se, c.sum(axis=0) - k


def expand(pop: TrialPopulation, counts_row: npt.NDArray[Any]) -> tuple[F, F]:
    """The individual rows (design, outcome) of one trial, for checking against statsmodels."""
    reps = np.asarray(counts_row).astype(np.int64)
    return np.repeat(pop.rows, reps, axis=0), np.repeat(pop.y, reps)


@cache
def _openblas_set_local() -> Any:
    """numpy's bundled OpenBLAS ``openblas_set_num_threads_local`` (per calling thread), if any."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
        try:
            return ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
    return None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the calling thread's BLAS calls on one thread (OpenBLAS only; otherwise does nothing).

    The per-chunk products are small (a few hundred trials): OpenBLAS would wake its thread pool
    for each of them, which costs more than the product itself, and the chunks already run on
    every core. The setting is the calling thread's own (OpenBLAS ≥ 0.3.27), and is restored.
    """
    set_local = _openblas_set_local()
    if set_local is None:
        yield
        return
    previous = set_local(1)
    try:
        yield
    finally:
        set_local(previous)
