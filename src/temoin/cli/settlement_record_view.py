"""A recorded settlement for people (``temoin settlement show``): what was recorded, when and by
whom, its status, the results it used, each period's entitlements, caps and payments, the investors'
flows and the sign-offs, in the reader's language (labels, not codes; the reader's numbers and dates).

The record is read as stored (``outputs`` and ``inputs`` as dicts), so a record of an earlier
release shows as it was recorded; ``--json`` keeps the stored record for programs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.reports.notices import notice_text
from temoin.settlement.compute import Notice

if TYPE_CHECKING:
    from temoin.i18n import Translator
    from temoin.store.settlements import SettlementRecord

__all__ = ["render_record"]


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _figure(x: float, digits: int = 6) -> Decimal:
    return Decimal(f"{x:.{digits}g}")


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def render_record(rec: SettlementRecord, out: Console, t: Translator, indicators: Mapping[str, str] | None = None,
                  parties: Mapping[str, str] | None = None) -> None:
    """The record whole: its head, the results used, the periods, the investors, the sign-offs
    (``indicators``: the label of each indicator id, in the reader's language; ``parties``: the
    name of each party id)."""
    o: dict[str, Any] = rec.outputs
    cur = rec.total_paid.currency
    names = dict(indicators or {})
    who = dict(parties or {})

    def money(value: Any) -> str:
        return "—" if value is None else t.money(Decimal(str(value)), cur)

    def line(text: str) -> None:
        out.print("  " + escape(text), soft_wrap=True)

    out.print(f"[b]{escape(t('Settlement #{id} — contract {contract}, version {version}', id=str(rec.id), contract=rec.contract_id, version=str(rec.contract_version)))}[/]")
    status = t.label("settlement_status", rec.status.value)
    if rec.superseded_by is not None:
        status = t("{status}: superseded by #{id}", status=status, id=str(rec.superseded_by))
    line(t("Status: {status}", status=status))
    line(t("Settled up to {date}", date=rec.as_of) if rec.as_of else t("Settled over every period"))
    line(t("Final settlement: {final}", final=rec.final))
    line(t("Recorded on {when} by {who}", when=rec.created_at, who=rec.created_by))
    if rec.supersedes_id is not None:
        line(t("Supersedes #{id}; reason: {reason}", id=str(rec.supersedes_id), reason=rec.reason or "—"))
    line(t("Total paid: {amount}", amount=money(o.get("total_paid", rec.total_paid.amount))))
    if o.get("basis"):
        line(t("Payment basis: {basis}", basis=t.label("payment_basis", str(o["basis"]))))
    for n in o.get("notices", []):
        notice = Notice.from_dict(n)
        style = "bold red" if notice.level == "alert" else "yellow"
        out.print(f"  [{style}]{escape(notice_text(t, notice))}[/]", soft_wrap=True)
    _results(rec.inputs.get("results", []), out, t, names)
    for p in o.get("periods", []):
        _period(p, out, t, names, who, money)
    _investors(o.get("investors", []), bool(o.get("final")), out, t, who, money)
    _sign_offs(rec, out, t, who)


def _results(results: Sequence[Mapping[str, Any]], out: Console, t: Translator, names: Mapping[str, str]) -> None:
    out.print(f"[b]{escape(t('Results used'))}[/]")
    if not results:
        out.print("  " + escape(t("None (payments by the rate card only).")))
        return
    for r in results:
        line = t("{indicator}, wave {wave}: improvement {improvement}, lower confidence bound {lower}, {followed} "
                 "participants followed — {grade}", indicator=names.get(str(r["indicator"]), str(r["indicator"])),
                 wave=str(r["wave"]), improvement=_figure(float(r["improvement"])),
                 lower=_figure(float(r["improvement_lower"])), followed=int(r["n_treated_followed"]),
                 grade=t.label("evidence_grade", str(r["grade"])))
        out.print("  " + escape(line), soft_wrap=True)


def _period(p: Mapping[str, Any], out: Console, t: Translator, names: Mapping[str, str], who: Mapping[str, str],
            money: Any) -> None:
    label = t.pick(str(p.get("label_fr", p["period"])), str(p.get("label_en", p["period"])))
    table = Table(title=escape(t("{period} — {label} (paid on {date})", period=p["period"], label=label,
                                 date=_date(p["payment_date"]))), title_justify="left", show_header=True)
    table.add_column(t("Step"))
    table.add_column(t("Limit"), justify="right", no_wrap=True)
    table.add_column(t("Amount"), justify="right", no_wrap=True)
    for e in p.get("entitlements", []):
        v = e.get("verified_impact")
        impact = t("not estimable") if v is None else t.number(_figure(float(v)))
        table.add_row(escape(t("Cumulative entitlement {indicator} (verified impact {impact} × {participants}, {status})",
                               indicator=names.get(str(e["indicator"]), str(e["indicator"])), impact=impact,
                               participants=int(e["participants"]),
                               status=t.label("entitlement_status", str(e["status"])))), "", money(e["amount"]))
    if Decimal(str(p.get("rate_card_entitlement", "0"))):
        table.add_row(t("Rate card (cumulative)"), "", money(p["rate_card_entitlement"]))
    table.add_row(t("Already paid"), "", money(p["paid_before"]))
    table.add_row(f"[b]{escape(t('Gross amount'))}[/]", "", money(p["gross"]))
    for c in p.get("caps", []):
        reduction = Decimal(str(c["reduction"]))
        table.add_row(f"  − {escape(_first_up(t.label('cap', str(c['name']))))}", money(c["limit"]),
                      ("−" + money(reduction)) if reduction else money(0))
    table.add_row(f"[b]{escape(t('Amount due'))}[/]", "", f"[b]{money(p['amount_due'])}[/]")
    table.add_row(t("Cumulative paid"), "", money(p["cumulative_paid"]))
    table.add_row(t("Realised public savings (cumulative)"), "", money(p["realised_savings"]))
    payers = p.get("payer_shares", [])
    if len(payers) > 1:
        for s in payers:
            table.add_row("  ← " + escape(t("paid by {payer}", payer=who.get(str(s["payer"]), s["payer"]))), "", money(s["amount"]))
    for s in p.get("investor_shares", []):
        table.add_row(f"  → {escape(who.get(str(s['investor']), str(s['investor'])))}", "", money(s["amount"]))
    out.print(table)


def _investors(investors: Sequence[Mapping[str, Any]], final: bool, out: Console, t: Translator,
               who: Mapping[str, str], money: Any) -> None:
    inv = Table(title=t("Investors") if final else t("Investors (to date, not final)"), title_justify="left")
    for col, left in ((t("Investor"), True), (t("Rank"), True), (t("Invested"), False), (t("Received"), False),
                      (t("of which guarantee"), False), (t("Loss"), False), (t("Multiple"), False), (t("IRR"), False)):
        inv.add_column(col, justify="left" if left else "right", no_wrap=not left)
    for i in investors:
        inv.add_row(escape(who.get(str(i["investor"]), str(i["investor"]))), t.label("seniority", str(i["seniority"])), money(i["invested"]),
                    money(i["received"]), money(i.get("guarantee")), money(i.get("loss")),
                    "—" if i.get("multiple") is None else t.number(Decimal(str(i["multiple"])), 3),
                    "—" if i.get("irr") is None else t.share(float(i["irr"]), 2))
    out.print(inv)
    for i in investors:
        if i.get("flows"):
            out.print("  " + escape(t("Flows of {investor} (paid in negative, received in positive):",
                                      investor=who.get(str(i["investor"]), str(i["investor"])))))
        for f in i.get("flows", []):
            out.print("    " + escape(t("{date}: {amount}", date=_date(f["date"]), amount=money(f["amount"]))))


def _sign_offs(rec: SettlementRecord, out: Console, t: Translator, who: Mapping[str, str]) -> None:
    out.print(f"[b]{escape(t('Sign-offs'))}[/]")
    if not rec.approvals:
        out.print("  " + escape(t("None yet.")))
    for a in rec.approvals:
        text = t("{kind}: {person} ({party}), {when}", kind=_first_up(t.label("approval_kind", a.kind.value)),
                 person=a.person, party=who.get(a.party_id, a.party_id), when=a.at)
        if a.comment:
            text += " — " + a.comment
        out.print("  " + escape(text), soft_wrap=True)
