"""Money: ``Decimal`` amounts that carry their currency.

The one rounding rule: an amount is rounded to the cent (two decimal places), half away from
zero (``ROUND_HALF_UP``), when it is made a :class:`Money` — that is, every time a computed
amount becomes a sum to be paid, reported or stored. Intermediate products (impact × price)
keep full precision until then. Mixing currencies raises :class:`CurrencyMismatchError`.

>>> Money.of("10.005") + Money.of(1)
Money(amount=Decimal('11.01'), currency='EUR')
>>> Money.of(1, "EUR") + Money.of(1, "GBP")
Traceback (most recent call last):
...
temoin.errors.CurrencyMismatchError: Mixed currencies: EUR and GBP. Express every amount of a contract in its currency. [money.currency_mismatch]
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from temoin.errors import CurrencyMismatchError, InvalidInputError
from temoin.messages import Msg

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "EUR"
# The currencies in use (ISO 4217 codes that are legal tender somewhere), as the Unicode CLDR
# lists them for 2026-12-03 (tests/test_money.py compares this set with Babel's copy of the CLDR).
ISO_4217: frozenset[str] = frozenset({
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP",
    "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
    "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SYP",
    "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
})


def to_decimal(value: object, *, path: str | None = None) -> Decimal:
    """Read a number written as int, str or Decimal (floats go through ``str`` so 0.1 stays 0.1)."""
    if isinstance(value, bool):
        raise InvalidInputError("money.not_a_number", Msg("'{value}' is not an amount.", value=str(value).lower()), path=path,
                                hint=Msg("Write a number, for example 1500000.00."))
    if isinstance(value, Decimal):
        d = value
    else:
        try:
            d = Decimal(str(value).replace("_", "").replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            raise InvalidInputError("money.not_a_number", Msg("'{value}' is not an amount.", value=str(value)), path=path,
                                    hint=Msg("Write a number, for example 1500000.00.")) from None
    if not d.is_finite():
        raise InvalidInputError("money.not_finite", Msg("Amount is not finite: {value}.", value=str(value)), path=path,
                                hint=Msg("Write a number, for example 1500000.00."))
    return d


def check_currency(code: str, *, path: str | None = None) -> str:
    """``code`` if it is an ISO 4217 currency in use (upper case, e.g. EUR, GBP, USD), else a clear error."""
    if code not in ISO_4217:
        raise InvalidInputError("money.currency", Msg("Unknown currency code: '{code}'.", code=code), path=path,
                                hint=Msg("Use an upper-case ISO 4217 code such as EUR, GBP or USD."))
    return code


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half away from zero: the one rounding rule for money."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", round_cents(to_decimal(self.amount)))
        check_currency(self.currency)

    @classmethod
    def of(cls, amount: object, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def max(self, other: Money) -> Money:
        return self if self >= other else other

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}".replace(",", "\u202f")


def allocate_pro_rata(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` (rounded to the cent) by ``weights``, to the cent, adding up exactly: each
    share gets the whole cents of its exact part, and the cents left go to the largest
    remainders (ties to the one listed first).

    >>> allocate_pro_rata(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    >>> allocate_pro_rata(Decimal("0.05"), [Decimal(5), Decimal(2), Decimal(3)])
    [Decimal('0.03'), Decimal('0.01'), Decimal('0.01')]
    """
    total = round_cents(total)
    wsum = sum(weights, Decimal(0))
    if not weights or wsum <= 0:
        return [Decimal(0) for _ in weights]
    cents = int(total / CENT)
    exact = [Decimal(cents) * w / wsum for w in weights]
    floors = [int(e) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]
