"""Repository for data protection: withdrawals, rectifications, rights requests, and the lines the
ledger's digests are taken over (pseudonymous keys and dates only; the ledger keeps their hash)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from temoin.store.models.cohorts import ParticipantRow
from temoin.store.models.rgpd import RectificationRow, RightsRequestRow, WithdrawalRow

__all__ = ["latest_attributes", "rectification_lines", "requests", "research_consents", "withdrawal_lines", "withdrawals"]


class Withdrawal(NamedTuple):
    participant_id: int
    withdrawn_on: dt.date


def withdrawals(session: Session, contract_id: str) -> dict[int, dt.date]:
    """When each participant of the contract who withdrew their consent did so, by participant id."""
    q = select(WithdrawalRow.participant_id, WithdrawalRow.withdrawn_on).where(WithdrawalRow.contract_id == contract_id)
    return {pid: on for pid, on in session.execute(q)}


def research_consents(session: Session, contract_id: str) -> dict[int, bool]:
    """The consent to research reuse of the participants whose file recorded it, by participant id."""
    q = select(ParticipantRow.id, ParticipantRow.consent_research).where(
        ParticipantRow.contract_id == contract_id, ParticipantRow.consent_research.is_not(None))
    return {pid: bool(c) for pid, c in session.execute(q)}


def withdrawal_lines(session: Session, contract_id: str) -> list[str]:
    """``pkey|date`` per withdrawal, sorted: what the ledger's ``withdrawals_sha256`` is taken over."""
    q = (select(ParticipantRow.pkey, WithdrawalRow.withdrawn_on)
         .join(ParticipantRow, ParticipantRow.id == WithdrawalRow.participant_id)
         .where(WithdrawalRow.contract_id == contract_id))
    return sorted(f"{pkey}|{on.isoformat()}" for pkey, on in session.execute(q))


def rectification_lines(session: Session, contract_id: str) -> list[str]:
    """``pkey|attributes|reason`` per rectification, sorted: what ``rectifications_sha256`` is taken over."""
    q = (select(ParticipantRow.pkey, RectificationRow.attributes, RectificationRow.reason)
         .join(ParticipantRow, ParticipantRow.id == RectificationRow.participant_id)
         .where(RectificationRow.contract_id == contract_id))
    return sorted(f"{pkey}|{attrs}|{reason}" for pkey, attrs, reason in session.execute(q))


def latest_attributes(session: Session, contract_id: str) -> dict[int, str]:
    """Each rectified participant's attributes as last corrected (canonical JSON), by participant id."""
    q = (select(RectificationRow.participant_id, RectificationRow.attributes)
         .where(RectificationRow.contract_id == contract_id).order_by(RectificationRow.id))
    return {pid: attrs for pid, attrs in session.execute(q)}


def requests(session: Session, contract_id: str | None = None) -> list[RightsRequestRow]:
    q = select(RightsRequestRow).order_by(RightsRequestRow.due_on, RightsRequestRow.id)
    if contract_id is not None:
        q = q.where(RightsRequestRow.contract_id == contract_id)
    return list(session.execute(q).scalars())
