"""The background job queue kept in the database, on SQLite and on PostgreSQL: a job runs once and
keeps its result or its error (read in each language), two workers never run the same job, and
jobs left running by a server that stopped are queued again, then failed."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import Engine

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.services import jobs
from temoin.services.jobs import JobOutput, JobStatus, Kind
from temoin.settings import Settings
from temoin.store import jobs as queue
from temoin.store import session_scope

SETTINGS = Settings()


def _kinds(record: list[tuple[int, str]] | None = None, pause: float = 0.0) -> dict[str, Kind]:
    lock = threading.Lock()

    def echo(_e: Engine, _s: Settings, args: Mapping[str, Any], progress: Any) -> JobOutput:
        progress(0.5)
        if record is not None:
            with lock:
                record.append((int(args["n"]), threading.current_thread().name))
        time.sleep(pause)
        return JobOutput(result={"twice": 2 * int(args["n"])}, file=b"%d" % args["n"], file_name="n.txt",
                         file_type="text/plain")

    def refuse(_e: Engine, _s: Settings, args: Mapping[str, Any], _p: Any) -> JobOutput:
        raise InvalidInputError("demo.refused", Msg("Out of range: {value}.", value=str(args["n"])), path="n",
                                hint=Msg("A whole number from {low} to {high}.", low=1, high=9))

    def crash(*_a: Any) -> JobOutput:
        raise ZeroDivisionError("boom")

    return {"echo": echo, "refuse": refuse, "crash": crash}


def test_a_job_is_queued_run_once_and_keeps_its_result_and_file(engine: Engine) -> None:
    job = jobs.submit(engine, "echo", contract_id=None, arguments={"n": 21}, actor="web:payeur")
    assert job.status is JobStatus.QUEUED and job.progress == 0.0
    assert jobs.run_next(engine, SETTINGS, "w1", _kinds()) == job.id
    assert jobs.run_next(engine, SETTINGS, "w1", _kinds()) is None  # nothing else waits
    done = jobs.get_job(engine, job.id)
    assert done.status is JobStatus.DONE and done.progress == 1.0 and done.attempts == 1
    assert done.result == {"twice": 42} and done.error is None
    assert done.finished_at is not None and done.started_at is not None
    with session_scope(engine) as s:
        row = s.get(queue.JobRow, job.id)
        assert row is not None and row.file_sha256 == "6f4b6612125fb3a0daecd2799dfd6c9c299424fd920f9b308110a2c1fbd8f443"


def test_a_failing_job_is_failed_with_its_error_in_each_reader_s_language(engine: Engine) -> None:
    refused = jobs.submit(engine, "refuse", contract_id=None, arguments={"n": 12}, actor="web:payeur")
    crashed = jobs.submit(engine, "crash", contract_id=None, arguments={}, actor="web:payeur")
    unknown = jobs.submit(engine, "nobody-knows", contract_id=None, arguments={}, actor="web:payeur")
    for _ in range(3):
        jobs.run_next(engine, SETTINGS, "w1", _kinds())
    r = jobs.get_job(engine, refused.id)
    assert r.status is JobStatus.FAILED and r.error is not None and r.result is None
    assert r.error.code == "demo.refused" and r.error.path == "n"
    fr, en = Translator("fr"), Translator("en")
    assert en.error_message(r.error) == "Out of range: 12." and en.error_hint(r.error) == "A whole number from 1 to 9."
    assert fr.error_message(r.error) != en.error_message(r.error)  # the French catalogue's own words
    c = jobs.get_job(engine, crashed.id)
    assert c.status is JobStatus.FAILED and c.error is not None and c.error.code == "job.unexpected"
    assert "boom" not in en.error(c.error)  # no internals shown
    u = jobs.get_job(engine, unknown.id)
    assert u.error is not None and en.error_message(u.error) == "This server does not know jobs of the kind 'nobody-knows'."


def test_two_workers_never_run_the_same_job(engine: Engine) -> None:
    """Four workers, each in its own thread, drain forty jobs: each job ran exactly once, and more
    than one worker took part."""
    ids = [jobs.submit(engine, "echo", contract_id=None, arguments={"n": n}, actor=f"web:user{n}").id for n in range(40)]
    record: list[tuple[int, str]] = []
    kinds = _kinds(record, pause=0.01)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def work(name: str) -> None:
        start.wait()
        try:
            while jobs.run_next(engine, SETTINGS, name, kinds) is not None:
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{k}",), name=f"w{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures, failures
    runs = Counter(n for n, _ in record)
    assert sorted(runs) == list(range(40)) and set(runs.values()) == {1}
    assert len({w for _, w in record}) > 1
    for job_id in ids:
        view = jobs.get_job(engine, job_id)
        assert view.status is JobStatus.DONE and view.attempts == 1


def test_a_job_left_running_by_a_stopped_server_is_queued_again_then_failed(engine: Engine) -> None:
    job = jobs.submit(engine, "echo", contract_id=None, arguments={"n": 3}, actor="web:payeur")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with session_scope(engine) as s:
        assert queue.claim(s, "dead-server:1", long_ago) is not None  # a worker that died mid-job
    assert jobs.recover(engine, stale_after=dt.timedelta(minutes=20)) == []  # not yet stale: left alone
    assert jobs.recover(engine) == [job.id]
    again = jobs.get_job(engine, job.id)
    assert again.status is JobStatus.QUEUED and again.attempts == 1
    with session_scope(engine) as s:
        assert queue.claim(s, "dead-server:2", long_ago) is not None  # it dies again
    assert jobs.recover(engine) == [job.id]
    failed = jobs.get_job(engine, job.id)
    assert failed.status is JobStatus.FAILED and failed.error is not None
    assert Translator("en").error_message(failed.error) == \
        "The server stopped while this job ran (2 times): it is not run again."
    assert jobs.run_next(engine, SETTINGS, "w1", _kinds()) is None


def test_a_recovered_job_is_not_overwritten_by_its_old_worker(engine: Engine) -> None:
    """The old worker, only slow, finishes after its job was queued again and run by another: the
    result kept is the second worker's, and the slow worker's heartbeat is refused."""
    job = jobs.submit(engine, "echo", contract_id=None, arguments={"n": 5}, actor="web:payeur")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with session_scope(engine) as s:
        queue.claim(s, "slow", long_ago)
    jobs.recover(engine)
    assert jobs.run_next(engine, SETTINGS, "fresh", _kinds()) == job.id
    with session_scope(engine) as s:
        assert not queue.beat(s, job.id, "slow", dt.datetime.now(dt.UTC), 0.9)
        row = s.get(queue.JobRow, job.id)
        assert row is not None and row.worker == "fresh" and row.status == "done"


def test_one_person_cannot_flood_the_queue(engine: Engine) -> None:
    for n in range(jobs.MAX_ACTIVE_PER_PERSON):
        jobs.submit(engine, "echo", contract_id=None, arguments={"n": n}, actor="web:payeur")
    with pytest.raises(ConflictError) as caught:
        jobs.submit(engine, "echo", contract_id=None, arguments={"n": 9}, actor="web:payeur")
    assert Translator("en").error_message(caught.value) == "You already have 3 jobs waiting or running."
    jobs.submit(engine, "echo", contract_id=None, arguments={"n": 9}, actor="web:evaluateur")  # someone else may
    with pytest.raises(NotFoundError):
        jobs.get_job(engine, 10_000)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database: once is enough
def test_the_simulation_tells_its_progress_without_changing_what_it_draws(db_url: str) -> None:
    """``simulate(progress=…)`` is told the share of chunks done, up to 1, and draws the same scenarios."""
    from temoin.examples import load_example
    from temoin.settlement.risk import simulate

    contract = load_example("aemo-renforcee")
    told: list[float] = []
    lock = threading.Lock()

    def progress(share: float) -> None:
        with lock:
            told.append(share)

    with_progress = simulate(contract, 150_000, 11, progress=progress)  # 3 chunks, run twice (with and without effect)
    assert sorted(told) == [k / 6 for k in range(1, 7)]
    assert with_progress.to_dict() == simulate(contract, 150_000, 11).to_dict()


def test_a_running_job_shows_its_progress(engine: Engine) -> None:
    job = jobs.submit(engine, "echo", contract_id=None, arguments={"n": 1}, actor="web:payeur")
    with session_scope(engine) as s:
        queue.claim(s, "w1", dt.datetime.now(dt.UTC))
        assert queue.beat(s, job.id, "w1", dt.datetime.now(dt.UTC), 0.4)
    running = jobs.get_job(engine, job.id)
    assert running.status is JobStatus.RUNNING and running.progress == 0.4 and running.active
