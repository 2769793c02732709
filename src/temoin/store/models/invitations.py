"""Invitations to a role in a contract: a single-use, expiring link the payer sends to a person.

Only the SHA-256 digest of the link's token is stored (the token itself is shown once, to the
payer, and sent by e-mail). An invitation is accepted once (``accepted_at``) or withdrawn by the
payer before (``withdrawn_at``); the first refused use of an expired, used or withdrawn link is noted (``refused_at``) so that it reaches the audit ledger once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class InvitationRow(Base):
    __tablename__ = "gov_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column()
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    accepted_by: Mapped[str | None] = mapped_column(String(80), default=None, doc="User name of the account.")
    person_id: Mapped[str | None] = mapped_column(String(80), default=None, doc="The person given the role.")
    refused_at: Mapped[dt.datetime | None] = mapped_column(default=None, doc="First refused use (expired, used, "
                                                            "withdrawn).")
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(default=None, doc="Withdrawn by the payer before use.")
