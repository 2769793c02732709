"""Internal rate of return on real dates (XIRR), one schedule at a time or a million at once.

Convention (the one spreadsheets use for XIRR): a flow on date ``d`` is discounted by
``(1 + r) ** ((d - d0).days / 365)`` where ``d0`` is the first date. A rate is a float (it is a
rate, not money). When a schedule never pays anything back, its IRR is -1.0 (all capital lost);
when it has no outflow it has no IRR (``None`` / NaN).

>>> import datetime as dt
>>> round(xirr([(dt.date(2021, 1, 1), -1000), (dt.date(2022, 1, 1), 1100)]), 12)
0.1
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from temoin.errors import InvalidInputError

__all__ = ["TOTAL_LOSS", "xirr", "xirr_columns", "xirr_times", "xirr_vec", "year_fractions"]

TOTAL_LOSS = -1.0
_X_LOW = -25.0  # log(1 + r) lower end: r = -1 + 1.4e-11
_X_HIGH = math.log1p(1000.0)  # r = 100,000 %
_COUNT: list[int] | None = None
_BLOCK = 16_384  # columns per block: a block's working arrays stay in cache
THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def year_fractions(dates: Sequence[dt.date], start: dt.date | None = None) -> npt.NDArray[np.float64]:
    """Years (actual days / 365) from ``start`` (default: the first date) to each date."""
    if not dates:
        return np.zeros(0)
    d0 = start if start is not None else min(dates)
    return np.array([(d - d0).days / 365.0 for d in dates], dtype=np.float64)


def xirr_times(times: Sequence[float], amounts: Sequence[float | Decimal]) -> float | None:
    """IRR of ``amounts`` received at ``times`` (in years): scalar Brent root-finding on log(1+r)."""
    t = np.asarray(times, dtype=np.float64)
    c = np.asarray([float(a) for a in amounts], dtype=np.float64)
    if t.shape != c.shape:
        raise InvalidInputError("xirr.shape", "Autant de dates que de montants sont attendus.",
                                "As many dates as amounts are expected.")
    if not np.any(c < 0):
        return None
    if not np.any(c > 0):
        return TOTAL_LOSS
    t = t - t.min()

    def npv(x: float) -> float:
        return float(np.sum(c * np.exp(-x * t)))

    lo, hi = _X_LOW, _X_HIGH
    f_lo, f_hi = npv(lo), npv(hi)
    if f_lo == 0.0:
        return math.expm1(lo)
    if f_lo * f_hi > 0:
        # No sign change on the bracket: either a (near) total loss or no root at all.
        return TOTAL_LOSS if f_lo < 0 else None
    x = brentq(npv, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return math.expm1(float(x))


def xirr(flows: Sequence[tuple[dt.date, float | Decimal | int]]) -> float | None:
    """XIRR of dated flows (negative = paid out by the investor, positive = received).

    Microsoft's documented XIRR example (investment of 10,000 on 2008-01-01):

    >>> flows = [(dt.date(2008, 1, 1), -10000), (dt.date(2008, 3, 1), 2750), (dt.date(2008, 10, 30), 4250),
    ...          (dt.date(2009, 2, 15), 3250), (dt.date(2009, 4, 1), 2750)]
    >>> round(xirr(flows), 9)
    0.373362535
    """
    if not flows:
        return None
    dates = [d for d, _ in flows]
    return xirr_times(list(year_fractions(dates)), [a for _, a in flows])


def xirr_vec(times: npt.ArrayLike, amounts: npt.ArrayLike, *, tol: float = 1e-13,
             max_iter: int = 100) -> npt.NDArray[np.float64]:
    """IRR of many schedules sharing the same ``times`` (shape T): ``amounts`` has shape (S, T).

    Safeguarded Newton on ``x = log(1 + r)``: each schedule keeps a bracket where NPV changes
    sign; a Newton step leaving the bracket is replaced by bisection, so it always converges for
    schedules whose NPV has one sign change (money out first, back later). Schedules with no
    inflow give -1.0; with no outflow, NaN.
    """
    c = np.atleast_2d(np.asarray(amounts, dtype=np.float64))
    return xirr_columns(times, np.ascontiguousarray(c.T))


def xirr_columns(times: npt.ArrayLike, amounts: npt.ArrayLike, *, threads: int = THREADS) -> npt.NDArray[np.float64]:
    """Like :func:`xirr_vec` with ``amounts`` laid out (T, S): one row per date (the fast layout).

    Column blocks are solved on up to ``threads`` threads (1 when the caller runs its own threads).
    """
    t = np.asarray(times, dtype=np.float64)
    c = np.atleast_2d(np.asarray(amounts, dtype=np.float64))
    if c.shape[0] != t.shape[0]:
        raise InvalidInputError("xirr.shape", "Autant de dates que de lignes de montants sont attendues.",
                                "As many dates as amount rows are expected.")
    t = t - t.min() if t.size else t
    used = (c != 0).any(axis=1)  # dates where no schedule has a flow cost nothing
    if not used.all():
        t, c = t[used], c[used]
    out = np.full(c.shape[1], np.nan)
    has_out = (c < 0).any(axis=0)
    has_in = (c > 0).any(axis=0)
    out[has_out & ~has_in] = TOTAL_LOSS
    both = has_out & has_in
    if not both.any():
        return out
    if both.all():
        idx, cc = np.arange(c.shape[1]), c
    else:
        idx = np.flatnonzero(both)
        cc = np.ascontiguousarray(c[:, idx])
    x, ok, f_lo = _solve(t, cc, threads)
    out[idx[~ok & (f_lo < 0)]] = TOTAL_LOSS  # NPV never changes sign: (nearly) total loss
    out[idx[ok]] = np.expm1(x[ok])
    return out


def _npv_at(t: npt.NDArray[np.float64], cc: npt.NDArray[np.float64], x: float) -> npt.NDArray[np.float64]:
    """NPV of every column at one rate: the discount factors are scalars, so no array exponentials."""
    f = np.zeros(cc.shape[1])
    for j in range(t.shape[0]):
        f += cc[j] * math.exp(-t[j] * x)
    return f


def _npv_rows(t: npt.NDArray[np.float64], cc: npt.NDArray[np.float64],
              x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], ...]:
    """NPV of every column at its own rate ``x``, with its first and second derivatives in ``x``."""
    f = np.zeros(x.shape[0])
    fp = np.zeros(x.shape[0])
    fpp = np.zeros(x.shape[0])
    term = np.empty(x.shape[0])  # in place: the same arithmetic as cc[j] * exp(-t[j] * x), fewer arrays
    for j in range(t.shape[0]):
        if t[j] == 0.0:
            f += cc[j]
            continue
        np.multiply(-t[j], x, out=term)
        np.exp(term, out=term)
        np.multiply(cc[j], term, out=term)
        f += term
        np.multiply(t[j], term, out=term)
        fp -= term
        np.multiply(t[j], term, out=term)
        fpp += term
    return f, fp, fpp


def _solve(t: npt.NDArray[np.float64], cc: npt.NDArray[np.float64], threads: int, tol: float = 1e-13,
           max_iter: int = 100) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Solve column blocks that fit in cache, on up to two threads (numpy releases the GIL).

    Each column's arithmetic does not depend on the block it is in, so the result is the same as
    solving all columns at once.
    """
    n = cc.shape[1]
    x = np.empty(n)
    ok = np.empty(n, dtype=bool)
    f_lo = np.empty(n)
    starts = range(0, n, _BLOCK)

    def run(a: int) -> list[int]:
        b = min(a + _BLOCK, n)
        return _solve_block(t, cc[:, a:b], x[a:b], ok[a:b], f_lo[a:b], tol, max_iter)

    if len(starts) > 1 and threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            counts = list(pool.map(run, starts))
    else:
        counts = [run(a) for a in starts]
    if _COUNT is not None:
        _COUNT.extend(sum(c[i] for c in counts if i < len(c)) for i in range(max(map(len, counts), default=0)))
    return x, ok, f_lo


def _solve_block(t: npt.NDArray[np.float64], cc: npt.NDArray[np.float64], x: npt.NDArray[np.float64],
                 ok: npt.NDArray[np.bool_], f_lo: npt.NDArray[np.float64], tol: float, max_iter: int) -> list[int]:
    """Fill ``x``, ``ok`` and ``f_lo`` for the columns of ``cc``; return the unconverged count per step."""
    n = cc.shape[1]
    f_lo[:] = _npv_at(t, cc, _X_LOW)
    f_hi = _npv_at(t, cc, _X_HIGH)
    ok[:] = f_lo * f_hi <= 0
    # Start from the simple-return guess: log(inflows / outflows) / mean time between them.
    pos = np.maximum(cc, 0.0)
    neg = pos - cc  # exactly -cc where cc < 0, and 0 elsewhere
    ps, ns = pos.sum(0), neg.sum(0)
    span = np.maximum(t @ pos / ps - t @ neg / ns, 1e-3)
    x[:] = np.clip(np.log(ps / ns) / span, _X_LOW + 1.0, _X_HIGH - 1.0)
    active = np.flatnonzero(ok)
    # The schedules still iterating. Converged ones are frozen in place (a masked copy is cheaper
    # than a boolean gather) until they are the majority; then the rest is compacted.
    sub = cc if active.size == n else cc[:, active]
    xa = x[active]
    lo = np.full(active.size, _X_LOW)
    hi = np.full(active.size, _X_HIGH)
    sign_lo = np.sign(f_lo[active])
    scale = 1e-15 * (ps + ns if active.size == n else (ps + ns)[active])  # |NPV| below rounding noise: converged
    fin = np.zeros(active.size, dtype=bool)
    counts: list[int] = []
    for _ in range(max_iter):
        f, fp, fpp = _npv_rows(t, sub, xa)
        same = np.sign(f) == sign_lo
        lo = np.where(same, xa, lo)
        hi = np.where(same, hi, xa)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / fp
            xn = xa - step
            bad = ~np.isfinite(xn) | (xn <= lo) | (xn >= hi)
            xn = np.where(bad, 0.5 * (lo + hi), xn)
            hit = np.abs(f) <= scale
            # After a Newton step the error is about |f'' / (2 f')| × step²: when that is below a
            # tenth of the tolerance, the new point is the root (one evaluation fewer than
            # waiting for a step below the tolerance).
            near = ~bad & (np.abs(fpp / fp) * (step * step) <= 0.2 * tol * np.maximum(1.0, np.abs(xn)))
            done = hit | near | (np.abs(xn - xa) <= tol * np.maximum(1.0, np.abs(xa)))
        xa = np.where(fin | hit, xa, xn)
        fin |= done
        left = active.size - int(np.count_nonzero(fin))
        counts.append(left)
        if left == 0:
            break
        if 2 * left <= active.size:  # carry on with the schedules not yet converged
            x[active[fin]] = xa[fin]
            keep = ~fin
            active, sub, xa, lo, hi = active[keep], sub[:, keep], xa[keep], lo[keep], hi[keep]
            sign_lo, scale, fin = sign_lo[keep], scale[keep], fin[keep]
    x[active] = xa
    return counts
