"""Data-protection documents in the reader's language: the access export (everything held on one
person) and the record of processing with its pre-filled impact assessment (HTML and PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from temoin.contract.model import Contract
from temoin.i18n import Translator

__all__ = ["access_text", "register_html", "register_pdf"]


def _value(t: Translator, v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, bool):
        return t("yes") if v else t("no")
    if isinstance(v, dt.datetime):
        return t.datetime(v)
    if isinstance(v, dt.date):
        return t.date(v)
    if isinstance(v, float):
        return t.number(v, 2) if v != int(v) else t.number(int(v))
    if isinstance(v, int):
        return t.number(v)
    return str(v)


def access_text(export: Any, t: Translator, contract: Contract) -> str:
    """The access export (:class:`temoin.services.requests.AccessExport`) as a text a person reads:
    each stored field by its label, every outcome, every correction, every request."""
    labels = {a.name: t.pick(a.label.fr, a.label.en) for a in contract.population.attributes}
    indicators = {i.id: t.pick(i.label.fr, i.label.en) for i in contract.indicators}
    lines = [t("Data held by Témoin about you — contract {contract}", contract=t.pick(export.contract_title["fr"],
                                                                                  export.contract_title["en"])),
             t("Produced on {date}.", date=dt.date.today()), "",
             t("Témoin never stores your name nor your case number: only a pseudonym computed from it ({pseudonym})."
               , pseudonym=export.pseudonym), "",
             t("Your file"), "-" * len(t("Your file"))]
    for name, value in export.participant.items():
        lines.append(f"{t.label('column', name)} : {_value(t, value)}")
    lines += ["", t("Your situation when you joined"), "-" * len(t("Your situation when you joined"))]
    lines += [f"{labels.get(k, k)} : {_value(t, v)}" for k, v in export.attributes.items()]
    for r in export.rectifications:
        lines += ["", t("Correction of {date} (reason: {reason})", date=r["at"], reason=r["reason"])]
        lines += [f"  {labels.get(k, k)} : {_value(t, v)}" for k, v in r["attributes"].items()]
    lines += ["", t("Your follow-up"), "-" * len(t("Your follow-up"))]
    if not export.outcomes:
        lines.append(t("No follow-up measurement recorded."))
    for o in export.outcomes:
        lines.append(t("Follow-up wave {wave} (recorded on {date})", wave=o["wave"], date=o["at"]))
        lines += [f"  {indicators.get(k, k)} : {_value(t, v)}" for k, v in o["values"].items()]
    lines += ["", t("Consent withdrawal: {date}", date=export.withdrawal) if export.withdrawal else t("Consent not withdrawn."),
              "", t("Your requests"), "-" * len(t("Your requests"))]
    for r in export.requests:
        lines.append(t("{kind}: received on {received}, answer due by {due}", kind=t.label(r.kind), received=r.received_on,
                       due=r.due_on) + (" — " + t("answered on {date}", date=r.answered_on) if r.answered_on else ""))
    lines += ["", t("The audit ledger of the contract holds {n} entries: dates, counts and digests, never data about you.",
                    n=export.ledger_entries)]
    return "\n".join(lines) + "\n"


def register_html(data: dict[str, Any], lang: str) -> str:
    """The record of processing and the pre-filled impact assessment as one standalone HTML page."""
    from markupsafe import Markup

    from temoin.reports.report import HERE, _env

    t = Translator(lang)
    tpl = _env().get_template("register.html")
    return str(tpl.render(r=data, lang=lang, t=t, label=t.label,
                          css=Markup((HERE / "templates" / "report.css").read_text(encoding="utf-8"))))


def register_pdf(data: dict[str, Any], lang: str) -> bytes:
    """The same document printed to PDF by WeasyPrint (the reports' machinery)."""
    from weasyprint import HTML

    from temoin.reports.report import HERE

    return bytes(HTML(string=register_html(data, lang), base_url=str(HERE)).write_pdf())
