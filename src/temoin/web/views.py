"""What pages and the API show, assembled from the service functions (one place, two renderings)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from temoin.contract import check_contract
from temoin.services.contracts import get_contract
from temoin.store import ledger, session_scope


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


_CHECKS: dict[str, list[Any]] = {}


def _checks(content_hash: str, contract: Any) -> list[Any]:
    """The safeguard findings of a stored version: a pure function of its content, so computed once."""
    found = _CHECKS.get(content_hash)
    if found is None:
        if len(_CHECKS) > 256:
            _CHECKS.clear()
        found = _CHECKS[content_hash] = list(check_contract(contract))
    return found


def overview(engine: Engine, contract_id: str, lang: str) -> dict[str, Any]:
    stored = get_contract(engine, contract_id)
    c = stored.contract
    fr = lang == "fr"
    findings = [{"code": o.code, "severity": str(o.severity),
                 "passed": o.passed, "title": o.title_fr if fr else o.title_en,
                 "message": o.message_fr if fr else o.message_en, "fix": o.fix_fr if fr else o.fix_en}
                for o in _checks(stored.content_hash, c)]
    invested = sum((t.amount for i in c.investments for t in getattr(i, "tranches", [])), Decimal(0))
    return {
        "id": c.id, "version": stored.version, "content_hash": stored.content_hash,
        "title": c.title.fr if fr else c.title.en, "summary": c.summary.fr if fr else c.summary.en,
        "sector": c.policy_sector, "jurisdiction": c.jurisdiction, "currency": c.currency,
        "start_date": c.start_date.isoformat(), "end_date": c.end_date.isoformat(), "synthetic": c.synthetic,
        "design": c.evaluation.design.value, "expected_size": c.population.expected_size,
        "parties": [{"id": p.id, "name": p.name, "kind": p.kind, "roles": [r.value for r in p.roles]}
                    for p in c.parties],
        "terms": {
            "payment_basis": c.payments.basis,
            "total_outcome_payments_cap": _s(c.caps.total_outcome_payments),
            "payments_within_realised_savings": c.caps.payments_within_realised_savings,
            "investor_return_cap": (None if c.caps.investor_return is None else
                                    {"kind": c.caps.investor_return.kind, "value": c.caps.investor_return.value}),
            "per_participant_cap": _s(c.caps.per_participant),
            "prices": [{"indicator": p.indicator, "price_per_unit": _s(p.price_per_unit), "threshold": p.threshold}
                       for p in c.payments.indicators],
            "invested": _s(invested) if c.investments else None,
        },
        "findings": findings,
        "blocking": sum(1 for f in findings if not f["passed"] and f["severity"] == "error"),
    }


def contract_ledger(engine: Engine, contract_id: str, lang: str, limit: int = 200) -> dict[str, Any]:
    get_contract(engine, contract_id)  # unknown contract -> NotFoundError
    with session_scope(engine) as s:
        status = ledger.verify(s)
        rows = ledger.entries(s, contract_id=contract_id, limit=limit)
        items = [{"seq": r.seq, "at": r.at, "actor": r.actor, "event": r.event, "payload": json.loads(r.payload),
                  "hash": r.hash} for r in rows]
    return {"contract": contract_id, "whole": status.whole, "entries_total": status.entries, "head": status.head,
            "first_bad_seq": status.first_bad_seq, "status": status.describe(lang), "entries": items}
