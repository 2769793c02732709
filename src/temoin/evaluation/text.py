"""The evaluation's words as data: messages, and the two-language texts stored before them.

The evaluation says what it found as :class:`~temoin.messages.Msg` (a note on an estimate, a
verdict, a reason for a grade), stored as data (``Msg.to_dict()``), rendered in the reader's language
by the entry points. Records written before the catalogue existed hold the words themselves, in
French and English: a note or a reason as one ``"français / English"`` string, a verdict as
``{"fr": …, "en": …}``. They are read as :class:`Bilingual` texts, which keep the stored form
(so a stored record, reloaded, has the same canonical JSON and the same hash) and show the half of
the reader's language.

>>> old = text_from_stored("Comparaison au taux de référence / Comparison with the reference rate")
>>> old.pick("en"), text_to_stored(old)
('Comparison with the reference rate', 'Comparaison au taux de référence / Comparison with the reference rate')
>>> new = text_from_stored(Msg("Only {n} clusters.", n=4).to_dict())
>>> new
Msg('Only {n} clusters.', n=4)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from temoin.messages import Msg, Number

__all__ = ["Bilingual", "Renders", "Text", "label", "rounded", "say", "significant", "split_pair", "text_from_stored",
           "text_to_stored", "texts_from_stored"]

_SEP = " / "


@dataclass(frozen=True)
class Bilingual:
    """A text stored in French and English before messages existed, with its stored form."""

    fr: str
    en: str
    stored: Any
    """Exactly what the record held (a ``"fr / en"`` string or a ``{"fr", "en"}`` mapping)."""

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr

    def __str__(self) -> str:
        return self.en


Text = Msg | Bilingual
"""What the evaluation says to a reader: a message, or a text stored in both languages."""


def split_pair(text: str) -> tuple[str, str]:
    """The French and English halves of a ``"français / English"`` text (both the whole text when
    there is no separator). Each half of a stored pair holds the separator equally often, so the
    pair is split at the middle separator."""
    parts = text.split(_SEP)
    if len(parts) < 2:
        return text, text
    middle = len(parts) // 2
    return _SEP.join(parts[:middle]), _SEP.join(parts[middle:])


def text_from_stored(value: Any, *, pair: bool = True) -> Text:
    """A stored note, reason or verdict text: a message's dict, a ``{"fr", "en"}`` mapping, or a
    string (``"fr / en"`` when ``pair``, else the same words in both languages)."""
    if isinstance(value, Msg | Bilingual):
        return value
    if isinstance(value, Mapping):
        if "id" in value:
            return Msg.from_dict(value)
        return Bilingual(str(value.get("fr", "")), str(value.get("en", value.get("fr", ""))), value)
    text = str(value)
    fr, en = split_pair(text) if pair else (text, text)
    return Bilingual(fr, en, value)


def texts_from_stored(values: Iterable[Any], *, pair: bool = True) -> tuple[Text, ...]:
    return tuple(text_from_stored(v, pair=pair) for v in values)


def text_to_stored(text: Text | str) -> Any:
    """What a record stores: a message as data, an older text exactly as it was stored."""
    if isinstance(text, Msg):
        return text.to_dict()
    if isinstance(text, Bilingual):
        return text.stored
    return text


class Renders(Protocol):
    """What renders a message for one reader (``temoin.i18n.Translator``)."""

    lang: str

    def render(self, message: Msg) -> str: ...


def say(t: Renders, text: Text | str | None) -> str:
    """``text`` in the reader's language: a message through the catalogue, an older text by its half."""
    if text is None:
        return ""
    if isinstance(text, Bilingual):
        return text.pick(t.lang)
    if isinstance(text, str):
        return text
    return t.render(text)


def label(kind: str, code: object) -> Msg:
    """The label of a code as a message that survives storage (``label:<kind>:<code>``)."""
    return Msg(f"label:{kind}:{code}")


def rounded(x: float, places: int) -> Number | float:
    """``x`` rounded to ``places`` decimals, as a :class:`~temoin.messages.Number` the reader's
    format shows as it is (``4.0`` as 4, ``4.25`` as 4,25 in French); NaN or an infinity stays a float
    (shown "not estimable")."""
    if not math.isfinite(x):
        return float(x)
    return Number(str(Decimal(str(round(float(x), places))).normalize()))


def significant(x: float, digits: int = 4) -> Number | float:
    """``x`` to ``digits`` significant digits, as a :class:`~temoin.messages.Number` (see :func:`rounded`)."""
    if not math.isfinite(x):
        return float(x)
    return Number(str(Decimal(format(float(x), f".{digits}g")).normalize())) if x != 0 else Number(0)
