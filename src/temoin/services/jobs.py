"""Background jobs: long work asked for from a page (a risk simulation, a report), queued in the
database and run by worker threads, so that no page waits for it.

- :func:`submit` queues a job of a known kind (its arguments checked first by the caller, so that a
  wrong form is answered on the page at once).
- :func:`run_next` is what a worker does: claim the oldest queued job (:mod:`temoin.store.jobs`,
  one worker per job on SQLite and PostgreSQL), run its kind's function outside any transaction
  while a heartbeat and the progress are written, then keep its result (JSON, or a file with its
  SHA-256) or its error (a message, read later in each reader's language).
- :func:`recover` queues again (or fails) the jobs a dead server left running.

A kind is a function ``(engine, settings, arguments, progress) -> JobOutput`` (the arguments hold
the job's ``contract_id``) in a mapping given to
:func:`run_next` (the platform's own: :data:`temoin.services.job_kinds.KINDS`). A kind that changes
state calls the service function that owns that change's transaction and ledger entry, with the
job's requester as the actor; kinds that only read (simulations, reports) write no ledger entry, as
the same reads do from the command line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, update

from temoin.errors import ConflictError, NotFoundError, TemoinError
from temoin.evaluation.cohort_file import CohortFileError, RowError
from temoin.messages import Msg
from temoin.settings import Settings
from temoin.store import jobs as queue
from temoin.store import session_scope
from temoin.store.jobs import JobStatus
from temoin.store.models.jobs import JobRow

__all__ = ["JobOutput", "JobStatus", "JobView", "Kind", "get_job", "job_file", "job_input", "list_jobs", "recover",
           "run_next", "submit", "unknown_job"]

log = logging.getLogger("temoin.jobs")

HEARTBEAT_SECONDS = 5.0
"""A running job's worker writes a sign of life this often."""
STALE_AFTER = dt.timedelta(seconds=60)
"""A running job without a sign of life for this long was left by a server that stopped."""
PROGRESS_EVERY = 0.5
"""Progress is written at most this often (seconds), and always at the end."""
MAX_ACTIVE_PER_PERSON = 3
"""Jobs one person may have queued or running at once."""
MAX_ROWS_KEPT = 1_000
"""Problems of a refused file kept with its job (every one is counted)."""


@dataclass(frozen=True)
class JobOutput:
    """What a job made: a result (JSON-ready) and/or a file."""

    result: Mapping[str, Any] | None = None
    file: bytes | None = None
    file_name: str | None = None
    file_type: str | None = None


class Progress(Protocol):
    """How a kind says how far it is: the share done, and optionally what it did so far (JSON-ready,
    e.g. rows checked and saved), readable while it runs."""

    def __call__(self, share: float, detail: Mapping[str, Any] | None = None) -> None: ...


Kind = Callable[[Engine, Settings, Mapping[str, Any], Progress], JobOutput]


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    contract_id: str | None
    arguments: dict[str, Any]
    requested_by: str
    status: JobStatus
    progress: float
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: dict[str, Any] | None = None
    error: TemoinError | None = None
    file_name: str | None = None
    file_type: str | None = None
    file_sha256: str | None = None
    input_name: str | None = None
    input_sha256: str | None = None

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @classmethod
    def of(cls, row: JobRow) -> JobView:
        return cls(id=row.id, kind=row.kind, contract_id=row.contract_id, arguments=json.loads(row.arguments),
                   requested_by=row.requested_by, status=JobStatus(row.status), progress=float(row.progress or 0.0),
                   attempts=row.attempts, created_at=row.created_at, started_at=row.started_at,
                   finished_at=row.finished_at, result=json.loads(row.result) if row.result else None,
                   error=error_of(row.error), file_name=row.file_name, file_type=row.file_type,
                   file_sha256=row.file_sha256, input_name=row.input_name, input_sha256=row.input_sha256)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def error_json(exc: TemoinError) -> str:
    """The error as stored: its code and where, its message and hint as messages (identifier and values)."""
    out: dict[str, Any] = {"code": exc.code, "path": exc.path}
    if isinstance(exc, CohortFileError):  # a refused file: its problems, row by row (the first ones), and how many
        out["rows"] = [{"row": e.row, "column": e.column, "value": e.value, "message": e.message.to_dict()}
                       for e in exc.errors[:MAX_ROWS_KEPT]]
        out["count"] = len(exc.errors)
    if exc.msg is not None:
        out["message"] = exc.msg.to_dict()
        out["hint"] = exc.hint_msg.to_dict() if exc.hint_msg is not None else None
    else:  # an error of the older form: its French and English texts
        out.update(fr=exc.message("fr"), en=exc.message("en"), hint_fr=exc.hint("fr"), hint_en=exc.hint("en"))
    return json.dumps(out, ensure_ascii=False)


def error_of(stored: str | None) -> TemoinError | None:
    if not stored:
        return None
    d = json.loads(stored)  # always a message of the catalogue: the jobs table is younger than the bilingual form
    hint = Msg.from_dict(d["hint"]) if d.get("hint") else None
    if "rows" in d:  # a refused file: the same error as the import within a request raises
        refused = CohortFileError([RowError(r["row"], r["column"], r["value"], Msg.from_dict(r["message"]))
                                   for r in d["rows"]])
        refused.msg, refused.hint_msg, refused.count = Msg.from_dict(d["message"]), hint, int(d["count"])
        return refused
    return TemoinError(d["code"], Msg.from_dict(d["message"]), path=d.get("path"), hint=hint)


def submit(engine: Engine, kind: str, *, contract_id: str | None, arguments: Mapping[str, Any], actor: str,
           max_active: int = MAX_ACTIVE_PER_PERSON, file: tuple[str, bytes] | None = None,
           alone: tuple[tuple[str, ...], Callable[[int], TemoinError]] | None = None) -> JobView:
    """Queue a job (its arguments already checked), with ``file`` (name, content) given to it when it
    needs one; refused while ``actor`` has ``max_active`` jobs waiting, and, with ``alone`` (kinds, the
    refusal given the other job's number), while a job of those kinds waits or runs for the same
    contract (one import at a time)."""
    with session_scope(engine) as s:
        if alone is not None and contract_id is not None:
            queue.lock_contract(s, contract_id)
            other = queue.active_of(s, contract_id, alone[0])
            if other is not None:
                raise alone[1](other.id)
        if queue.active_count(s, actor) >= max_active:
            raise ConflictError("job.too_many", Msg("You already have {n} jobs waiting or running.", n=max_active),
                                hint=Msg("Wait for one of them to finish, then ask again."))
        row = JobRow(kind=kind, contract_id=contract_id, arguments=json.dumps(dict(arguments), sort_keys=True),
                     requested_by=actor, status=JobStatus.QUEUED.value, progress=0.0, attempts=0)
        if file is not None:
            row.input_name, row.input_data = file[0], file[1]
            row.input_sha256 = hashlib.sha256(file[1]).hexdigest()
        s.add(row)
        s.flush()
        return JobView.of(row)


def unknown_job(job_id: int) -> NotFoundError:
    return NotFoundError("job.unknown", Msg("No job number {id} here.", id=str(job_id)), path="job",
                         hint=Msg("Open the list of this contract's jobs."))


def get_job(engine: Engine, job_id: int, *, contract_id: str | None = None, kind: str | None = None) -> JobView:
    """The job ``job_id`` (of ``contract_id`` and of ``kind`` when given: another one is unknown here)."""
    with session_scope(engine) as s:
        row = s.get(JobRow, job_id)
        if row is None or (contract_id is not None and row.contract_id != contract_id) or \
                (kind is not None and row.kind != kind):
            raise unknown_job(job_id)
        return JobView.of(row)


def list_jobs(engine: Engine, contract_id: str, kinds: tuple[str, ...], *, limit: int = 20) -> list[JobView]:
    """The contract's latest jobs of these kinds, newest first."""
    with session_scope(engine) as s:
        return [JobView.of(r) for r in queue.of_contract(s, contract_id, kinds, limit)]


def job_file(engine: Engine, job_id: int, *, contract_id: str) -> tuple[str, str, bytes]:
    """(name, media type, content) of a finished job's file, its SHA-256 checked."""
    with session_scope(engine) as s:
        row = s.get(JobRow, job_id)
        if row is None or row.contract_id != contract_id:
            raise unknown_job(job_id)
        if row.status != JobStatus.DONE.value or row.file_data is None:
            raise ConflictError("job.no_file", Msg("This job has no file to download (yet)."), path="job",
                                hint=Msg("Wait until it is done."))
        data = bytes(row.file_data)
        if hashlib.sha256(data).hexdigest() != row.file_sha256:
            raise ConflictError("job.file_altered", Msg("The kept file no longer matches its fingerprint."),
                                path="job", hint=Msg("Ask for it again."))
        return row.file_name or f"job-{row.id}", row.file_type or "application/octet-stream", data


def job_input(engine: Engine, job_id: int) -> tuple[str, bytes]:
    """(name, content) of the file given to a job, its SHA-256 checked."""
    with session_scope(engine) as s:
        row = s.get(JobRow, job_id)
        if row is None:
            raise unknown_job(job_id)
        data = None if row.input_data is None else bytes(row.input_data)
        if data is None or hashlib.sha256(data).hexdigest() != row.input_sha256:
            raise ConflictError("job.input_altered", Msg("The file given to this job is missing or no longer matches "
                                                         "its fingerprint: nothing was imported."),
                                path="file", hint=Msg("Send the file again."))
        return row.input_name or f"job-{row.id}", data


def recover(engine: Engine, *, stale_after: dt.timedelta = STALE_AFTER, now: dt.datetime | None = None) -> list[int]:
    """Queue again, or fail after ``MAX_ATTEMPTS`` claims, each job left running by a worker silent for
    ``stale_after``; the ids of the jobs found."""
    now = now or _now()
    with session_scope(engine) as s:  # a look first: on SQLite an update takes the write lock even when nothing matches
        if not queue.stale(s, now - stale_after):
            return []
    found = []
    with session_scope(engine) as s:
        for row in queue.stale(s, now - stale_after):
            found.append(row.id)
            row.worker = None
            row.heartbeat_at = None
            if row.attempts >= queue.MAX_ATTEMPTS:
                row.status = JobStatus.FAILED.value
                row.finished_at = now
                row.error = error_json(TemoinError("job.server_stopped", Msg(
                    "The server stopped while this job ran ({n} times): it is not run again.", n=row.attempts),
                    hint=Msg("Ask for it again; if it stops again, tell the platform's administrator.")))
                log.warning("job %s failed: its server stopped %s times while it ran", row.id, row.attempts)
            else:
                row.status = JobStatus.QUEUED.value
                row.progress = 0.0
                log.warning("job %s queued again: its server stopped while it ran", row.id)
    return found


def run_next(engine: Engine, settings: Settings, worker: str, kinds: Mapping[str, Kind], *,
             heartbeat: float = HEARTBEAT_SECONDS) -> int | None:
    """Claim the oldest queued job and run it to the end (done or failed); its id, or None when none waits."""
    with session_scope(engine) as s:
        row = queue.claim(s, worker, _now())
        if row is None:
            return None
        # the kind reads its contract, its number and who asked among its arguments
        job_id, kind = row.id, row.kind
        arguments = {**json.loads(row.arguments), "contract_id": row.contract_id, "job_id": row.id,
                     "requested_by": row.requested_by}
    stop = threading.Event()
    last = [0.0]

    def progress(share: float, detail: Mapping[str, Any] | None = None) -> None:
        t = time.monotonic()
        if share < 1.0 and t - last[0] < PROGRESS_EVERY:
            return
        last[0] = t
        with session_scope(engine) as s:
            queue.beat(s, job_id, worker, _now(), share, None if detail is None else json.dumps(dict(detail)))

    def beating() -> None:
        while not stop.wait(heartbeat):
            try:
                with session_scope(engine) as s:
                    queue.beat(s, job_id, worker, _now())
            except ConflictError:  # SQLite's one writer busy (an import job holds it): beats again later
                log.info("heartbeat of job %s waits: the database is busy", job_id)
            except Exception:  # a missed beat is not the job's failure
                log.exception("heartbeat of job %s", job_id)

    beater = threading.Thread(target=beating, name=f"temoin-job-{job_id}-heartbeat", daemon=True)
    beater.start()
    values: dict[str, Any]
    try:
        run = kinds.get(kind)
        if run is None:
            raise TemoinError("job.unknown_kind", Msg("This server does not know jobs of the kind '{kind}'.", kind=kind),
                              hint=Msg("Tell the platform's administrator."))
        out = run(engine, settings, arguments, progress)
        values = {"status": JobStatus.DONE.value, "progress": 1.0,
                  "result": json.dumps(dict(out.result), ensure_ascii=False) if out.result is not None else None}
        if out.file is not None:
            values.update(file_data=out.file, file_name=out.file_name, file_type=out.file_type,
                          file_sha256=hashlib.sha256(out.file).hexdigest())
    except TemoinError as exc:
        values = {"status": JobStatus.FAILED.value, "error": error_json(exc), "result": None}
    except Exception:
        log.exception("job %s (%s) failed", job_id, kind)
        values = {"status": JobStatus.FAILED.value, "result": None, "error": error_json(TemoinError(
            "job.unexpected", Msg("Unexpected error while running this job; it has been logged."),
            hint=Msg("Ask for it again; if it fails again, tell the platform's administrator.")))}
    finally:
        stop.set()
        beater.join()
    with session_scope(engine) as s:  # kept only if the job is still this worker's (not recovered meanwhile)
        s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.worker == worker,
                                       JobRow.status == JobStatus.RUNNING.value)
                  .values(finished_at=_now(), heartbeat_at=_now(), input_data=None, **values)
                  .execution_options(synchronize_session=False))
    return job_id
