"""``make demo``: the main job on the bundled examples, in the embedded SQLite database.

It imports the three bundled contracts and prints their safeguard reports, then walks the
child-protection example through each area in the order a user follows a contract (evaluation,
settlement, governance, open data, reports, then rolling enrolment in monthly batches), and
finally serves the web platform with one account per role. Everything is done through the public service functions.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from temoin.demo import (
    accounts,
    contracts,
    enrolment,
    evaluation,
    governance,
    opendata,
    reports,
    rgpd,
    settlement,
)
from temoin.errors import TemoinError
from temoin.i18n import Translator
from temoin.settings import Settings, load_settings
from temoin.store import make_engine, migrate


def fresh_database(db: Path) -> None:
    """Remove the demo database file (and SQLite's journal files beside it), nothing else: the
    folder may be the user's own (``--db ./demo.db``)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    for path in (db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)


def run(db: Path, console: Console, settings: Settings) -> Engine:
    """Recreate the demo database and walk the examples through every area; the engine."""
    fresh_database(db)
    engine = make_engine(f"sqlite:///{db}", pool_size=settings.db_pool_size)
    migrate(engine)
    reader = Translator(settings.language)  # the demo speaks the settings' language only (French by default)
    contracts.show(engine, console, reader)
    console.print()
    evaluation.show(engine, console, settings, reader)
    console.print()
    settlement.show(engine, console, reader)
    console.print()
    governance.show(engine, console, reader)
    console.print()
    opendata.show(engine, console, settings, reader)
    console.print()
    reports.show(engine, console, settings, reader)
    console.print()
    enrolment.show(engine, console, settings, reader)
    console.print()
    rgpd.show(engine, console, settings, reader, db.parent)
    return engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m temoin.demo", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(".demo/temoin.db"), help="Demo database (recreated; the reports are written beside it).")
    parser.add_argument("--no-serve", action="store_true", help="Print the pipeline, do not start the server.")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    try:
        settings = load_settings()
    except TemoinError as exc:  # the settings are refused: said in the language asked for, French otherwise
        reader = Translator("en" if os.environ.get("TEMOIN_LANGUAGE", "").strip().lower() == "en" else "fr")
        text = reader.error(exc)
        console.print(f"[bold red]{escape(reader('Error'))}[/] {escape(text)}", soft_wrap=True)
        raise SystemExit(1) from None
    engine = run(args.db, console, settings)
    if not args.no_serve:
        accounts.serve(engine, console, settings, port=args.port, reader=Translator(settings.language))


if __name__ == "__main__":
    main()
