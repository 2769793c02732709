"""Report services: gather a contract's transparency report, and write it to a file.

Reports only read: they change no state and so write no audit entry; each printed report carries
the audit-ledger head it was made at, so a reader can check later that nothing changed since.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from temoin.errors import InvalidInputError, TemoinError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports import report
from temoin.reports._evaluation import evaluation_section
from temoin.reports._public import exposed_by_amounts
from temoin.reports.report import ReportData, render_html, render_pdf
from temoin.services import evaluations, settlements
from temoin.services.contracts import get_contract
from temoin.services.erasure import erasures
from temoin.services.governance import check_budget, verify_ledger
from temoin.settings import Settings
from temoin.store import session_scope

__all__ = ["build_report", "write_report"]


def _settlement(engine: Engine, contract_id: str, as_of: dt.date | None) -> dict[str, Any]:
    """The recorded settlement for this period if there is one, else a preview (said so)."""
    recorded = [r for r in settlements.list_settlements(engine, contract_id) if r.superseded_by is None
                and (as_of is None or r.as_of == as_of)]
    if recorded:
        rec = max(recorded, key=lambda r: (r.as_of or dt.date.max, r.id))
        return {"data": rec.outputs, "recorded_id": rec.id, "recorded_at": rec.created_at.isoformat(timespec="seconds"),
                "approvals": [a.kind for a in rec.approvals], "outputs_hash": rec.outputs_hash}
    s = settlements.compute(engine, contract_id, as_of=as_of)
    return {"data": s.to_dict(), "recorded_id": None, "recorded_at": None, "approvals": [], "outputs_hash": None}


def _said(exc: TemoinError, lang: str) -> str:
    """The error in the report's language."""
    return Translator(lang).error(exc)


def build_report(engine: Engine, contract_id: str, *, settings: Settings, lang: str = "fr", public: bool = False,
                 period: str | None = None) -> ReportData:
    """Gather the report of ``contract_id`` (latest version) up to ``period`` (a payment period id;
    None: the latest settlement). The public version suppresses counts below the settings'
    ``small_cell_threshold``."""
    report.check_language(lang)
    stored = get_contract(engine, contract_id)
    c = stored.contract
    threshold = settings.small_cell_threshold
    p = report.payment_period(c, period)
    data = report.new_report(stored, lang=lang, public=public, period=p, threshold=threshold)

    with session_scope(engine) as s:
        flow = evaluations.stored_cohort_flow(s, c)
        results = evaluations.latest_results(s, c.id)
        diagnostics = evaluations.latest_diagnostics(s, c.id)
        data.erasures = erasures(s, c.id)
    status = evaluations.plan_status(engine, c.id)
    st: dict[str, Any] | None = None
    try:
        st = _settlement(engine, contract_id, p.payment_date if p else None)
    except TemoinError as exc:  # no results yet, or results that cannot settle this version: said, not hidden
        report.add_absent(data, "Settlement", _said(exc, lang))
    # public: the amounts give counts back, so the flow's suppression takes them into account
    exposure = exposed_by_amounts(st["data"] if st else None, {(r.indicator, r.wave): r.n_treated_followed for r in results},
                                  rate_card_prices=[Decimal(i.price) for i in c.payments.rate_card],
                                  threshold=threshold) if public else None
    section = evaluation_section(c, flow=flow, results=results, diagnostics=diagnostics, status=status, lang=lang,
                                 public=public, threshold=threshold, exposure=exposure)
    report.add_evaluation(data, c, section)
    withheld = bool(section["amounts_withheld"])
    if st is not None:
        report.add_settlement(data, st, withheld=withheld, contract=c)
    try:
        watch = check_budget(engine, contract_id)
    except TemoinError as exc:
        report.add_absent(data, "Budget watch", _said(exc, lang))
    else:
        if withheld and any(y.cis_payments for y in watch.years):  # the payments by year are the withheld amounts
            report.add_absent(data, "Budget watch", report.WITHHELD)
        else:
            report.add_budget(data, watch)
    report.add_ledger(data, verify_ledger(engine))
    return data


def write_report(engine: Engine, contract_id: str, path: str | Path, *, settings: Settings, fmt: str = "pdf",
                 lang: str = "fr", public: bool = False, period: str | None = None) -> Path:
    """Build the report and write it as ``fmt`` ("html" or "pdf") to ``path``."""
    if fmt not in ("html", "pdf"):
        raise InvalidInputError("report.format", Msg("Unknown format: '{format}'.", format=fmt),
                                path="format", hint=Msg("Choose html or pdf."))
    data = build_report(engine, contract_id, settings=settings, lang=lang, public=public, period=period)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        out.write_text(render_html(data), encoding="utf-8")
    else:
        out.write_bytes(render_pdf(data))
    return out
