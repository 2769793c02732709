"""Work that must not run on the event loop: argon2 hashing, uploads. Each kind runs in worker
threads under its own limit, so a burst of sign-ins or imports waits its turn without taking the
threads that serve pages (nor the event loop that serves static files)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request

T = TypeVar("T")

HASH_WORKERS = max(1, (os.cpu_count() or 2) // 2)
"""Password hashes computed at once per process: argon2id takes a core for tens of milliseconds (a
quarter of a second on a slow one), so at most half the cores hash and the rest serve the pages."""


def _limiter(request: Request, name: str, size: int) -> anyio.CapacityLimiter:
    state: Any = request.app.state
    limiters: dict[str, anyio.CapacityLimiter] | None = getattr(state, "limiters", None)
    if limiters is None:
        limiters = state.limiters = {}
    found = limiters.get(name)
    if found is None:
        found = limiters[name] = anyio.CapacityLimiter(size)
    return found


async def hashing(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` (which checks or makes a password hash) in a worker thread, at most HASH_WORKERS at once."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs),
                                          limiter=_limiter(request, "hash", HASH_WORKERS))


async def uploading(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an upload's checks and import in a worker thread, at most the settings' ``upload_workers`` at once."""
    size = request.app.state.settings.upload_workers
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=_limiter(request, "upload", size))
