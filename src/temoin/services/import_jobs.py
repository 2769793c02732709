"""Large imports as background jobs: a participants or wave file with more rows than the settings'
``import_job_rows`` is kept with a job (its SHA-256 too) and imported by a worker, so that the page
answers at once and follows it.

The job calls the same import as a request does (:mod:`temoin.services.cohort_imports`), with the
job's requester as the actor: all rows or none, in one transaction with its ledger entry; a refused
file fails the job with every problem found (the first :data:`temoin.services.jobs.MAX_ROWS_KEPT`
kept, all counted), nothing written. While it runs, the job says how many rows were checked and
saved (on PostgreSQL; SQLite's one writer is the import until it ends). One import per contract at a time: a second file sent while one waits or runs is refused.
The file is emptied from the job once it ends (its name and SHA-256 stay); the operator's own list
of who joins a rolling-enrolment batch is never kept (the request's answer alone shows it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from temoin.errors import ConflictError, InvalidInputError
from temoin.messages import Msg
from temoin.services.contracts import get_contract
from temoin.services.evaluations import import_outcomes, import_participants
from temoin.services.jobs import JobOutput, JobView, Progress, job_input, submit
from temoin.settings import Settings
from temoin.store import jobs as queue
from temoin.store import session_scope

__all__ = ["IMPORTS", "PARTICIPANTS", "WAVE", "by_job", "check_idle", "submit_import"]

PARTICIPANTS = "import_participants"
WAVE = "import_wave"
IMPORTS = (PARTICIPANTS, WAVE)
NOT_KEPT = ("joining",)
"""Parts of an import's answer never kept with its job (the operator's identifiers)."""


def by_job(rows: int, settings: Settings) -> bool:
    """Whether a file of ``rows`` data rows is imported by a job rather than within the request."""
    return rows > settings.import_job_rows


def check_idle(engine: Engine, contract_id: str) -> None:
    """Refuse an import within a request while an import job of the contract waits or runs (the files
    are imported in the order they came)."""
    with session_scope(engine) as s:
        other = queue.active_of(s, contract_id, IMPORTS)
        if other is not None:
            raise busy(other.id)


def busy(job_id: int) -> ConflictError:
    return ConflictError("job.busy", Msg("An import into this contract is already under way (job {id}).", id=str(job_id)),
                         path="file", hint=Msg("Wait until it ends (its page follows it), then send the file again."))


def submit_import(engine: Engine, contract_id: str, path: Path, *, name: str, rows: int, wave: str | None,
                  actor: str) -> JobView:
    """Queue the import of the checked upload at ``path`` (``rows`` data rows counted); a wave the
    contract does not have is refused at once, as is a second import while one is under way."""
    if wave is not None:
        waves = [w.id for w in get_contract(engine, contract_id).contract.evaluation.follow_up_waves]
        if wave not in waves:
            raise InvalidInputError("cohort.unknown_wave", Msg("Unknown wave: '{wave}'.", wave=wave), path="wave",
                                    hint=Msg("Waves: {waves}.", waves=", ".join(waves)))
    arguments: dict[str, Any] = {"rows": rows, "wave": wave, "file": name}
    return submit(engine, WAVE if wave is not None else PARTICIPANTS, contract_id=contract_id, arguments=arguments,
                  actor=actor, file=(name, path.read_bytes()), alone=(IMPORTS, busy))


def _run(engine: Engine, settings: Settings, args: Mapping[str, Any], progress: Progress) -> JobOutput:
    contract_id, total = str(args["contract_id"]), max(int(args["rows"]), 1)
    name, data = job_input(engine, int(args["job_id"]))

    def rows_done(checked: int, saved: int) -> None:
        progress(min(0.99, (checked + saved) / (2 * total)), {"checked": checked, "saved": saved, "rows": total})

    rows_done(0, 0)
    # SQLite has one writer at a time and the import holds it from its start: the notes written as it
    # goes (and the heartbeat) wait for its end there, so only PostgreSQL is told the rows as they go
    live = rows_done if engine.dialect.name == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="temoin-import-") as folder:
        path = Path(folder) / f"job-{args['job_id']}{Path(name).suffix.lower()}"  # the upload's type, never its path
        path.write_bytes(data)
        actor = str(args["requested_by"])
        if args.get("wave") is None:
            summary = import_participants(engine, contract_id, path, settings=settings, actor=actor, progress=live,
                                          write_lock=True)
        else:
            summary = import_outcomes(engine, contract_id, str(args["wave"]), path, settings=settings, actor=actor,
                                      progress=live, write_lock=True)
    result = {k: v for k, v in summary.to_dict().items() if k not in NOT_KEPT}
    return JobOutput(result=result)


KINDS = {PARTICIPANTS: _run, WAVE: _run}
