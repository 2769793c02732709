"""The ``temoin`` command line (Typer). Each area adds its commands from ``temoin.cli.<area>``.

Importing this package loads only Typer, Rich and the command declarations, so ``temoin --help``
answers at once; a command imports what it needs (pandas, SciPy, the database) when it runs.
"""

from __future__ import annotations

import typer

from temoin.cli import cohorts, contract, evaluate, governance, opendata, reports, settlement, web
from temoin.cli._common import start_invocation

app = typer.Typer(
    name="temoin",
    help="Témoin : contrats à impact social avec garde-fous. / Social impact contracts with safeguards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    lang: str = typer.Option(None, "--lang", help="fr (défaut) ou en / fr (default) or en."),
) -> None:
    start_invocation(lang)


for _area in (contract, governance, opendata, cohorts, evaluate, settlement, reports, web):
    _area.register(app)


def main() -> None:
    app()
