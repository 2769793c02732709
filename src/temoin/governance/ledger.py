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

from temoin.messages import Msg

GENESIS = "0" * 64


class LedgerEvent(StrEnum):
    """Every kind of change the ledger records (stored as its value, e.g. ``cohort.randomised``)."""

    CONTRACT_VERSION_CREATED = "contract.version_created"
    CONTRACT_SIGNED = "contract.signed"
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
    CALL_DRAFTED = "call.drafted"
    CALL_DRAFT_EDITED = "call.draft_edited"
    CALL_PUBLISHED = "call.published"
    CALL_COMMENTED = "call.commented"
    CALL_COMMENT_ANSWERED = "call.comment_answered"
    CALL_OPENED = "call.opened"
    CALL_DOCUMENT_ADDED = "call.document_added"
    ROLE_ASSIGNED = "role.assigned"
    ROLE_REVOKED = "role.revoked"
    INVITATION_CREATED = "invitation.created"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_REFUSED = "invitation.refused"
    INVITATION_WITHDRAWN = "invitation.withdrawn"
    BUDGET_IMPORTED = "budget.imported"
    OPENDATA_INDIGO_IMPORTED = "opendata.indigo_imported"
    OPENDATA_RESEARCH_EXTRACT = "opendata.research_extract"
    EXTRACT_REQUESTED = "extract.requested"
    EXTRACT_AGREED = "extract.agreed"
    EXTRACT_REFUSED = "extract.refused"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_PASSWORD_SET = "account.password_set"
    ACCOUNT_API_TOKEN_CREATED = "account.api_token_created"
    ACCOUNT_API_TOKEN_REVOKED = "account.api_token_revoked"
    ACCOUNT_DISABLED = "account.disabled"
    ACCOUNT_PAYER_ORGANISATION = "account.payer_organisation"
    ACCOUNT_PAYER_ORGANISATION_WITHDRAWN = "account.payer_organisation_withdrawn"
    CONSENT_WITHDRAWN = "rgpd.consent_withdrawn"
    PARTICIPANT_RECTIFIED = "rgpd.rectified"
    PERSONAL_DATA_ERASED = "rgpd.erased"
    RIGHTS_REQUEST_RECEIVED = "rgpd.request_received"
    RIGHTS_REQUEST_ANSWERED = "rgpd.request_answered"


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

    def describe(self) -> Msg:
        """The chain's state as a message (rendered in the reader's language by the entry points)."""
        if self.whole:
            return Msg("Chain whole: {entries} entries, head {head}.", entries=self.entries, head=self.head)
        return Msg("Chain broken: entry #{seq} was {problem}.", seq=str(self.first_bad_seq),
                   problem=Msg(f"label:chain_problem:{self.problem or 'altered'}"))


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
    CALL_DOCUMENT = "call_document"
    WITHDRAWALS = "withdrawals"
    RECTIFICATIONS = "rectifications"



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
    detail: Msg

    def describe(self) -> Msg:
        """The problem as a message: which record, against which entry, what differs."""
        if self.seq is not None:
            return Msg("{kind} {ref} (entry #{seq}) {problem}: {detail}", kind=self.kind, ref=self.ref, seq=str(self.seq),
                       problem=self.problem, detail=self.detail)
        return Msg("{kind} {ref} {problem}: {detail}", kind=self.kind, ref=self.ref, problem=self.problem,
                   detail=self.detail)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "ref": self.ref, "problem": self.problem.value, "seq": self.seq,
                "message": self.describe().to_dict()}


@dataclass(frozen=True)
class AuditStatus:
    """The chain, and the stored records checked against it: whole only when both are."""

    chain: ChainStatus
    records_checked: int
    problems: tuple[RecordProblem, ...]
    counted_only: int = 0
    """Imports recorded before the ledger kept a digest of their rows: their row counts are checked."""
    erasures: tuple[Msg, ...] = ()
    """The erasures of personal data the records were checked with, each in words (entry, date, rule)."""

    @property
    def whole(self) -> bool:
        return self.chain.whole and not self.problems

    @property
    def first_problem(self) -> RecordProblem | None:
        return self.problems[0] if self.problems else None

    def describe(self) -> list[Msg]:
        """The chain's state, then the records' (the first that no longer matches, or how many were
        checked), then the imports checked by their row counts only: one message a line."""
        lines = [self.chain.describe()]
        if self.problems:
            more = len(self.problems) - 1
            lines.append(Msg("First record that no longer matches the ledger: {problem}.", problem=self.problems[0].describe())
                         if not more else
                         Msg("First record that no longer matches the ledger: {problem} (and {more} more).",
                             problem=self.problems[0].describe(), more=more))
        else:
            lines.append(Msg("Records match the ledger: {checked} checked.", checked=self.records_checked))
        if self.counted_only:
            lines.append(Msg("{count} import(s) made before row digests: their row counts are checked.",
                             count=self.counted_only))
        lines.extend(self.erasures)
        return lines


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
