"""The cohort flow as a CONSORT diagram: referred → eligible → consented → randomised → followed.

Input (plain data, e.g. built from the cohort store)::

    {"referred": 1020, "eligible": 940, "consented": 812,
     "randomised": {"treated": 406, "control": 406},
     "waves": [{"wave": "m12", "treated": 380, "control": 371}, ...]}

A count may be ``None``: hidden by small-cell suppression in the public version; the box then
says so instead of showing a number. For a design without a control cohort, leave
``randomised`` out and give ``enrolled`` and waves with ``treated`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temoin.i18n import Translator
from temoin.reports.charts._svg import (
    BLUE,
    GREY,
    INK,
    MUTED,
    ORANGE,
    Frame,
    get,
    num,
    pct,
    translator,
)

__all__ = ["consort"]

BOX_W, BOX_H, GAP = 250.0, 46.0, 26.0


def _said(n: Any, tr: Translator) -> str:
    """A count in the description: its number, or that it is suppressed."""
    return num(tr, n) if n is not None else tr("suppressed")


def _count(n: Any, lang: str) -> str:
    tr = translator(lang)
    if n is None:
        return tr("n suppressed (small cell)")
    return f"n = {num(tr, n)}"


def _box(f: Frame, cx: float, top: float, label: str, n: Any, lang: str, colour: str, note: str | None = None) -> None:
    f.rect(cx - BOX_W / 2, top, BOX_W, BOX_H, fill="#ffffff", stroke=colour, rx=4,
           label=translator(lang)("{label}: {value}", label=label, value=_count(n, lang)))
    f.text(cx, top + 18, label, size=12, anchor="middle", weight="bold")
    f.text(cx, top + 36, _count(n, lang) + (f" ({note})" if note else ""), size=12, anchor="middle", fill=INK)


def _arrow(f: Frame, x1: float, y1: float, x2: float, y2: float) -> None:
    f.line(x1, y1, x2, y2 - 5, stroke=MUTED, width=1.5)
    f.add(f'<path d="M{x2 - 4:.1f},{y2 - 6:.1f} L{x2 + 4:.1f},{y2 - 6:.1f} L{x2:.1f},{y2:.1f} Z" fill="{MUTED}"/>')


def _share(part: Any, whole: Any, lang: str) -> str | None:
    if part is None or whole in (None, 0):
        return None
    return pct(translator(lang), float(part) / float(whole))


def consort(flow: Mapping[str, Any], *, lang: str = "fr", title: str | None = None) -> str:
    """Draw the cohort flow; returns a standalone SVG string."""
    arms = get(flow, "randomised")
    waves = list(get(flow, "waves", []) or [])
    tr = translator(lang)
    stages = [(tr("Referred"), get(flow, "referred")),
              (tr("Eligible"), get(flow, "eligible")),
              (tr("Consented"), get(flow, "consented"))]
    if arms is None and get(flow, "enrolled") is not None:
        stages.append((tr("Enrolled"), get(flow, "enrolled")))
    two_arms = isinstance(arms, Mapping)
    width = 640.0 if two_arms else 400.0
    rows = len(stages) + (1 if two_arms else 0) + len(waves)
    height = 60 + rows * (BOX_H + GAP) + 10
    desc_parts = [f"{label} {_said(n, tr)}" for label, n in stages]
    if two_arms:
        desc_parts.append(tr("randomised: programme {treated}, control {control}",
                             treated=_said(get(arms, "treated"), tr), control=_said(get(arms, "control"), tr)))
    for w in waves:
        desc_parts.append(tr("followed at wave {wave}: {counts}", wave=get(w, "wave"),
                             counts=", ".join(_said(get(w, k), tr) for k in (("treated", "control") if two_arms else ("treated",)))))
    heading = title or tr("Cohort flow (CONSORT diagram)")
    f = Frame(width, height, title=heading, desc="; ".join(desc_parts) + ".", kind="consort")
    f.text(16, 24, heading, size=14, weight="bold")
    cx = width / 2
    top = 44.0
    prev_n: Any = None
    for k, (label, n) in enumerate(stages):
        if k:
            _arrow(f, cx, top - GAP, cx, top)
        _box(f, cx, top, label, n, lang, BLUE, _share(n, prev_n, lang) if k else None)
        prev_n = n
        top += BOX_H + GAP
    if two_arms:
        left, right = width * 0.27, width * 0.73
        split_y = top - GAP / 2
        f.line(cx, top - GAP, cx, split_y, stroke=MUTED, width=1.5)
        f.line(left, split_y, right, split_y, stroke=MUTED, width=1.5)
        for px in (left, right):
            _arrow(f, px, split_y, px, top)
        base = {"treated": get(arms, "treated"), "control": get(arms, "control")}
        _box(f, left, top, tr("Randomised: programme"), base["treated"], lang, BLUE)
        _box(f, right, top, tr("Randomised: control"), base["control"], lang, ORANGE)
        for w in waves:
            top += BOX_H + GAP
            for px, arm, colour in ((left, "treated", BLUE), (right, "control", ORANGE)):
                _arrow(f, px, top - GAP, px, top)
                n = get(w, arm)
                label = tr("Followed, wave {wave}", wave=get(w, "wave"))
                _box(f, px, top, label, n, lang, colour, _share(n, base[arm], lang))
    else:
        for w in waves:
            _arrow(f, cx, top - GAP, cx, top)
            n = get(w, "treated")
            _box(f, cx, top, tr("Followed, wave {wave}", wave=get(w, "wave")), n, lang,
                 GREY, _share(n, prev_n, lang))
            top += BOX_H + GAP
    return f.render()
