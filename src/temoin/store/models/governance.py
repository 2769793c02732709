"""Governance tables: people and roles, calls for projects, budget lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class PersonRow(Base):
    __tablename__ = "gov_people"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RoleAssignmentRow(Base):
    __tablename__ = "gov_role_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("gov_people.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CallRow(Base):
    __tablename__ = "gov_calls"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title_fr: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), default=None)
    min_civil_society_seats: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    # The decision (empty while the call is open).
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    selected: Mapped[str | None] = mapped_column(Text, default=None, doc="JSON list of application ids.")
    reasons_fr: Mapped[str | None] = mapped_column(Text, default=None)
    reasons_en: Mapped[str | None] = mapped_column(Text, default=None)
    # Drafted in the browser (migration 0012): stage, the payer's terms and timetable.
    stage: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    payer: Mapped[str | None] = mapped_column(String(80), default=None)
    owner: Mapped[str | None] = mapped_column(String(80), default=None, doc="Person id of the drafting account.")
    objectives: Mapped[str | None] = mapped_column(Text, default=None)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    consultation_start: Mapped[dt.date | None] = mapped_column(Date, default=None)
    consultation_end: Mapped[dt.date | None] = mapped_column(Date, default=None)
    applications_end: Mapped[dt.date | None] = mapped_column(Date, default=None)
    decision_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CriterionRow(Base):
    __tablename__ = "gov_call_criteria"
    __table_args__ = (UniqueConstraint("call_id", "criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    criterion: Mapped[str] = mapped_column(String(80))
    label_fr: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    weight: Mapped[Decimal] = mapped_column(Numeric(12, 4))


class CommitteeMemberRow(Base):
    __tablename__ = "gov_call_members"
    __table_args__ = (UniqueConstraint("call_id", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    person: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(80))
    seat: Mapped[str] = mapped_column(String(40))
    interests: Mapped[str] = mapped_column(Text, default="[]", doc="JSON list of organisation ids.")


class ApplicationRow(Base):
    __tablename__ = "gov_applications"
    __table_args__ = (UniqueConstraint("call_id", "application"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    application: Mapped[str] = mapped_column(String(80))
    organisation: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(200), default=None)
    summary: Mapped[str | None] = mapped_column(Text, default=None)


class CallCommentRow(Base):
    """A comment of the public consultation and the payer's answer (both published)."""

    __tablename__ = "gov_call_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    account: Mapped[str | None] = mapped_column(String(80), default=None, doc="User name, for a signed-in network.")
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sender_sha256: Mapped[str] = mapped_column(String(64), doc="Digest of the sender (account or address): the rate limit.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    answered_by: Mapped[str | None] = mapped_column(String(200), default=None)


class CallDocumentRow(Base):
    """A document of an application, kept with its SHA-256 (also in the ledger)."""

    __tablename__ = "gov_call_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    application: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(200))


class DeclarationRow(Base):
    __tablename__ = "gov_declarations"
    __table_args__ = (UniqueConstraint("call_id", "person", "application"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    person: Mapped[str] = mapped_column(String(200))
    application: Mapped[str] = mapped_column(String(80))
    conflict: Mapped[bool] = mapped_column(Boolean)
    nature: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ScoreRow(Base):
    __tablename__ = "gov_scores"
    __table_args__ = (UniqueConstraint("call_id", "person", "application", "criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("gov_calls.id"), index=True)
    person: Mapped[str] = mapped_column(String(200))
    application: Mapped[str] = mapped_column(String(80))
    criterion: Mapped[str] = mapped_column(String(80))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    scored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BudgetLineRow(Base):
    __tablename__ = "gov_budget_lines"
    __table_args__ = (UniqueConstraint("payer", "year", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payer: Mapped[str] = mapped_column(String(80), index=True)
    function: Mapped[str] = mapped_column(String(80))
    year: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(80))
    label_fr: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    mandatory: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    price_index: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source_sha256: Mapped[str] = mapped_column(String(64))


__all__ = [
    "ApplicationRow",
    "BudgetLineRow",
    "CallCommentRow",
    "CallDocumentRow",
    "CallRow",
    "CommitteeMemberRow",
    "CriterionRow",
    "DeclarationRow",
    "PersonRow",
    "RoleAssignmentRow",
    "ScoreRow",
]
