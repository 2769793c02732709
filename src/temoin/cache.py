"""Where Témoin keeps files it can always rebuild (compiled and parsed message catalogues):
``$XDG_CACHE_HOME/temoin`` (by default ``~/.cache/temoin``), else a folder of the system's temporary
directory when that one cannot be written. Nothing here is needed: a missing or unwritable cache only
costs time. Imports nothing but the standard library."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["cache_folders", "write_atomically"]


def cache_folders() -> list[Path]:
    """The cache folders to try, in order."""
    folders = []
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home folder
            base = None
    if base:
        folders.append(Path(base) / "temoin")
    user = os.getuid() if hasattr(os, "getuid") else 0
    folders.append(Path(tempfile.gettempdir()) / f"temoin-{user}")
    return folders


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
