"""Rendering settlements and risk simulations for people (rich): the waterfall per period, the
investors, the public cost, the risk distribution, in the reader's language (every word from the
catalogue, every amount, share and date in the reader's format).

Used by ``temoin settle``, ``temoin simulate`` and the demo.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.i18n.contract_labels import unit_label
from temoin.reports.notices import notice_text

if TYPE_CHECKING:
    from temoin.contract.model import Contract
    from temoin.i18n import Translator
    from temoin.money import Money
    from temoin.settlement import RiskReport, Settlement

__all__ = ["render_risk", "render_settlement"]


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _figure(x: float, digits: int = 4) -> Decimal:
    """A computed figure to ``digits`` significant digits, as an exact number for the reader's format."""
    return Decimal(f"{x:.{digits}g}")


def render_settlement(s: Settlement, out: Console, reader: Translator,
                      indicators: Mapping[str, str] | None = None, contract: Contract | None = None) -> None:
    """The waterfall per period, the investors, the comparison with direct funding, the notices
    (``indicators``: the label of each indicator id, in the reader's language; ``contract``: for
    the label of its unit)."""
    t = reader

    def money(m: Money | None) -> str:
        return "—" if m is None else t.money(m.amount, m.currency)

    for n in s.notices:
        style = "bold red" if n.level == "alert" else "yellow"
        out.print(f"[{style}]{escape(notice_text(t, n))}[/]")
    for p in s.periods:
        table = Table(title=escape(t("{period} — {label} (paid on {date})", period=p.period,
                                     label=t.pick(p.label_fr, p.label_en), date=p.payment_date)),
                      title_justify="left", show_header=True)
        table.add_column(t("Step"))
        table.add_column(t("Limit"), justify="right", no_wrap=True)
        table.add_column(t("Amount"), justify="right", no_wrap=True)
        for e in p.entitlements:
            impact = t("not estimable") if e.verified_impact is None else t.number(_figure(e.verified_impact, 6))
            table.add_row(escape(t("Cumulative entitlement {indicator} (verified impact {impact} × {participants}, {status})",
                                   indicator=(indicators or {}).get(e.indicator, e.indicator), impact=impact, participants=e.participants, status=e.status)),
                          "", money(e.amount))
        if p.rate_card_entitlement.amount:
            table.add_row(t("Rate card (cumulative)"), "", money(p.rate_card_entitlement))
        table.add_row(t("Already paid"), "", money(p.paid_before))
        table.add_row(f"[b]{escape(t('Gross amount'))}[/]", "", money(p.gross))
        for c in p.caps:
            reduction = "−" + money(c.reduction) if c.reduction.amount else t.money(0, c.reduction.currency)
            table.add_row(f"  − {escape(_first_up(t.label('cap', c.name)))}", money(c.limit), reduction)
        table.add_row(f"[b]{escape(t('Amount due'))}[/]", "", f"[b]{money(p.amount_due)}[/]")
        table.add_row(t("Cumulative paid"), "", money(p.cumulative_paid))
        table.add_row(t("Realised public savings (cumulative)"), "", money(p.realised_savings))
        if len(p.payer_shares) > 1:
            for payer, share in p.payer_shares:
                table.add_row("  ← " + escape(t("paid by {payer}", payer=payer)), "", money(share))
        for investor, share in p.investor_shares:
            table.add_row(f"  → {escape(investor)}", "", money(share))
        out.print(table)
    inv = Table(title=t("Investors") if s.final else t("Investors (to date, not final)"), title_justify="left")
    for col, left in ((t("Investor"), True), (t("Rank"), True), (t("Invested"), False), (t("Received"), False),
                      (t("of which guarantee"), False), (t("Loss"), False), (t("Multiple"), False), (t("IRR"), False)):
        inv.add_column(col, justify="left" if left else "right", no_wrap=not left)
    for i in s.investors:
        inv.add_row(escape(i.investor), t.label("seniority", i.seniority), money(i.invested), money(i.received),
                    money(i.guarantee), money(i.loss), "—" if i.multiple is None else t.number(i.multiple, 3),
                    "—" if i.irr is None else t.share(i.irr, 2))
    out.print(inv)
    pc = s.public_cost
    out.print(f"[b]{escape(t('Public cost against direct funding'))}[/]")
    costs = ", ".join(f"{t.label('cost_kind', k)} {money(v)}" for k, v in pc.transaction_costs) or "—"
    out.print("  " + escape(t("Outcome payments {payments} + transaction costs ({costs}) = CIS cost {total}",
                              payments=money(pc.outcome_payments), costs=costs, total=money(pc.cis_total))))
    if pc.direct_cost is not None and pc.extra_cost is not None:
        extra_share = "—" if pc.extra_cost_share is None else t.share(pc.extra_cost_share, 2)
        out.print("  " + escape(t("Direct funding {direct}; extra cost of the CIS {extra} ({share})",
                                  direct=money(pc.direct_cost), extra=money(pc.extra_cost), share=extra_share)))
    if pc.cost_per_verified_outcome is not None:
        out.print("  " + escape(t("Cost per verified outcome unit ({units} {unit}): {cost}", units=pc.verified_units,
                                  unit=unit_label(contract, pc.break_even_unit or "", t), cost=money(pc.cost_per_verified_outcome))))
    if pc.break_even_effect is not None:
        out.print("  " + escape(t("Break-even effect: above {effect} {unit} per participant, the CIS costs the payer more "
                                  "than direct funding", effect=_figure(pc.break_even_effect),
                                  unit=unit_label(contract, pc.break_even_unit or "", t))))
    elif pc.direct_cost is not None:
        out.print("  " + escape(t("No effect makes the CIS cost more than direct funding (caps).")))


def investor_words(contract: Contract | None, investor: str, t: Translator) -> str:
    """An investor by its name and its rank ("Banque X (senior)"), or its id when the contract does not name it."""
    if contract is None:
        return investor
    name = next((p.name for p in contract.parties if p.id == investor), investor)
    ranks = sorted({i.seniority for i in contract.investments if i.investor == investor})
    return t("{investor} ({rank})", investor=name, rank=", ".join(t.label("seniority", x) for x in ranks)) if ranks else name


def render_risk(r: RiskReport, out: Console, reader: Translator, contract: Contract | None = None) -> None:
    """The payer's questions first (paying for no real effect, the cost against direct funding,
    its percentiles), then the investor's (median IRR, probability of a loss), then the details."""
    t = reader
    cur = r.currency

    def pct(x: float | None) -> str:
        return "—" if x is None or x != x else t.share(x, 2)

    def line(text: str) -> None:
        out.print("  " + escape(text))

    a = r.assumptions
    cost = {k: t.money(v.amount, cur) for k, v in r.payer_cost.money(cur).items()}
    out.print(f"[b]{escape(t('Risk simulation: {n} scenarios, seed {seed}', n=r.scenarios, seed=str(r.seed)))}[/]")
    out.print(f"[b]{escape(t('For the payer'))}[/]")
    if r.prob_paid_without_effect is not None:
        line(t("Probability of paying although the programme has no real effect: {p}", p=pct(r.prob_paid_without_effect)))
    extra = r.expected_extra_cost
    if extra is not None and r.direct_cost is not None:
        direct = t.money(Decimal(repr(r.direct_cost)), cur)
        delta = t.money(Decimal(repr(round(abs(extra), 2))), cur)
        template = ("Expected cost of the CIS {cost} against {direct} funded directly: {delta} more" if extra > 0 else
                    "Expected cost of the CIS {cost} against {direct} funded directly: {delta} less")
        line(t(template, cost=cost["mean"], direct=direct, delta=delta))
    else:
        line(t("Expected cost of the CIS: {cost}", cost=cost["mean"]))
    line(t("Cost to the payer: 5% of scenarios below {p5}, half below {p50}, 95% below {p95}",
           p5=cost["p5"], p50=cost["p50"], p95=cost["p95"]))
    if r.prob_cis_costs_more_than_direct is not None:
        line(t("Probability the CIS costs more than direct funding: {p}", p=pct(r.prob_cis_costs_more_than_direct)))
    out.print(f"[b]{escape(t('For the investors'))}[/]")
    line(t("Median IRR: {irr}; probability of a loss: {p}", irr=pct(r.investor_irr.p50), p=pct(r.prob_investor_loss)))
    for k, v in r.prob_loss_by_investor.items():
        line("  " + t("{investor}: {p}", investor=investor_words(contract, k, t), p=pct(v)))
    line(t("Probability a guarantee is called: {p}", p=pct(r.prob_guarantee_called)))
    out.print(escape(t("Assumptions: true effect ~ N({mean}, {sd}), enrolment {low} to {high}, mean attrition {attrition}",
                       mean=_figure(a.effect_mean), sd=_figure(a.effect_sd), low=t.share(a.enrolment_low, 0),
                       high=t.share(1.0, 0), attrition=t.share(a.attrition_mean, 0))))
    table = Table(show_header=True)
    table.add_column("")
    for col in ("P5", t("median"), "P95", t("mean")):
        table.add_column(col, justify="right", no_wrap=True)
    for label, dist in ((t("Cost to the payer"), r.payer_cost), (t("Outcome payments"), r.outcome_payments),
                        (t("Realised savings"), r.realised_savings)):
        m = dist.money(cur)
        table.add_row(label, *(t.money(m[k].amount, cur) for k in ("p5", "p50", "p95", "mean")))
    d = r.investor_irr
    table.add_row(t("Investors' IRR"), pct(d.p5), pct(d.p50), pct(d.p95), "—")
    out.print(table)
    line(t("Probability nothing is paid: {p}", p=pct(r.prob_no_payment)))
    line(t("Probability payments would exceed savings without that cap: {p}",
           p=pct(r.prob_payments_exceed_savings_without_cap)))
    for note in r.notes:
        out.print(f"  [yellow]{escape(t.render(note))}[/]")
