"""Contracts and their versions: a change makes a new version, the old one stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class ContractRow(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    latest_version: Mapped[int] = mapped_column(Integer)


class ContractVersionRow(Base):
    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title_fr: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    design: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    document: Mapped[str] = mapped_column(Text, doc="The contract as canonical YAML.")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class ContractSignatureRow(Base):
    """The payer's signature of one version: the contract is locked from then on (a change is an amendment)."""

    __tablename__ = "contract_signatures"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), doc="The signed version's content hash.")
    person_id: Mapped[str] = mapped_column(String(80), doc="The payer's person who signed.")
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signed_by: Mapped[str] = mapped_column(String(200))
