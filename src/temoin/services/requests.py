"""Rights requests: access, rectification, erasure, objection — each logged with its legal deadline.

The operator records a request the day it arrives (the deadline is one month later, GDPR art. 12-3)
and answers it: an access request with the export of everything held on the person's pseudonym
(:func:`access_export`), a rectification with a new version of the person's attributes (the old
one stays, and the ledger keeps the digest of every version), an erasure or objection by erasing the
person (where the law allows: the operator states the grounds when refusing). Each request and each
answer is a ledger entry with its dates and kind, never the person's pseudonym.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.contract.data_protection import ErasureRule, RequestKind, RequestOutcome, answer_due
from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.cohort_file import CohortFileError, check_participants
from temoin.evaluation.plan import canonical_json
from temoin.governance.ledger import LedgerEvent, rows_digest
from temoin.messages import Msg
from temoin.services.erasure import erase_rows
from temoin.services.rights import find_participant
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.models.cohorts import OutcomeRow
from temoin.store.models.rgpd import RectificationRow, RightsRequestRow, WithdrawalRow
from temoin.store.rgpd import rectification_lines, requests

__all__ = ["AccessExport", "RequestView", "access_export", "answer_request", "list_requests", "receive_request",
           "rectify"]


@dataclass(frozen=True)
class RequestView:
    id: int
    contract_id: str
    kind: RequestKind
    received_on: dt.date
    due_on: dt.date
    answered_on: dt.date | None
    outcome: RequestOutcome | None
    answer: str | None
    person_erased: bool

    def late(self, today: dt.date) -> bool:
        return (self.answered_on or today) > self.due_on


def _view(r: RightsRequestRow) -> RequestView:
    return RequestView(r.id, r.contract_id, RequestKind(r.kind), r.received_on, r.due_on, r.answered_on,
                       RequestOutcome(r.outcome) if r.outcome else None, r.answer, r.participant_id is None)


def receive_request(engine: Engine, contract_id: str, identifier: str, kind: RequestKind, received_on: dt.date, *,
                    settings: Settings, actor: str = "cli", today: dt.date | None = None) -> RequestView:
    """Log a request the day it is received; its deadline is one month later."""
    if received_on > (today or dt.date.today()):
        raise InvalidInputError("rgpd.request_in_future", Msg("The date of receipt {date} is in the future.", date=received_on),
                                path="received_on")
    with session_scope(engine) as s:
        p = find_participant(s, contract_id, identifier, settings=settings)
        row = RightsRequestRow(contract_id=contract_id, participant_id=p.id, kind=RequestKind(kind).value,
                               received_on=received_on, due_on=answer_due(received_on), actor=actor)
        s.add(row)
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.RIGHTS_REQUEST_RECEIVED, contract_id=contract_id,
                      payload={"request": row.id, "request_kind": row.kind, "received_on": received_on.isoformat(),
                               "due_on": row.due_on.isoformat()})
        return _view(row)


def list_requests(engine: Engine, contract_id: str) -> list[RequestView]:
    """The contract's requests, the open ones first by deadline, then the answered ones."""
    with session_scope(engine) as s:
        rows = [_view(r) for r in requests(s, contract_id)]
    return sorted(rows, key=lambda r: (r.answered_on is not None, r.due_on, r.id))


def _request(s: Session, request_id: int) -> RightsRequestRow:
    row = s.get(RightsRequestRow, request_id)
    if row is None:
        raise NotFoundError("rgpd.unknown_request", Msg("No request number {id}.", id=request_id), path="request")
    return row


def answer_request(engine: Engine, request_id: int, outcome: RequestOutcome, *, answer: str = "", actor: str = "cli",
                   today: dt.date | None = None) -> RequestView:
    """Close a request. An erasure or objection answered ``done`` erases the person, in the same
    transaction; a refusal must state its grounds."""
    on = today or dt.date.today()
    with session_scope(engine) as s:
        row = _request(s, request_id)
        if row.answered_on is not None:
            raise ConflictError("rgpd.request_answered", Msg("Request {id} was already answered on {date}.",
                                                              id=request_id, date=row.answered_on), path="request")
        if outcome is RequestOutcome.REFUSED and not answer.strip():
            raise InvalidInputError("rgpd.refusal_without_grounds", Msg("A refusal must state its grounds."), path="answer",
                                    hint=Msg("Say which exception of the GDPR applies (e.g. art. 17-3-b or 17-3-d)."))
        kind = RequestKind(row.kind)
        erased = None
        if outcome is RequestOutcome.DONE and kind in (RequestKind.ERASURE, RequestKind.OBJECTION):
            if row.participant_id is None:
                raise ConflictError("rgpd.already_erased", Msg("This person's data were already erased."), path="request")
            rule = ErasureRule.ERASURE_REQUEST if kind is RequestKind.ERASURE else ErasureRule.OBJECTION
            erased = erase_rows(s, row.contract_id, [row.participant_id], rule=rule, on=on, actor=actor)
            s.refresh(row)
        row.answered_on, row.outcome, row.answer = on, outcome.value, answer.strip() or None
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.RIGHTS_REQUEST_ANSWERED, contract_id=row.contract_id,
                      payload={"request": row.id, "request_kind": row.kind, "answer": outcome.value, "answered_on": on.isoformat(),
                               "due_on": row.due_on.isoformat(), "late": on > row.due_on,
                               "erasure_entry": None if erased is None else erased.ledger_seq})
        return _view(row)


def rectify(engine: Engine, contract_id: str, identifier: str, changes: dict[str, str], *, reason: str,
            settings: Settings, actor: str = "cli") -> dict[str, Any]:
    """Record a corrected version of a person's baseline attributes; the previous version stays
    stored. The values are checked as in a participant file. Returns the new attributes."""
    if not reason.strip():
        raise InvalidInputError("rgpd.rectification_reason", Msg("A rectification must state its reason."), path="reason")
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        p = find_participant(s, contract_id, identifier, settings=settings)
        names = {a.name for a in contract.population.attributes}
        unknown = sorted(set(changes) - names)
        if unknown or not changes:
            raise InvalidInputError("rgpd.rectification_field", Msg("Only the population's attributes can be corrected: {names}.",
                                                                    names=", ".join(sorted(names))), path="changes")
        last = s.execute(select(RectificationRow.attributes).where(RectificationRow.participant_id == p.id)
                         .order_by(RectificationRow.id.desc()).limit(1)).scalar_one_or_none()
        current = json.loads(last or p.attributes)
        raw = {k: ("" if v is None else str(v)) for k, v in current.items()} | {k: str(v) for k, v in changes.items()}
        frame = pd.DataFrame([{"participant_id": "x", "consent": "oui" if p.consent else "non",
                               "enrolled": "oui" if p.enrolled else "non", **raw}])
        records, errors, _ = check_participants(frame, contract)
        if errors or not records:
            raise CohortFileError(errors)
        new = records[0].attributes
        s.add(RectificationRow(contract_id=contract_id, participant_id=p.id, attributes=canonical_json(new),
                               reason=reason.strip(), actor=actor))
        s.flush()
        lines = rectification_lines(s, contract_id)
        ledger.append(s, actor=actor, event=LedgerEvent.PARTICIPANT_RECTIFIED, contract_id=contract_id,
                      payload={"fields": sorted(changes), "rectifications": len(lines),
                               "rectifications_sha256": rows_digest(lines)})
    return new


@dataclass(frozen=True)
class AccessExport:
    """Everything Témoin holds on one person of one contract."""

    contract_id: str
    contract_title: dict[str, str]
    pseudonym: str
    participant: dict[str, Any]
    """Every stored column of the person's row (dates as dates, attributes as read)."""
    attributes: dict[str, Any]
    rectifications: list[dict[str, Any]]
    outcomes: list[dict[str, Any]]
    withdrawal: dt.date | None
    requests: list[RequestView]
    ledger_entries: int
    """Entries of the contract's ledger: they hold no data about the person (dates, counts, digests)."""


PARTICIPANT_FIELDS = ("referral_date", "referral_source", "eligible", "consent", "consent_date", "consent_research",
                      "consent_guardian", "enrolled", "enrolment_date", "arm", "batch", "synthetic", "created_at")


def access_export(engine: Engine, contract_id: str, identifier: str, *, settings: Settings) -> AccessExport:
    """Everything stored on the person's pseudonym, and nothing of anyone else."""
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
        p = find_participant(s, contract_id, identifier, settings=settings)
        participant = {f: getattr(p, f) for f in PARTICIPANT_FIELDS}
        rect = [{"at": r.created_at, "attributes": json.loads(r.attributes), "reason": r.reason}
                for r in s.execute(select(RectificationRow).where(RectificationRow.participant_id == p.id)
                                   .order_by(RectificationRow.id)).scalars()]
        outcomes = [{"wave": o.wave, "values": json.loads(o.values), "at": o.created_at}
                    for o in s.execute(select(OutcomeRow).where(OutcomeRow.participant_id == p.id)
                                       .order_by(OutcomeRow.id)).scalars()]
        withdrawal = s.execute(select(WithdrawalRow.withdrawn_on).where(WithdrawalRow.participant_id == p.id)).scalar_one_or_none()
        reqs = [_view(r) for r in s.execute(select(RightsRequestRow).where(RightsRequestRow.participant_id == p.id)
                                            .order_by(RightsRequestRow.id)).scalars()]
        entries = len(ledger.entries(s, contract_id=contract_id))
        title = {"fr": stored.contract.title.fr, "en": stored.contract.title.en}
        return AccessExport(contract_id, title, p.pkey, participant, json.loads(p.attributes), rect, outcomes,
                            withdrawal, reqs, entries)
