"""Background jobs: long work (a risk simulation, a report) asked for from a page and run by the
web server's worker threads, kept in the same database as everything else (see :mod:`temoin.store.jobs`).

A job may be given a file (an upload imported by a job), kept with its SHA-256 until the job ends.
A job is queued, then claimed by one worker (``running``), then ``done`` with its result (JSON, or a
file kept here with its SHA-256) or ``failed`` with its error, stored as a message (identifier and
values, never prose) so that each reader reads it in their own language.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), doc="What to run: a kind registered in temoin.services.jobs.")
    contract_id: Mapped[str | None] = mapped_column(ForeignKey("contracts.id"), index=True, default=None)
    arguments: Mapped[str] = mapped_column(Text, doc="The kind's arguments, as JSON.")
    requested_by: Mapped[str] = mapped_column(String(200), doc="Who asked (the ledger's actor form).")
    status: Mapped[str] = mapped_column(String(10), index=True, doc="queued, running, done or failed.")
    progress: Mapped[float] = mapped_column(Float, default=0.0, doc="Share of the work done, 0 to 1.")
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Times a worker claimed it.")
    worker: Mapped[str | None] = mapped_column(String(120), default=None, doc="The worker that claimed it last.")
    result: Mapped[str | None] = mapped_column(Text, default=None, doc="The result, as JSON.")
    file_name: Mapped[str | None] = mapped_column(String(200), default=None)
    file_type: Mapped[str | None] = mapped_column(String(80), default=None, doc="Media type of the file.")
    file_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    input_name: Mapped[str | None] = mapped_column(String(200), default=None, doc="Name of the file given to the job.")
    input_sha256: Mapped[str | None] = mapped_column(String(64), default=None, doc="SHA-256 of the file given (kept).")
    input_data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True,
                                                     doc="The file given (an upload to import); emptied once the job ends.")
    error: Mapped[str | None] = mapped_column(Text, default=None, doc="The error, as JSON (a message and its hint).")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(default=None, doc="Last sign of life of its worker.")
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
