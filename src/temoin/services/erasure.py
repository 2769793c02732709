"""Erasing personal data while the audit trail stays honest.

An erasure (at the end of a retention period, or on a person's request) deletes the people's rows
from every table that holds them — participants, outcomes, withdrawals, rectifications, their place
in an enrolment batch (the batch keeps only each place's stratum or cluster and a digest) — and cuts
the link of their rights requests, in one transaction with its ledger entry. The database's guards
refuse such deletes unless the erasure first names the people in ``rgpd_erasure_permits`` (emptied
before it commits). The entry (``rgpd.erased``) holds the date, the rule, the counts and the digests
of what remains (per batch touched, its arms and its member list with the erased places as ``null``),
never a pseudonym: ``temoin audit verify`` checks the remaining records against it
and names it. Aggregates already published (evaluation results, settlements) are not recomputed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Engine, delete, func, select, update
from sqlalchemy.orm import Session

from temoin.contract.data_protection import ErasureRule, RetentionEnd, retention_end
from temoin.evaluation.randomisation import assignment_hash
from temoin.governance.ledger import LedgerEvent, rows_digest
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.cohorts import (
    batch_member_lines,
    batch_members,
    members_digest,
    participant_lines,
    wave_lines,
)
from temoin.store.contracts import ContractRepository
from temoin.store.models.cohorts import (
    EnrolmentBatchMemberRow,
    EnrolmentBatchRow,
    OutcomeRow,
    ParticipantRow,
)
from temoin.store.models.ledger import LedgerRow
from temoin.store.models.rgpd import (
    ErasurePermitRow,
    RectificationRow,
    RightsRequestRow,
    WithdrawalRow,
)
from temoin.store.rgpd import rectification_lines, withdrawal_lines

__all__ = ["Erased", "RetentionDue", "apply_retention", "erase_person", "erase_rows", "erasures"]

PERSONAL_TABLES = ("cohort_participants", "cohort_outcomes", "rgpd_withdrawals", "rgpd_rectifications", "cohort_batch_members")
"""The tables holding a person's rows, erased together."""


@dataclass(frozen=True)
class Erased:
    contract_id: str
    rule: ErasureRule
    erased_on: dt.date
    people: int
    rows: dict[str, int]
    """Rows deleted, per table."""
    ledger_seq: int


def _assignment_digests(s: Session, contract_id: str, batches: set[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    randomised = s.execute(select(func.count()).select_from(LedgerRow).where(
        LedgerRow.contract_id == contract_id, LedgerRow.event == LedgerEvent.COHORT_RANDOMISED.value)).scalar_one()
    if not randomised:
        return out
    rows = list(s.execute(select(ParticipantRow.pkey, ParticipantRow.arm, ParticipantRow.batch)
                          .where(ParticipantRow.contract_id == contract_id, ParticipantRow.arm.is_not(None))))
    out["list_hash"] = assignment_hash([k for k, _, _ in rows], [int(a or 0) for _, a, _ in rows])
    if batches:
        out["batches"] = {str(b): assignment_hash([k for k, _, bb in rows if bb == b], [int(a or 0) for _, a, bb in rows if bb == b])
                          for b in sorted(batches)}
        labels = {n: lab for n, lab in s.execute(select(EnrolmentBatchRow.number, EnrolmentBatchRow.labels).where(
            EnrolmentBatchRow.contract_id == contract_id, EnrolmentBatchRow.number.in_(batches)))}
        out["batch_members"] = {str(b): members_digest(batch_member_lines(json.loads(labels[b]), batch_members(s, contract_id, b)))
                                for b in sorted(batches)}
    return out


def _deleted(s: Session, statement: Delete) -> int:
    return int(cast(CursorResult[Any], s.execute(statement)).rowcount)


def erase_rows(s: Session, contract_id: str, participant_ids: Sequence[int], *, rule: ErasureRule, on: dt.date,
               actor: str, outcomes_only: bool = False) -> Erased:
    """Inside the caller's transaction: delete these participants' rows (or only their outcomes) and
    write the erasure's ledger entry with the digests of what remains."""
    ledger.serialise(s)
    ids = sorted(set(participant_ids))
    waves = {w: n for w, n in s.execute(
        select(OutcomeRow.wave, func.count()).where(OutcomeRow.participant_id.in_(ids)).group_by(OutcomeRow.wave))} if ids else {}
    batches = {int(b or 0) for (b,) in s.execute(select(ParticipantRow.batch).where(
        ParticipantRow.id.in_(ids), ParticipantRow.batch.is_not(None)))} if ids and not outcomes_only else set()
    s.add_all([ErasurePermitRow(participant_id=i) for i in ids])
    s.flush()
    rows: dict[str, int] = {t: 0 for t in PERSONAL_TABLES}
    if ids:
        rows["cohort_outcomes"] = _deleted(s, delete(OutcomeRow).where(OutcomeRow.participant_id.in_(ids)))
        if not outcomes_only:
            rows["rgpd_withdrawals"] = _deleted(s, delete(WithdrawalRow).where(WithdrawalRow.participant_id.in_(ids)))
            rows["rgpd_rectifications"] = _deleted(s, delete(RectificationRow).where(RectificationRow.participant_id.in_(ids)))
            s.execute(update(RightsRequestRow).where(RightsRequestRow.participant_id.in_(ids)).values(participant_id=None))
            rows["cohort_batch_members"] = _deleted(s, delete(EnrolmentBatchMemberRow).where(
                EnrolmentBatchMemberRow.participant_id.in_(ids)))
            rows["cohort_participants"] = _deleted(s, delete(ParticipantRow).where(ParticipantRow.id.in_(ids)))
    s.execute(delete(ErasurePermitRow))
    payload: dict[str, Any] = {
        "erased_on": on.isoformat(), "erasure_rule": rule.value, "people": 0 if outcomes_only else len(ids), "rows": rows,
        "outcomes": waves, "waves": {w: rows_digest(wave_lines(s, contract_id, w)) for w in sorted(waves)},
    }
    if not outcomes_only:
        payload |= {"cohort_sha256": rows_digest(participant_lines(s, contract_id)),
                    "withdrawals_sha256": rows_digest(withdrawal_lines(s, contract_id)),
                    "rectifications_sha256": rows_digest(rectification_lines(s, contract_id)),
                    **_assignment_digests(s, contract_id, batches)}
    entry = ledger.append(s, actor=actor, event=LedgerEvent.PERSONAL_DATA_ERASED, contract_id=contract_id, payload=payload)
    return Erased(contract_id, rule, on, int(payload["people"]), rows, entry.seq)


def erase_person(engine: Engine, contract_id: str, identifier: str, *, rule: ErasureRule, settings: Settings,
                 actor: str = "cli", today: dt.date | None = None) -> Erased:
    """Erase one person, found by their identifier, from every table (one transaction, one entry)."""
    from temoin.services.rights import find_participant

    with session_scope(engine) as s:
        p = find_participant(s, contract_id, identifier, settings=settings)
        return erase_rows(s, contract_id, [p.id], rule=rule, on=today or dt.date.today(), actor=actor)


@dataclass(frozen=True)
class RetentionDue:
    """One retention period of a contract, its end, and what was done on the day it was applied."""

    kind: str
    """``participants``, ``outcomes`` or ``research_extracts``."""
    ends_on: dt.date
    at_end: RetentionEnd
    ended: bool
    erased: Erased | None = None
    to_review: int = 0
    """Rows the data protection officer must decide on (``review``), or extracts to ask back."""
    notes: list[str] = field(default_factory=list)


def apply_retention(engine: Engine, contract_id: str, *, as_of: dt.date | None = None, actor: str = "cli") -> list[RetentionDue]:
    """Apply the contract's retention periods on ``as_of`` (today if None): a period ended with
    ``erase`` erases its data (outcomes alone, or every participant with everything theirs); one
    ended with ``review`` counts what the data protection officer must decide on."""
    today = as_of or dt.date.today()
    out: list[RetentionDue] = []
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        dp = contract.data_protection
        if dp is None:
            return out
        for kind, retention, rule in (("outcomes", dp.outcomes, ErasureRule.RETENTION_OUTCOMES),
                                      ("participants", dp.participants, ErasureRule.RETENTION_PARTICIPANTS)):
            if retention is None:
                continue
            ends = retention_end(contract.end_date, retention)
            ended = today > ends
            ids = [i for (i,) in s.execute(select(ParticipantRow.id).where(ParticipantRow.contract_id == contract_id))]
            if kind == "outcomes":
                ids = sorted({i for (i,) in s.execute(select(OutcomeRow.participant_id).where(OutcomeRow.contract_id == contract_id))})
            if not ended or not ids:
                out.append(RetentionDue(kind, ends, retention.at_end, ended))
            elif retention.at_end is RetentionEnd.REVIEW:
                out.append(RetentionDue(kind, ends, retention.at_end, ended, to_review=len(ids)))
            else:
                done = erase_rows(s, contract_id, ids, rule=rule, on=today, actor=actor, outcomes_only=kind == "outcomes")
                out.append(RetentionDue(kind, ends, retention.at_end, ended, erased=done))
        if dp.research_extracts is not None:
            ends = retention_end(contract.end_date, dp.research_extracts)
            extracts = s.execute(select(func.count()).select_from(LedgerRow).where(
                LedgerRow.contract_id == contract_id, LedgerRow.event == LedgerEvent.OPENDATA_RESEARCH_EXTRACT.value)).scalar_one()
            out.append(RetentionDue("research_extracts", ends, dp.research_extracts.at_end, today > ends,
                                    to_review=int(extracts) if today > ends else 0))
    return out


def erasures(session: Session, contract_id: str) -> list[tuple[dt.date, ErasureRule, int]]:
    """The contract's erasures, oldest first: (date, rule, people)."""
    q = select(LedgerRow.payload).where(LedgerRow.contract_id == contract_id,
                                        LedgerRow.event == LedgerEvent.PERSONAL_DATA_ERASED.value).order_by(LedgerRow.seq)
    out = []
    for (payload,) in session.execute(q):
        data = json.loads(payload)
        out.append((dt.date.fromisoformat(data["erased_on"]), ErasureRule(data["erasure_rule"]), int(data.get("people") or 0)))
    return out
