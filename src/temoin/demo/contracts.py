"""The bundled contracts, stored and checked: the first thing a new user sees."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.cli.contract import print_safeguard_report
from temoin.contract import check_contract
from temoin.examples import EXAMPLES, example_path
from temoin.i18n import Translator
from temoin.services.contracts import get_contract, import_contract


def show(engine: Engine, console: Console, reader: Translator) -> None:
    """Import the three bundled contracts and print each one's safeguard report."""
    console.print(Rule(reader("Témoin — safeguards of the bundled contracts")))
    for name in EXAMPLES:
        res = import_contract(engine, example_path(name), actor="demo")
        contract = get_contract(engine, res.contract_id).contract
        console.print()
        heading = reader("{name} (version {version}, {design})", name=name, version=res.version,
                         design=contract.evaluation.design)
        console.print(f"[dim]{escape(heading)}[/]")
        print_safeguard_report(contract, check_contract(contract), console, reader)
