"""Money: Decimal, one rounding rule, currencies never mixed."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest

import temoin.errors
import temoin.governance.ledger
import temoin.money
from temoin.errors import CurrencyMismatchError, InvalidInputError
from temoin.money import Money, round_cents


def test_rounding_is_half_away_from_zero_to_the_cent() -> None:
    assert round_cents(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_cents(Decimal("-2.675")) == Decimal("-2.68")
    assert round_cents(Decimal("2.665")) == Decimal("2.67")  # not banker's rounding
    assert Money.of("0.1") + Money.of("0.2") == Money.of("0.3")


def test_currencies_are_never_mixed() -> None:
    with pytest.raises(CurrencyMismatchError):
        Money.of(1, "EUR") + Money.of(1, "USD")
    with pytest.raises(CurrencyMismatchError):
        _ = Money.of(1, "EUR") < Money.of(2, "GBP")


def test_bad_amounts() -> None:
    with pytest.raises(InvalidInputError):
        Money.of("douze euros")
    with pytest.raises(InvalidInputError):
        Money.of("NaN")
    with pytest.raises(InvalidInputError):
        Money.of(1, "euro")


@pytest.mark.parametrize("module", [temoin.money, temoin.errors, temoin.governance.ledger])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0 and result.failed == 0
