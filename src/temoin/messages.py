"""Messages as data: what to say, never how it reads in one language.

Everything Témoin says to a person (an error, a notice, a verdict, a reason) is a :class:`Msg`:
the message identifier, which is its English text with ``{named}`` placeholders, and the values
to put in them (numbers, dates, codes, other messages). The domain core makes messages and stores
them as such (``to_dict``); the entry points render them in the reader's language through the one
catalogue (:mod:`temoin.i18n`), which formats each value the reader's way.

>>> m = Msg("Unknown wave: '{wave}'.", wave="m36")
>>> m.to_dict()
{'id': "Unknown wave: '{wave}'.", 'params': {'wave': 'm36'}}
>>> Msg.from_dict(m.to_dict()) == m
True
>>> str(m)
"Unknown wave: 'm36'."
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["Amount", "Categories", "Msg", "Number", "Points", "Share"]


class Amount:
    """An amount of money in a message: formatted with its currency, the reader's way."""

    __slots__ = ("currency", "value")

    def __init__(self, value: Decimal | int | str, currency: str = "EUR") -> None:
        self.value = Decimal(str(value))
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Amount) and (self.value, self.currency) == (other.value, other.currency)

    def __hash__(self) -> int:
        return hash((self.value, self.currency))

    def __repr__(self) -> str:
        return f"Amount({str(self.value)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.value} {self.currency}"


class Categories:
    """The categories of an attribute in a message (the values a file may hold), kept as codes with
    the contract's own labels for them: shown by their labels in the reader's language (the
    contract's, then the catalogue's, then the code).

    >>> c = Categories("city", ["lille", "roubaix"], {"lille": {"fr": "Lille", "en": "Lille"}})
    >>> str(c), c.label("lille", "en"), c.label("roubaix", "fr")
    ('lille, roubaix', 'Lille', None)
    """

    __slots__ = ("attribute", "codes", "labels")

    def __init__(self, attribute: str, codes: list[str] | tuple[str, ...],
                 labels: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.attribute = attribute
        self.codes = tuple(codes)
        self.labels = {c: dict(labels[c]) for c in self.codes if labels and c in labels}

    def label(self, code: str, lang: str) -> str | None:
        """The contract's own label of ``code`` in ``lang``, if it gives one."""
        return self.labels.get(code, {}).get(lang)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Categories) and (self.attribute, self.codes, self.labels) == (
            other.attribute, other.codes, other.labels)

    def __hash__(self) -> int:
        return hash((self.attribute, self.codes))

    def __repr__(self) -> str:
        return f"Categories({self.attribute!r}, {list(self.codes)!r}, {self.labels!r})"

    def __str__(self) -> str:
        return ", ".join(self.codes)


class Number(Decimal):
    """A number shown with the digits it holds, the reader's way (``Number("0.0123")``: 0,0123 in
    French): a rounded statistic (a p-value to four significant digits), kept exact through storage."""


class Share(float):
    """A share (0.048 is 4.8 %), formatted as a percentage."""


class Points(float):
    """A difference of percentages, in points (0.032 is +3.2 points)."""


class Msg:
    """A message identifier (English, with ``{named}`` placeholders) and its values."""

    __slots__ = ("id", "params")

    def __init__(self, id: str, /, **params: Any) -> None:
        self.id = id
        self.params: dict[str, Any] = params

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and self.id == other.id and self.params == other.params

    def __hash__(self) -> int:
        return hash((self.id, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def __repr__(self) -> str:
        return f"Msg({self.id!r}{''.join(f', {k}={v!r}' for k, v in self.params.items())})"

    def __str__(self) -> str:
        """The English text with its values written plainly (for logs and tracebacks, not for people)."""
        return self.id.format(**{k: _plain(v) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: values kept as codes and numbers (dates as ISO text)."""
        return {"id": self.id, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Msg:
        params = {k: _restore(v) for k, v in dict(data.get("params") or {}).items()}
        return cls(str(data["id"]), **params)


def _plain(value: Any) -> str:
    return ", ".join(_plain(v) for v in value) if isinstance(value, list | tuple) else str(value)


def _restore(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "id" in value:
            return Msg.from_dict(value)
        if "$amount" in value:
            return Amount(value["$amount"], str(value.get("currency", "EUR")))
        if "$share" in value:
            return Share(value["$share"])
        if "$points" in value:
            return Points(value["$points"])
        if "$number" in value:
            return Number(value["$number"])
        if "$categories" in value:
            return Categories(str(value.get("attribute", "")), [str(c) for c in value["$categories"]],
                              value.get("labels") or {})
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Msg):
        return value.to_dict()
    if isinstance(value, Amount):
        return {"$amount": str(value.value), "currency": value.currency}
    if isinstance(value, Share):
        return {"$share": float(value)}
    if isinstance(value, Points):
        return {"$points": float(value)}
    if isinstance(value, Number):
        return {"$number": str(value)}
    if isinstance(value, Categories):
        return {"$categories": list(value.codes), "attribute": value.attribute, "labels": value.labels}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
