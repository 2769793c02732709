"""``temoin contract``: check, schema, import, export, list.

No ``from __future__ import annotations`` in the modules that define commands: Typer reads each
command's annotations, and annotations kept as text cost a ``compile`` each on every start
(``temoin --help`` builds every command)."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from temoin.cli._common import console, engine, handle_errors, lang, print_json, t, words
from temoin.cli._typer import TemoinTyper, tr

if TYPE_CHECKING:
    from rich.console import Console

    from temoin.contract import Contract, Outcome
    from temoin.i18n import Translator


def register(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("Contracts: check, import, export."), no_args_is_help=True)
    app.add_typer(sub, name="contract")

    @sub.command("check", help=tr("Run the safeguard checks on a contract file (exit 1 if any error-level rule fails)."))
    @handle_errors
    def check(file: Path, as_json: bool = typer.Option(False, "--json", help=tr("Findings as a JSON list."))) -> None:
        """Run the safeguard checks on a contract file (exit 1 if any error-level rule fails)."""
        from temoin.contract import check_contract, has_blocking, load_contract

        contract = load_contract(file)
        outcomes = check_contract(contract)
        if as_json:
            print_json(safeguard_rows(outcomes, words()))
        else:
            print_safeguard_report(contract, outcomes, console, words())
        if has_blocking(outcomes):
            raise typer.Exit(1)

    @sub.command("schema", help=tr("Print the contract's JSON Schema."))
    def schema(output: Path = typer.Option(None, "-o", "--output", help=tr("Write to this file."))) -> None:
        """Print the contract's JSON Schema."""
        from temoin.contract import contract_json_schema

        text = json.dumps(contract_json_schema(), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)

    @sub.command("import", help=tr("Store a contract (a changed contract becomes a new version; the old one stays)."))
    @handle_errors
    def import_(file: Path, actor: str = typer.Option("cli", help=tr("Who is importing (audit ledger)."))) -> None:
        """Store a contract (a changed contract becomes a new version; the old one stays)."""
        from temoin.services.contracts import import_contract

        res = import_contract(engine(), file, actor=actor)
        if res.created:
            console.print(t("Contract '{contract}' stored, version {version}.", contract=res.contract_id, version=res.version))
        else:
            console.print(t("Contract '{contract}' unchanged (version {version}).", contract=res.contract_id,
                            version=res.version))

    @sub.command("export", help=tr("Write a stored contract back as YAML."))
    @handle_errors
    def export(contract_id: str, version: int = typer.Option(None, help=tr("A stored version (default: latest).")),
               output: Path = typer.Option(None, "-o", "--output", help=tr("Write to this file."))) -> None:
        """Write a stored contract back as YAML."""
        from temoin.services.contracts import get_contract

        stored = get_contract(engine(), contract_id, version)
        if output:
            output.write_text(stored.yaml_text, encoding="utf-8")
        else:
            typer.echo(stored.yaml_text, nl=False)

    @sub.command("list", help=tr("List stored contracts (latest versions)."))
    @handle_errors
    def list_(as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        """List stored contracts (latest versions)."""
        from temoin.services.contracts import list_contracts

        rows = [{"id": s.contract.id, "version": s.version, "title": s.contract.title.get(lang()),
                 "design": s.contract.evaluation.design.value} for s in list_contracts(engine())]
        if as_json:
            print_json(rows)
        else:
            reader = words()
            for r in rows:
                console.print(f"{r['id']}  v{r['version']}  {reader.label('design', str(r['design']))}  {escape(str(r['title']))}")


def safeguard_rows(outcomes: "list[Outcome]", reader: "Translator") -> list[dict[str, object]]:
    """Each safeguard rule's outcome with its title, message and fix in the reader's language."""
    return [{"code": o.code, "severity": o.severity, "passed": o.passed, "title": reader.render(o.title),
             "message": reader.render(o.message), "fix": reader.render(o.fix)} for o in outcomes]


def print_safeguard_report(contract: "Contract", outcomes: "list[Outcome]", out: "Console", reader: "Translator") -> None:
    """The safeguard report as a person reads it: each rule, passed or not, with how to fix it (the
    rule's code stays beside its title: it is the rule's name in the documentation)."""
    tr = reader
    out.print(f"[bold]{escape(contract.title.get(reader.lang))}[/]")
    marks = {"error": "[red]✗[/]", "warning": "[yellow]![/]", "info": "[blue]i[/]"}
    for o, d in zip(outcomes, safeguard_rows(outcomes, reader), strict=True):
        if o.passed:
            out.print(f"  [green]✓[/] {o.code} {escape(str(d['title']))}")
        else:
            out.print(f"  {marks[o.severity]} {o.code} {escape(str(d['title']))} — {escape(str(d['message']))}")
            out.print(f"      → {escape(str(d['fix']))}", style="dim")
    errors = sum(1 for o in outcomes if o.blocking)
    warnings = sum(1 for o in outcomes if not o.passed and o.severity == "warning")
    out.print("  " + escape(tr("Errors: {errors}; warnings: {warnings}.", errors=errors, warnings=warnings)))
