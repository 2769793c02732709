"""The append-only audit ledger (UPDATE and DELETE are refused by database triggers)."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base


class LedgerRow(Base):
    __tablename__ = "audit_ledger"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40), doc="UTC time, ISO 8601, as hashed.")
    actor: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100), index=True)
    contract_id: Mapped[str | None] = mapped_column(String(80), index=True)
    payload: Mapped[str] = mapped_column(Text, doc="Canonical JSON, as hashed.")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
