"""Evaluation-quality charts: love plot, attrition against the WWC boundary, impact, design diagnosis.

Each function takes plain numbers (mappings, or the evaluation records themselves: fields are read
by name) and returns a standalone SVG string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temoin.reports.charts._svg import (
    BLUE,
    GREEN,
    GREY,
    GRID,
    INK,
    MUTED,
    ORANGE,
    RED,
    Frame,
    LinearScale,
    get,
    legend,
    nice_ticks,
    num,
    pct,
    text_width,
    to_float,
    translator,
    x,
)

__all__ = ["attrition_chart", "impact_chart", "love_plot", "power_curve"]


def _decimals(step: float) -> int:
    for d in range(0, 6):
        if abs(step * 10**d - round(step * 10**d)) < 1e-9:
            return d
    return 6


def _x_axis(f: Frame, scale: LinearScale, ticks: list[float], top: float, bottom: float, lang: str,
            fmt: Callable[[float], str] | None = None) -> None:
    tr = translator(lang)
    dec = _decimals(ticks[1] - ticks[0]) if len(ticks) > 1 else 0
    for t in ticks:
        px = scale(t)
        f.line(px, top, px, bottom, stroke=GRID)
        f.text(px, bottom + 14, fmt(t) if fmt else num(tr, t, dec), size=10, anchor="middle", fill=MUTED)


# --- balance and representativeness ------------------------------------------------------------


def love_plot(rows: Sequence[Any], *, lang: str = "fr", bands: tuple[float, float] = (0.05, 0.25),
              title: str | None = None, label_field: str = "attribute", value_field: str = "effect_size",
              adjusted_field: str | None = None, legend_labels: tuple[str, str, str] | None = None) -> str:
    """Standardised differences per attribute, with the equivalence bands (WWC: 0.05 and 0.25).

    ``rows``: items with a label (``attribute``) and a standardised difference (``effect_size``);
    ``adjusted_field`` names a second value (after adjustment) drawn as a hollow marker. For
    representativeness pass ``bands=(0.1, 0.25)``, the differences enrolled vs reference and the
    ``legend_labels`` of the three zones (within the inner band, up to the outer, beyond).
    """
    tr = translator(lang)
    raw = [(str(get(r, label_field)), to_float(get(r, value_field)),
            to_float(get(r, adjusted_field)) if adjusted_field else None) for r in rows]
    items: list[tuple[str, float, float | None]] = [(lab, v, a) for lab, v, a in raw if v is not None]
    inner, outer = bands
    label_w = min(max((text_width(lab, 11) for lab, _, _ in items), default=60) + 16, 260)
    width, row_h = 640.0, 22.0
    top = 56.0
    height = top + row_h * max(len(items), 1) + 54
    finite = [abs(v) for _, v, _ in items if v is not None and abs(v) != float("inf")]
    finite += [abs(a) for _, _, a in items if a is not None and abs(a) != float("inf")]
    span = max([outer * 1.2, *finite]) * 1.08
    ticks = nice_ticks(-span, span, 6)
    scale = LinearScale(ticks[0], ticks[-1], label_w + 10, width - 20)
    heading = title or tr("Group balance (standardised differences)")
    words = [f"{lab} {num(tr, v, 3)}" for lab, v, _ in items]
    n_out = sum(1 for _, v, _ in items if v is not None and abs(v) > outer)
    n_mid = sum(1 for _, v, _ in items if v is not None and inner < abs(v) <= outer)
    desc = (tr("Standardised differences by attribute; thresholds {inner} and {outer}.", inner=num(tr, inner, 2),
               outer=num(tr, outer, 2)) + " "
            + tr("{n_out} beyond {outer}, {n_mid} between the thresholds.", n_out=n_out, outer=num(tr, outer, 2), n_mid=n_mid)
            + " " + "; ".join(words) + ".")
    f = Frame(width, height, title=heading, desc=desc, kind="love")
    f.text(16, 24, heading, size=14, weight="bold")
    bottom = top + row_h * max(len(items), 1)
    # bands: green within inner, amber up to outer
    f.rect(scale(-outer), top - 6, scale(outer) - scale(-outer), bottom - top + 6, fill="#fff4e5")
    f.rect(scale(-inner), top - 6, scale(inner) - scale(-inner), bottom - top + 6, fill="#e8f5e9")
    _x_axis(f, scale, ticks, top - 6, bottom, lang)
    f.line(scale(0), top - 6, scale(0), bottom, stroke=INK)
    for k, (lab, v, adj) in enumerate(items):
        cy = top + row_h * k + row_h / 2 - 4
        f.text(label_w, cy + 4, lab, size=11, anchor="end")
        colour = GREEN if abs(v) <= inner else ORANGE if abs(v) <= outer else RED
        shown = max(min(v, ticks[-1]), ticks[0])
        f.circle(scale(shown), cy, 5, fill=colour, label=tr("{label}: {value}", label=lab, value=num(tr, v, 3)))
        if adj is not None:
            f.add(f'<circle cx="{scale(max(min(adj, ticks[-1]), ticks[0])):.1f}" cy="{cy:.1f}" r="5" fill="none" '
                  f'stroke="{INK}" stroke-width="1.5"/>')
        f.text(width - 18, cy + 4, num(tr, v, 3), size=10, anchor="end", fill=MUTED)
    words3 = legend_labels or (tr("equivalent"), tr("adjustment needed"),
                               tr("imbalance"))
    legend(f, [("#e8f5e9", tr("{label}: {value}", label=f"|d| ≤ {num(tr, inner, 2)}", value=words3[0])),
               ("#fff4e5", tr("{label}: {value}", label=f"≤ {num(tr, outer, 2)}", value=words3[1])),
               (RED, tr("{label}: {value}", label=f"> {num(tr, outer, 2)}", value=words3[2]))],
           16, bottom + 34)
    return f.render()


# --- attrition --------------------------------------------------------------------------------


def _boundary(name: str) -> list[tuple[float, float]]:
    from temoin.evaluation.diagnostics.attrition import max_differential

    pts = []
    for overall in range(0, 101):
        limit = max_differential(float(overall), name)  # type: ignore[arg-type]
        if limit is None:
            break
        pts.append((float(overall), float(limit)))
    return pts


def attrition_chart(waves: Sequence[Any], *, lang: str = "fr", boundary: str = "cautious",
                    curves: dict[str, Sequence[tuple[float, float]]] | None = None, title: str | None = None) -> str:
    """Each wave's (overall attrition %, differential pp) against the WWC boundaries.

    ``waves``: items with ``wave``, ``overall_pct``, ``differential_pp`` (AttritionReport or its
    ``to_dict()``). ``curves``: the boundaries as (overall %, largest differential pp) points; by
    default the bundled WWC table (cautious and optimistic). Below a curve: low attrition.
    """
    tr = translator(lang)
    curves = dict(curves) if curves is not None else {"cautious": _boundary("cautious"), "optimistic": _boundary("optimistic")}
    pts = [(str(get(w, "wave")), float(get(w, "overall_pct")), abs(float(get(w, "differential_pp")))) for w in waves]
    judged = {str(get(w, "wave")): get(w, "low") for w in waves}  # the diagnostic's own verdict, when given
    x_max = max([65.0, *(p[1] * 1.1 for p in pts)])
    y_max = max([12.0, *(v for c in curves.values() for _, v in c), *(p[2] * 1.15 for p in pts)])
    width, height = 640.0, 360.0
    left, right, top, bottom = 60.0, width - 20, 48.0, height - 70
    xs, ys = LinearScale(0, x_max, left, right), LinearScale(0, y_max, bottom, top)
    heading = title or tr("Attrition against the What Works Clearinghouse boundary")

    def verdict(o: float, d: float, wave: str | None = None) -> bool:
        if judged.get(wave or "") is not None:
            return bool(judged[wave or ""])
        curve = curves.get(boundary) or []
        lim = next((v for ov, v in curve if round(o) == ov), None)
        return lim is not None and d <= lim

    words = [tr("wave {wave}: overall attrition {overall}, differential {differential} points, {level}", wave=w,
                overall=pct(tr, o / 100, 1), differential=num(tr, d, 1), level=tr("low") if verdict(o, d, w) else tr("high"))
             for w, o, d in pts]
    boundary_label = tr("cautious") if boundary == "cautious" else tr("optimistic") if boundary == "optimistic" else boundary
    desc = tr("Boundary applied: {boundary}.", boundary=boundary_label) + " " + "; ".join(words) + "."
    f = Frame(width, height, title=heading, desc=desc, kind="attrition")
    f.text(16, 24, heading, size=14, weight="bold")
    # each tick written with the digits its step needs (2.5, 7.5: never rounded to a value it is not at)
    x_ticks, y_ticks = nice_ticks(0, x_max, 8), nice_ticks(0, y_max, 5)
    x_dec = _decimals(x_ticks[1] - x_ticks[0]) if len(x_ticks) > 1 else 0
    y_dec = _decimals(y_ticks[1] - y_ticks[0]) if len(y_ticks) > 1 else 0
    for t in x_ticks:
        if t <= x_max:
            f.line(xs(t), top, xs(t), bottom, stroke=GRID)
            f.text(xs(t), bottom + 14, num(tr, t, x_dec), size=10, anchor="middle", fill=MUTED)
    for t in y_ticks:
        if t <= y_max:
            f.line(left, ys(t), right, ys(t), stroke=GRID)
            f.text(left - 6, ys(t) + 4, num(tr, t, y_dec), size=10, anchor="end", fill=MUTED)
    f.text((left + right) / 2, bottom + 32, tr("Overall attrition (%)"), size=11, anchor="middle")
    f.add(f'<text x="16" y="{(top + bottom) / 2:.1f}" font-size="11" text-anchor="middle" fill="{INK}" '
          f'transform="rotate(-90 16 {(top + bottom) / 2:.1f})">{x(tr("Differential attrition (points)"))}</text>')
    styles = {"cautious": (BLUE, None, tr("cautious boundary")),
              "optimistic": (GREY, "5 4", tr("optimistic boundary"))}
    keys = []
    for name, curve in curves.items():
        colour, dash, label = styles.get(name, (MUTED, "2 2", name))
        if not curve:
            continue
        path = " ".join(f"{'M' if k == 0 else 'L'}{xs(o):.1f},{ys(d):.1f}" for k, (o, d) in enumerate(curve))
        width_line = 2.5 if name == boundary else 1.5
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        f.add(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width_line}"{dash_attr}/>')
        keys.append((colour, label))
    for w, o, d in pts:
        ok = verdict(o, d, w)
        colour = GREEN if ok else RED
        f.circle(xs(min(o, x_max)), ys(min(d, y_max)), 6, fill=colour, label=tr("{label}: {value}", label=w, value=f"{num(tr, o, 1)} / {num(tr, d, 1)}"))
        f.text(xs(min(o, x_max)) + 9, ys(min(d, y_max)) - 7,
               tr("{wave} ({overall}; {differential})", wave=w, overall=num(tr, o, 1), differential=num(tr, d, 1)),
               size=11, weight="bold", fill=colour)
    keys += [(GREEN, tr("low attrition")), (RED, tr("high attrition"))]
    legend(f, keys, left, height - 16)
    return f.render()


# --- impact -----------------------------------------------------------------------------------


def impact_chart(results: Sequence[Any], *, lang: str = "fr", unit: str = "", threshold: float | None = None,
                 minimum_effect: float | None = None, title: str | None = None) -> str:
    """The impact estimates with their confidence intervals, next to the payment threshold.

    ``results``: items with ``label`` (or ``indicator`` and ``wave``), ``improvement``, ``ci_low``,
    ``ci_high`` (improvement units: > 0 is better) and optionally ``grade_label``.
    """
    tr = translator(lang)
    rows = []
    for r in results:
        label = get(r, "label") or f"{get(r, 'indicator')} — {get(r, 'wave')}"
        est = float(get(r, "improvement"))
        lo, hi = float(get(r, "ci_low")), float(get(r, "ci_high"))
        rows.append((str(label), est, lo, hi, get(r, "grade_label")))
    values = [0.0] + [v for _, e, lo, hi, _ in rows for v in (e, lo, hi)]
    for extra in (threshold, minimum_effect):
        if extra is not None:
            values.append(float(extra))
    ticks = nice_ticks(min(values), max(values), 6)
    label_w = min(max((text_width(r[0], 11) for r in rows), default=80) + 16, 240)
    width, row_h, top = 640.0, 40.0, 56.0
    bottom = top + row_h * max(len(rows), 1)
    height = bottom + 56
    scale = LinearScale(ticks[0], ticks[-1], label_w + 10, width - 24)
    heading = title or tr("Estimated impact and confidence interval")
    words = [tr("{label}: {estimate} {unit} (CI {low} to {high})", label=lab, estimate=num(tr, e, 2), unit=unit,
                low=num(tr, lo, 2), high=num(tr, hi, 2)) for lab, e, lo, hi, _ in rows]
    if threshold is not None:
        words.append(tr("payment threshold {threshold}", threshold=num(tr, threshold, 2)))
    desc = tr("Improvement (positive = better).") + " " + "; ".join(words) + "."
    f = Frame(width, height, title=heading, desc=desc, kind="impact")
    f.text(16, 24, heading, size=14, weight="bold")
    _x_axis(f, scale, ticks, top - 8, bottom, lang)
    f.line(scale(0), top - 8, scale(0), bottom, stroke=INK, width=1.5)
    if threshold is not None:
        f.line(scale(threshold), top - 8, scale(threshold), bottom, stroke=ORANGE, width=2, dash="6 3")
        f.text(scale(threshold), top - 12, tr("payment threshold"), size=10, anchor="middle", fill=ORANGE)
    if minimum_effect is not None and minimum_effect != threshold:
        f.line(scale(minimum_effect), top - 8, scale(minimum_effect), bottom, stroke=GREY, width=1.5, dash="2 3")
    for k, (lab, e, lo, hi, grade) in enumerate(rows):
        cy = top + row_h * k + 14
        f.text(label_w, cy + 4, lab, size=11, anchor="end")
        f.line(scale(lo), cy, scale(hi), cy, stroke=BLUE, width=3)
        for end in (lo, hi):
            f.line(scale(end), cy - 6, scale(end), cy + 6, stroke=BLUE, width=2)
        f.add(f'<rect x="{scale(e) - 5:.1f}" y="{cy - 5:.1f}" width="10" height="10" fill="{INK}"/>')
        text = tr("{estimate} [{low}; {high}]", estimate=num(tr, e, 2), low=num(tr, lo, 2), high=num(tr, hi, 2))
        if grade:
            text += f" — {grade}"
        f.text(scale(lo), cy + 20, text, size=10, fill=MUTED)
    f.text((label_w + width) / 2, bottom + 30, tr("Improvement ({unit}, positive = better)", unit=unit),
           size=11, anchor="middle")
    return f.render()


# --- design diagnosis -------------------------------------------------------------------------


def power_curve(effects: Sequence[Any], *, lang: str = "fr", unit: str = "", title: str | None = None) -> str:
    """Power and probability of payment against the assumed true effect (design diagnosis).

    ``effects``: items with ``true_effect``, ``power`` and ``p_paid`` (EffectDiagnosis or its dict).
    At a true effect of zero, ``p_paid`` is the risk that the payer pays for nothing.
    """
    tr = translator(lang)
    pts = sorted((float(get(e, "true_effect")), float(get(e, "power")), float(get(e, "p_paid"))) for e in effects)
    width, height = 640.0, 340.0
    left, right, top, bottom = 60.0, width - 24, 48.0, height - 72
    lo, hi = (min(p[0] for p in pts), max(p[0] for p in pts)) if pts else (0.0, 1.0)
    ticks = nice_ticks(lo, hi, 6)
    xs, ys = LinearScale(ticks[0], ticks[-1], left, right), LinearScale(0, 1, bottom, top)
    heading = title or tr("Design diagnosis: power and probability of payment")
    zero = next((p for p in pts if p[0] == 0.0), None)
    words = [tr("effect {effect}: power {power}, payment {paid}", effect=num(tr, e, 2), power=pct(tr, pw), paid=pct(tr, pp)) for e, pw, pp in pts]
    lead = ""
    if zero is not None:
        lead = tr("With no real effect, the payer pays in {share} of simulated trials.", share=pct(tr, zero[2])) + " "
    f = Frame(width, height, title=heading, desc=lead + "; ".join(words) + ".", kind="power")
    f.text(16, 24, heading, size=14, weight="bold")
    _x_axis(f, xs, ticks, top, bottom, lang)
    for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        f.line(left, ys(t), right, ys(t), stroke=GRID)
        f.text(left - 6, ys(t) + 4, pct(tr, t, 0), size=10, anchor="end", fill=MUTED)
    f.line(left, ys(0.8), right, ys(0.8), stroke=GREY, dash="4 3")
    for idx, colour, dash in ((1, BLUE, None), (2, ORANGE, "6 3")):
        if not pts:
            continue
        path = " ".join(f"{'M' if k == 0 else 'L'}{xs(p[0]):.1f},{ys(p[idx]):.1f}" for k, p in enumerate(pts))
        d = f' stroke-dasharray="{dash}"' if dash else ""
        f.add(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{d}/>')
        for p in pts:
            f.circle(xs(p[0]), ys(p[idx]), 3.5, fill=colour, label=tr("{label}: {value}", label=num(tr, p[0], 2), value=pct(tr, p[idx])))
    if zero is not None:
        f.text(xs(0.0) + 14, ys(zero[2]) - 12, tr("payment with no effect: {share}", share=pct(tr, zero[2])), size=11, fill=RED, weight="bold")
    f.text((left + right) / 2, bottom + 30, tr("Assumed true effect ({unit})", unit=unit), size=11,
           anchor="middle")
    legend(f, [(BLUE, tr("power")), (ORANGE, tr("probability the payer pays"))],
           left, height - 16)
    return f.render()
