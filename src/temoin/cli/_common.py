"""What every command shares: the language, the database, JSON output, and errors without tracebacks."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from temoin.errors import TemoinError
from temoin.settings import get_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
_state: dict[str, str] = {}
F = TypeVar("F", bound=Callable[..., Any])


def set_language(lang: str | None) -> None:
    """Set (or, with None, reset to the configured default) the language of this invocation."""
    if lang is None:
        _state.pop("lang", None)
        return
    if lang not in ("fr", "en"):
        raise typer.BadParameter("--lang: fr ou/or en")
    _state["lang"] = lang


def lang() -> str:
    return _state.get("lang") or get_settings().language


def t(fr: str, en: str) -> str:
    """Pick the text in the user's language."""
    return fr if lang() == "fr" else en


def engine() -> Engine:
    """The configured database, migrated to the latest schema."""
    from temoin.store import make_engine, migrate

    eng = make_engine()
    migrate(eng)
    return eng


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def cli_errors() -> Iterator[None]:
    """Print a TemoinError in the user's language, without a traceback, and exit 1."""
    try:
        yield
    except TemoinError as exc:
        err_console.print(f"[bold red]{t('Erreur', 'Error')}[/] {escape(exc.render(lang()))}", soft_wrap=True)  # type: ignore[arg-type]
        raise typer.Exit(1) from None


def handle_errors(fn: F) -> F:
    """Decorator form of :func:`cli_errors`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
