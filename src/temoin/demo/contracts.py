"""The bundled contracts, stored and checked: the first thing a new user sees."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.cli.contract import print_safeguard_report
from temoin.contract import check_contract
from temoin.examples import EXAMPLES, example_path
from temoin.services.contracts import get_contract, import_contract


def show(engine: Engine, console: Console, language: str) -> None:
    """Import the three bundled contracts and print each one's safeguard report."""
    console.print(Rule("Témoin — garde-fous des contrats fournis / safeguards of the bundled contracts"))
    for name in EXAMPLES:
        res = import_contract(engine, example_path(name), actor="demo")
        contract = get_contract(engine, res.contract_id).contract
        console.print()
        console.print(f"[dim]{name} (version {res.version}, {contract.evaluation.design.value})[/]")
        print_safeguard_report(contract, check_contract(contract), console, language)
