"""``temoin contract``: check, schema, import, export, list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from temoin.cli._common import console, engine, handle_errors, lang, print_json, t

if TYPE_CHECKING:
    from rich.console import Console

    from temoin.contract import Contract, Outcome


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Contrats : vérifier, importer, exporter. / Contracts: check, import, export.",
                      no_args_is_help=True)
    app.add_typer(sub, name="contract")

    @sub.command("check")
    @handle_errors
    def check(file: Path, as_json: bool = typer.Option(False, "--json", help="Findings as a JSON list.")) -> None:
        """Run the safeguard checks on a contract file (exit 1 if any error-level rule fails)."""
        from temoin.contract import check_contract, has_blocking, load_contract

        contract = load_contract(file)
        outcomes = check_contract(contract)
        if as_json:
            print_json(safeguard_rows(outcomes, lang()))
        else:
            print_safeguard_report(contract, outcomes, console, lang())
        if has_blocking(outcomes):
            raise typer.Exit(1)

    @sub.command("schema")
    def schema(output: Path = typer.Option(None, "-o", "--output", help="Write to this file.")) -> None:
        """Print the contract's JSON Schema."""
        from temoin.contract import contract_json_schema

        text = json.dumps(contract_json_schema(), ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)

    @sub.command("import")
    @handle_errors
    def import_(file: Path, actor: str = typer.Option("cli", help="Who is importing (audit ledger).")) -> None:
        """Store a contract (a changed contract becomes a new version; the old one stays)."""
        from temoin.services.contracts import import_contract

        res = import_contract(engine(), file, actor=actor)
        if res.created:
            console.print(t(f"Contrat « {res.contract_id} » enregistré, version {res.version}.",
                            f"Contract '{res.contract_id}' stored, version {res.version}."))
        else:
            console.print(t(f"Contrat « {res.contract_id} » inchangé (version {res.version}).",
                            f"Contract '{res.contract_id}' unchanged (version {res.version})."))

    @sub.command("export")
    @handle_errors
    def export(contract_id: str, version: int = typer.Option(None, help="A stored version (default: latest)."),
               output: Path = typer.Option(None, "-o", "--output")) -> None:
        """Write a stored contract back as YAML."""
        from temoin.services.contracts import get_contract

        stored = get_contract(engine(), contract_id, version)
        if output:
            output.write_text(stored.yaml_text, encoding="utf-8")
        else:
            typer.echo(stored.yaml_text, nl=False)

    @sub.command("list")
    @handle_errors
    def list_(as_json: bool = typer.Option(False, "--json")) -> None:
        """List stored contracts (latest versions)."""
        from temoin.services.contracts import list_contracts

        rows = [{"id": s.contract.id, "version": s.version, "title": s.contract.title.get(lang()),
                 "design": s.contract.evaluation.design.value} for s in list_contracts(engine())]
        if as_json:
            print_json(rows)
        else:
            for r in rows:
                console.print(f"{r['id']}  v{r['version']}  {r['design']}  {r['title']}")


def safeguard_rows(outcomes: list[Outcome], language: str) -> list[dict[str, object]]:
    """Each safeguard rule's outcome with its title, message and fix in the reader's language."""
    from temoin.i18n import Translator

    tr = Translator(language)
    return [{"code": o.code, "severity": o.severity, "passed": o.passed, "title": tr.render(o.title),
             "message": tr.render(o.message), "fix": tr.render(o.fix)} for o in outcomes]


def print_safeguard_report(contract: Contract, outcomes: list[Outcome], out: Console, language: str) -> None:
    """The safeguard report as a person reads it: each rule, passed or not, with how to fix it."""
    from temoin.i18n import Translator

    tr = Translator(language)
    out.print(f"[bold]{escape(contract.title.get(language))}[/]")
    marks = {"error": "[red]✗[/]", "warning": "[yellow]![/]", "info": "[blue]i[/]"}
    for o, d in zip(outcomes, safeguard_rows(outcomes, language), strict=True):
        if o.passed:
            out.print(f"  [green]✓[/] {o.code} {escape(str(d['title']))}")
        else:
            out.print(f"  {marks[o.severity]} {o.code} {escape(str(d['title']))} — {escape(str(d['message']))}")
            out.print(f"      → {escape(str(d['fix']))}", style="dim")
    errors = sum(1 for o in outcomes if o.blocking)
    warnings = sum(1 for o in outcomes if not o.passed and o.severity == "warning")
    out.print("  " + escape(tr("Errors: {errors}; warnings: {warnings}.", errors=errors, warnings=warnings)))
