"""The ``temoin`` command line (Typer). Each area adds its commands from ``temoin.cli.<area>``."""

from __future__ import annotations

import importlib

import typer

from temoin.cli._common import set_language

app = typer.Typer(
    name="temoin",
    help="Témoin : contrats à impact social avec garde-fous. / Social impact contracts with safeguards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each name is a module temoin.cli.<name> with a register(app) function.
AREAS = ["contract", "governance", "opendata", "cohorts", "evaluate", "settlement", "reports", "web"]


@app.callback()
def _root(
    lang: str = typer.Option(None, "--lang", help="fr (défaut) ou en / fr (default) or en."),
) -> None:
    set_language(lang)


for _name in AREAS:
    importlib.import_module(f"temoin.cli.{_name}").register(app)


def main() -> None:
    app()
