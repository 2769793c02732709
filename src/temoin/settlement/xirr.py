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
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["TOTAL_LOSS", "xirr", "xirr_columns", "xirr_times", "xirr_vec", "year_fractions"]

TOTAL_LOSS = -1.0
_X_LOW = -25.0  # log(1 + r) lower end: r = -1 + 1.4e-11
_X_HIGH = math.log1p(1000.0)  # r = 100,000 %


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
        raise InvalidInputError("xirr.shape", Msg('As many dates as amounts are expected.'))
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
    inflow give -1.0; with no outflow, NaN. A schedule is solved when its Newton step in ``x`` is
    below ``tol`` (relative above 100 %), within ``max_iter`` steps.
    """
    c = np.atleast_2d(np.asarray(amounts, dtype=np.float64))
    return xirr_columns(times, c.T, tol=tol, max_iter=max_iter)


def xirr_columns(times: npt.ArrayLike, amounts: npt.ArrayLike, *, tol: float = 1e-13,
                 max_iter: int = 100) -> npt.NDArray[np.float64]:
    """Like :func:`xirr_vec` with ``amounts`` laid out (T, S): one row per date, one column per schedule."""
    t = np.asarray(times, dtype=np.float64)
    c = np.atleast_2d(np.asarray(amounts, dtype=np.float64))
    if c.shape[0] != t.shape[0]:
        raise InvalidInputError("xirr.shape", Msg('As many dates as amount rows are expected.'))
    t = t - t.min() if t.size else t
    out = np.full(c.shape[1], np.nan)
    has_out = (c < 0).any(axis=0)
    has_in = (c > 0).any(axis=0)
    out[has_out & ~has_in] = TOTAL_LOSS
    both = np.flatnonzero(has_out & has_in)
    if not both.size:
        return out
    x, ok, f_lo = _solve(t, c[:, both], tol, max_iter)
    out[both[~ok & (f_lo < 0)]] = TOTAL_LOSS  # NPV never changes sign: (nearly) total loss
    out[both[ok]] = np.expm1(x[ok])
    return out


def _npv(t: npt.NDArray[np.float64], c: npt.NDArray[np.float64],
         x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """NPV of every column of ``c`` at its own ``x = log(1 + r)``, and its derivative in ``x``."""
    terms = c * np.exp(-np.outer(t, x))
    return terms.sum(axis=0), -(t @ terms)


def _solve(t: npt.NDArray[np.float64], c: npt.NDArray[np.float64], tol: float,
           max_iter: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """``x = log(1 + r)`` solving NPV = 0 for every column, whether it has a root in the bracket
    ``[_X_LOW, _X_HIGH]``, and the NPV at ``_X_LOW`` (its sign says which way a schedule without a
    root lies).

    Newton steps, each column keeping the bracket where its NPV changes sign; a step that leaves
    the bracket is replaced by bisection. A column is done when its step is below ``tol`` (relative
    for rates above 100 %) or its NPV is below rounding noise; the others go on.
    """
    f_lo = np.exp(-_X_LOW * t) @ c
    f_hi = np.exp(-_X_HIGH * t) @ c
    ok = f_lo * f_hi <= 0
    # Start from the simple-return guess: log(inflows / outflows) / mean time between them.
    pos = np.maximum(c, 0.0)
    neg = pos - c  # exactly -c where c < 0, and 0 elsewhere
    ps, ns = pos.sum(axis=0), neg.sum(axis=0)
    span = np.maximum(t @ pos / ps - t @ neg / ns, 1e-3)
    x = np.clip(np.log(ps / ns) / span, _X_LOW + 1.0, _X_HIGH - 1.0)
    active = np.flatnonzero(ok)
    sub, xa = c[:, active], x[active]
    lo, hi = np.full(active.size, _X_LOW), np.full(active.size, _X_HIGH)
    sign_lo = np.sign(f_lo[active])
    noise = 1e-15 * (ps + ns)[active]  # |NPV| below this is rounding noise: a root
    for _ in range(max_iter):
        if not active.size:
            break
        f, fp = _npv(t, sub, xa)
        same = np.sign(f) == sign_lo
        lo = np.where(same, xa, lo)
        hi = np.where(same, hi, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = xa - f / fp
        xn = np.where(~np.isfinite(xn) | (xn <= lo) | (xn >= hi), 0.5 * (lo + hi), xn)
        hit = np.abs(f) <= noise
        x[active] = np.where(hit, xa, xn)
        left = ~(hit | (np.abs(xn - xa) <= tol * np.maximum(1.0, np.abs(xa))))
        active, sub, xa, lo, hi = active[left], sub[:, left], xn[left], lo[left], hi[left]
        sign_lo, noise = sign_lo[left], noise[left]
    return x, ok, f_lo
