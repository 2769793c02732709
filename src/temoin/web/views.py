"""What pages and the API show, assembled from the service functions (one place, two renderings)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from temoin.contract import Contract, check_contract
from temoin.evaluation.result import EvidenceGrade
from temoin.i18n import Translator
from temoin.i18n.contract_labels import unit_label, wave_label
from temoin.reports.explain import bound_name, explain_settlement
from temoin.services.contracts import get_contract
from temoin.services.evaluations import latest_results, stored_cohort_flow
from temoin.services.settlements import get_settlement, list_settlements
from temoin.settlement.approvals import ApprovalKind, SettlementStatus
from temoin.store import ledger, read_scope, session_scope
from temoin.web.kept import Kept
from temoin.web.ledger_view import entry_lines


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _return_cap(cap: Any, words: Translator) -> dict[str, Any]:
    """The cap on investors' return as data, and as the reader reads it (``TRI : 5,0 %``)."""
    value = words.share(cap.value) if cap.kind == "irr" else words.number(Decimal(f"{cap.value:g}"))
    return {"kind": cap.kind, "value": cap.value,
            "text": words("{kind}: {value}", kind=words.label("return_cap_kind", cap.kind), value=value)}


_CHECKS: dict[str, list[Any]] = {}


def _checks(content_hash: str, contract: Any) -> list[Any]:
    """The safeguard findings of a stored version: a pure function of its content, so computed once."""
    found = _CHECKS.get(content_hash)
    if found is None:
        if len(_CHECKS) > 256:
            _CHECKS.clear()
        found = _CHECKS[content_hash] = list(check_contract(contract))
    return found


def _indicator(c: Contract, indicator_id: str, words: Translator) -> str:
    """An indicator as a reader names it: its label in their language (its id if the contract has none)."""
    ind = c.indicator(indicator_id)
    return indicator_id if ind is None else (ind.label.fr if words.lang == "fr" else ind.label.en)


def overview(engine: Engine, contract_id: str, lang: str) -> dict[str, Any]:
    stored = get_contract(engine, contract_id)
    c = stored.contract
    fr = lang == "fr"
    words = Translator(lang)
    findings = [{"code": o.code, "severity": str(o.severity), "passed": o.passed, "title": words.render(o.title),
                 "message": words.render(o.message), "fix": words.render(o.fix)}
                for o in _checks(stored.content_hash, c)]
    invested = sum((t.amount for i in c.investments for t in getattr(i, "tranches", [])), Decimal(0))
    return {
        "id": c.id, "version": stored.version, "content_hash": stored.content_hash,
        "title": c.title.fr if fr else c.title.en, "summary": c.summary.fr if fr else c.summary.en,
        "sector": c.policy_sector, "jurisdiction": c.jurisdiction, "currency": c.currency,
        "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(), "synthetic": c.synthetic,
        "design": c.evaluation.design.value, "design_label": words.label(c.evaluation.design),
        "expected_size": c.population.expected_size,
        "parties": [{"id": p.id, "name": p.name, "kind": p.kind, "kind_label": words.label("party_kind", p.kind),
                     "roles": [r.value for r in p.roles],
                     "role_labels": [words.label(r) for r in p.roles]} for p in c.parties],
        "terms": {
            "payment_basis": c.payments.basis,
            "total_outcome_payments_cap": _s(c.caps.total_outcome_payments),
            "payments_within_realised_savings": c.caps.payments_within_realised_savings,
            "investor_return_cap": None if c.caps.investor_return is None else _return_cap(c.caps.investor_return, words),
            "per_participant_cap": _s(c.caps.per_participant),
            "prices": [{"indicator": p.indicator, "price_per_unit": _s(p.price_per_unit), "threshold": p.threshold,
                        "indicator_label": _indicator(c, p.indicator, words)}
                       for p in c.payments.indicators],
            "invested": _s(invested) if c.investments else None,
        },
        "findings": findings,
        "blocking": sum(1 for f in findings if not f["passed"] and f["severity"] == "error"),
    }


_FIGURES: Kept[dict[str, Any]] = Kept()


def key_figures(engine: Engine, contract_id: str, lang: str, *, wait: float | None = None) -> dict[str, Any]:
    """Where a contract stands: its cohort, the latest impact estimate of the primary outcome and
    the latest settlement, for the overview page.

    The cohort counts are SQL aggregates over every participant; they are kept per process for a
    given ledger head: every change to these data (and every new contract version) appends to the
    audit ledger in the same transaction, so a new head means the figures are gathered again — in the
    background (:mod:`temoin.web.kept`): after ``wait`` seconds (None: as long as it takes) the previous
    figures are returned, with ``stale_since`` saying when they were gathered (None when current).
    """
    with read_scope(engine) as db:
        head = ledger.head_seq(db)
    found, stale_since = _FIGURES.get(engine, contract_id, head,
                                      lambda: _key_figures(engine, get_contract(engine, contract_id).contract) | {
                                          "ledger_head": head}, wait=wait)
    impact = found["impact"]
    if impact is not None:
        grade = EvidenceGrade(impact["grade"])
        impact = impact | {"label": impact["labels"][lang], "grade_label": Translator(lang).label(grade),
                           "unit_label": impact["unit_labels"][lang], "wave_label": impact["wave_labels"][lang],
                           "bound": impact["bounds"][lang]}
    cohort = found["cohort"]
    if cohort is not None:
        cohort = cohort | {"last_wave_label": cohort["last_wave_labels"][lang]}
    return found | {"impact": impact, "cohort": cohort, "stale_since": stale_since}


def explained_settlement(engine: Engine, contract_id: str, figures: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The latest current settlement's payment decisions in words (:mod:`temoin.reports.explain`)."""
    settled = figures.get("settlement")
    if not settled:
        return []
    outputs = get_settlement(engine, int(settled["id"])).outputs
    return explain_settlement(get_contract(engine, contract_id).contract, outputs, Translator(lang))


def _key_figures(engine: Engine, contract: Contract) -> dict[str, Any]:
    with session_scope(engine) as s:
        flow = stored_cohort_flow(s, contract)
        results = latest_results(s, contract.id)
    primary = contract.evaluation.analysis_plan.primary_outcome
    months = {w.id: w.months_after_enrolment for w in contract.evaluation.follow_up_waves}
    mine = [r for r in results if r.indicator == primary] or results
    last = max(mine, key=lambda r: months.get(r.wave, 0), default=None)
    current = [r for r in list_settlements(engine, contract.id) if r.status is SettlementStatus.CURRENT]
    settled = max(current, key=lambda r: r.id, default=None)
    waves = (flow or {}).get("waves") or []
    return {
        "cohort": None if flow is None else {
            "referred": flow["referred"], "consented": flow["consented"], "randomised": flow.get("randomised"),
            "enrolled": flow.get("enrolled"), "last_wave": waves[-1] if waves else None,
            "last_wave_labels": {lang: wave_label(contract, str(waves[-1]["wave"]), Translator(lang)) if waves else ""
                                 for lang in ("fr", "en")}},
        "impact": None if last is None else {
            "indicator": last.indicator, "wave": last.wave, "improvement": last.improvement,
            "wave_labels": {lang: wave_label(contract, last.wave, Translator(lang)) for lang in ("fr", "en")},
            "lower": last.improvement_lower, "grade": last.grade.value,
            "unit": ind.unit if (ind := contract.indicator(last.indicator)) else "",
            "unit_labels": {lang: unit_label(contract, ind.unit, Translator(lang)) if ind else "" for lang in ("fr", "en")},
            "labels": {lang: (ind.label.get(lang) if ind else last.indicator) for lang in ("fr", "en")},
            "paid_on": last.improvement if contract.payments.basis == "point_estimate" else last.improvement_lower,
            "bounds": {lang: bound_name(contract, Translator(lang)) for lang in ("fr", "en")}},
        "settlement": None if settled is None else {
            "id": settled.id, "as_of": settled.as_of.isoformat() if settled.as_of else None,
            "total_paid": _s(settled.total_paid.amount), "currency": settled.total_paid.currency,
            "payer_approved": settled.approval(ApprovalKind.PAYER_APPROVAL) is not None},
    }


def column_names(contract: Contract, lang: str) -> dict[str, str]:
    """The labels of a contract's columns (population attributes and indicators) in a language."""
    out = {a.name: a.label.fr if lang == "fr" else a.label.en for a in contract.population.attributes}
    out.update({i.id: i.label.fr if lang == "fr" else i.label.en for i in contract.indicators})
    return out


def contract_ledger(engine: Engine, contract_id: str, lang: str, limit: int = 200) -> dict[str, Any]:
    contract = get_contract(engine, contract_id).contract  # unknown contract -> NotFoundError
    with session_scope(engine) as s:
        status = ledger.verify(s)
        rows = ledger.entries(s, contract_id=contract_id, limit=limit)
        items = [{"seq": r.seq, "at": r.at, "actor": r.actor, "event": r.event, "payload": json.loads(r.payload),
                  "hash": r.hash} for r in rows]
    words = Translator(lang)
    names = column_names(contract, lang)
    for item in items:  # what a person reads: the event's label, the payload as lines
        item["event_label"] = words.label("ledger_event", item["event"])
        item["lines"] = [line.__dict__ for line in entry_lines(words, item["payload"], names)]
    return {"contract": contract_id, "whole": status.whole, "entries_total": status.entries, "head": status.head,
            "first_bad_seq": status.first_bad_seq, "status": Translator(lang).render(status.describe()), "entries": items}
