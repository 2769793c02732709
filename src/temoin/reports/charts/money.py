"""Money charts: the settlement waterfall, investor cash flows, public-cost comparison, budget watch.

Amounts are Decimal, Money, numbers or numeric strings (as ``to_dict()`` writes them); they are
drawn to scale and written as labels rounded to the euro.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports.charts._svg import (
    BLUE,
    GREEN,
    GREY,
    GRID,
    INK,
    MUTED,
    ORANGE,
    PALETTE,
    RED,
    Frame,
    LinearScale,
    get,
    legend,
    legend_height,
    money,
    nice_ticks,
    pct,
    text_width,
    to_float,
    translator,
    x,
)
from temoin.reports.explain import extra_cost_sentence

__all__ = ["budget_watch", "investor_flows", "public_cost_chart", "settlement_waterfall", "waterfall"]


def _dec(v: Any) -> Decimal:
    if hasattr(v, "amount"):
        v = v.amount
    return Decimal(str(v))


def _day(tr: Translator, iso: str) -> str:
    """An ISO date the reader's way (``15 janvier 2025``); kept as written when it is not one."""
    try:
        return tr.date(dt.date.fromisoformat(iso))
    except ValueError:
        return iso


def _y_axis(f: Frame, ys: LinearScale, ticks: list[float], left: float, right: float, lang: str, currency: str) -> None:
    tr = translator(lang)
    for t in ticks:
        f.line(left, ys(t), right, ys(t), stroke=GRID)
        f.text(left - 6, ys(t) + 4, money(tr, t, currency), size=10, anchor="end", fill=MUTED)


def waterfall(start: tuple[str, Any], steps: Sequence[tuple[str, Any]], end_label: str, *, lang: str = "fr",
              currency: str = "EUR", reference: tuple[str, Any] | None = None, title: str | None = None,
              intro: str = "") -> str:
    """A waterfall: a starting amount, signed steps (reductions negative), the resulting total.

    ``reference``: a horizontal line with its label (e.g. the realised public savings).
    """
    tr = translator(lang)
    start_v = _dec(start[1])
    steps_v = [(label, _dec(v)) for label, v in steps]
    end_v = start_v + sum((v for _, v in steps_v), Decimal(0))
    bars: list[tuple[str, Decimal, Decimal, str]] = [(start[0], Decimal(0), start_v, BLUE)]
    level = start_v
    for label, v in steps_v:
        bars.append((label, level, level + v, RED if v < 0 else GREEN))
        level += v
    bars.append((end_label, Decimal(0), end_v, INK))
    values = [float(b[1]) for b in bars] + [float(b[2]) for b in bars] + [0.0]
    if reference is not None:
        values.append(float(_dec(reference[1])))
    ticks = nice_ticks(min(values), max(values), 5)
    left = 24 + max(text_width(money(tr, t, currency), 10) for t in ticks)
    width = max(640.0, left + 110.0 * len(bars) + 20)
    height, top, bottom = 380.0, 56.0, 290.0
    ys = LinearScale(ticks[0], ticks[-1], bottom, top)
    slot = (width - left - 20) / len(bars)
    heading = title or tr("From entitlement to amount due")
    words = [f"{start[0]} {money(tr, start_v, currency)}"]
    words += [f"{label} {'−' if v < 0 else '+'}{money(tr, abs(v), currency)}" for label, v in steps_v]
    words.append(f"{end_label} {money(tr, end_v, currency)}")
    if reference is not None:
        words.append(f"{reference[0]} {money(tr, _dec(reference[1]), currency)}")
    f = Frame(width, height, title=heading, desc=intro + "; ".join(words) + ".", kind="waterfall")
    f.text(16, 24, heading, size=14, weight="bold")
    _y_axis(f, ys, ticks, left, width - 20, lang, currency)
    f.line(left, ys(0), width - 20, ys(0), stroke=INK)
    for k, (label, a, b, colour) in enumerate(bars):
        x0 = left + slot * k + slot * 0.15
        w = slot * 0.7
        y_top, y_bot = ys(float(max(a, b))), ys(float(min(a, b)))
        amount = b - a
        shown = money(tr, b if k in (0, len(bars) - 1) else amount, currency)
        if 0 < k < len(bars) - 1 and amount > 0:
            shown = "+" + shown
        shown = shown.replace("-", "−")
        f.rect(x0, y_top, w, max(y_bot - y_top, 1.0), fill=colour, label=tr("{label}: {value}", label=label, value=shown))
        if k < len(bars) - 1:
            f.line(x0 + w, ys(float(b)), x0 + slot, ys(float(b)), stroke=MUTED, dash="3 2")
        f.text(x0 + w / 2, y_top - 6, shown, size=11, anchor="middle", weight="bold", fill=colour if colour != BLUE else INK)
        _wrap_label(f, label, x0 + w / 2, bottom + 18, slot - 6)
    if reference is not None:
        ry = ys(float(_dec(reference[1])))
        f.line(left, ry, width - 20, ry, stroke=ORANGE, width=2, dash="7 4")
        f.text(width - 22, ry - 6, tr("{label}: {value}", label=reference[0], value=money(tr, _dec(reference[1]), currency)), size=11, anchor="end", fill=ORANGE,
               weight="bold")
    return f.render()


def _wrap_label(f: Frame, label: str, cx: float, y: float, max_w: float, size: float = 10) -> None:
    lines: list[str] = []
    cur = ""
    for word in label.split():
        cand = f"{cur} {word}".strip()
        if cur and text_width(cand, size) > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    if cur:
        lines.append(cur)
    for k, ln in enumerate(lines[:5]):
        f.text(cx, y + k * (size + 3), ln, size=size, anchor="middle")


def settlement_waterfall(settlement: Any, *, lang: str = "fr", title: str | None = None) -> str:
    """The waterfall of every settled period of a Settlement (or its ``to_dict()``).

    Period by period: the entitlement not yet paid (``gross``), then what each cap held back; the
    steps add up to the cumulative payments (each period's amount due is its gross less its
    reductions). The realised public savings at the latest period are drawn as a reference line.
    """
    tr = translator(lang)
    periods = list(get(settlement, "periods") or [])
    currency = str(get(settlement, "currency") or "EUR")
    if not periods:
        from temoin.errors import InvalidInputError

        raise InvalidInputError("reports.no_period", Msg("No period settled: no waterfall to draw."), path="periods")
    steps: list[tuple[str, Decimal]] = []
    for p in periods:
        name = tr.pick(get(p, "label_fr"), get(p, "label_en")) or str(get(p, "period"))
        steps.append((tr("{period}: entitlement not yet paid", period=name), _dec(get(p, "gross"))))
        for cap in get(p, "caps") or []:
            red = _dec(get(cap, "reduction"))
            if red:
                label = tr.label("cap", str(get(cap, "name")))
                steps.append((tr("Cap: {cap}", cap=label), -red))  # after its period's bar
    last = periods[-1]
    paid = _dec(get(last, "cumulative_paid"))
    residual = paid - sum((v for _, v in steps), Decimal(0))
    if residual:  # never, by the rule's own arithmetic: shown rather than hidden if it ever were
        steps.append((tr("Paid above current entitlement"), residual))
    heading = title or tr("Settlement waterfall, period by period")
    intro = tr("Each period: the entitlement not yet paid, less what the caps held back.") + " "
    return waterfall((tr("Paid before the first period"), Decimal(0)), steps,
                     tr("Cumulative payments"), lang=lang, currency=currency,
                     reference=(tr("Realised public savings"), get(last, "realised_savings")),
                     title=heading, intro=intro)


def investor_flows(investors: Sequence[Any], *, lang: str = "fr", currency: str = "EUR", title: str | None = None) -> str:
    """Each investor's dated cash flows (tranches out, payments and guarantees back), with IRR.

    ``investors``: InvestorPosition records or their ``to_dict()`` (``investor``, ``flows`` as
    (date, amount) pairs or ``{"date", "amount"}`` mappings, ``irr``).
    """
    tr = translator(lang)
    series: list[tuple[str, float | None, list[tuple[str, Decimal]]]] = []
    for inv in investors:
        flows = []
        for fl in get(inv, "flows") or []:
            if isinstance(fl, Mapping):
                flows.append((str(fl["date"])[:10], _dec(fl["amount"])))
            else:
                d, a = fl
                flows.append(((d.isoformat() if hasattr(d, "isoformat") else str(d))[:10], _dec(a)))
        series.append((str(get(inv, "investor")), to_float(get(inv, "irr")), flows))
    dates = sorted({d for _, _, fl in series for d, _ in fl})
    values = [0.0] + [float(a) for _, _, fl in series for _, a in fl]
    ticks = nice_ticks(min(values), max(values), 5)
    left = 24 + max(text_width(money(tr, t, currency), 10) for t in ticks)
    width = max(640.0, left + 70.0 * max(len(dates), 1) + 20)
    items = [(PALETTE[j % len(PALETTE)], tr("{name} (IRR {irr})", name=name, irr=pct(tr, irr)))
             for j, (name, irr, _) in enumerate(series)]
    top, bottom = 56.0, 280.0
    # the dates are written at -40°: their longest reaches this far below the axis, the legend below it
    drop = max((text_width(_day(tr, d), 10) for d in dates), default=0.0) * math.sin(math.radians(40))
    legend_y = bottom + 12 + drop + 22
    height = legend_y + legend_height([label for _, label in items], left, width)
    ys = LinearScale(ticks[0], ticks[-1], bottom, top)
    slot = (width - left - 20) / max(len(dates), 1)
    bar_w = slot * 0.8 / max(len(series), 1)
    heading = title or tr("Investor cash flows")
    words = []
    for name, irr, fl in series:
        net = sum((a for _, a in fl), Decimal(0))
        words.append(tr("{name}: net {net}, IRR {irr}", name=name, net=money(tr, net, currency), irr=pct(tr, irr)))
        words += [f"{_day(tr, d)} {money(tr, a, currency)}" for d, a in fl]
    f = Frame(width, height, title=heading, desc=tr("Outflows negative, repayments positive.") + " " + "; ".join(words) + ".",
              kind="investors")
    f.text(16, 24, heading, size=14, weight="bold")
    _y_axis(f, ys, ticks, left, width - 20, lang, currency)
    f.line(left, ys(0), width - 20, ys(0), stroke=INK)
    for k, d in enumerate(dates):
        x0 = left + slot * k + slot * 0.1
        for j, (name, _, fl) in enumerate(series):
            amount = sum((a for dd, a in fl if dd == d), Decimal(0))
            if not amount:
                continue
            y0, y1 = ys(max(float(amount), 0.0)), ys(min(float(amount), 0.0))
            f.rect(x0 + j * bar_w, y0, bar_w - 1, max(y1 - y0, 1.0), fill=PALETTE[j % len(PALETTE)],
                   label=tr("{label}: {value}", label=f"{name}, {_day(tr, d)}", value=money(tr, amount, currency)))
        f.add(f'<text x="{x0 + slot * 0.4:.1f}" y="{bottom + 12:.1f}" font-size="10" text-anchor="end" fill="{MUTED}" '
              f'transform="rotate(-40 {x0 + slot * 0.4:.1f} {bottom + 12:.1f})">{x(_day(tr, d))}</text>')
    legend(f, items, left, legend_y)
    return f.render()


def public_cost_chart(comparison: Any, *, lang: str = "fr", currency: str = "EUR", title: str | None = None) -> str:
    """The payer's cost of the CIS (outcome payments + transaction costs) next to direct funding
    and the realised savings (a PublicCostComparison or its ``to_dict()``)."""
    tr = translator(lang)
    outcome = _dec(get(comparison, "outcome_payments"))
    costs_raw = get(comparison, "transaction_costs") or []
    costs = [(str(get(c, "kind")) if isinstance(c, Mapping) else str(c[0]),
              _dec(get(c, "amount")) if isinstance(c, Mapping) else _dec(c[1])) for c in costs_raw]
    direct = get(comparison, "direct_cost")
    savings = _dec(get(comparison, "realised_savings"))
    tx_total = sum((v for _, v in costs), Decimal(0))
    rows: list[tuple[str, list[tuple[Decimal, str, str]]]] = [
        (tr("CIS cost to the payer"),
         [(outcome, BLUE, tr("outcome payments"))]
         + ([(tx_total, ORANGE, tr("transaction costs"))] if tx_total else [])),
    ]
    if direct is not None:
        rows.append((tr("Direct funding of the programme"), [(_dec(direct), GREY, "")]))
    rows.append((tr("Realised public savings"), [(savings, GREEN, "")]))
    vmax = max([1.0, *(float(sum((v for v, _, _ in parts), Decimal(0))) for _, parts in rows)])
    width, row_h, top, left = 640.0, 44.0, 52.0, 230.0
    extra = get(comparison, "extra_cost")
    verdict: list[str] = []
    if extra is not None:
        share = get(comparison, "extra_cost_share")
        verdict = _wrapped(extra_cost_sentence(tr, _dec(extra), None if share is None else float(share),
                                               money(tr, abs(_dec(extra)), currency)), width - 32, 12)
    height = top + row_h * len(rows) + 44 + 16 * max(len(verdict), 1)
    xs = LinearScale(0, vmax * 1.25, left, width - 20)
    heading = title or tr("Does the CIS cost more than direct funding?")
    words = [f"{label} {money(tr, sum((v for v, _, _ in parts), Decimal(0)), currency)}" for label, parts in rows]
    words += [f"{tr.label('cost_kind', k)} {money(tr, v, currency)}" for k, v in costs]
    if verdict:
        words.append(" ".join(verdict).rstrip("."))
    f = Frame(width, height, title=heading, desc="; ".join(words) + ".", kind="publiccost")
    f.text(16, 24, heading, size=14, weight="bold")
    for k, (label, parts) in enumerate(rows):
        cy = top + row_h * k
        f.text(left - 8, cy + 18, label, size=11, anchor="end")
        x0 = xs(0)
        for v, colour, part_label in parts:
            w = xs(float(v)) - xs(0)
            f.rect(x0, cy + 4, w, 22, fill=colour, label=tr("{label}: {value}", label=part_label or label, value=money(tr, v, currency)))
            x0 += w
        total = sum((v for v, _, _ in parts), Decimal(0))
        f.text(x0 + 6, cy + 20, money(tr, total, currency), size=11, weight="bold")
    for k, line in enumerate(verdict):
        f.text(16, top + row_h * len(rows) + 16 + 16 * k, line, size=12, weight="bold",
               fill=RED if _dec(extra) > 0 else GREEN)
    legend(f, [(BLUE, tr("outcome payments")), (ORANGE, tr("transaction costs"))],
           left, height - 12)
    return f.render()


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines no wider than ``width`` at font ``size`` (cut between words)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def budget_watch(watch: Any, *, lang: str = "fr", title: str | None = None, currency: str = "EUR") -> str:
    """Mandatory social spending in constant euros, year by year, above the CIS money.

    ``watch``: a BudgetWatch's ``to_dict(lang)`` (years with ``mandatory_total_real``,
    ``cis_commitments``, ``cis_payments``; ``flags`` with ``year`` and ``message``).
    """
    tr = translator(lang)
    if not isinstance(watch, Mapping):
        watch = watch.to_dict(lang)
    years = list(watch.get("years") or [])
    basis = watch.get("cis_basis", "commitments")
    flags = {int(fl["year"]): fl for fl in watch.get("flags") or []}
    base_year = watch.get("base_year")
    # the line drawn is the one that raised the alert (a mandatory line's real-terms fall); without
    # an alert, or for a flag that names no line, the mandatory total
    codes = [str(fl["code"]) for fl in watch.get("flags") or [] if fl.get("code")]
    lines = {str(ln["code"]): ln for ln in watch.get("lines") or []}
    drawn = next((lines[c] for c in codes if c in lines), None)
    rows = []
    for y in years:
        cis = y.get("cis_payments") if basis == "payments" else y.get("cis_commitments")
        real = y["mandatory_total_real"] if drawn is None else (drawn["by_year"].get(str(y["year"])) or {}).get("real")
        rows.append((int(y["year"]), _dec(real or 0), _dec(cis or 0)))
    marked = set(flags) if drawn is None else {int(fl["year"]) for fl in watch.get("flags") or []
                                                if str(fl.get("code")) == str(drawn["code"])}
    width = max(640.0, 90.0 + 80.0 * max(len(rows), 1))
    height = 430.0
    heading = title or tr("Budget watch: mandatory spending and CIS money")
    words = []
    for yr, mand, cis in rows:
        words.append(tr("{year}: mandatory spending {mandatory} ({base_year} euros), CIS {cis}", year=str(yr),
                        mandatory=money(tr, mand, currency), base_year=str(base_year), cis=money(tr, cis, currency)))
    alerts = [tr.render(Msg.from_dict(m)) if isinstance(m := fl.get("message"), Mapping) else str(m) for fl in flags.values()]
    desc = "; ".join(words) + ". " + (" ".join(alerts) if alerts else tr("No alert."))
    f = Frame(width, height, title=heading, desc=desc, kind="budget")
    f.text(16, 24, heading, size=14, weight="bold")
    mand_vals = [float(m) for _, m, _ in rows] or [0.0]
    lo, hi = min(mand_vals), max(mand_vals)
    pad = (hi - lo) * 0.25 or hi * 0.05 or 1.0
    t1 = nice_ticks(max(lo - pad, 0.0), hi + pad, 4)
    t2 = nice_ticks(0.0, max([float(c) for _, _, c in rows] + [1.0]), 3)
    left = 24 + max(text_width(money(tr, t, currency), 10) for t in t1 + t2)
    right = width - 20
    slot = (right - left) / max(len(rows), 1)
    y1 = LinearScale(t1[0], t1[-1], 200, 56)
    y2 = LinearScale(t2[0], t2[-1], 350, 250)
    if drawn is None:
        f.text(left, 46, tr("Mandatory spending of the function ({base_year} euros)", base_year=str(base_year)), size=11, fill=MUTED)
    else:
        f.text(left, 46, tr("The line that raised the alert: {line} ({base_year} euros)", line=str(drawn["label"]),
                            base_year=str(base_year)), size=11, fill=RED, weight="bold")
    f.text(left, 240, tr("CIS: payments") if basis == "payments" else tr("CIS: planned commitments"), size=11, fill=MUTED)
    _y_axis(f, y1, t1, left, right, lang, currency)
    _y_axis(f, y2, t2, left, right, lang, currency)
    pts = [(left + slot * (k + 0.5), y1(float(m))) for k, (_, m, _) in enumerate(rows)]
    if pts:
        f.add('<path d="' + " ".join(f"{'M' if k == 0 else 'L'}{px:.1f},{py:.1f}" for k, (px, py) in enumerate(pts))
              + f'" fill="none" stroke="{BLUE}" stroke-width="2.5"/>')
    for k, (yr, mand, cis) in enumerate(rows):
        cx = left + slot * (k + 0.5)
        flagged = yr in marked
        f.circle(cx, y1(float(mand)), 6 if flagged else 4, fill=RED if flagged else BLUE,
                 label=tr("{label}: {value}", label=str(yr), value=money(tr, mand, currency)))
        if flagged:
            f.text(cx, y1(float(mand)) - 10, tr("real fall"), size=10, anchor="middle", fill=RED, weight="bold")
        f.rect(cx - slot * 0.3, y2(float(cis)), slot * 0.6, y2(0) - y2(float(cis)), fill=ORANGE,
               label=tr("{label}: {value}", label=str(yr), value=money(tr, cis, currency)))
        if cis:
            f.text(cx, y2(float(cis)) - 4, money(tr, cis, currency), size=9, anchor="middle")
        f.text(cx, 368, str(yr), size=11, anchor="middle", weight="bold" if flagged else "normal", fill=RED if flagged else INK)
    if flags:
        f.text(16, 392, tr("{count} alert(s): a mandatory line falls in real terms while CIS money rises.", count=len(flags)), size=11, fill=RED, weight="bold")
    else:
        f.text(16, 392, tr("No alert: no real-terms fall of mandatory spending while CIS money rises."), size=11, fill=GREEN)
    legend(f, [(BLUE, tr("mandatory spending")), (ORANGE, "CIS"), (RED, tr("alert"))],
           16, 418)
    return f.render()
