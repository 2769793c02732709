"""The two kinds of numbers the payment rule runs on: exact ``Decimal`` amounts, or floats.

:mod:`temoin.settlement.rule` is written once and runs on either. ``EXACT`` holds amounts as numpy
arrays of ``Decimal`` (``dtype=object``): ``settle`` runs the rule on one scenario and reports
those amounts. ``FLOAT`` holds them as float64 arrays: the risk simulation and the design diagnosis
run the same rule on many scenarios at once. Both round an amount to the cent, half away from
zero, at the same steps (the one rounding rule of :mod:`temoin.money`); the float rounding first
removes the binary representation error of decimal values (a relative guard of 64 units in the
last place, about 1.4e-14: 0.014 millionths of a cent on a million euros), so both kinds give the
same cents.

>>> import numpy as np
>>> from decimal import Decimal
>>> EXACT.cents(EXACT.array([Decimal("0.015"), Decimal("-0.015")])).tolist()
[Decimal('0.02'), Decimal('-0.02')]
>>> FLOAT.cents(np.array([0.1 * 5 * 0.03, -0.015])).tolist()
[0.02, -0.02]
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from temoin.money import allocate_pro_rata, round_cents, to_decimal

__all__ = ["EXACT", "FLOAT", "Arith", "Num"]

Num = npt.NDArray[Any]
"""An amount or a number per scenario: a float64 array, or an object array of ``Decimal``."""

_round = np.frompyfunc(round_cents, 1, 1)
_to_decimal = np.frompyfunc(to_decimal, 1, 1)
_GUARD = 64 * float(np.finfo(np.float64).eps)  # a few units in the last place, about 1.4e-14


class Arith:
    """Arithmetic the rule needs beyond ``+ - *``, ``np.minimum``, ``np.maximum`` and ``np.where``."""

    exact: bool

    def array(self, values: Sequence[Any]) -> Num:
        raise NotImplementedError

    def zeros(self, s: int) -> Num:
        raise NotImplementedError

    def const(self, value: Decimal | float | int) -> Any:
        """A contract constant (a price, a cap) as this kind of number."""
        raise NotImplementedError

    def of_floats(self, x: npt.ArrayLike) -> Num:
        """Measured numbers (impacts, counts) as this kind of number; Decimal through ``str`` as
        :func:`temoin.money.to_decimal` reads them."""
        raise NotImplementedError

    def of_counts(self, x: npt.ArrayLike) -> Num:
        """Counts of people (whole numbers) as this kind of number; Decimal as integers."""
        raise NotImplementedError

    def cents(self, x: Num) -> Num:
        """Rounded to the cent, half away from zero."""
        raise NotImplementedError

    def priced(self, impact: npt.NDArray[np.float64], count: npt.NDArray[np.float64] | None, price: Decimal) -> Num:
        """``impact × count × price`` rounded to the cent (``count`` None: the impact alone), the impact
        read as :meth:`of_floats` reads it and the count as a whole number."""
        units = self.of_floats(impact) if count is None else self.of_floats(impact) * self.of_counts(count)
        return self.cents(units * self.const(price))

    def to_float(self, x: Num) -> npt.NDArray[np.float64]:
        return np.asarray(x, dtype=np.float64)

    def pro_rata(self, total: Num, weights: Sequence[Any]) -> list[Num]:
        """``total`` split by ``weights`` (the same for every scenario); exact: to the cent, adding up."""
        raise NotImplementedError


class _Exact(Arith):
    exact = True

    def array(self, values: Sequence[Any]) -> Num:
        out = np.empty(len(values), dtype=object)
        out[:] = [to_decimal(v) for v in values]
        return out

    def zeros(self, s: int) -> Num:
        return self.array([Decimal(0)] * s)

    def const(self, value: Decimal | float | int) -> Decimal:
        return value if isinstance(value, Decimal) else to_decimal(repr(value) if isinstance(value, float) else value)

    def of_floats(self, x: npt.ArrayLike) -> Num:
        arr = np.asarray(x)
        if arr.dtype == object:
            return arr
        return np.asarray(_to_decimal(arr.astype(np.float64).tolist() if arr.ndim else float(arr)), dtype=object)

    def of_counts(self, x: npt.ArrayLike) -> Num:
        out = np.empty(np.shape(x), dtype=object)
        out[...] = [Decimal(int(v)) for v in np.ravel(x)] if np.ndim(x) else Decimal(int(x))  # type: ignore[arg-type]
        return out

    def cents(self, x: Num) -> Num:
        return np.asarray(_round(x), dtype=object)

    def pro_rata(self, total: Num, weights: Sequence[Any]) -> list[Num]:
        """Largest-remainder split of each scenario's total (whole cents), ties to the first listed."""
        w = [self.const(v) for v in weights]
        shares = [self.zeros(len(total)) for _ in w]
        for k, t in enumerate(total):
            for i, part in enumerate(allocate_pro_rata(t, w)):
                shares[i][k] = part
        return shares


class _Float(Arith):
    exact = False

    def array(self, values: Sequence[Any]) -> Num:
        return np.asarray([float(v) for v in values], dtype=np.float64)

    def zeros(self, s: int) -> Num:
        return np.zeros(s)

    def const(self, value: Decimal | float | int) -> float:
        return float(value)

    def of_floats(self, x: npt.ArrayLike) -> Num:
        return np.asarray(x, dtype=np.float64)

    def of_counts(self, x: npt.ArrayLike) -> Num:
        return np.asarray(x, dtype=np.float64)

    def cents(self, x: Num) -> Num:
        y = np.multiply(x, 100.0)
        out = np.abs(y)
        out *= 1.0 + _GUARD
        out += 0.5
        np.floor(out, out=out)
        np.copysign(out, y, out=out)
        out /= 100.0
        return out

    def priced(self, impact: npt.NDArray[np.float64], count: npt.NDArray[np.float64] | None, price: Decimal) -> Num:
        """As the exact arithmetic rounds it: a product within rounding noise of a half cent (the float
        impact and its shortest decimal, which the exact arithmetic multiplies, may fall on either
        side) is worked out again in ``Decimal`` for those scenarios only."""
        impact = np.asarray(impact, dtype=np.float64)
        units = impact if count is None else impact * np.asarray(count, dtype=np.float64)
        y = units * float(price)
        out = self.cents(y)
        hundredths = np.abs(y) * 100.0
        near = np.abs(hundredths - np.floor(hundredths) - 0.5) <= 1e-9 + 1e-12 * hundredths
        for i in np.flatnonzero(near):
            exact = to_decimal(float(impact.flat[i]))  # in the exact arithmetic's order: (impact × count) × price
            if count is not None:
                exact *= Decimal(int(np.asarray(count, dtype=np.float64).flat[i]))
            out.flat[i] = float(round_cents(exact * price))
        return out

    def pro_rata(self, total: Num, weights: Sequence[Any]) -> list[Num]:
        w = [float(v) for v in weights]
        wsum = sum(w)
        if not w or wsum <= 0:
            return [np.zeros_like(total) for _ in w]
        return [total * (wi / wsum) for wi in w]


EXACT: Arith = _Exact()
FLOAT: Arith = _Float()
