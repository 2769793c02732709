"""Reading messy INDIGO values: numbers written as text, impossible dates, blank codes.

Each reader returns the clean value (or ``None`` to drop it) and, when the input was not clean,
a short reason in French and English. The importer turns reasons into warnings that name the
file, row, field and value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from temoin.messages import Msg, Share

__all__ = ["Reading", "read_date", "read_enum", "read_months", "read_number", "read_percentage"]


@dataclass(frozen=True)
class Reading:
    value: object | None
    code: str | None = None  # None: clean
    message: Msg | None = None
    """What was done with the value (a message; None when clean)."""

    @property
    def clean(self) -> bool:
        return self.code is None


_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SCALES = {
    "k": 1e3, "thousand": 1e3, "thousands": 1e3, "000s": 1e3,
    "m": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6, "millions": 1e6,
    "bn": 1e9, "billion": 1e9, "billions": 1e9, "md": 1e9, "mrd": 1e9,
}
# a number (with thousands separators or a decimal comma), then an optional scale word
_IN_TEXT = re.compile(
    r"(?<![\w.])([+-]?\d{1,3}(?:[ \u202f\u00a0]\d{3})+(?:[.,]\d+)?|[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+-]?\d+(?:[.,]\d+)?)\s*"
    r"(k|thousands?|000s|mn|mio|millions?|m|bn|billions?|mrd|md)?(?![a-z])",
    re.IGNORECASE,
)
_CURRENCY = re.compile(r"(£|\$|€|¥|\b(?:GBP|USD|EUR|AUD|CAD|INR|JPY|CHF|ZAR)\b)", re.IGNORECASE)


def _to_float(token: str) -> float:
    t = token.replace("\u202f", " ").replace("\u00a0", " ")
    if re.fullmatch(r"[+-]?\d{1,3}( \d{3})+([.,]\d+)?", t):  # "1 300 000" or "4 676,56"
        t = t.replace(" ", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", t):  # "1,300,000.50"
        t = t.replace(",", "")
    elif re.fullmatch(r"[+-]?\d+,\d+", t):  # decimal comma: "1,5"
        t = t.replace(",", ".")
    return float(t)


def _tidy(number: float) -> int | float:
    return int(number) if float(number).is_integer() and abs(number) < 2**53 else number


def read_number(raw: object) -> Reading:
    """A number from a JSON number or from text such as '£1,300,000', '1.2m', 'approx. 250k'."""
    if isinstance(raw, bool):
        return Reading(None, "indigo.not_a_number", Msg("a true/false value instead of a number: dropped"))
    if isinstance(raw, (int, float)):
        return Reading(_tidy(float(raw)))
    text = str(raw).strip()
    if not text:
        return Reading(None)
    if _PLAIN.match(text):
        return Reading(_tidy(float(text)))
    stripped = _CURRENCY.sub(" ", text).strip()
    hits = [(m.group(1), (m.group(2) or "").lower()) for m in _IN_TEXT.finditer(stripped)]
    if len(hits) == 1:
        number, scale = hits[0]
        value = _to_float(number) * _SCALES.get(scale, 1.0)
        rest = _IN_TEXT.sub(" ", stripped)
        prose = re.search(r"[^\W\d_]", rest) is not None
        how = Msg("number read from free text") if prose else Msg("number written with separators, a currency or a unit")
        return Reading(_tidy(value), "indigo.number_from_text", Msg("{how}: {value} kept", how=how, value=str(_tidy(value))))
    if not hits:
        return Reading(None, "indigo.not_a_number", Msg("text with no number in a numeric field: dropped"))
    return Reading(None, "indigo.ambiguous_number",
                   Msg("several numbers in a numeric field ({numbers}): dropped", numbers=", ".join(h[0] for h in hits)))


_YEARS = re.compile(r"\b(years?|yrs?|ans?|années?)\b", re.IGNORECASE)


def read_months(raw: object) -> Reading:
    """A duration in months (INDIGO's unit); '6 years' is read as 72 months, with a warning."""
    reading = read_number(raw)
    if reading.value is not None and isinstance(raw, str) and _YEARS.search(raw):
        months = _tidy(float(reading.value) * 12)  # type: ignore[arg-type]
        return Reading(months, "indigo.duration_in_years", Msg("duration in years converted: {months} months", months=months))
    return reading


_PERCENT = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*(%|per\s*cent|percent|pour\s*cent)", re.IGNORECASE)
_ONLY_PERCENT = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(%|per\s*cent|percent|pour\s*cent)\s*$", re.IGNORECASE)
# words that introduce the highest return among several ("Maximum 12.5% p.a. … Target 7.1%")
_CEILING = re.compile(r"(max(?:imum)?|up\s+to|capped\s+at|cap\s+of|ceiling|au\s+plus|jusqu'?\s*à|plafonné\s+à)\W*$",
                      re.IGNORECASE)


def _fraction(value: float, raw: object) -> Reading:
    if 0 < abs(value) < 1:  # INDIGO's files mix 7 (per cent) and 0.07 (a fraction) for one field
        pct = _tidy(round(value * 100, 9))
        shown = raw if isinstance(raw, str) else Decimal(str(raw))  # a number the reader's way
        return Reading(pct, "indigo.return_as_fraction", Msg("{raw} read as a fraction: {pct} kept", raw=shown,
                                                             pct=Share(pct / 100)))
    return Reading(_tidy(value))


def read_percentage(raw: object) -> Reading:
    """A percentage (as a number of percent, INDIGO's unit) from '7', '7%', 'up to 7% IRR' or prose.

    A bare number between 0 and 1 is a fraction (0.066 is 6.6 %), said in a warning. Among several
    percentages, the one introduced by "maximum", "up to", "capped at"… is the maximum return.
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _fraction(float(raw), raw)
    text = str(raw).strip()
    if not text:
        return Reading(None)
    if _PLAIN.match(text):
        return _fraction(float(text), text)
    only = _ONLY_PERCENT.match(text)
    if only:
        return Reading(_tidy(float(only.group(1).replace(",", "."))))
    hits = list(_PERCENT.finditer(text))
    if len(hits) == 1:
        value = float(hits[0].group(1).replace(",", "."))
        return Reading(_tidy(value), "indigo.return_from_text", Msg("return read from prose: {value} kept", value=Share(value / 100)))
    if not hits:
        return Reading(None, "indigo.return_not_a_number", Msg("return described without a percentage: dropped"))
    ceilings = [h for h in hits if _CEILING.search(text[max(0, h.start() - 30):h.start()])]
    if len(ceilings) == 1:
        value = float(ceilings[0].group(1).replace(",", "."))
        return Reading(_tidy(value), "indigo.return_stated_maximum",
                       Msg("several percentages; the stated maximum, {value}, is kept", value=Share(value / 100)))
    numbers = ", ".join(h.group(1) for h in hits)
    return Reading(None, "indigo.ambiguous_return",
                   Msg("several percentages ({numbers}) and no stated maximum: dropped", numbers=numbers))


_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def read_date(raw: object) -> Reading:
    """An INDIGO date (YYYY, YYYY-MM or YYYY-MM-DD); '2018-13' is refused, '13/03/2018' is read."""
    text = str(raw).strip()
    if not text:
        return Reading(None)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and float(raw).is_integer():
        text = str(int(raw))
    m = _ISO.match(text)
    if m:
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
        if month is not None and not 1 <= int(month) <= 12:
            return Reading(None, "indigo.bad_date", Msg("month {month} does not exist: date dropped", month=str(int(month))))
        if day is not None:
            try:
                dt.date(year, int(month or 1), int(day))
            except ValueError:
                return Reading(None, "indigo.bad_date", Msg("day does not exist: date dropped"))
            iso = f"{year:04d}-{int(month or 1):02d}-{int(day):02d}"
        else:
            iso = f"{year:04d}" + (f"-{int(month):02d}" if month is not None else "")
        if iso != text:
            return Reading(iso, "indigo.date_reformatted", Msg("date rewritten as {iso}", iso=iso))
        return Reading(iso)
    m = _DMY.match(text)
    if m:
        day_, month_, year_ = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            iso = dt.date(year_, month_, day_).isoformat()
        except ValueError:
            return Reading(None, "indigo.bad_date", Msg("impossible date: dropped"))
        return Reading(iso, "indigo.date_reformatted", Msg("DD/MM/YYYY date read as {iso}", iso=iso))
    return Reading(None, "indigo.bad_date", Msg("unreadable date (expected YYYY, YYYY-MM or YYYY-MM-DD): dropped"))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def read_enum(raw: object, allowed: list[str], *, what: str = "value") -> Reading:
    """A code-list value, matched without regard to case, spacing or punctuation."""
    text = str(raw).strip() if raw is not None else ""
    if not text:
        if what == "role":
            return Reading(None, "indigo.blank_role", Msg("organisation role is blank: kept without a role"))
        return Reading(None, "indigo.blank_code", Msg("code-list value is blank: dropped"))
    if text in allowed:
        return Reading(text)
    by_norm = {_norm(a): a for a in allowed}
    if _norm(text) in by_norm:
        fixed = by_norm[_norm(text)]
        return Reading(fixed, "indigo.code_normalised", Msg("read as '{fixed}'", fixed=fixed))
    return Reading(None, "indigo.unknown_code", Msg("value not in the code list ({allowed}): dropped", allowed=", ".join(allowed)))
