"""The ``temoin`` command line (Typer). Each area adds its commands from ``temoin.cli.<area>``.

The language is decided first (``--lang`` before the command, else ``TEMOIN_LANGUAGE``, else
French), then the commands are declared with their help in that language (:func:`build_app`).
Building loads only Typer, Rich, the command declarations and the command line's compiled
catalogue, so ``temoin --help`` answers at once; a command imports what it needs (pandas, SciPy,
the database, Babel) when it runs.

``temoin.cli.app`` is the command line built in the environment's language (for tests and scripts
that invoke it in-process); ``--lang`` still sets the language of what its commands print.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from temoin.cli._lang import choose_language, use_language

if TYPE_CHECKING:
    import typer

__all__ = ["build_app", "main"]

_built: dict[str, typer.Typer] = {}


def build_app(lang: str) -> typer.Typer:
    """The command line with every help text in ``lang`` (built once per language)."""
    if lang in _built:
        return _built[lang]
    import typer

    from temoin.cli import (
        _typer,
        cohorts,
        contract,
        evaluate,
        governance,
        opendata,
        reports,
        rgpd,
        settlement,
        web,
    )
    from temoin.cli._common import start_invocation

    _typer.set_help_language(lang)
    tr = _typer.tr
    app = _typer.TemoinTyper(
        name="temoin",
        help=tr("Témoin: social impact contracts with safeguards."),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root(lang: str = typer.Option(None, "--lang", help=tr("Language: fr (default) or en."))) -> None:
        start_invocation(lang)

    for area in (contract, governance, opendata, cohorts, evaluate, settlement, reports, rgpd, web):
        area.register(app)
    _built[lang] = app
    return app


def main(argv: Sequence[str] | None = None) -> Any:
    """The ``temoin`` command: decide the language, then build and run the command line in it."""
    args = list(sys.argv[1:] if argv is None else argv)
    lang = choose_language(args, os.environ)
    use_language(lang)  # Typer's own words, read through gettext
    app = build_app(lang)
    from temoin.cli._common import use_chosen_language

    use_chosen_language(lang)
    return app(args=args, prog_name="temoin")


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app(choose_language([], os.environ))
    raise AttributeError(name)
