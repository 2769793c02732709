"""Figures a page keeps per data state, computed again in the background after a change.

A contract's overview, evaluation and settlement pages read figures that take a while to gather
at scale (SQL aggregates over every participant, the report's tables and charts). They are kept
per process for a **data state** — the audit ledger's head: every change to what they read appends
to the ledger in the same transaction, so a new head means they are gathered again.

After a change, the first reader does not wait for them: the new figures are gathered on a
background thread while the page shows the previous ones, dated, and says they are being updated
(:func:`Kept.get` returns when they were gathered); the page then reloads its content by itself.
A reader waits only when nothing was gathered yet in this process, or when the new figures come
within ``wait`` seconds (``None``: wait for them, as the JSON API does — it never answers with older
figures). The same figures are never gathered twice at once.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

__all__ = ["Kept", "settle"]

T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="temoin-kept")
"""Two threads per process gather the figures after a change (the pages' own threads keep serving).
A gathering never waits for another one (no kept figures are read while gathering)."""


@dataclass(frozen=True)
class _Entry(Generic[T]):
    state: int
    value: T
    at: dt.datetime


class Kept(Generic[T]):
    """Values per (database, key), each for the data state it was gathered at."""

    def __init__(self, limit: int = 256) -> None:
        self._limit = limit
        self._lock = threading.RLock()  # a gathering already done calls back at once, in this thread
        self._latest: weakref.WeakKeyDictionary[Engine, dict[Hashable, _Entry[T]]] = weakref.WeakKeyDictionary()
        self._pending: weakref.WeakKeyDictionary[Engine, dict[tuple[Hashable, int], Future[T]]] = weakref.WeakKeyDictionary()

    def get(self, engine: Engine, key: Hashable, state: int, gather: Callable[[], T], *,
            wait: float | None = None) -> tuple[T, dt.datetime | None]:
        """The value of ``key`` at data ``state``, and None; or, while it is being gathered after a
        change (longer than ``wait`` seconds), the previous value and when that one was gathered."""
        with self._lock:
            latest = self._latest.setdefault(engine, {})
            found = latest.get(key)
            if found is not None and found.state == state:
                return found.value, None
            pending = self._pending.setdefault(engine, {})
            future = pending.get((key, state))
            if future is None:
                future = _POOL.submit(gather)
                pending[(key, state)] = future
                future.add_done_callback(lambda f: self._store(engine, key, state, f))
        try:
            value = future.result(timeout=None if found is None else wait)
        except FutureTimeout:  # only with a timeout, so with something older to show
            assert found is not None
            return found.value, found.at
        self._store(engine, key, state, future)  # kept before this reader goes on (the callback may come later)
        return value, None

    def _store(self, engine: Engine, key: Hashable, state: int, future: Future[T]) -> None:
        with self._lock:
            self._pending.get(engine, {}).pop((key, state), None)
            if future.exception() is not None:  # said to the reader who waits; the next one tries again
                return
            latest = self._latest.setdefault(engine, {})
            before = latest.get(key)
            if before is None or before.state < state:
                if len(latest) >= self._limit:
                    latest.clear()
                latest[key] = _Entry(state, future.result(), dt.datetime.now(dt.UTC))

    def states(self, engine: Engine) -> dict[Hashable, int]:
        """The data state each key's kept value was gathered at."""
        with self._lock:
            return {k: e.state for k, e in self._latest.get(engine, {}).items()}

    def pending(self, engine: Engine) -> list[Future[Any]]:
        with self._lock:
            return list(self._pending.get(engine, {}).values())


def settle(*kept: Kept[Any], engine: Engine, timeout: float = 60.0) -> None:
    """Wait until the figures being gathered for ``engine`` are kept (for tests and benchmarks)."""
    for k in kept:
        for future in k.pending(engine):
            with suppress(Exception):  # a failure is said to the reader who asks again
                future.result(timeout=timeout)
