"""What every chart shares: escaping, the reader's words and formats (:class:`~temoin.i18n.Translator`), scales, and the SVG frame.

Every chart is a standalone SVG document (``xmlns`` set, ``role="img"``) whose ``<title>`` and
``<desc>`` say in words what it shows, so a screen reader (and a test) can read it; every number a
reader needs is also written as a text label, never only encoded as a length or a colour.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from xml.sax.saxutils import escape as _escape

from temoin.i18n import Translator

__all__ = ["Frame", "LinearScale", "get", "money", "nice_ticks", "num", "pct", "translator", "x"]

Number = float | int | Decimal

# Colours checked for contrast on white (WCAG AA for text at 12 px where used for text).
INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9e2ec"
BLUE = "#1f5f99"
ORANGE = "#b35900"
GREEN = "#2f7d32"
RED = "#b3261e"
GREY = "#7b8794"
PALETTE = (BLUE, ORANGE, GREEN, "#6a3d9a", "#8c564b", "#0f7c80")
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def x(text: object) -> str:
    """Escape text for an SVG text node or a double-quoted attribute."""
    return _escape(str(text), {'"': "&quot;", "'": "&#39;"})


@cache
def translator(lang: str) -> Translator:
    """The reader's words and formats (one per language, shared by every chart)."""
    return Translator(lang)


def _rounded(value: Number, decimals: int) -> Decimal | None:
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite():
        return None
    d = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(d) if d == 0 else d  # never "-0"


def num(t: Translator, value: Number | None, decimals: int = 0) -> str:
    """A number the reader's way (fr: ``1 234,5``; en: ``1,234.5``), rounded half up."""
    if value is None:
        return t("n/a")
    d = _rounded(value, decimals)
    if d is None:
        return "∞" if float(value) > 0 else "−∞" if float(value) < 0 else t("n/a")
    return t.number(d, decimals)


def money(t: Translator, value: Any, currency: str = "EUR") -> str:
    """An amount to the unit, half up (``1 234 €`` / ``€1,234``): charts round, tables keep the cents."""
    if value is None:
        return t("n/a")
    d = _rounded(value.amount if hasattr(value, "amount") else value, 0)
    if d is None:
        return t("n/a")
    return t.money(d, currency, cents=False)


def pct(t: Translator, value: float | None, decimals: int = 1) -> str:
    """A share (0.125) as a percentage (``12,5 %`` / ``12.5%``)."""
    if value is None:
        return t("n/a")
    return t.share(float(value), decimals)


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Read a field from a mapping (``to_dict()`` output) or an object (a domain record)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def to_float(value: Any) -> float | None:
    if value is None:
        return None
    if hasattr(value, "amount"):  # Money
        value = value.amount
    return float(value)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 × a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, 12))
    return ticks


class LinearScale:
    """Maps data values in [d0, d1] to pixels in [r0, r1]."""

    def __init__(self, d0: float, d1: float, r0: float, r1: float) -> None:
        if d1 == d0:
            d1 = d0 + 1.0
        self.d0, self.d1, self.r0, self.r1 = d0, d1, r0, r1

    def __call__(self, v: float) -> float:
        return self.r0 + (v - self.d0) * (self.r1 - self.r0) / (self.d1 - self.d0)


def text_width(text: str, size: float) -> float:
    """A generous estimate of rendered width (DejaVu Sans averages ~0.6 em per character)."""
    return len(text) * size * 0.6


class Frame:
    """Collects SVG elements and wraps them in an accessible, standalone document."""

    def __init__(self, width: float, height: float, *, title: str, desc: str, kind: str) -> None:
        self.width, self.height = width, height
        self.title, self.desc = title, desc
        digest = hashlib.sha1(f"{kind}|{title}|{desc}".encode()).hexdigest()[:10]
        self.uid = f"temoin-{kind}-{digest}"
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, px: float, py: float, content: str, *, size: float = 12, anchor: str = "start",
             fill: str = INK, weight: str = "normal", extra: str = "") -> None:
        self.add(f'<text x="{px:.1f}" y="{py:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"'
                 f'{" font-weight=" + chr(34) + weight + chr(34) if weight != "normal" else ""}{extra}>{x(content)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = INK, width: float = 1,
             dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
                 f'stroke-width="{width:g}"{d}/>')

    def rect(self, px: float, py: float, w: float, h: float, *, fill: str, stroke: str = "none",
             label: str | None = None, rx: float = 0) -> None:
        inner = f"<title>{x(label)}</title>" if label else ""
        end = f">{inner}</rect>" if inner else "/>"
        self.add(f'<rect x="{px:.1f}" y="{py:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                 f'fill="{fill}" stroke="{stroke}"{f" rx={chr(34)}{rx:g}{chr(34)}" if rx else ""}{end}')

    def circle(self, cx: float, cy: float, r: float, *, fill: str, label: str | None = None) -> None:
        inner = f"<title>{x(label)}</title>" if label else ""
        end = f">{inner}</circle>" if inner else "/>"
        self.add(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:g}" fill="{fill}"{end}')

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{self.width:g}" height="{self.height:g}" '
                f'viewBox="0 0 {self.width:g} {self.height:g}" aria-labelledby="{self.uid}-t {self.uid}-d" '
                f'font-family="{FONT}" class="temoin-chart">'
                f'<title id="{self.uid}-t">{x(self.title)}</title><desc id="{self.uid}-d">{x(self.desc)}</desc>'
                f'<rect x="0" y="0" width="{self.width:g}" height="{self.height:g}" fill="#ffffff"/>')
        return head + "".join(self.parts) + "</svg>"


def _legend_places(labels: Sequence[str], px: float, py: float, width: float,
                   size: float) -> list[tuple[float, float]]:
    """Where each legend label goes: left to right, on a new line when the next would pass ``width``."""
    cx, cy, places = px, py, []
    for label in labels:
        w = 16 + text_width(label, size) + 14
        if cx + w > width - 8 and cx > px:
            cx, cy = px, cy + size + 8
        places.append((cx, cy))
        cx += w
    return places


def legend_height(labels: Sequence[str], px: float, width: float, *, size: float = 11) -> float:
    """The height a legend of ``labels`` takes, starting at ``px``, in a frame ``width`` wide."""
    places = _legend_places(labels, px, 0.0, width, size)
    return (places[-1][1] if places else 0.0) + size + 8


def legend(frame: Frame, items: Sequence[tuple[str, str]], px: float, py: float, *, size: float = 11) -> None:
    """A horizontal legend: (colour, label) pairs, wrapping to the frame's width."""
    places = _legend_places([label for _, label in items], px, py, frame.width, size)
    for (colour, label), (cx, cy) in zip(items, places, strict=True):
        frame.rect(cx, cy - size + 2, 10, 10, fill=colour)
        frame.text(cx + 14, cy, label, size=size, fill=INK)
