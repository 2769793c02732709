"""Simulated trials as counts, fitted all at once: the engine of the design diagnosis.

A simulated trial draws ``n`` participants independently from a template population of ``N``
people, assigns them (complete randomisation, within strata when stratified), and loses each to
follow-up with the expected attrition. Because every participant of a trial is one of the ``N``
template people in one of two arms, a trial is fully described by a row of counts
``C[b, 2j + t]`` (how many followed draws of person ``j`` landed in arm ``t``). Then, exactly:

- ``X'X = C @ (r_j r_j')`` and ``X'y = C @ (r_j y_j)`` (one matrix product for all trials), where
  ``r_j,t = [1, t, covariates_j]``;
- the HC2 variance of the assignment coefficient is ``Σ_j C_j z_j² e_j² / (1 − h_j)`` with
  ``z = r (X'X)⁻¹ e₁``, ``e = y − r β`` and ``h = r (X'X)⁻¹ r'`` computed for the ``2N`` possible
  rows of each trial by matrix products — identical for duplicated rows, so nothing is
  approximated (the tests compare with statsmodels on the expanded trials).

Counts are drawn directly: stratum sizes are multinomial, the assigned numbers per stratum follow
the randomisation rule, the followed numbers are binomial, and the followed draws are uniform over
the stratum's people (one ``bincount`` for all trials).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["TrialCounts", "TrialPopulation", "draw_counts", "expand", "fit_counts_hc2", "population"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrialPopulation:
    """The distinct template rows (people alike in stratum, covariates and outcome are merged), in
    the two arms: row ``2u + t`` is distinct person-type ``u`` in arm ``t``."""

    rows: F  # (2U, k) = [1, t, covariates]
    y: F  # (2U,) outcome without the programme
    outer: F  # (2U, k*k) row outer products
    person_type: I64  # (N,) distinct row of each template person, people sorted by stratum
    starts: I64  # (K,) first person of each stratum (in that order)
    sizes: I64  # (K,) people per stratum


def population(covariates: F, y0: F, strata: I64) -> TrialPopulation:
    order = np.argsort(strata, kind="stable")
    table = np.column_stack([strata[order].astype(float), covariates[order], y0[order]])
    distinct, person_type = np.unique(table, axis=0, return_inverse=True)
    cov, y = distinct[:, 1:-1], distinct[:, -1]
    n_types, p = cov.shape
    rows = np.empty((2 * n_types, 2 + p))
    rows[:, 0] = 1.0
    rows[0::2, 1], rows[1::2, 1] = 0.0, 1.0
    rows[0::2, 2:], rows[1::2, 2:] = cov, cov
    k = rows.shape[1]
    sizes = np.bincount(strata[order]).astype(np.int64)
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    outer = (rows[:, :, None] * rows[:, None, :]).reshape(2 * n_types, k * k)
    keep = sizes > 0
    return TrialPopulation(rows, np.repeat(y, 2), outer, person_type.reshape(-1).astype(np.int64), starts[keep], sizes[keep])


@dataclass(frozen=True)
class TrialCounts:
    counts: F  # (B, 2U) followed draws of each possible row
    randomised: F  # (B, 2) assigned to control, programme
    followed: F  # (B, 2) followed in control, programme


def draw_counts(rng: np.random.Generator, pop: TrialPopulation, *, n: int, sims: int, ratio: float,
                stratified: bool, attrition: float) -> TrialCounts:
    sizes, starts = pop.sizes, pop.starts
    n_people = int(sizes.sum())
    n_rows = pop.rows.shape[0]
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
    k_strata = assigned.shape[1]
    # one group per (trial, stratum, arm); each followed draw is a person drawn uniformly in the stratum
    key_type: type[np.signedinteger[Any]] = np.int32 if sims * n_rows < 2**31 - 1 else np.int64
    b_idx: npt.NDArray[Any] = np.arange(sims, dtype=key_type)[:, None, None]
    arm: npt.NDArray[Any] = np.arange(2, dtype=key_type)[None, None, :]
    offset = b_idx * n_rows + arm + np.zeros((1, k_strata, 1), dtype=key_type)
    lengths = followed.reshape(-1)
    off = np.repeat(offset.reshape(-1), lengths)
    shape = (sims, k_strata, 2)
    span = np.repeat(np.broadcast_to(s_sizes.astype(np.float32)[None, :, None], shape).reshape(-1), lengths)
    first = np.repeat(np.broadcast_to(s_starts.astype(key_type)[None, :, None], shape).reshape(-1), lengths)
    u = rng.random(len(off), dtype=np.float32)
    np.multiply(u, span, out=u)
    np.minimum(u, span - 1, out=u)  # float32 rounding could reach the span itself
    first += u.astype(key_type)
    off += 2 * pop.person_type.astype(key_type)[first]
    counts = np.bincount(off, minlength=sims * n_rows).reshape(sims, n_rows).astype(float)
    return TrialCounts(counts, assigned.sum(axis=1).astype(float), followed.sum(axis=1).astype(float))


def fit_counts_hc2(pop: TrialPopulation, counts: F) -> tuple[F, F, F]:
    """Assignment coefficient, its HC2 standard error and residual df, for every trial at once."""
    b = counts.shape[0]
    k = pop.rows.shape[1]
    xtx = (counts @ pop.outer).reshape(b, k, k)
    xty = counts @ (pop.rows * pop.y[:, None])
    diag = np.diagonal(xtx, axis1=1, axis2=2)
    bad = np.abs(np.linalg.det(xtx)) < 1e-9 * np.prod(np.maximum(diag, 1e-300), axis=1)
    xtx[bad] += np.eye(k)
    inv = np.linalg.inv(xtx)
    beta = np.einsum("bij,bj->bi", inv, xty)
    # e = y - r·β and 1 - h = 1 - r'(X'X)⁻¹r, each as one matrix product with augmented rows
    e = np.column_stack([np.ones(b), -beta]) @ np.column_stack([pop.y, pop.rows]).T
    omh = np.column_stack([np.ones(b), -inv.reshape(b, k * k)]) @ np.column_stack([np.ones(len(pop.y)), pop.outer]).T
    np.maximum(omh, 1e-12, out=omh)  # rows absent from a trial may have h ≥ 1; their count is 0
    q = inv[:, :, 1] @ pop.rows.T  # z = r (X'X)⁻¹ e₁
    q *= e
    q *= q
    q *= counts
    q /= omh
    var = q.sum(axis=1)
    est = beta[:, 1].copy()
    se = np.sqrt(np.maximum(var, 0.0))
    est[bad] = np.nan
    se[bad] = np.nan
    return est, se, counts.sum(axis=1) - k


def expand(pop: TrialPopulation, counts_row: F) -> tuple[F, F]:
    """The individual rows (design, outcome) of one trial, for checking against statsmodels."""
    reps = counts_row.astype(np.int64)
    return np.repeat(pop.rows, reps, axis=0), np.repeat(pop.y, reps)
