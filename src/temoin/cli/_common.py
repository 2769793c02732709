"""What every command shares: the settings, the language, the database, JSON output, and errors
without tracebacks.

The command line is an entry point: it builds the one :class:`~temoin.settings.Settings` of the
invocation (from the environment, once, when a command first needs it), keeps it with the
``--lang`` choice in the invocation's state (made anew by the root callback at each invocation),
and passes it to the services. This module imports only what
``temoin --help`` needs: each command imports the heavy parts (pandas, SciPy, SQLAlchemy, the
services) itself, when it runs.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from temoin.errors import TemoinError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from temoin.i18n import Translator
    from temoin.settings import Settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliState:
    """One invocation's state."""

    lang: str | None = None
    settings: Settings | None = None


_current = CliState()
_chosen: str | None = None  # the language ``temoin.cli.main`` decided from argv and the environment


def use_chosen_language(lang: str) -> None:
    """The language ``temoin.cli.main`` decided (``--lang``, else ``TEMOIN_LANGUAGE``, else French): what
    the invocation speaks without reading the settings (the same rule as the ``language`` setting's)."""
    global _chosen
    _chosen = lang


def _state() -> CliState:
    return _current


def start_invocation(lang: str | None) -> None:
    """A new invocation (the root callback): forget the last one's settings, set ``--lang`` (None
    keeps the configured default)."""
    global _current
    if lang is not None and lang not in ("fr", "en"):
        from temoin.cli._typer import tr

        raise typer.BadParameter(tr("{value} is not a known language: choose fr or en.", value=repr(lang)),
                                 param_hint="'--lang'")
    _current = CliState(lang=lang)


def settings() -> Settings:
    """The invocation's settings, read from the environment the first time a command needs them."""
    state = _state()
    if state.settings is None:
        from temoin.settings import load_settings

        state.settings = load_settings()  # refused settings: a SettingsError, printed without a traceback
    return state.settings


def lang() -> str:
    state = _state()
    if state.lang:
        return state.lang
    if _chosen is not None:
        return _chosen
    try:
        return settings().language
    except TemoinError:  # the settings themselves are refused: say so in French, the default
        return "fr"


def words() -> Translator:
    """The reader's translator (the catalogue and Babel are loaded when a command first speaks)."""
    return _translator(lang())


@functools.cache
def _translator(language: str) -> Translator:
    from temoin.i18n import Translator

    return Translator(language)


def t(message: str, **values: Any) -> str:
    """A message of the catalogue in the reader's language, its values in the reader's formats."""
    return words()(message, **values)


def engine() -> Engine:
    """The configured database, migrated to the latest schema."""
    from temoin.store import make_engine, migrate

    eng = make_engine(settings().database_url, pool_size=settings().db_pool_size)
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
        reader = words()  # the error's messages through the catalogue, in the reader's language
        text = reader.error(exc)
        err_console.print(f"[bold red]{escape(reader('Error'))}[/] {escape(text)}", soft_wrap=True)
        raise typer.Exit(1) from None


def handle_errors(fn: F) -> F:
    """Decorator form of :func:`cli_errors`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
