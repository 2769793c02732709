"""Settlement records and their approvals. Both are append-only: never updated, never deleted.

A correction is a new settlement whose ``supersedes_id`` names the one it replaces, with a
reason; the replaced one stays, and is shown as superseded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class SettlementRow(Base):
    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    contract_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_paid: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    final: Mapped[bool] = mapped_column(Boolean)
    inputs: Mapped[str] = mapped_column(Text, doc="JSON: the evaluation results (with their hashes) and claims used.")
    inputs_hash: Mapped[str] = mapped_column(String(64))
    outputs: Mapped[str] = mapped_column(Text, doc="JSON: the whole settlement (periods, caps, investors, public cost).")
    outputs_hash: Mapped[str] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), nullable=True, unique=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class SettlementApprovalRow(Base):
    __tablename__ = "settlement_approvals"
    __table_args__ = (UniqueConstraint("settlement_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    party_id: Mapped[str] = mapped_column(String(80))
    person: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
