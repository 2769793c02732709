"""The audit ledger's hash chain, independent of any database.

Each entry is hashed over a canonical JSON encoding (keys sorted, no spaces, UTF-8, amounts and
dates as strings) of its fields *and the previous entry's hash*, so altering, deleting or
reordering any entry breaks every hash after it. The head hash can be published elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64


class LedgerEvent(StrEnum):
    """Every kind of change the ledger records (stored as its value, e.g. ``cohort.randomised``)."""

    CONTRACT_VERSION_CREATED = "contract.version_created"
    COHORT_PARTICIPANTS_IMPORTED = "cohort.participants_imported"
    COHORT_OUTCOMES_IMPORTED = "cohort.outcomes_imported"
    COHORT_RANDOMISED = "cohort.randomised"
    PLAN_LOCKED = "plan.locked"
    PLAN_AMENDED = "plan.amended"
    EVALUATION_RECORDED = "evaluation.recorded"
    SETTLEMENT_RECORDED = "settlement.recorded"
    SETTLEMENT_SUPERSEDED = "settlement.superseded"
    SETTLEMENT_EVALUATOR_CERTIFICATION = "settlement.evaluator_certification"
    SETTLEMENT_PAYER_APPROVAL = "settlement.payer_approval"
    SETTLEMENT_OBSERVER_ACKNOWLEDGEMENT = "settlement.observer_acknowledgement"
    CALL_CREATED = "call.created"
    CALL_APPLICATION_ADDED = "call.application_added"
    CALL_DECLARATION = "call.declaration"
    CALL_SCORE = "call.score"
    CALL_DECIDED = "call.decided"
    ROLE_ASSIGNED = "role.assigned"
    ROLE_REVOKED = "role.revoked"
    BUDGET_IMPORTED = "budget.imported"
    OPENDATA_INDIGO_IMPORTED = "opendata.indigo_imported"
    OPENDATA_RESEARCH_EXTRACT = "opendata.research_extract"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_PASSWORD_SET = "account.password_set"
    ACCOUNT_API_TOKEN_CREATED = "account.api_token_created"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces; non-JSON values (Decimal, dates) become strings.

    >>> canonical_json({"b": 1, "a": [1.5, "é"]})
    '{"a":[1.5,"é"],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(*, seq: int, at: str, actor: str, event: str, contract_id: str | None,
               payload: Mapping[str, Any], prev_hash: str) -> str:
    body = canonical_json({"seq": seq, "at": at, "actor": actor, "event": event,
                           "contract_id": contract_id, "payload": payload, "prev_hash": prev_hash})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EntryView:
    seq: int
    at: str
    actor: str
    event: str
    contract_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainStatus:
    whole: bool
    entries: int
    head: str
    first_bad_seq: int | None = None
    problem: str | None = None
    """'altered', 'deleted' (a gap or a broken link), or 'reordered'."""

    def describe(self, lang: str = "fr") -> str:
        if self.whole:
            return (f"Chaîne intègre : {self.entries} entrées, tête {self.head}." if lang == "fr"
                    else f"Chain whole: {self.entries} entries, head {self.head}.")
        fr = {"altered": "modifiée", "deleted": "supprimée (ou une entrée manque avant elle)", "reordered": "déplacée"}
        en = {"altered": "altered", "deleted": "deleted (or an entry before it is missing)", "reordered": "reordered"}
        p = self.problem or "altered"
        return (f"Chaîne rompue : l'entrée n° {self.first_bad_seq} a été {fr[p]}." if lang == "fr"
                else f"Chain broken: entry #{self.first_bad_seq} was {en[p]}.")


def verify_entries(entries: Iterable[EntryView]) -> ChainStatus:
    """Walk the entries in stored order; report the first one that does not fit the chain."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            problem = "reordered" if e.seq < expected_seq else "deleted"
            return ChainStatus(False, count, prev, first_bad_seq=min(e.seq, expected_seq) if problem == "reordered" else expected_seq, problem=problem)
        recomputed = entry_hash(seq=e.seq, at=e.at, actor=e.actor, event=e.event, contract_id=e.contract_id,
                                payload=e.payload, prev_hash=e.prev_hash)
        if e.prev_hash != prev:
            return ChainStatus(False, count, prev, first_bad_seq=e.seq, problem="deleted" if recomputed == e.hash else "altered")
        if recomputed != e.hash:
            return ChainStatus(False, count, prev, first_bad_seq=e.seq, problem="altered")
        prev = e.hash
        expected_seq += 1
    return ChainStatus(True, count, prev)
