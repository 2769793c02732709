"""Sums over many uniformly random fixed-size subsets, fast: the engine of randomisation inference.

A plain approach shuffles n units per permutation (n random draws and a copy each time). Here each
permutation costs about n/8 random *bytes*, one table look-up per byte and a small fix-up:

1. Each unit is provisionally assigned by b random bits (b in 1, 2, 4): treated when its b-bit field
   is below j, i.e. with probability j / 2^b close to n1 / n. A byte holds 8/b units, so for each
   group of units a 256-entry table gives the sum of their values for every byte value; the
   provisional treated sum is one look-up per byte.
2. The provisional treated count m differs from n1 by |m - n1| (about sqrt(n)/2 for b = 1). That
   many units are then moved: a uniformly random subset of the treated (if m > n1) or of the
   controls (if m < n1), drawn by rejection from uniform unit indices, in draw order.

Both steps treat units symmetrically, so the final treated set is exchangeable and of size n1:
it is a uniformly random n1-subset, exactly as a full shuffle would give (checked by the tests
against the exact permutation distribution of small examples). Small problems use a direct
argpartition of random keys.
"""

from __future__ import annotations

import numpy as np

from ._design import FloatArray

__all__ = ["SubsetSampler", "subset_sums"]

_SMALL = 2048
_GROUP_BLOCK = 256


def _direct(values: FloatArray, n1: int, reps: int, rng: np.random.Generator) -> FloatArray:
    n = values.shape[1]
    keys = rng.random((reps, n))
    chosen = np.argpartition(keys, n1 - 1, axis=1)[:, :n1] if n1 < n else np.tile(np.arange(n), (reps, 1))
    out: FloatArray = values[:, chosen].sum(axis=2)
    return out


def _bits_for(p: float) -> tuple[int, int]:
    best: tuple[float, int, int] = (float("inf"), 1, 1)
    for b in (1, 2, 4):
        j = min(max(round(p * 2**b), 1), 2**b - 1)
        gap = abs(p - j / 2**b)
        cost = b / 8 + 12 * gap  # look-ups per unit vs. fix-up moves per unit
        if cost < best[0]:
            best = (cost, b, j)
    return best[1], best[2]


def _tables(values: FloatArray, b: int, j: int) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """Per-group look-up tables of provisional treated sums and the count look-ups."""
    m, n = values.shape
    upb = 8 // b
    groups = -(-n // upb)
    padded = np.zeros((m, groups * upb))
    padded[:, :n] = values
    v = np.arange(256)
    mask = (1 << b) - 1
    treated = np.stack([((v >> (b * u)) & mask) < j for u in range(upb)])  # (upb, 256)
    tab = np.einsum("mgu,uv->mgv", padded.reshape(m, groups, upb), treated.astype(np.float64))
    count = treated.sum(axis=0).astype(np.int64)
    valid_last = n - (groups - 1) * upb
    count_last = treated[:valid_last].sum(axis=0).astype(np.int64)
    return tab.reshape(m, groups * 256), count, count_last


def _is_treated(bytes_: np.ndarray, rows: np.ndarray, units: np.ndarray, b: int, j: int) -> np.ndarray:
    upb = 8 // b
    byte = bytes_[rows, units // upb].astype(np.int64)
    field = (byte >> (b * (units % upb))) & ((1 << b) - 1)
    out: np.ndarray = field < j
    return out


def _fixup(
    values: FloatArray,
    bytes_: np.ndarray,
    need: np.ndarray,
    remove: np.ndarray,
    pool: np.ndarray,
    b: int,
    j: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Signed sums of the units moved, per replicate: a uniform subset of the right pool each.

    ``pool`` is the provisional treated count of each replicate.
    """
    m, n = values.shape
    reps = need.shape[0]
    acc = np.zeros((m, reps))
    need = need.copy()
    taken = np.empty(0, dtype=np.int64)
    while True:
        rows = np.flatnonzero(need > 0)
        if rows.size == 0:
            return acc
        # enough draws for the need, given the share of units in the pool (treated or control)
        share = np.clip(np.where(remove[rows], pool[rows], n - pool[rows]) / n, 1.0 / n, 1.0)
        per_row = np.minimum((1.5 * need[rows] / share).astype(np.int64) + 16, 4 * n + 64)
        r = np.repeat(rows, per_row)
        u = rng.integers(0, n, size=r.size)
        in_pool = _is_treated(bytes_, r, u, b, j) == remove[r]
        r, u = r[in_pool], u[in_pool]
        key = r * n + u
        _, first = np.unique(key, return_index=True)
        first.sort()
        r, u, key = r[first], u[first], key[first]
        if taken.size:
            fresh = ~np.isin(key, taken)
            r, u, key = r[fresh], u[fresh], key[fresh]
        # rank of each candidate within its replicate, in draw order
        start = np.searchsorted(r, r, side="left")
        rank = np.arange(r.size) - start
        keep = rank < need[r]
        r, u, key = r[keep], u[keep], key[keep]
        sign = np.where(remove[r], -1.0, 1.0)
        for i in range(m):
            acc[i] += np.bincount(r, weights=sign * values[i, u], minlength=reps)
        need -= np.bincount(r, minlength=reps)
        taken = np.concatenate([taken, key])


class SubsetSampler:
    """Sums of the rows of ``values`` (m, n) over uniform random n1-subsets; tables built once."""

    def __init__(self, values: FloatArray, n1: int) -> None:
        self.values = np.ascontiguousarray(values, dtype=np.float64)
        self.m, self.n = self.values.shape
        self.n1 = n1
        self.direct = self.n <= _SMALL or n1 in (0, self.n)
        if self.direct:
            return
        self.b, self.j = _bits_for(n1 / self.n)
        tab, count, count_last = _tables(self.values, self.b, self.j)
        self.groups = tab.shape[1] // 256
        self.tabs = tab.reshape(self.m, self.groups, 256)
        count_tab = np.tile(count, (self.groups, 1))
        count_tab[-1] = count_last
        self.count_tab = count_tab

    def draw(self, reps: int, rng: np.random.Generator) -> FloatArray:
        if self.direct:
            return _direct(self.values, self.n1, reps, rng)
        m, groups = self.m, self.groups
        out = np.zeros((m, reps))
        cnt = np.zeros(reps, dtype=np.int64)
        bytes_ = rng.integers(0, 256, size=(reps, groups), dtype=np.uint8)
        # group blocks small enough for their tables to stay in cache while every replicate reads them
        for g0 in range(0, groups, _GROUP_BLOCK):
            g1 = min(g0 + _GROUP_BLOCK, groups)
            idx = bytes_[:, g0:g1].astype(np.int32)
            idx += (np.arange(g1 - g0, dtype=np.int32) * 256)[None, :]
            for i in range(m):
                out[i] += np.take(self.tabs[i, g0:g1].ravel(), idx, mode="clip").sum(axis=1)
            if self.b != 1:
                cnt += np.take(self.count_tab[g0:g1].ravel(), idx, mode="clip").sum(axis=1)
        if self.b == 1:  # one bit per unit, treated when the bit is 0
            full = np.bitwise_count(bytes_[:, :-1]).sum(axis=1, dtype=np.int64)
            cnt = 8 * (groups - 1) - full + self.count_tab[-1][bytes_[:, -1]]
        need = np.abs(cnt - self.n1)
        out += _fixup(self.values, bytes_, need, cnt > self.n1, cnt, self.b, self.j, rng)
        return out


def subset_sums(values: FloatArray, n1: int, reps: int, rng: np.random.Generator) -> FloatArray:
    """(m, reps) sums of each row of ``values`` (m, n) over ``reps`` uniform random n1-subsets."""
    return SubsetSampler(values, n1).draw(reps, rng)
