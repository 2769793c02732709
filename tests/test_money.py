"""Money: Decimal, one rounding rule, currencies never mixed."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest

import temoin.errors
import temoin.governance.ledger
import temoin.money
from temoin.errors import CurrencyMismatchError, InvalidInputError
from temoin.money import Money, allocate_pro_rata, check_currency, round_cents, to_decimal


def in_fr(item: object) -> str:
    """What a French reader sees of an error (or a cap line): through the catalogue."""
    return _words(item, "fr")


def in_en(item: object) -> str:
    return _words(item, "en")


def hint_in(error: temoin.errors.TemoinError, lang: str) -> str | None:
    from temoin.i18n import Translator

    return Translator(lang).error_hint(error)


def _words(item: object, lang: str) -> str:
    from temoin.i18n import Translator

    assert isinstance(item, temoin.errors.TemoinError)
    return Translator(lang).error_message(item)


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


# --- tests that would notice a wrong cent (issue 13) -----------------------------------------------


def test_iso_4217_is_the_cldr_list_of_currencies_in_use() -> None:
    # The currencies that are legal tender in some territory on 2026-12-03, from Babel's copy of the
    # Unicode CLDR: the list temoin.money.ISO_4217 says it is.
    import datetime as dt

    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    in_use: set[str] = set()
    for territory in get_global("territory_currencies"):
        in_use |= set(get_territory_currencies(territory, start_date=dt.date(2026, 12, 3), tender=True))
    assert in_use == temoin.money.ISO_4217


@pytest.mark.parametrize("code", ["eur", "EURO", "XYZ", "Eur", "", " EUR", "EU"])
def test_a_currency_not_in_iso_4217_is_refused(code: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        Money.of(1, code)
    assert e.value.code == "money.currency"
    assert in_en(e.value) == f"Unknown currency code: '{code}'." and in_fr(e.value) == f"Code de devise inconnu : « {code} »."
    assert hint_in(e.value, "en") == "Use an upper-case ISO 4217 code such as EUR, GBP or USD."
    assert hint_in(e.value, "fr") == "Utilisez un code ISO 4217 en majuscules, comme EUR, GBP ou USD."
    with pytest.raises(InvalidInputError) as e:
        check_currency(code, path="contract.currency")
    assert e.value.path == "contract.currency"
    with pytest.raises(InvalidInputError):
        Money.zero(code)


@pytest.mark.parametrize("code", ["EUR", "GBP", "USD", "CHF", "XOF"])
def test_currencies_in_use_are_accepted(code: str) -> None:
    assert check_currency(code) == code
    assert Money.of("1.5", code) == Money(Decimal("1.50"), code)
    assert Money.zero(code) == Money(Decimal("0.00"), code)


def test_every_operation_keeps_the_currency() -> None:
    gbp = Money.of("10.00", "GBP")
    assert gbp * 3 == Money(Decimal("30.00"), "GBP")
    assert 3 * gbp == Money(Decimal("30.00"), "GBP")
    assert gbp * Decimal("0.333") == Money(Decimal("3.33"), "GBP")  # 3.33, rounded to the cent
    assert gbp * Decimal("0.0005") == Money(Decimal("0.01"), "GBP")  # 0.005 → 0.01
    assert gbp + Money.of("0.01", "GBP") == Money(Decimal("10.01"), "GBP")
    assert gbp - Money.of("10.01", "GBP") == Money(Decimal("-0.01"), "GBP")
    assert -gbp == Money(Decimal("-10.00"), "GBP")
    usd = Money.of("0.10", "USD")
    assert (usd * 2).currency == "USD" and (-usd).currency == "USD"
    assert Money.of(7, "USD").amount == Decimal("7.00") and Money.of(7, "USD").currency == "USD"
    assert Money.zero().currency == "EUR" and Money.of(1).currency == "EUR" and Money(Decimal(1)).currency == "EUR"
    with pytest.raises(CurrencyMismatchError) as e:
        gbp - Money.of(1, "USD")
    assert e.value.code == "money.currency_mismatch" and "GBP" in in_en(e.value) and "USD" in in_en(e.value)


@pytest.mark.parametrize(("written", "amount"), [
    ("0.005", "0.01"), ("-0.005", "-0.01"), ("0.004", "0.00"), ("0.0049999", "0.00"), ("0.015", "0.02"),
    ("0.01", "0.01"), ("1", "1.00"), ("1.00", "1.00"), ("0.995", "1.00"), ("0.994", "0.99"),
    (0.1, "0.10"), (1, "1.00"), ("1_000.5", "1000.50"), ("1 000.5", "1000.50"), ("1\u202f000.5", "1000.50"),
    (Decimal("2.675"), "2.68"),
])
def test_amounts_of_a_euro_or_less_and_how_they_are_written(written: object, amount: str) -> None:
    m = Money.of(written)
    assert m.amount == Decimal(amount) and str(m.amount) == amount


def test_float_goes_through_its_shortest_text() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 as a float: read through str, it is that decimal, rounded to 0.30
    assert to_decimal(0.1) == Decimal("0.1") and to_decimal(0.1 + 0.2) == Decimal("0.30000000000000004")
    assert to_decimal(Decimal("1.005")) == Decimal("1.005")  # a Decimal is kept as it is


@pytest.mark.parametrize("bad", [True, False, "douze", "1,5", "", "--1"])
def test_what_is_not_an_amount_is_refused_with_the_value_named(bad: object) -> None:
    with pytest.raises(InvalidInputError) as e:
        to_decimal(bad, path="caps.total")
    assert e.value.code == "money.not_a_number" and e.value.path == "caps.total"
    shown = str(bad).lower() if isinstance(bad, bool) else bad  # a boolean as YAML writes it
    assert in_en(e.value) == f"'{shown}' is not an amount." and in_fr(e.value) == f"« {shown} » n'est pas un montant."
    assert hint_in(e.value, "en") == "Write a number, for example 1500000.00."
    assert hint_in(e.value, "fr") == "Écrivez un nombre, par exemple 1500000.00."


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", Decimal("NaN"), float("inf")])
def test_a_non_finite_amount_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError) as e:
        to_decimal(bad, path="x")
    assert e.value.code == "money.not_finite" and e.value.path == "x"
    assert in_en(e.value) == f"Amount is not finite: {bad}." and in_fr(e.value) == f"Montant non fini : {bad}."
    assert hint_in(e.value, "en") == "Write a number, for example 1500000.00."
    assert hint_in(e.value, "fr") == "Écrivez un nombre, par exemple 1500000.00."


def test_comparisons_at_equality_and_by_a_cent() -> None:
    a, b, c = Money.of("1.00"), Money.of("1.00"), Money.of("1.01")
    assert a <= b and a >= b and not a < b and not a > b
    assert a < c and a <= c and not a >= c and not a > c
    assert c > a and c >= a and not c < a and not c <= a
    assert a.min(c) is a and c.min(a) is a and a.max(c) is c and c.max(a) is c
    assert a.min(b) is a and a.max(b) is a  # at equality, the first
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        with pytest.raises(CurrencyMismatchError):
            getattr(a, op)(Money.of(1, "GBP"))
    with pytest.raises(CurrencyMismatchError):
        a.min(Money.of(1, "USD"))


def test_money_is_written_with_a_thin_space_between_thousands() -> None:
    assert str(Money.of("1234567.8", "GBP")) == "1\u202f234\u202f567.80 GBP"
    assert str(Money.of("0.05")) == "0.05 EUR"
    assert str(Money.of("-1000")) == "-1\u202f000.00 EUR"


def test_pro_rata_gives_the_odd_cent_to_the_largest_remainder_not_the_largest_share() -> None:
    # 0.07 by 0.6 / 0.4: 4.2 and 2.8 cents, whole cents 4 + 2, the odd cent to the remainder 0.8
    assert allocate_pro_rata(Decimal("0.07"), [Decimal("0.6"), Decimal("0.4")]) == [Decimal("0.04"), Decimal("0.03")]
    # 0.09 by 5 / 3 / 2: 4.5, 2.7, 1.8 → 4 + 2 + 1, two cents left to 0.8 then 0.7
    assert allocate_pro_rata(Decimal("0.09"), [Decimal(5), Decimal(3), Decimal(2)]) == [
        Decimal("0.04"), Decimal("0.03"), Decimal("0.02")]
    # a tie goes to the one listed first: 0.01 by 1 / 1
    assert allocate_pro_rata(Decimal("0.01"), [Decimal(1), Decimal(1)]) == [Decimal("0.01"), Decimal("0.00")]
    assert allocate_pro_rata(Decimal("0.02"), [Decimal(1), Decimal(1), Decimal(1)]) == [
        Decimal("0.01"), Decimal("0.01"), Decimal("0.00")]
    # the total is rounded to the cent first: 0.005 → 0.01
    assert allocate_pro_rata(Decimal("0.005"), [Decimal(1), Decimal(3)]) == [Decimal("0.00"), Decimal("0.01")]
    # exact shares need no odd cent; a zero weight gets nothing
    assert allocate_pro_rata(Decimal("1.00"), [Decimal(3), Decimal(0), Decimal(1)]) == [
        Decimal("0.75"), Decimal("0.00"), Decimal("0.25")]


def test_pro_rata_with_no_weight_gives_nothing() -> None:
    assert allocate_pro_rata(Decimal("5.00"), []) == []
    assert allocate_pro_rata(Decimal("5.00"), [Decimal(0), Decimal(0)]) == [Decimal(0), Decimal(0)]
    assert allocate_pro_rata(Decimal("5.00"), [Decimal(1), Decimal(-1)]) == [Decimal(0), Decimal(0)]
