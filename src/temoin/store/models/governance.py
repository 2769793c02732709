"""Governance tables: people and roles, calls for projects, budget lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
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
    "CallRow",
    "CommitteeMemberRow",
    "CriterionRow",
    "DeclarationRow",
    "PersonRow",
    "RoleAssignmentRow",
    "ScoreRow",
]
