"""The job queue's mechanics, on SQLite and PostgreSQL alike: add, claim, beat, finish, recover.

No library fits both databases (procrastinate and its kin are PostgreSQL only; the SQLAlchemy
queues found are young, keep their own tables outside the migrations, and know nothing of this
platform's messages): this is the small documented equivalent, one table (``jobs``).

- **Claim**: one job goes to one worker. PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` then the
  update, in one transaction (concurrent workers skip the row being claimed). SQLite: a conditional
  ``UPDATE … WHERE id = :id AND status = 'queued'``; SQLite runs one writer at a time, so of two
  workers that saw the same job the second updates no row and looks again.
- **Heartbeat**: a running job's worker writes ``heartbeat_at`` regularly (and with each progress).
- **Recovery**: a job ``running`` whose heartbeat is older than the stale delay belongs to a worker
  that died (a server stopped mid-job): it is queued again, or failed once it was claimed
  ``MAX_ATTEMPTS`` times (a job that kills its server is not retried for ever).

Each function runs in the caller's session (the services own the transactions).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from temoin.store.ledger import serialise
from temoin.store.models.jobs import JobRow

MAX_ATTEMPTS = 2
"""Claims of one job before a dead worker's job is failed rather than queued again."""


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def claim(session: Session, worker: str, now: dt.datetime) -> JobRow | None:
    """The oldest queued job, now running for ``worker``; None when none is queued."""
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(select(JobRow).where(JobRow.status == JobStatus.QUEUED.value).order_by(JobRow.id)
                              .limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
        if row is None:
            return None
        _mark_running(row, worker, now)
        session.flush()
        return row
    while True:
        found = session.execute(select(JobRow.id).where(JobRow.status == JobStatus.QUEUED.value)
                                .order_by(JobRow.id).limit(1)).scalar_one_or_none()
        if found is None:
            return None
        taken = session.execute(
            update(JobRow).where(JobRow.id == found, JobRow.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, worker=worker, started_at=now, heartbeat_at=now,
                    attempts=JobRow.attempts + 1, progress=0.0)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get(JobRow, found, populate_existing=True)
            assert row is not None
            return row
        # another worker took it between our look and our update: look again


def _mark_running(row: JobRow, worker: str, now: dt.datetime) -> None:
    row.status = JobStatus.RUNNING.value
    row.worker = worker
    row.started_at = row.heartbeat_at = now
    row.attempts += 1
    row.progress = 0.0


def beat(session: Session, job_id: int, worker: str, now: dt.datetime, progress: float | None = None,
         detail: str | None = None) -> bool:
    """Note that ``worker`` still runs the job (and its progress, and what it did so far as JSON in
    ``result`` until the end replaces it); False if the job is no longer its own (recovered as stale
    and claimed by another)."""
    values: dict[str, object] = {"heartbeat_at": now}
    if progress is not None:
        values["progress"] = min(max(progress, 0.0), 1.0)
    if detail is not None:
        values["result"] = detail
    done = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.worker == worker,
                                                JobRow.status == JobStatus.RUNNING.value).values(**values)
                           .execution_options(synchronize_session=False))
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def stale(session: Session, before: dt.datetime) -> list[JobRow]:
    """Jobs marked running whose worker gave no sign of life since ``before``."""
    q = select(JobRow).where(JobRow.status == JobStatus.RUNNING.value, JobRow.heartbeat_at < before)
    return list(session.execute(q.with_for_update() if session.get_bind().dialect.name == "postgresql" else q).scalars())


def of_contract(session: Session, contract_id: str, kinds: tuple[str, ...], limit: int) -> list[JobRow]:
    q = (select(JobRow).where(JobRow.contract_id == contract_id, JobRow.kind.in_(kinds))
         .order_by(JobRow.id.desc()).limit(limit))
    return list(session.execute(q).scalars())


def active_count(session: Session, requested_by: str) -> int:
    q = select(JobRow.id).where(JobRow.requested_by == requested_by, JobRow.status.in_(ACTIVE))
    return len(session.execute(q).all())


def active_of(session: Session, contract_id: str, kinds: tuple[str, ...]) -> JobRow | None:
    """The contract's oldest job of these kinds still queued or running, if any."""
    q = (select(JobRow).where(JobRow.contract_id == contract_id, JobRow.kind.in_(kinds), JobRow.status.in_(ACTIVE))
         .order_by(JobRow.id).limit(1))
    return session.execute(q).scalar_one_or_none()


def lock_contract(session: Session, contract_id: str) -> None:
    """Make the calling transaction the only one queuing jobs for this contract until it ends (a look
    for a job under way, then the new job, without another slipping in between). PostgreSQL: the
    contract's row ``FOR NO KEY UPDATE`` (an import inserting rows that refer to it is not waited
    for); SQLite: the database's write lock, taken now."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT id FROM contracts WHERE id = :id FOR NO KEY UPDATE"), {"id": contract_id})
    else:
        serialise(session)
