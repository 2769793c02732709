"""The background job workers of one web process: ``settings.job_workers`` threads started and
stopped with the application (its lifespan).

Each thread takes the oldest queued job from the database (:func:`temoin.services.jobs.run_next`),
runs it, and looks again; with nothing queued it waits ``POLL_SECONDS`` (or less: a job asked for
in this process wakes it). At start-up, and then every ``RECOVER_SECONDS``, jobs left running by a
server that stopped are queued again (:func:`temoin.services.jobs.recover`). Several processes may
run workers on the same database: a job is claimed by one of them only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from sqlalchemy import Engine

from temoin.services.job_kinds import KINDS
from temoin.services.jobs import recover, run_next
from temoin.settings import Settings

log = logging.getLogger("temoin.jobs")

POLL_SECONDS = 1.0
RECOVER_SECONDS = 30.0


class JobWorkers:
    def __init__(self, engine: Engine, settings: Settings, count: int | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.count = settings.job_workers if count is None else count
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._next_recovery = 0.0
        self._recovery_lock = threading.Lock()

    def start(self) -> None:
        self._stop.clear()
        for k in range(self.count):
            name = f"{socket.gethostname()}:{os.getpid()}:{k}"
            t = threading.Thread(target=self._loop, args=(name,), name=f"temoin-job-worker-{k}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every thread to stop once its job ends, and wait for them up to ``timeout`` seconds (a job
        still running then is left to the recovery of the next start)."""
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]

    def wake(self) -> None:
        """A job was queued: a waiting thread looks at once."""
        with self._wake:
            self._wake.notify_all()

    def _recover(self) -> None:
        with self._recovery_lock:
            if time.monotonic() < self._next_recovery:
                return
            self._next_recovery = time.monotonic() + RECOVER_SECONDS
        recover(self.engine)

    def _loop(self, name: str) -> None:
        while not self._stop.is_set():
            try:
                self._recover()
                ran = run_next(self.engine, self.settings, name, KINDS)
            except Exception:  # the database away for a moment: wait, then try again
                log.exception("job worker %s", name)
                ran = None
            if ran is None and not self._stop.is_set():
                with self._wake:
                    self._wake.wait(POLL_SECONDS)
