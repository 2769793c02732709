"""The people behind the data: finding a person, consent withdrawal, and (see :mod:`temoin.services.requests`)
their rights requests.

A person is found by the identifier they give (their case number at the operator), turned into the
contract's pseudonym exactly as at import: Témoin never stores the identifier itself. Each change
owns its transaction and writes its ledger entry, which holds dates, counts and digests, never a
pseudonym nor a value about the person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.pseudonym import pseudonymise
from temoin.governance.ledger import LedgerEvent, rows_digest
from temoin.messages import Msg
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.models.cohorts import ParticipantRow
from temoin.store.models.rgpd import WithdrawalRow
from temoin.store.rgpd import withdrawal_lines, withdrawals

__all__ = ["Withdrawn", "find_participant", "record_withdrawal", "withdrawn_people"]


def find_participant(session: Session, contract_id: str, identifier: str, *, settings: Settings) -> ParticipantRow:
    """The participant whose identifier (as the person or the operator gives it) is ``identifier``."""
    ContractRepository(session).latest(contract_id)  # an unknown contract is said as such
    ident = (identifier or "").strip()
    if not ident:
        raise InvalidInputError("rgpd.identifier_missing", Msg("Give the person's identifier (their case number)."),
                                path="identifier")
    pkey = pseudonymise(ident, contract_id, master=settings.pseudonym_master)
    row = session.execute(select(ParticipantRow).where(ParticipantRow.contract_id == contract_id,
                                                       ParticipantRow.pkey == pkey)).scalar_one_or_none()
    if row is None:
        raise NotFoundError("rgpd.unknown_person",
                            Msg("No participant of {contract} has this identifier.", contract=contract_id),
                            path="identifier",
                            hint=Msg("Check the case number as it was written in the participant file "
                                     "(the person may also have been erased)."))
    return row


@dataclass(frozen=True)
class Withdrawn:
    contract_id: str
    withdrawn_on: dt.date
    withdrawals: int
    """How many people of the contract have withdrawn, this one included."""


def record_withdrawal(engine: Engine, contract_id: str, identifier: str, withdrawn_on: dt.date, *,
                      settings: Settings, actor: str = "cli", today: dt.date | None = None) -> Withdrawn:
    """Record that a participant withdrew their consent on ``withdrawn_on``: from then on no outcome of
    theirs is imported, research extracts leave them out, and the evaluation counts them as withdrawn."""
    today = today or dt.date.today()
    if withdrawn_on > today:
        raise InvalidInputError("rgpd.withdrawal_in_future",
                                Msg("The withdrawal date {date} is in the future.", date=withdrawn_on),
                                path="withdrawn_on", hint=Msg("Give the date the person withdrew their consent."))
    with session_scope(engine) as s:
        ledger.serialise(s)
        p = find_participant(s, contract_id, identifier, settings=settings)
        earlier = withdrawals(s, contract_id)
        if p.id in earlier:
            raise ConflictError("rgpd.already_withdrawn",
                                Msg("This person's withdrawal is already recorded (on {date}).", date=earlier[p.id]),
                                path="identifier")
        start = p.consent_date or p.referral_date
        if start is not None and withdrawn_on < start:
            raise InvalidInputError("rgpd.withdrawal_before_consent",
                                    Msg("The withdrawal date {date} is before the consent ({start}).",
                                        date=withdrawn_on, start=start), path="withdrawn_on")
        s.add(WithdrawalRow(contract_id=contract_id, participant_id=p.id, withdrawn_on=withdrawn_on, actor=actor))
        s.flush()
        n = len(earlier) + 1
        ledger.append(s, actor=actor, event=LedgerEvent.CONSENT_WITHDRAWN, contract_id=contract_id,
                      payload={"withdrawn_on": withdrawn_on.isoformat(), "withdrawals": n,
                               "withdrawals_sha256": rows_digest(withdrawal_lines(s, contract_id))})
    return Withdrawn(contract_id, withdrawn_on, n)


def withdrawn_people(session: Session, contract_id: str) -> dict[int, dt.date]:
    """The contract's withdrawals: date by participant id."""
    return withdrawals(session, contract_id)
