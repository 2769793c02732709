"""Data protection: consent withdrawals, rectifications, rights requests, and erasure permits.

A withdrawal and a rectification are rows of their own (a participant's row never changes once
followed): the participant's latest rectification is what the evaluation reads, the older values
stay. A rights request keeps its dates and answer; its link to the person (``participant_id``) is
cut when the person is erased. An erasure permit lives only inside the erasure's transaction: the
guards that refuse deleting a participant or an outcome let through only the rows it names.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class WithdrawalRow(Base):
    """A participant's consent withdrawn, on a date: no outcome is collected after it."""

    __tablename__ = "rgpd_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("cohort_participants.id"), unique=True)
    withdrawn_on: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RectificationRow(Base):
    """A new version of a participant's baseline attributes (the previous one stays stored)."""

    __tablename__ = "rgpd_rectifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("cohort_participants.id"), index=True)
    attributes: Mapped[str] = mapped_column(Text, doc="The whole set of attributes after the correction, canonical JSON.")
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RightsRequestRow(Base):
    """A request by a person about their data (access, rectification, erasure, objection) and its answer."""

    __tablename__ = "rgpd_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort_participants.id"), nullable=True, index=True,
        doc="The person concerned; emptied when the person is erased.")
    kind: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date, doc="The legal deadline: one month after receipt.")
    answered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ErasurePermitRow(Base):
    """The participants an erasure in progress may delete (written and removed in its transaction)."""

    __tablename__ = "rgpd_erasure_permits"

    participant_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


__all__ = ["ErasurePermitRow", "RectificationRow", "RightsRequestRow", "WithdrawalRow"]
