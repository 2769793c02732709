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

SEATS = {"civil_society": ("société civile", "civil society"), "beneficiary": ("personnes accompagnées", "beneficiaries"),
         "payer": ("payeur", "payer"), "operator": ("opérateur", "operator"), "investor": ("investisseur", "investor"),
         "evaluator": ("évaluateur", "evaluator"), "expert": ("expert", "expert")}


def _t(lang: str, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def _said(message: Any, lang: str) -> str:
    return said_in(Translator(lang), message)


def _eur(value: str | Decimal | None, lang: str = "fr") -> str:
    if value is None:
        return "—"
    return Translator(lang).money(Decimal(value), "EUR", cents=False)


def _dec(value: str | None, lang: str) -> str:
    """A committee's score (``7.90``) the reader's way (``7,90``)."""
    if value is None:
        return "—"
    return Translator(lang).number(Decimal(value), 2)


def print_call_record(console: Any, rec: dict[str, Any], lang: str = "fr") -> None:
    i = 0 if lang == "fr" else 1
    status = {"open": _t(lang, "ouvert", "open"), "decided": _t(lang, "décidé", "decided")}[rec["status"]]
    console.print(f"[bold]{rec['title'][lang]}[/] ({rec['call']}, {status})")
    crit = ", ".join(f"{c['label'][lang]} ×{c['weight']}" for c in rec["criteria"])
    console.print(_t(lang, "  Critères pondérés : ", "  Weighted criteria: ") + crit)
    members = ", ".join(f"{m['person']} ({SEATS.get(m['seat'], (m['seat'], m['seat']))[i]})" for m in rec["committee"])
    console.print(_t(lang, "  Comité : ", "  Committee: ") + members
                  + _t(lang, f" — au moins {rec['min_civil_society_seats']} sièges société civile",
                       f" — at least {rec['min_civil_society_seats']} civil-society seats"))
    if rec["status"] != "decided":
        console.print(_t(lang, f"  {rec['declarations_recorded']} déclaration(s), {rec['scores_recorded']} note(s) ; "
                               "le dossier complet sera public après la décision.",
                         f"  {rec['declarations_recorded']} declaration(s), {rec['scores_recorded']} score(s); "
                         "the full record becomes public after the decision."))
        for m in rec["missing"][:10]:
            console.print(f"    - {_said(m, lang)}", style="dim")
        return
    apps = "; ".join(f"{r['application']} = {r['title']} ({r['organisation']})" for r in rec["results"])
    console.print(_t(lang, "  Candidatures : ", "  Applications: ") + apps)
    for r in rec["recusals"]:
        console.print(_t(lang, "  Récusation : ", "  Recusal: ") + f"{r['person']} / {r['application']} — "
                      + _said(r["explanation"], lang))
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    table.add_column(_t(lang, "Rang", "Rank"))
    table.add_column(_t(lang, "Candidature", "Application"))
    for c in rec["criteria"]:
        table.add_column(c["id"], justify="right")
    table.add_column(_t(lang, "Total pondéré", "Weighted total"), justify="right")
    table.add_column(_t(lang, "Notateurs", "Scorers"), justify="right")
    selected = set(rec["decision"]["selected"])
    for r in rec["results"]:
        mark = " ✓" if r["application"] in selected else ""
        table.add_row(str(r["rank"] or "—"), f"{r['application']}{mark}",
                      *[_dec(r["criterion_means"][c["id"]], lang) for c in rec["criteria"]],
                      _dec(r["total"], lang), f"{len(r['scorers'])}")
    console.print(table)
    d = rec["decision"]
    console.print(_t(lang, "  Décision : ", "  Decision: ") + (", ".join(d["selected"]) or "—")
                  + " — " + d["reasons"][lang])
    if d["departs_from_ranking"]:
        console.print(_t(lang, "  [yellow]La sélection s'écarte du classement pondéré.[/]",
                         "  [yellow]The selection departs from the weighted ranking.[/]"))
    integrity = rec.get("integrity")
    if integrity is not None:
        if integrity["matches_ledger"]:
            console.print(_t(lang, f"  [green]Dossier conforme à l'empreinte inscrite au journal (entrée n° {integrity['ledger_seq']}).[/]",
                             f"  [green]Record matches the digest written in the ledger (entry #{integrity['ledger_seq']}).[/]"))
        else:
            console.print(_t(lang, "  [red]Le dossier ne correspond plus à l'empreinte inscrite au journal lors de la décision : "
                                   "il a été modifié.[/]",
                             "  [red]The record no longer matches the digest written in the ledger at the decision: "
                             "it has been altered.[/]"))
    for r in rec["results"]:
        if r["below_composition_rule"]:
            console.print(_t(lang, f"  [yellow]Après récusations, « {r['application']} » n'a été notée que par "
                                   f"{r['civil_society_scorers']} membre(s) de la société civile.[/]",
                             f"  [yellow]After recusals, '{r['application']}' was scored by only "
                             f"{r['civil_society_scorers']} civil-society member(s).[/]"))


def print_ledger_status(console: Any, status: ChainStatus, lang: str = "fr") -> None:
    colour = "green" if status.whole else "red"
    console.print(f"[{colour}]{escape(Translator(lang).render(status.describe()))}[/]", soft_wrap=True)


def print_audit_status(console: Any, status: AuditStatus, lang: str = "fr") -> None:
    """The chain's status, then the records': the first that differs, and each other one."""
    t = Translator(lang)
    print_ledger_status(console, status.chain, lang)
    lines = status.describe()
    if not status.problems:
        console.print(f"[green]{escape(t.render(lines[1]))}[/]", soft_wrap=True)
    for k, p in enumerate(status.problems):
        text = t("First record that differs: {problem}", problem=p.describe()) if k == 0 else "  " + t.render(p.describe())
        console.print(f"[red]{escape(text)}[/]", soft_wrap=True)
    if status.counted_only:
        console.print(escape(t.render(lines[-1])), style="dim", soft_wrap=True)


def print_budget_watch(console: Any, watch: BudgetWatch, lang: str = "fr") -> None:
    words = Translator(lang)
    flags = [words.render(f.message(lang)) for f in watch.flags]
    notes = [words.render(n) for n in watch.notes]
    console.print(_t(lang, f"[bold]Veille budgétaire[/] — payeur {watch.payer}, fonction {', '.join(watch.functions)}, "
                           f"euros constants {watch.base_year}",
                     f"[bold]Budget watch[/] — payer {watch.payer}, function {', '.join(watch.functions)}, "
                     f"{watch.base_year} euros"))
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
    for head in (_t(lang, "Année", "Year"), _t(lang, "Budget fonction", "Function budget"),
                 _t(lang, "Obligatoire (constant)", "Mandatory (real)"),
                 _t(lang, "CIS engagé", "CIS committed"), _t(lang, "CIS payé", "CIS paid"),
                 _t(lang, "Part CIS", "CIS share")):
        table.add_column(head, justify="right")
    for y in watch.years:
        share = "—" if y.cis_share is None else words.share(float(y.cis_share), 2)
        table.add_row(str(y.year), _eur(y.function_total, lang), _eur(y.mandatory_total_real, lang),
                      _eur(y.cis_commitments, lang), _eur(y.cis_payments, lang), share)
    console.print(table)
    if not flags:
        console.print(_t(lang, "  [green]Aucune éviction détectée.[/]", "  [green]No displacement detected.[/]"))
    for f in flags:
        console.print(f"  [yellow]⚑ {f}[/]", soft_wrap=True)
    for n in notes:
        console.print(f"  {n}", style="dim", soft_wrap=True)
