"""Rendering governance records for people (rich): a call's record, the ledger status, the budget watch.

Used by ``temoin call show``, ``temoin audit verify``, ``temoin budget check`` and the demo.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.markup import escape
from rich.table import Table

from temoin.governance.budget import BudgetWatch
from temoin.governance.ledger import AuditStatus, ChainStatus
from temoin.i18n import Translator
from temoin.reports.notices import said_in


def _amount(reader: Translator, value: str | Decimal | None) -> str:
    return "—" if value is None else reader.money(Decimal(value), "EUR", cents=False)


def _decimal(reader: Translator, value: str | None) -> str:
    """A stored decimal (a score, a weighted total) in the reader's format, its digits kept."""
    if value is None:
        return "—"
    d = Decimal(value)
    return reader.number(d, max(0, -int(d.as_tuple().exponent)))


def print_call_record(console: Any, rec: dict[str, Any], reader: Translator) -> None:
    t, lang = reader, reader.lang
    status = {"open": t("open"), "decided": t("decided")}[rec["status"]]
    console.print(f"[bold]{escape(rec['title'][lang])}[/] ({rec['call']}, {status})")
    crit = ", ".join(f"{c['label'][lang]} ×{reader.number(c['weight'])}" for c in rec["criteria"])
    console.print("  " + escape(t("Weighted criteria: {criteria}", criteria=crit)))
    members = ", ".join(f"{m['person']} ({reader.label('seat', m['seat'])})" for m in rec["committee"])
    console.print("  " + escape(t("Committee: {members} — at least {seats} civil-society seats", members=members,
                                  seats=rec["min_civil_society_seats"])))
    if rec["status"] != "decided":
        console.print("  " + escape(t("{declarations} declaration(s), {scores} score(s); the full record becomes public "
                                      "after the decision.", declarations=rec["declarations_recorded"],
                                      scores=rec["scores_recorded"])))
        for m in rec["missing"][:10]:
            console.print(f"    - {escape(said_in(reader, m))}", style="dim")
        return
    apps = "; ".join(f"{r['application']} = {r['title']} ({r['organisation']})" for r in rec["results"])
    console.print("  " + escape(t("Applications: {applications}", applications=apps)))
    for r in rec["recusals"]:
        console.print("  " + escape(t("Recusal: {person} / {application} — {explanation}", person=r["person"],
                                      application=r["application"], explanation=said_in(reader, r["explanation"]))))
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    table.add_column(t("Rank"))
    table.add_column(t("Application"))
    for c in rec["criteria"]:
        table.add_column(escape((c.get("label") or {}).get(lang) or c["id"]), justify="right")  # the criterion's label
    table.add_column(t("Weighted total"), justify="right")
    table.add_column(t("Scorers"), justify="right")
    selected = set(rec["decision"]["selected"])
    for r in rec["results"]:
        mark = " ✓" if r["application"] in selected else ""
        table.add_row(str(r["rank"] or "—"), f"{r['application']}{mark}",
                      *[_decimal(reader, r["criterion_means"][c["id"]]) for c in rec["criteria"]],
                      _decimal(reader, r["total"]), reader.number(len(r["scorers"])))
    console.print(table)
    d = rec["decision"]
    console.print("  " + escape(t("Decision: {selected} — {reasons}", selected=", ".join(d["selected"]) or "—",
                                  reasons=d["reasons"][lang])))
    if d["departs_from_ranking"]:
        console.print(f"  [yellow]{escape(t('The selection departs from the weighted ranking.'))}[/]")
    integrity = rec.get("integrity")
    if integrity is not None:
        if integrity["matches_ledger"]:
            console.print(f"  [green]{escape(t('Record matches the digest written in the ledger (entry #{entry}).', entry=str(integrity['ledger_seq'])))}[/]")
        else:
            console.print(f"  [red]{escape(t('The record no longer matches the digest written in the ledger at the decision: it has been altered.'))}[/]")
    for r in rec["results"]:
        if r["below_composition_rule"]:
            console.print(f"  [yellow]{escape(t('After recusals, {application} was scored by only {n} civil-society member(s).', application=repr(r['application']), n=r['civil_society_scorers']))}[/]")


def print_ledger_status(console: Any, status: ChainStatus, reader: Translator) -> None:
    colour = "green" if status.whole else "red"
    console.print(f"[{colour}]{escape(reader.render(status.describe()))}[/]", soft_wrap=True)


def print_audit_status(console: Any, status: AuditStatus, reader: Translator) -> None:
    """The chain's status, then the records': the first that differs, and each other one."""
    t = reader
    print_ledger_status(console, status.chain, reader)
    lines = status.describe()
    if not status.problems:
        console.print(f"[green]{escape(t.render(lines[1]))}[/]", soft_wrap=True)
    for k, p in enumerate(status.problems):
        text = t("First record that differs: {record}", record=p.describe()) if k == 0 else "  " + t.render(p.describe())
        console.print(f"[red]{escape(text)}[/]", soft_wrap=True)
    if status.counted_only:
        console.print(escape(t.render(lines[2])), style="dim", soft_wrap=True)
    for erasure in status.erasures:
        console.print(escape(t.render(erasure)), soft_wrap=True)


def print_budget_watch(console: Any, watch: BudgetWatch, reader: Translator) -> None:
    t, lang = reader, reader.lang
    flags = [t.render(f.message(lang)) for f in watch.flags]
    notes = [t.render(n) for n in watch.notes]
    console.print(f"[bold]{escape(t('Budget watch'))}[/] — " + escape(t(
        "payer {payer}, function {functions}, {year} euros", payer=watch.payer, functions=", ".join(watch.functions),
        year=str(watch.base_year))))
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for head in (t("Year"), t("Function budget"), t("Mandatory (real)"), t("CIS committed"), t("CIS paid"), t("CIS share")):
        table.add_column(head, justify="right")
    for y in watch.years:
        share = "—" if y.cis_share is None else reader.share(float(y.cis_share), 2)
        table.add_row(str(y.year), _amount(reader, y.function_total), _amount(reader, y.mandatory_total_real),
                      _amount(reader, y.cis_commitments), _amount(reader, y.cis_payments), share)
    console.print(table)
    if not flags:
        console.print(f"  [green]{escape(t('No displacement detected.'))}[/]")
    for f in flags:
        console.print(f"  [yellow]⚑ {escape(f)}[/]", soft_wrap=True)
    for n in notes:
        console.print(f"  {escape(n)}", style="dim", soft_wrap=True)
