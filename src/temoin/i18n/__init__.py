"""One language layer: the message catalogue and the reader's formats (Babel), for every entry point.

- **The catalogue** (``locales/{fr,en}/LC_MESSAGES/*.po``, one file per area, read together with
  Babel at start-up, no compile step): message identifiers are the English text with ``{named}`` placeholders, or, for
  the label of a code, ``label:<kind>:<code>`` (``label:role:outcome_payer``). Both catalogues
  translate every message; a test fails otherwise.
- **Rendering** a :class:`~temoin.messages.Msg`: its identifier through the catalogue, then each
  value the reader's way: numbers and amounts by Babel (``fr_FR``: ``1 234 567,89 €``; ``en_GB``:
  ``€1,234,567.89``), shares as percentages (``4,8 %``), differences as points (``+3,2 points``),
  dates and times in Europe/Paris (``3 décembre 2026 à 09:42``), codes by their label, nested
  messages rendered in turn.

>>> fr, en = Translator("fr"), Translator("en")
>>> fr.money(Decimal("1234567.891"), "EUR"), en.money(Decimal("1234567.891"), "EUR")
('1\\u202f234\\u202f567,89\\xa0€', '€1,234,567.89')
>>> fr.share(0.048), en.share(0.048), fr.points(0.032), en.points(-0.032)
('4,8\\xa0%', '4.8%', '+3,2\\xa0points', '−3.2 points')
>>> fr.datetime(dt.datetime(2026, 12, 3, 8, 42, tzinfo=dt.UTC))
'3 décembre 2026 à 09:42'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    format_percent,
    format_scientific,
    parse_pattern,
)

from temoin.cache import cache_folders, write_atomically
from temoin.errors import TemoinError
from temoin.messages import Amount, Categories, Msg, Points, Share

__all__ = ["LANGUAGES", "LOCALES", "PARIS", "Translator", "catalogue", "label_id"]

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("fr", "en")
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
PARIS = ZoneInfo("Europe/Paris")
MINUS = "\u2212"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of ``lang``: every ``.po`` file of its folder (one per area), read together
    (fuzzy or empty entries left out).

    Parsing every file costs more than a command's own work, so the result is kept in the cache
    folder (:mod:`temoin.cache`), as JSON named after a digest of the files' contents: a changed
    ``.po`` file is read anew; a missing or unwritable cache only costs the parsing."""
    files = [(path.name, path.read_bytes()) for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po"))]
    digest = hashlib.sha256(b"".join(name.encode() + b"\0" + data for name, data in files)).hexdigest()[:16]
    name = f"catalogue-{lang}-{digest}.json"
    for folder in cache_folders():
        try:
            return dict(json.loads((folder / name).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    out: dict[str, str] = {}
    for _, data in files:
        cat = read_po(io.BytesIO(data), locale=lang)
        out.update({str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy})
    text = json.dumps(out, ensure_ascii=False).encode("utf-8")
    for folder in cache_folders():
        try:
            write_atomically(folder / name, text)
            break
        except OSError:
            continue
    return out


@cache
def _pattern(text: str) -> NumberPattern:
    """A number pattern parsed once (Babel parses a pattern given as text on every call, which is
    most of the cost of formatting a number)."""
    return parse_pattern(text)


@cache
def _percent_pattern(locale: str, decimals: int) -> NumberPattern:
    """The locale's percent pattern with ``decimals`` digits after the point, parsed once."""
    text = Locale.parse(locale).percent_formats[None].pattern
    return parse_pattern(text.replace("#,##0", "#,##0." + "0" * decimals if decimals else "#,##0"))


class _Values(dict[str, str]):
    """A value missing from a message shows as its placeholder rather than failing the page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def label_id(kind: str, code: str) -> str:
    """The catalogue identifier of the label of ``code`` in the closed set ``kind``."""
    return f"label:{kind}:{code}"


def _kind(member: Enum) -> str:
    name = type(member).__name__
    return "".join(("_" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


class Translator:
    """Everything said to one reader, in their language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "fr"
        self.locale = Locale.parse(BABEL_LOCALES[self.lang])
        self._messages = catalogue(self.lang)

    # -- words ---------------------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return self._messages.get(message, message)

    def __call__(self, message: str, **values: Any) -> str:
        """The message in this language, its ``{named}`` values formatted for this reader."""
        text = self.gettext(message)
        if not values and "{" not in text:
            return text
        return text.format_map(_Values({k: self.value(v) for k, v in values.items()}))

    def render(self, message: Msg | str | None) -> str:
        if message is None:
            return ""
        if isinstance(message, str):
            return self(message)
        return self(message.id, **message.params)

    def label(self, kind_or_member: str | Enum, code: str | None = None) -> str:
        """The label of a code: ``label(Role.OUTCOME_PAYER)`` or ``label("design", "stratified_rct")``."""
        if isinstance(kind_or_member, Enum):
            kind, value = _kind(kind_or_member), str(kind_or_member.value)
        else:
            kind, value = kind_or_member, str(code)
        key = label_id(kind, value)
        return self._messages.get(key, value)

    # -- errors --------------------------------------------------------------------------------
    def error_message(self, exc: TemoinError) -> str:
        return self.render(exc.msg)

    def error_hint(self, exc: TemoinError) -> str | None:
        return self.render(exc.hint_msg) if exc.hint_msg is not None else None

    def error(self, exc: TemoinError) -> str:
        """The error as one text: where, what, what to do, and its code (and each problem of a
        contract on its own line)."""
        where = exc.path or ""
        if exc.line is not None:
            where += (" " if where else "") + self("(line {line})", line=exc.line)
        text = f"{where}: {self.error_message(exc)}" if where else self.error_message(exc)
        hint = self.error_hint(exc)
        if hint:
            text += f" {hint}"
        text += f" [{exc.code}]"
        problems = getattr(exc, "problems", None)
        if problems:
            text = self.error_message(exc) + "\n" + "\n".join("  - " + self.error(p) for p in problems)
        return text

    def error_dict(self, exc: TemoinError) -> dict[str, object]:
        """The error for an API client, in this language."""
        out: dict[str, object] = {"code": exc.code, "path": exc.path, "line": exc.line,
                                  "message": self.error_message(exc), "hint": self.error_hint(exc)}
        problems = getattr(exc, "problems", None)
        if problems:
            out["problems"] = [self.error_dict(p) for p in problems]
        return out

    def pick(self, fr: str, en: str) -> str:
        """Kept for the few texts that are data rather than messages (a contract's own French and
        English titles): the one in this language."""
        return fr if self.lang == "fr" else en

    # -- numbers and dates ------------------------------------------------------------------------
    def value(self, v: Any) -> str:
        if isinstance(v, Msg):
            return self.render(v)
        if isinstance(v, Enum):
            return self.label(v)
        if isinstance(v, Amount):
            return self.money(v.value, v.currency)
        if isinstance(v, Categories):
            return ", ".join(v.label(c, self.lang) or self.label("category", c) for c in v.codes)
        if isinstance(v, Share):
            return self.share(float(v))
        if isinstance(v, Points):
            return self.points(float(v))
        if isinstance(v, bool):
            return self.gettext("yes") if v else self.gettext("no")
        if isinstance(v, int | Decimal):
            return self.number(v)
        if isinstance(v, float):
            return self.number(v, 2 if v != int(v) else 0) if math.isfinite(v) else self.gettext("not estimable")
        if isinstance(v, dt.datetime):
            return self.datetime(v)
        if isinstance(v, dt.date):
            return self.date(v)
        if isinstance(v, list | tuple):
            return ", ".join(self.value(x) for x in v)
        return str(v)

    def number(self, x: float | int | Decimal | None, decimals: int | None = None) -> str:
        """``1 234 567,89`` / ``1,234,567.89``; ``decimals`` fixes the digits after the point."""
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return self.gettext("not estimable")
        fmt = None if decimals is None else _pattern("#,##0" + ("." + "0" * decimals if decimals else ""))
        try:
            text = format_decimal(x, format=fmt, locale=self.locale, decimal_quantization=decimals is not None)
        except InvalidOperation:  # beyond 28 digits (an overflowing estimate, 1e300): in scientific notation
            text = format_scientific(x, format="0.#####E0", locale=self.locale)
        return text.replace("-", MINUS)

    def money(self, x: float | Decimal | None, currency: str = "EUR", *, cents: bool = True) -> str:
        """``1 234 567,89 €`` / ``€1,234,567.89`` (without cents when ``cents`` is False)."""
        if x is None:
            return self.gettext("not available")
        fmt = None if cents else _pattern("#,##0\u00a0¤" if self.lang == "fr" else "¤#,##0")
        text = format_currency(Decimal(str(x)), currency, format=fmt, locale=self.locale,
                               currency_digits=cents)
        return text.replace("-", MINUS)

    def share(self, x: float | None, decimals: int = 1) -> str:
        """A share as a percentage: ``4,8 %`` / ``4.8%``."""
        if x is None or not math.isfinite(x):
            return self.gettext("not estimable")
        text = format_percent(x, format=_percent_pattern(BABEL_LOCALES[self.lang], decimals), locale=self.locale)
        return text.replace("-", MINUS)

    def points(self, x: float | None, decimals: int = 1) -> str:
        """A difference of percentages in points, signed: ``+3,2 points`` / ``−3.2 points``."""
        if x is None or not math.isfinite(x):
            return self.gettext("not estimable")
        value = format_decimal(abs(x) * 100, format=_pattern("#,##0." + "0" * decimals), locale=self.locale)
        sign = "+" if x > 0 else (MINUS if x < 0 else "")
        return f"{sign}{value}\u00a0points" if self.lang == "fr" else f"{sign}{value} points"

    def date(self, d: dt.date | None) -> str:
        """``3 décembre 2026`` / ``3 December 2026``."""
        return "" if d is None else format_date(d, format="long", locale=self.locale)

    def datetime(self, t: dt.datetime | str | None) -> str:
        """In Europe/Paris (stored UTC): ``3 décembre 2026 à 09:42`` / ``3 December 2026 at 09:42``."""
        if t is None:
            return ""
        if isinstance(t, str):
            t = dt.datetime.fromisoformat(t)
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        local = t.astimezone(PARIS)
        pattern = "d MMMM y 'à' HH:mm" if self.lang == "fr" else "d MMMM y 'at' HH:mm"
        return format_datetime(local, pattern, tzinfo=PARIS, locale=self.locale)
