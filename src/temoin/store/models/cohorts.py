"""Cohorts: pseudonymous participants, follow-up outcomes, randomisations, plan locks, results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class ParticipantRow(Base):
    """One referred person: no name, no operator identifier, only the keyed HMAC ``pkey``."""

    __tablename__ = "cohort_participants"
    __table_args__ = (UniqueConstraint("contract_id", "pkey"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    pkey: Mapped[str] = mapped_column(String(64))
    referral_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    referral_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attributes: Mapped[str] = mapped_column(Text, doc="Baseline attributes as canonical JSON.")
    eligible: Mapped[bool] = mapped_column(Boolean)
    consent: Mapped[bool] = mapped_column(Boolean)
    enrolled: Mapped[bool] = mapped_column(Boolean)
    enrolment_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    arm: Mapped[int | None] = mapped_column(Integer, nullable=True)
    batch: Mapped[int | None] = mapped_column(Integer, nullable=True,
                                              doc="Number of the enrolment batch that randomised this person (rolling enrolment).")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, doc="When the consent was given.")
    consent_research: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True, doc="Consent to the reuse of the data for research (None: not recorded).")
    consent_guardian: Mapped[bool | None] = mapped_column(
        Boolean, nullable=True, doc="For a minor: the holder of parental authority consented (None: not recorded).")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutcomeRow(Base):
    """One participant at one follow-up wave: the values of the indicators measured."""

    __tablename__ = "cohort_outcomes"
    __table_args__ = (UniqueConstraint("participant_id", "wave"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("cohort_participants.id"), index=True)
    wave: Mapped[str] = mapped_column(String(80))
    values: Mapped[str] = mapped_column(Text, doc="Indicator values as JSON.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RandomisationRow(Base):
    __tablename__ = "cohort_randomisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(300))
    seed: Mapped[str] = mapped_column(String(80), doc="SeedSequence entropy (a big integer, as text).")
    ratio: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    n_treated: Mapped[int] = mapped_column(Integer)
    list_hash: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EnrolmentBatchRow(Base):
    """One batch of a rolling enrolment, randomised as it joined: who, by what draw, and the state it left.

    Append-only (by trigger): a batch, like the assignments it made, never changes."""

    __tablename__ = "cohort_batches"
    __table_args__ = (UniqueConstraint("contract_id", "number", name="uq_cohort_batches_contract_id_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, doc="1 for the first batch, then one more for each.")
    contract_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(300))
    seed: Mapped[str] = mapped_column(String(80), doc="SeedSequence entropy (a big integer, as text).")
    ratio: Mapped[float] = mapped_column(Float)
    block_size: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    n_treated: Mapped[int] = mapped_column(Integer)
    list_hash: Mapped[str] = mapped_column(String(64))
    labels: Mapped[str] = mapped_column(Text, doc="Each position's stratum or cluster (null under simple randomisation), "
                                                "in the draw's order (members sorted by key), as canonical JSON: no "
                                                "identifier, so an erased member's place is still drawn on replay.")
    members_sha256: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the member list as drawn (each member's "
                                                                "key and label, one JSON line per position).")
    state: Mapped[str] = mapped_column(Text, doc="The open blocks and cluster arms left for the next batch (JSON).")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EnrolmentBatchMemberRow(Base):
    """A member of an enrolment batch: their place in the draw (members sorted by key) and their
    participant row. Holds no pseudonym: the key is the participant's. Append-only; deleted only by
    an erasure of that participant (the erasure permits, as for their other rows)."""

    __tablename__ = "cohort_batch_members"
    __table_args__ = (UniqueConstraint("contract_id", "batch", "position", name="uq_cohort_batch_members_contract_id_batch_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    batch: Mapped[int] = mapped_column(Integer, doc="The batch's number.")
    position: Mapped[int] = mapped_column(Integer, doc="0 for the first key in sorted order, and so on.")
    participant_id: Mapped[int] = mapped_column(ForeignKey("cohort_participants.id"), unique=True)


class PlanLockRow(Base):
    """A lock of the analysis plan (kind 'lock') or a later amendment (kind 'amendment')."""

    __tablename__ = "plan_locks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    plan_hash: Mapped[str] = mapped_column(String(64))
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    plan: Mapped[str] = mapped_column(Text, doc="The plan document as canonical JSON.")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    changes: Mapped[str] = mapped_column(Text, default="[]")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EvaluationResultRow(Base):
    """One indicator at one wave from one evaluation run (an ``ImpactResult`` as JSON)."""

    __tablename__ = "evaluation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    run_id: Mapped[str] = mapped_column(String(32), index=True)
    contract_version: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(80))
    wave: Mapped[str] = mapped_column(String(80))
    result: Mapped[str] = mapped_column(Text)
    result_hash: Mapped[str] = mapped_column(String(64))
    diagnostics: Mapped[str] = mapped_column(Text, default="{}")
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
