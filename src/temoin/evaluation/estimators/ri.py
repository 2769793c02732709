"""Randomisation inference: Fisher's exact p-value for the sharp null of no effect for anyone.

The assignment is re-drawn as the design drew it (complete randomisation, within blocks, whole
clusters), the statistic recomputed each time, and the p-value is
``(1 + #{|T_perm| >= |T_obs|}) / (1 + R)``, valid at any R. The statistic is the difference in
means (within blocks, weighted by block size; for clusters, of unit means); with covariates it is
computed on the outcome residualised on them (Rosenbaum 2002), which keeps the test exact.

The units are put in a canonical order (by outcome, then covariates; clusters by label) before
drawing, so the p-value does not depend on the order of the rows. When the statistic's permutation
distribution has no spread (zero up to rounding, or not finite: :func:`.degenerate.degenerate_se`),
as when covariates fit the outcome exactly, the p-value is NaN with a note.

Reproducible: permutations come in fixed chunks, each with its own stream spawned from one
``numpy.random.SeedSequence``; the result is the same whatever the number of workers. Chunks run
on a thread pool (numpy releases the GIL in the heavy parts), using both cores by default.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError
from temoin.evaluation.text import significant
from temoin.messages import Msg

from ._design import FloatArray, Missing, Prepared, prepare
from ._subsets import SubsetSampler
from .degenerate import degenerate_se, outcome_scale

__all__ = ["RIResult", "randomization_inference", "randomization_test"]

CHUNK = 250
MAX_PERMUTATIONS = 10_000_000


@dataclass(frozen=True)
class RIResult:
    p_value: float
    observed: float
    permutations: int
    seed: int
    """The entropy of the SeedSequence: passing it back as ``seed`` reproduces the result."""
    null_distribution: FloatArray | None = None
    notes: tuple[Msg, ...] = ()
    """Why the p-value is NaN, when it is."""

    @property
    def note(self) -> Msg:
        if np.isnan(self.p_value):
            return Msg("Randomisation inference: p-value not estimable ({permutations} draws, seed {seed}).",
                       permutations=self.permutations, seed=str(self.seed))
        return Msg("Randomisation inference: p = {p_value} ({permutations} draws, seed {seed}).",
                   p_value=significant(self.p_value, 4), permutations=self.permutations, seed=str(self.seed))


@dataclass(frozen=True)
class _Stratum:
    values: FloatArray  # (2, units): outcome sums and unit counts; (1, units) without clusters
    n1: int
    weight: float  # share of all individuals
    total_y: float
    total_n: float


def _residualise(p: Prepared) -> FloatArray:
    cols = [np.ones(p.n), *(p.covariates[:, j] for j in range(p.covariates.shape[1]))]
    if p.block is not None:
        cols.extend((p.block == level).astype(float) for level in range(1, len(p.block_labels)))
    x = np.column_stack(cols)
    beta, *_ = np.linalg.lstsq(x, p.y, rcond=None)
    out: FloatArray = p.y - x @ beta
    return out


def _strata(p: Prepared, y: FloatArray) -> list[_Stratum]:
    if p.cluster is not None:
        g = p.n_clusters
        d_sum = np.bincount(p.cluster, weights=p.d, minlength=g)
        size = np.bincount(p.cluster, minlength=g).astype(float)
        mixed = np.flatnonzero((d_sum > 0) & (d_sum < size))
        if mixed.size:
            raise InvalidInputError(
                "evaluation.ri_mixed_cluster",
                Msg("{count} cluster(s) mix treated and control units: assignment is not by cluster.", count=int(mixed.size)),
                path="cluster",
                hint=Msg("For individual assignment, remove 'cluster' from randomisation inference."),
            )
        unit_y = np.bincount(p.cluster, weights=y, minlength=g).astype(np.float64)
        unit_n = size
        unit_d = d_sum > 0
        unit_block = None
        if p.block is not None:
            lo = np.full(g, np.iinfo(np.int64).max)
            hi = np.full(g, -1)
            np.minimum.at(lo, p.cluster, p.block)
            np.maximum.at(hi, p.cluster, p.block)
            if np.any(lo != hi):
                raise InvalidInputError(
                    "evaluation.cluster_across_blocks",
                    Msg('A cluster belongs to several blocks.'),
                    path="block",
                )
            unit_block = lo
    else:
        unit_y, unit_n, unit_d = y, np.ones(p.n), p.d > 0
        unit_block = p.block
        # canonical order of the units: by raw outcome, then covariates (identical rows are interchangeable)
        keys = [p.covariates[:, j] for j in range(p.covariates.shape[1] - 1, -1, -1)] if p.covariate_names else []
        canon = np.lexsort([*keys, p.y])
        unit_y, unit_d = unit_y[canon], unit_d[canon]
        unit_block = unit_block[canon] if unit_block is not None else None
    total = float(unit_n.sum())
    groups = [np.arange(unit_y.size)] if unit_block is None else [
        np.flatnonzero(unit_block == b) for b in np.unique(unit_block)
    ]
    out = []
    for idx in groups:
        n1 = int(unit_d[idx].sum())
        if n1 == 0 or n1 == idx.size:
            raise InvalidInputError(
                "evaluation.ri_block_single_arm",
                Msg('A block has only one arm: no within-block comparison is possible.'),
                path="block",
                hint=Msg('Merge this block with a neighbouring one.'),
            )
        # observed treated first, so the observed statistic uses the same code path
        order = np.concatenate([idx[unit_d[idx]], idx[~unit_d[idx]]])
        vals = np.vstack([unit_y[order], unit_n[order]]) if p.cluster is not None else unit_y[order][None, :]
        tot_n = float(unit_n[idx].sum())
        out.append(_Stratum(vals, n1, tot_n / total, float(unit_y[idx].sum()), tot_n))
    return out


def _statistic(strata: list[_Stratum], sums: list[FloatArray]) -> FloatArray:
    """Block-weighted difference in means from treated sums ((2 or 1), R) per stratum."""
    t = np.zeros(sums[0].shape[1])
    for s, su in zip(strata, sums, strict=True):
        n_t = su[1] if su.shape[0] == 2 else float(s.n1)
        mean_t = su[0] / n_t
        mean_c = (s.total_y - su[0]) / (s.total_n - n_t)
        t += s.weight * (mean_t - mean_c)
    return t


def randomization_test(
    p: Prepared,
    *,
    method: str = "diff_in_means",
    permutations: int = 10_000,
    seed: int | None = None,
    workers: int | None = None,
    keep_distribution: bool = False,
) -> RIResult:
    """Fisher randomisation test on prepared arrays (see :func:`randomization_inference`)."""
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or not 1 <= permutations <= MAX_PERMUTATIONS:
        raise InvalidInputError(
            "evaluation.ri_permutations",
            Msg("Number of draws {permutations} outside [1, {most}].", permutations=permutations, most=MAX_PERMUTATIONS),
            path="ri",
        )
    if p.weights is not None:
        raise InvalidInputError(
            "evaluation.ri_weights",
            Msg('Randomisation inference takes no weights.'),
            path="weights",
        )
    y = _residualise(p) if (p.covariate_names and method != "diff_in_means") else p.y
    strata = _strata(p, y)
    observed = float(_statistic(strata, [s.values[:, : s.n1].sum(axis=1)[:, None] for s in strata])[0])

    ss = np.random.SeedSequence(seed)
    n_chunks = -(-permutations // CHUNK)
    children = ss.spawn(n_chunks)

    samplers = [SubsetSampler(s.values, s.n1) for s in strata]

    def run(c: int) -> FloatArray:
        rng = np.random.default_rng(children[c])
        reps = min(CHUNK, permutations - c * CHUNK)
        return _statistic(strata, [sampler.draw(reps, rng) for sampler in samplers])

    n_workers = workers or min(2, os.cpu_count() or 1)
    if n_workers > 1 and n_chunks > 1:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            parts = list(pool.map(run, range(n_chunks)))
    else:
        parts = [run(c) for c in range(n_chunks)]
    null = np.concatenate(parts)
    notes: tuple[Msg, ...] = ()
    with np.errstate(invalid="ignore", over="ignore"):
        spread = float(np.std(null)) if permutations > 1 else float(abs(observed))
    if not np.isfinite(observed) or bool(degenerate_se(spread, outcome_scale(p.y))):
        p_value = float("nan")
        notes = (
            Msg("Randomisation p-value not estimable: the statistic does not vary between draws (standard deviation "
                "{spread}) — outcome fitted exactly by the covariates, or values too large.", spread=significant(spread, 3)),
        )
    else:
        tol = 1e-12 * max(abs(observed), 1e-300) + 1e-14 * float(np.abs(y).max())
        extreme = int(np.count_nonzero(np.abs(null) >= abs(observed) - tol))
        p_value = (1 + extreme) / (1 + permutations)
    return RIResult(
        p_value=p_value,
        observed=observed,
        permutations=permutations,
        seed=int(ss.entropy),  # type: ignore[arg-type]
        null_distribution=null if keep_distribution else None,
        notes=notes,
    )


def randomization_inference(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    block: str | None = None,
    cluster: str | None = None,
    permutations: int = 10_000,
    seed: int | None = None,
    workers: int | None = None,
    missing: Missing = "error",
    keep_distribution: bool = False,
) -> RIResult:
    """Fisher exact p-value, re-drawing the assignment as the design did (blocks, clusters)."""
    p = prepare(data, outcome, treatment, covariates, cluster=cluster, block=block, missing=missing)
    return randomization_test(
        p,
        method="ols" if covariates else "diff_in_means",
        permutations=permutations,
        seed=seed,
        workers=workers,
        keep_distribution=keep_distribution,
    )
