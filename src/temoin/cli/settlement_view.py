"""Rendering settlements and risk simulations for people (rich): the waterfall per period, the
investors, the public cost, the risk distribution.

Used by ``temoin settle``, ``temoin simulate`` and the demo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.money import Money, to_decimal

if TYPE_CHECKING:
    from temoin.settlement import RiskReport, Settlement

__all__ = ["render_risk", "render_settlement"]


def _pct(x: float | None) -> str:
    return "—" if x is None or x != x else f"{x * 100:.2f} %"


def _money(m: Money | None) -> str:
    return "—" if m is None else str(m)


def render_settlement(s: Settlement, out: Console, language: str = "fr") -> None:
    """The waterfall per period, the investors, the comparison with direct funding, the notices."""
    fr = language == "fr"

    def tr(a: str, b: str) -> str:
        return a if fr else b

    for n in s.notices:
        style = "bold red" if n.level == "alert" else "yellow"
        out.print(f"[{style}]{escape(n.fr if fr else n.en)}[/]")
    for p in s.periods:
        table = Table(title=f"{p.period} — {p.label_fr if fr else p.label_en} ({tr('paiement le', 'paid on')} {p.payment_date})",
                      title_justify="left", show_header=True)
        table.add_column(tr("Étape", "Step"))
        table.add_column(tr("Plafond", "Limit"), justify="right")
        table.add_column(tr("Montant", "Amount"), justify="right")
        for e in p.entitlements:
            impact = "—" if e.verified_impact is None else f"{e.verified_impact:g}"
            table.add_row(tr(f"Droit cumulé {e.indicator} (impact vérifié {impact} × {e.participants}, {e.status})",
                             f"Cumulative entitlement {e.indicator} (verified impact {impact} × {e.participants}, {e.status})"),
                          "", _money(e.amount))
        if p.rate_card_entitlement.amount:
            table.add_row(tr("Grille tarifaire (cumul)", "Rate card (cumulative)"), "", _money(p.rate_card_entitlement))
        table.add_row(tr("Déjà payé", "Already paid"), "", _money(p.paid_before))
        table.add_row(tr("[b]Montant brut[/]", "[b]Gross amount[/]"), "", _money(p.gross))
        for c in p.caps:
            table.add_row(f"  − {c.label_fr if fr else c.label_en}", _money(c.limit), f"−{c.reduction}" if c.reduction.amount else "0")
        table.add_row(tr("[b]Montant dû[/]", "[b]Amount due[/]"), "", f"[b]{p.amount_due}[/]")
        table.add_row(tr("Cumul payé", "Cumulative paid"), "", _money(p.cumulative_paid))
        table.add_row(tr("Économies publiques réalisées (cumul)", "Realised public savings (cumulative)"), "", _money(p.realised_savings))
        if len(p.payer_shares) > 1:
            for payer, share in p.payer_shares:
                table.add_row(tr(f"  ← payé par {payer}", f"  ← paid by {payer}"), "", _money(share))
        for investor, share in p.investor_shares:
            table.add_row(f"  → {investor}", "", _money(share))
        out.print(table)
    inv = Table(title=tr("Investisseurs", "Investors") + ("" if s.final else tr(" (à date, non définitif)", " (to date, not final)")),
                title_justify="left")
    for col in (tr("Investisseur", "Investor"), tr("Rang", "Rank"), tr("Investi", "Invested"), tr("Reçu", "Received"),
                tr("dont garantie", "of which guarantee"), tr("Perte", "Loss"), "Multiple", tr("TRI", "IRR")):
        inv.add_column(col, justify="left" if col in ("Investisseur", "Investor", "Rang", "Rank") else "right")
    for i in s.investors:
        inv.add_row(i.investor, i.seniority, _money(i.invested), _money(i.received), _money(i.guarantee), _money(i.loss),
                    "—" if i.multiple is None else f"{i.multiple:.3f}", _pct(i.irr))
    out.print(inv)
    pc = s.public_cost
    out.print(tr("[b]Coût public comparé au financement direct[/]", "[b]Public cost against direct funding[/]"))
    costs = ", ".join(f"{k} {v}" for k, v in pc.transaction_costs) or "—"
    out.print(tr(f"  Paiements aux résultats {pc.outcome_payments} + coûts de montage ({costs}) = coût du CIS {pc.cis_total}",
                 f"  Outcome payments {pc.outcome_payments} + transaction costs ({costs}) = CIS cost {pc.cis_total}"))
    if pc.direct_cost is not None and pc.extra_cost is not None:
        out.print(tr(f"  Financement direct {pc.direct_cost} ; surcoût du CIS {pc.extra_cost} ({_pct(pc.extra_cost_share)})",
                     f"  Direct funding {pc.direct_cost}; extra cost of the CIS {pc.extra_cost} ({_pct(pc.extra_cost_share)})"))
    if pc.cost_per_verified_outcome is not None:
        out.print(tr(f"  Coût par unité de résultat vérifiée ({pc.verified_units} {pc.break_even_unit or ''}) : {pc.cost_per_verified_outcome}",
                     f"  Cost per verified outcome unit ({pc.verified_units} {pc.break_even_unit or ''}): {pc.cost_per_verified_outcome}"))
    if pc.break_even_effect is not None:
        out.print(tr(f"  Effet d'équilibre : au-delà de {pc.break_even_effect:.4g} {pc.break_even_unit or ''} par participant, "
                     "le CIS coûte plus cher au payeur que le financement direct",
                     f"  Break-even effect: above {pc.break_even_effect:.4g} {pc.break_even_unit or ''} per participant, "
                     "the CIS costs the payer more than direct funding"))
    elif pc.direct_cost is not None:
        out.print(tr("  Aucun effet ne fait dépasser le coût du financement direct (plafonds).",
                     "  No effect makes the CIS cost more than direct funding (caps)."))


def render_risk(r: RiskReport, out: Console, language: str = "fr") -> None:
    """The payer's questions first (paying for no real effect, the cost against direct funding,
    its percentiles), then the investor's (median IRR, probability of a loss), then the details."""
    fr = language == "fr"

    def tr(a: str, b: str) -> str:
        return a if fr else b

    a = r.assumptions
    cur = r.currency
    n = f"{r.scenarios:,}".replace(",", "\u202f")
    cost = r.payer_cost.money(cur)
    out.print(tr(f"[b]Simulation de risque[/] : {n} scénarios, graine {r.seed}",
                 f"[b]Risk simulation[/]: {n} scenarios, seed {r.seed}"))
    out.print(tr("[b]Pour le payeur[/]", "[b]For the payer[/]"))
    if r.prob_paid_without_effect is not None:
        out.print(tr(f"  Probabilité de payer alors que le programme n'a aucun effet réel : {_pct(r.prob_paid_without_effect)}",
                     f"  Probability of paying although the programme has no real effect: {_pct(r.prob_paid_without_effect)}"))
    extra = r.expected_extra_cost
    if extra is not None and r.direct_cost is not None:
        direct = Money(to_decimal(repr(r.direct_cost)), cur)
        delta = Money(to_decimal(repr(round(abs(extra), 2))), cur)
        more = extra > 0
        out.print(tr(f"  Coût attendu du CIS {cost['mean']} contre {direct} en financement direct : "
                     f"{delta} de {'plus' if more else 'moins'}",
                     f"  Expected cost of the CIS {cost['mean']} against {direct} funded directly: "
                     f"{delta} {'more' if more else 'less'}"))
    else:
        out.print(tr(f"  Coût attendu du CIS : {cost['mean']}", f"  Expected cost of the CIS: {cost['mean']}"))
    out.print(tr(f"  Coût pour le payeur : 5 % des scénarios sous {cost['p5']}, la moitié sous {cost['p50']}, "
                 f"95 % sous {cost['p95']}",
                 f"  Cost to the payer: 5% of scenarios below {cost['p5']}, half below {cost['p50']}, "
                 f"95% below {cost['p95']}"))
    if r.prob_cis_costs_more_than_direct is not None:
        out.print(tr(f"  Probabilité que le CIS coûte plus que le financement direct : {_pct(r.prob_cis_costs_more_than_direct)}",
                     f"  Probability the CIS costs more than direct funding: {_pct(r.prob_cis_costs_more_than_direct)}"))
    out.print(tr("[b]Pour les investisseurs[/]", "[b]For the investors[/]"))
    out.print(tr(f"  TRI médian : {_pct(r.investor_irr.p50)} ; probabilité de perte : {_pct(r.prob_investor_loss)}",
                 f"  Median IRR: {_pct(r.investor_irr.p50)}; probability of a loss: {_pct(r.prob_investor_loss)}"))
    for k, v in r.prob_loss_by_investor.items():
        out.print(f"    {k}: {_pct(v)}")
    out.print(tr(f"  Probabilité d'appel de garantie : {_pct(r.prob_guarantee_called)}",
                 f"  Probability a guarantee is called: {_pct(r.prob_guarantee_called)}"))
    out.print(tr(f"Hypothèses : effet réel ~ N({a.effect_mean:g} ; {a.effect_sd:g}), inscription {a.enrolment_low:.0%}–100 %, "
                 f"attrition moyenne {a.attrition_mean:.0%}",
                 f"Assumptions: true effect ~ N({a.effect_mean:g}, {a.effect_sd:g}), enrolment {a.enrolment_low:.0%}–100 %, "
                 f"mean attrition {a.attrition_mean:.0%}"))
    table = Table(show_header=True)
    table.add_column("")
    for col in ("P5", tr("médiane", "median"), "P95", tr("moyenne", "mean")):
        table.add_column(col, justify="right")
    for label, dist in ((tr("Coût pour le payeur", "Cost to the payer"), r.payer_cost),
                        (tr("Paiements aux résultats", "Outcome payments"), r.outcome_payments),
                        (tr("Économies réalisées", "Realised savings"), r.realised_savings)):
        m = dist.money(cur)
        table.add_row(label, *(str(m[k]) for k in ("p5", "p50", "p95", "mean")))
    d = r.investor_irr
    table.add_row(tr("TRI des investisseurs", "Investors' IRR"), _pct(d.p5), _pct(d.p50), _pct(d.p95), "—")
    out.print(table)
    out.print(tr(f"  Probabilité qu'aucun paiement ne soit dû : {_pct(r.prob_no_payment)}",
                 f"  Probability nothing is paid: {_pct(r.prob_no_payment)}"))
    out.print(tr(f"  Probabilité que les paiements dépassent les économies sans ce plafond : "
                 f"{_pct(r.prob_payments_exceed_savings_without_cap)}",
                 f"  Probability payments would exceed savings without that cap: {_pct(r.prob_payments_exceed_savings_without_cap)}"))
    for n_fr, n_en in r.notes:
        out.print(f"  [yellow]{escape(n_fr if fr else n_en)}[/]")
