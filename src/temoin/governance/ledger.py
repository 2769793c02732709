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
    INVITATION_CREATED = "invitation.created"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_REFUSED = "invitation.refused"
    INVITATION_WITHDRAWN = "invitation.withdrawn"
    BUDGET_IMPORTED = "budget.imported"
    OPENDATA_INDIGO_IMPORTED = "opendata.indigo_imported"
    OPENDATA_RESEARCH_EXTRACT = "opendata.research_extract"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_PASSWORD_SET = "account.password_set"
    ACCOUNT_API_TOKEN_CREATED = "account.api_token_created"
    ACCOUNT_API_TOKEN_REVOKED = "account.api_token_revoked"
    ACCOUNT_DISABLED = "account.disabled"


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


# --- records the ledger vouches for ---------------------------------------------------------------


class RecordKind(StrEnum):
    """The stored records whose content a ledger entry fixes (by a hash or by their values)."""

    CONTRACT_VERSION = "contract_version"
    PARTICIPANTS = "participants"
    OUTCOMES = "outcomes"
    ASSIGNMENT = "assignment"
    PLAN = "plan"
    EVALUATION = "evaluation"
    SETTLEMENT = "settlement"
    APPROVAL = "approval"

    def label(self, lang: str) -> str:
        fr, en = _RECORD_LABELS[self]
        return fr if lang == "fr" else en


_RECORD_LABELS = {
    RecordKind.CONTRACT_VERSION: ("version de contrat", "contract version"),
    RecordKind.PARTICIPANTS: ("participants", "participants"),
    RecordKind.OUTCOMES: ("résultats de suivi", "follow-up outcomes"),
    RecordKind.ASSIGNMENT: ("affectation randomisée", "random assignment"),
    RecordKind.PLAN: ("plan d'analyse", "analysis plan"),
    RecordKind.EVALUATION: ("résultats d'évaluation", "evaluation results"),
    RecordKind.SETTLEMENT: ("règlement", "settlement"),
    RecordKind.APPROVAL: ("visa de règlement", "settlement sign-off"),
}


class RecordProblemKind(StrEnum):
    DIFFERS = "differs"
    """The stored record no longer matches what its ledger entry fixed."""
    MISSING = "missing"
    """The ledger entry names a record that is no longer stored."""
    UNRECORDED = "unrecorded"
    """A stored record that no ledger entry vouches for."""


@dataclass(frozen=True)
class RecordProblem:
    """One stored record that does not match the ledger. ``seq`` is the entry it was checked against
    (None for a record no entry vouches for); ``detail`` names the field in words (both languages)."""

    kind: RecordKind
    ref: str
    problem: RecordProblemKind
    seq: int | None
    detail_fr: str
    detail_en: str

    def describe(self, lang: str = "fr") -> str:
        what = f"{self.kind.label(lang)} {self.ref}"
        if lang == "fr":
            where = f" (entrée n° {self.seq})" if self.seq is not None else ""
            verb = {RecordProblemKind.DIFFERS: "diffère de son entrée du journal",
                    RecordProblemKind.MISSING: "a disparu de la base",
                    RecordProblemKind.UNRECORDED: "n'est inscrit(e) dans aucune entrée du journal"}[self.problem]
            return f"{what}{where} {verb} : {self.detail_fr}"
        where = f" (entry #{self.seq})" if self.seq is not None else ""
        verb = {RecordProblemKind.DIFFERS: "differs from its ledger entry",
                RecordProblemKind.MISSING: "is gone from the database",
                RecordProblemKind.UNRECORDED: "is in no ledger entry"}[self.problem]
        return f"{what}{where} {verb}: {self.detail_en}"

    def to_dict(self, lang: str = "fr") -> dict[str, object]:
        return {"kind": self.kind.value, "ref": self.ref, "problem": self.problem.value, "seq": self.seq,
                "message": self.describe(lang)}


@dataclass(frozen=True)
class AuditStatus:
    """The chain, and the stored records checked against it: whole only when both are."""

    chain: ChainStatus
    records_checked: int
    problems: tuple[RecordProblem, ...]
    counted_only: int = 0
    """Imports recorded before the ledger kept a digest of their rows: their row counts are checked."""

    @property
    def whole(self) -> bool:
        return self.chain.whole and not self.problems

    @property
    def first_problem(self) -> RecordProblem | None:
        return self.problems[0] if self.problems else None

    def describe(self, lang: str = "fr") -> str:
        lines = [self.chain.describe(lang)]
        if self.problems:
            first = self.problems[0]
            more = len(self.problems) - 1
            lines.append((f"Premier enregistrement qui ne correspond plus au journal : {first.describe(lang)}"
                          + (f" (et {more} autre(s))." if more else ".")) if lang == "fr" else
                         (f"First record that no longer matches the ledger: {first.describe(lang)}"
                          + (f" (and {more} more)." if more else ".")))
        else:
            lines.append(f"Enregistrements conformes au journal : {self.records_checked} vérifié(s)." if lang == "fr"
                         else f"Records match the ledger: {self.records_checked} checked.")
        if self.counted_only:
            lines.append(f"{self.counted_only} import(s) antérieur(s) aux empreintes de lignes : nombre de lignes vérifié."
                         if lang == "fr" else
                         f"{self.counted_only} import(s) made before row digests: their row counts are checked.")
        return "\n".join(lines)


def rows_digest(lines: Iterable[str]) -> str:
    """SHA-256 of a record set written one line per record, in the order given (callers sort them):
    what the ledger keeps of a cohort or a wave, so that a changed, added or removed row shows.

    >>> rows_digest(["a|1", "b|2"]) == hashlib.sha256(b"a|1\\nb|2\\n").hexdigest()
    True
    """
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()
