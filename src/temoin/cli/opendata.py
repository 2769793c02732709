"""``temoin export indigo|opendata``, ``temoin import indigo``, ``temoin registry``, ``temoin observatory``,
``temoin research-extract``."""


import json
from pathlib import Path

import typer
from rich.markup import escape

from temoin.cli._common import (
    console,
    engine,
    err_console,
    handle_errors,
    print_json,
    settings,
    t,
    words,
)
from temoin.cli._typer import TemoinTyper, tr


def register(app: typer.Typer) -> None:
    export_app = TemoinTyper(help=tr("Export open data."), no_args_is_help=True)
    import_app = TemoinTyper(help=tr("Import open data."), no_args_is_help=True)
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")

    @export_app.command("indigo", help=tr('Export a contract (or all) as INDIGO projects, public fields only.'))
    @handle_errors
    def export_indigo(
        contract: str | None = typer.Argument(None, help=tr("Contract id.")),
        all_contracts: bool = typer.Option(False, "--all", help=tr("Every contract of the registry.")),
        output: Path | None = typer.Option(None, "-o", "--output", help=tr("JSON file to write.")),
    ) -> None:
        from temoin.services.opendata import export_indigo as export
        from temoin.services.opendata import export_indigo_all

        if all_contracts == (contract is not None):
            raise typer.BadParameter(t("Give a contract or --all."))
        doc = export_indigo_all(engine()) if all_contracts else export(engine(), str(contract))
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
            return
        output.write_text(text, encoding="utf-8")
        if all_contracts:
            n = len(doc["projects"])
            console.print(t("{n} INDIGO project(s) written to {output}.", n=n, output=str(output)))
        else:
            console.print(t("INDIGO project {project} written to {output}.", project=doc["id"], output=str(output)))

    @export_app.command("opendata", help=tr("Publish the registry and each contract's public figures (CSV + Table Schema), INDIGO JSON, the Data Package and data.gouv.fr metadata."))
    @handle_errors
    def export_opendata(
        folder: Path = typer.Argument(..., help=tr("Folder to write the files to.")),
    ) -> None:
        from temoin.services.publication import publish_open_data

        pub = publish_open_data(engine(), folder, settings=settings())
        console.print(t("{n} file(s) written to {folder} (audit ledger at entry {entry}):", n=len(pub.files), folder=str(folder),
                        entry=str(pub.ledger_head)))
        for name in pub.files:
            console.print(f"  {escape(name)}")

    @import_app.command("indigo", help=tr('Import INDIGO data as GO Lab publishes it; every defect is reported, nothing is half-imported, a known project is updated.'))
    @handle_errors
    def import_indigo(
        path: Path = typer.Argument(..., help=tr("Folder or ZIP of GO Lab's CSV files, or an INDIGO JSON file.")),
        actor: str = typer.Option("cli", help=tr("Who is importing (audit ledger).")),
        as_json: bool = typer.Option(False, "--json", help=tr("Result as JSON.")),
        all_warnings: bool = typer.Option(False, "--all-warnings", help=tr("Show every warning.")),
    ) -> None:
        from temoin.cli.opendata_view import render_import
        from temoin.services.opendata import import_indigo as do_import

        summary = do_import(engine(), path, actor=actor)
        if as_json:
            print_json(summary.to_dict())
            return
        render_import(summary, console, err_console, words(), all_warnings=all_warnings)

    @app.command("registry", help=tr("The public registry of contracts (public fields), or an imported project's sheet."))
    @handle_errors
    def registry(
        entry: str | None = typer.Argument(None, help=tr("An INDIGO project to show in full.")),
        as_json: bool = typer.Option(False, "--json", help=tr("Registry as JSON.")),
    ) -> None:
        from temoin.cli.opendata_view import render_project, render_registry
        from temoin.services.opendata import public_project
        from temoin.services.opendata import registry as reg

        if entry is not None:
            sheet = public_project(engine(), entry)
            if as_json:
                print_json(sheet.to_dict())
            else:
                render_project(sheet, console, words())
            return
        entries = reg(engine())
        if as_json:
            print_json([e.to_dict() for e in entries])
            return
        render_registry(entries, console, words())

    @app.command("observatory", help=tr('Compare a contract with its peers (same sector and country); count counterfactuals, caps and published results.'))
    @handle_errors
    def observatory(
        contract: str | None = typer.Argument(None, help=tr("Contract id (none: the whole registry).")),
        as_json: bool = typer.Option(False, "--json", help=tr("Comparison as JSON.")),
    ) -> None:
        from temoin.cli.opendata_view import render_comparison, render_counts
        from temoin.services.opendata import observe, registry_counts

        if contract is None:
            counts = registry_counts(engine())
            if as_json:
                print_json({k: v.to_dict() for k, v in counts.items()})
            else:
                render_counts(counts, console, words())
            return
        cmp = observe(engine(), contract)
        if as_json:
            print_json(cmp.to_dict())
            return
        render_comparison(cmp, contract, console, words())

    @app.command("research-extract", help=tr('k-anonymous pseudonymised research extract, logged in the ledger.'))
    @handle_errors
    def research_extract(
        contract: str = typer.Argument(..., help=tr("Contract id.")),
        output: Path = typer.Option(..., "-o", "--output", help=tr("CSV file to write.")),
        k: int | None = typer.Option(None, "-k", help=tr("Minimum k (default: TEMOIN_K_ANONYMITY).")),
        refuse: bool = typer.Option(False, "--refuse", help=tr("Refuse instead of generalising.")),
        actor: str = typer.Option("cli", help=tr("Who asks for it (audit ledger).")),
    ) -> None:
        from temoin.services.opendata import research_extract as extract

        res = extract(engine(), contract, output, settings=settings(), actor=actor, k=k,
                      policy="refuse" if refuse else "generalise")
        rep = res.extract.anonymised
        action = {
            "none": t("no change needed"),
            "generalised": t("numeric quasi-identifiers grouped into bands"),
            "suppressed": t("records left out"),
            "generalised_and_suppressed": t("bands and records left out"),
        }[rep.action]
        reader = words()
        bands = "; ".join(reader("{column}: bands of {width}", column=c, width=w) for c, w in (rep.generalised or {}).items())
        console.print(escape(t("Extract written: {output} ({rows} rows, {k}-anonymous on {columns}); {action}{bands}; "
                               "{left_out} left out. SHA-256 {digest}…", output=str(output), rows=len(res.extract.frame),
                               k=rep.after.k, columns=", ".join(res.extract.quasi_identifiers) or t("no quasi-identifier"),
                               action=action, bands=f" ({bands})" if bands else "", left_out=rep.suppressed_records,
                               digest=res.sha256[:16])))
        console.print(t("Codebook: {codebook}; read first: {readme}.", codebook=str(res.codebook), readme=str(res.readme)))
        every = res.extract.all_columns
        declared = ", ".join(res.extract.not_quasi_identifiers or {}) or "—"
        console.print(t("Not quasi-identifiers per the contract: {declared}; k on all released columns: {k}.", declared=declared,
                        k=every.smallest_class if every else "—"))
