"""Research-extract requests: a researcher asks for an extract of a contract's data (purpose and
fields), the contract's payer agrees or refuses with a reason, and the extract, once made
k-anonymous, is kept here for its requester alone to download (the ledger holds its digest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class ExtractRequestRow(Base):
    __tablename__ = "research_extract_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("web_accounts.id"), index=True, doc="The requester's account.")
    requester: Mapped[str] = mapped_column(String(80), doc="User name of the requester.")
    purpose: Mapped[str] = mapped_column(Text)
    fields: Mapped[str] = mapped_column(Text, doc="JSON list of the columns asked for.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decision: Mapped[str | None] = mapped_column(String(10), default=None, doc="agreed or refused.")
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    made_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    k: Mapped[int | None] = mapped_column(Integer, default=None)
    sha256: Mapped[str | None] = mapped_column(String(64), default=None, doc="SHA-256 of the extract's CSV.")
    extract_csv: Mapped[str | None] = mapped_column(Text, default=None)
    codebook_csv: Mapped[str | None] = mapped_column(Text, default=None)
    readme: Mapped[str | None] = mapped_column(Text, default=None)
