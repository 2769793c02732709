"""Exact, cheap draws of the number of participants followed in each arm of a simulated contract.

The risk simulation's model: the attrition rate of a scenario ~ Beta(a, b), then the number
followed in each arm ~ Binomial(arm size, 1 − rate), the same rate for both arms. Drawing a Beta
and two Binomials per scenario is exact but slow (numpy's Binomial is at its slowest for the
means of about 30 lost participants these contracts have). The same distribution is drawn here
in two steps, each exact:

1. Given the rate, every participant is followed independently with the same probability, so the
   number followed in both arms together is Beta-Binomial(n_t + n_c, b, a). It is drawn by
   inversion of its distribution function, tabulated once per simulation for every possible
   enrolment, with a guide table (Chen and Asau, 1974) so that a draw starts next to its value.
2. Given that total, which participants are followed is a uniform subset, so the number followed
   in the programme arm is Hypergeometric(n_t, n_c, total). Equivalently, the number *lost* in the
   programme arm is Hypergeometric(n_t, n_c, lost), with fewer lost than followed. When the arms
   are (almost) equal and at most 128 were lost, it is drawn by rejection from a
   Binomial(lost, 1/2), which is the number of ones among ``lost`` random bits (two 64-bit words
   and a popcount), accepted with probability ``P_hyp(x) / (M P_bin(x))``; that ratio only needs
   four log-factorials, and with two arms of 360 it accepts 91–98 % of proposals (for 128 down to
   30 lost). Otherwise numpy's own hypergeometric draw is used.

Contracts too large for the table (or with no attrition) fall back to the direct draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln
from scipy.stats import betabinom

__all__ = ["FollowedCounts", "hypergeometric"]

F = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

_GUIDE = 1024  # guide-table buckets per row
_STEPS = 4  # steps up from the guide before searching the row
_MAX_CELLS = 1 << 22  # 32 MiB of float64 for the table: beyond it, the direct draws
_MASKS = np.array([(1 << k) - 1 for k in range(65)], dtype=np.uint64)  # _MASKS[k]: the k low bits set


def hypergeometric(rng: np.random.Generator, good: I64, bad: I64, sample: I64, log_factorial: F) -> I64:
    """How many of ``sample`` drawn without replacement from ``good`` + ``bad`` items are good.

    ``log_factorial[k]`` is ``log(k!)`` up to ``max(good + bad)``. Exact: rejection from
    Binomial(sample, 1/2) where it is efficient (module docstring), numpy's draw elsewhere.
    """
    out = np.empty(len(sample), dtype=np.int64)
    easy = (sample <= 128) & (np.abs(good - bad) <= 2) & (2 * sample <= good + bad)
    if easy.all():
        todo = np.arange(len(sample))
    else:
        hard = np.flatnonzero(~easy)
        out[hard] = rng.hypergeometric(good[hard], bad[hard], sample[hard])
        todo = np.flatnonzero(easy)
    g, b, s = good[todo], bad[todo], sample[todo]
    # r(x) = P_hyp(x) / P_bin(x) is proportional to 1 / ((g - x)! (b - s + x)!), largest at xm
    # (r(x + 1) >= r(x) exactly when x <= (g - b + s - 1) / 2)
    xm = np.clip((g - b + s - 1) // 2 + 1, np.maximum(0, s - b), np.minimum(s, g))
    top = log_factorial[g - xm] + log_factorial[b - s + xm]
    while todo.size:
        w = rng.bit_generator.random_raw((2, todo.size))
        np.bitwise_and(w[0], _MASKS[np.minimum(s, 64)], out=w[0])
        np.bitwise_and(w[1], _MASKS[np.maximum(s - 64, 0)], out=w[1])
        x = np.bitwise_count(w).sum(axis=0, dtype=np.int64)  # Binomial(s, 1/2)
        inside = (x <= g) & (x >= s - b)
        xs = np.where(inside, x, xm)
        accept = inside & (rng.random(todo.size) <= np.exp(top - log_factorial[g - xs] - log_factorial[b - s + xs]))
        out[todo[accept]] = x[accept]
        again = ~accept
        todo, g, b, s, xm, top = todo[again], g[again], b[again], s[again], xm[again], top[again]
    return out


@dataclass(frozen=True)
class FollowedCounts:
    """Draws (followed in the programme arm, followed in the comparison group) per scenario."""

    a: float  # attrition rate ~ Beta(a, b)
    b: float
    first: int  # the smallest possible enrolment: row 0 of the table
    cdf: F | None  # flat: row r holds the distribution function of the total followed, then +inf
    row_length: int
    guide: npt.NDArray[np.intp] | None  # flat: row r, bucket j -> first index whose cdf exceeds j / _GUIDE
    log_factorial: F

    @classmethod
    def of(cls, first: int, totals: I64, attrition_mean: float, concentration: float,
           map_: Callable[..., Iterator[F]] = map) -> FollowedCounts:
        """For enrolments ``first``, ``first + 1``, … whose two arms hold ``totals`` participants.

        The table's rows are computed in two halves by ``map_`` (a thread pool's ``map`` runs
        them at once: scipy's special functions release the GIL).
        """
        a, b = attrition_mean * concentration, (1 - attrition_mean) * concentration
        length = int(totals.max(initial=0)) + 1
        log_factorial = gammaln(np.arange(length + 1, dtype=np.float64) + 1.0)
        if attrition_mean <= 0 or len(totals) * length > _MAX_CELLS:
            return cls(a, b, first, None, length, None, log_factorial)
        ks = np.arange(length)
        half = (len(totals) + 1) // 2
        cdf = np.concatenate(list(map_(lambda n: np.cumsum(betabinom.pmf(ks[None, :], n[:, None], b, a), axis=1),
                                       (totals[:half], totals[half:]))))
        cdf[ks[None, :] >= totals[:, None]] = np.inf  # the total followed is at most the total
        buckets = np.arange(_GUIDE) / _GUIDE
        guide = np.concatenate([np.searchsorted(row, buckets, side="right") for row in cdf]).astype(np.intp)
        guide += np.repeat(np.arange(len(totals), dtype=np.intp) * length, _GUIDE)
        return cls(a, b, first, cdf.reshape(-1), length, guide, log_factorial)

    def direct(self) -> FollowedCounts:
        """The same model drawn directly (a Beta and two Binomials per scenario): the reference."""
        return FollowedCounts(self.a, self.b, self.first, None, self.row_length, None, self.log_factorial)

    def draw(self, rng: np.random.Generator, enrolled: F, n_t: F, n_c: F) -> tuple[F, F]:
        if self.a <= 0:
            return n_t.copy(), n_c.copy()
        if self.cdf is None or self.guide is None:
            kept = 1.0 - rng.beta(self.a, self.b, len(enrolled))
            return (rng.binomial(n_t.astype(np.int64), kept).astype(np.float64),
                    rng.binomial(n_c.astype(np.int64), kept).astype(np.float64))
        row = enrolled.astype(np.intp) - self.first
        u = rng.random(len(enrolled))
        at = self.guide[row * _GUIDE + (u * _GUIDE).astype(np.intp)]  # flat index, at or before the draw
        walking = np.flatnonzero(self.cdf[at] <= u)
        for _ in range(_STEPS):  # move up to the first value whose cdf exceeds u
            if not walking.size:
                break
            at[walking] += 1
            walking = walking[self.cdf[at[walking]] <= u[walking]]
        for i in walking.tolist():  # the few far in a tail (a bucket spanning many values): search
            start = int(row[i]) * self.row_length
            at[i] = start + int(np.searchsorted(self.cdf[start:start + self.row_length], u[i], side="right"))
        good, bad = n_t.astype(np.int64), n_c.astype(np.int64)
        lost = good + bad - (at - row * self.row_length)
        lost_t = hypergeometric(rng, good, bad, lost, self.log_factorial)
        return (good - lost_t).astype(np.float64), (bad - lost + lost_t).astype(np.float64)
