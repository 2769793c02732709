"""``make demo``: the main job on the bundled examples, in the embedded SQLite database.

It imports the three bundled contracts and prints their safeguard reports, then runs each area's
demonstration on the child-protection example (``demo(engine, console)`` in
``temoin.services.<area>``), and finally serves the web platform with one account per role.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from temoin.contract import check_contract
from temoin.examples import EXAMPLES, example_path
from temoin.services.contracts import get_contract, import_contract
from temoin.store import make_engine, migrate

# Each area's demo(engine, console), in the order a user follows a contract.
AREAS = ["evaluations", "settlements", "governance", "opendata", "reports"]


def fresh_database(db: Path) -> None:
    """Remove the demo database file (and SQLite's journal files beside it), nothing else: the
    folder may be the user's own (``--db ./demo.db``)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    for path in (db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)


def run(db: Path, console: Console) -> object:
    fresh_database(db)
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    from temoin.cli.contract import print_safeguard_report

    console.print(Rule("Témoin — garde-fous des contrats fournis / safeguards of the bundled contracts"))
    for name in EXAMPLES:
        res = import_contract(engine, example_path(name), actor="demo")
        contract = get_contract(engine, res.contract_id).contract
        console.print()
        console.print(f"[dim]{name} (version {res.version}, {contract.evaluation.design.value})[/]")
        print_safeguard_report(contract, check_contract(contract))
    for area in AREAS:
        if importlib.util.find_spec(f"temoin.services.{area}") is None:
            continue
        module = importlib.import_module(f"temoin.services.{area}")
        if hasattr(module, "demo"):
            console.print()
            module.demo(engine, console)
    return engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m temoin.demo", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(".demo/temoin.db"), help="Demo database (recreated; the reports are written beside it).")
    parser.add_argument("--no-serve", action="store_true", help="Print the pipeline, do not start the server.")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    console = Console(highlight=False)
    engine = run(args.db, console)
    if args.no_serve or importlib.util.find_spec("temoin.web.app") is None:
        return
    serve = importlib.import_module("temoin.web.demo")
    serve.serve_demo(engine, console, port=args.port)


if __name__ == "__main__":
    main()
