"""``temoin export indigo|opendata``, ``temoin import indigo``, ``temoin registry``, ``temoin observatory``,
``temoin research-extract``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from temoin.cli._common import (
    console,
    engine,
    err_console,
    handle_errors,
    lang,
    print_json,
    settings,
    t,
)


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(help="Exporter des données ouvertes. / Export open data.", no_args_is_help=True)
    import_app = typer.Typer(help="Importer des données ouvertes. / Import open data.", no_args_is_help=True)
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")

    @export_app.command("indigo")
    @handle_errors
    def export_indigo(
        contract: Annotated[str | None, typer.Argument(help="Identifiant du contrat / contract id.")] = None,
        all_contracts: bool = typer.Option(False, "--all", help="Tous les contrats du registre / every contract of the registry."),
        output: Annotated[Path | None, typer.Option("-o", "--output", help="Fichier JSON à écrire / JSON file to write.")] = None,
    ) -> None:
        """Exporter un contrat (ou tous) au standard INDIGO, champs publics seulement. / Export a contract (or all) as INDIGO projects, public fields only."""
        from temoin.services.opendata import export_indigo as export
        from temoin.services.opendata import export_indigo_all

        if all_contracts == (contract is not None):
            raise typer.BadParameter(t("donnez un contrat ou --all", "give a contract or --all"))
        doc = export_indigo_all(engine()) if all_contracts else export(engine(), str(contract))
        text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
            return
        output.write_text(text, encoding="utf-8")
        if all_contracts:
            n = len(doc["projects"])
            console.print(t(f"{n} projet(s) INDIGO écrit(s) dans {output}.", f"{n} INDIGO project(s) written to {output}."))
        else:
            console.print(t(f"Projet INDIGO {doc['id']} écrit dans {output}.", f"INDIGO project {doc['id']} written to {output}."))

    @export_app.command("opendata")
    @handle_errors
    def export_opendata(
        folder: Annotated[Path, typer.Argument(help="Dossier où écrire les fichiers / folder to write the files to.")],
    ) -> None:
        """Publier le registre et les chiffres publics de chaque contrat (CSV + Table Schema), le JSON INDIGO, le Data Package et les métadonnées data.gouv.fr. / Publish the registry and each contract's public figures (CSV + Table Schema), INDIGO JSON, the Data Package and data.gouv.fr metadata."""
        from temoin.services.publication import publish_open_data

        pub = publish_open_data(engine(), folder, settings=settings())
        console.print(t(f"{len(pub.files)} fichier(s) écrit(s) dans {folder} (journal d'audit à l'entrée {pub.ledger_head}) :",
                        f"{len(pub.files)} file(s) written to {folder} (audit ledger at entry {pub.ledger_head}):"))
        for name in pub.files:
            console.print(f"  {escape(name)}")

    @import_app.command("indigo")
    @handle_errors
    def import_indigo(
        path: Annotated[Path, typer.Argument(help="Dossier ou ZIP des fichiers CSV de GO Lab, ou fichier JSON INDIGO / "
                                                  "folder or ZIP of GO Lab's CSV files, or an INDIGO JSON file.")],
        actor: str = typer.Option("cli", help="Qui importe (journal d'audit) / who is importing (audit ledger)."),
        as_json: bool = typer.Option(False, "--json", help="Résultat en JSON / result as JSON."),
        all_warnings: bool = typer.Option(False, "--all-warnings", help="Afficher tous les avertissements / show every warning."),
    ) -> None:
        """Importer les données INDIGO telles que GO Lab les publie ; chaque défaut est signalé, rien n'est à moitié importé, un projet déjà connu est mis à jour. / Import INDIGO data as GO Lab publishes it; every defect is reported, nothing is half-imported, a known project is updated."""
        from temoin.cli.opendata_view import render_import
        from temoin.services.opendata import import_indigo as do_import

        summary = do_import(engine(), path, actor=actor)
        if as_json:
            print_json(summary.to_dict())
            return
        render_import(summary, console, err_console, lang(), all_warnings=all_warnings)

    @app.command("registry")
    @handle_errors
    def registry(
        entry: Annotated[str | None, typer.Argument(help="Un projet INDIGO à détailler / an INDIGO project to show in full.")] = None,
        as_json: bool = typer.Option(False, "--json", help="Registre en JSON / registry as JSON."),
    ) -> None:
        """Le registre public des contrats (champs publics), ou la fiche d'un projet importé. / The public registry of contracts (public fields), or an imported project's sheet."""
        from temoin.cli.opendata_view import render_project, render_registry
        from temoin.services.opendata import public_project
        from temoin.services.opendata import registry as reg

        if entry is not None:
            sheet = public_project(engine(), entry)
            if as_json:
                print_json(sheet.to_dict())
            else:
                render_project(sheet, console, lang())
            return
        entries = reg(engine())
        if as_json:
            print_json([e.to_dict() for e in entries])
            return
        render_registry(entries, console, lang())

    @app.command("observatory")
    @handle_errors
    def observatory(
        contract: Annotated[str | None, typer.Argument(help="Identifiant du contrat (sans : tout le registre) / "
                                                            "contract id (none: the whole registry).")] = None,
        as_json: bool = typer.Option(False, "--json", help="Comparaison en JSON / comparison as JSON."),
    ) -> None:
        """Comparer un contrat avec ses pairs (même secteur, même pays) ; compter contrefactuels, plafonds et résultats publiés. / Compare a contract with its peers (same sector and country); count counterfactuals, caps and published results."""
        from temoin.cli.opendata_view import render_comparison, render_counts
        from temoin.services.opendata import observe, registry_counts

        if contract is None:
            counts = registry_counts(engine())
            if as_json:
                print_json({k: v.to_dict() for k, v in counts.items()})
            else:
                render_counts(counts, console, lang())
            return
        cmp = observe(engine(), contract)
        if as_json:
            print_json(cmp.to_dict())
            return
        render_comparison(cmp, contract, console, lang())

    @app.command("research-extract")
    @handle_errors
    def research_extract(
        contract: Annotated[str, typer.Argument(help="Identifiant du contrat / contract id.")],
        output: Annotated[Path, typer.Option("-o", "--output", help="Fichier CSV à écrire / CSV file to write.")],
        k: int | None = typer.Option(None, "-k", help="k minimal (défaut : TEMOIN_K_ANONYMITY) / minimum k (default: TEMOIN_K_ANONYMITY)."),
        refuse: bool = typer.Option(False, "--refuse", help="Refuser au lieu de généraliser / refuse instead of generalising."),
        actor: str = typer.Option("cli", help="Qui demande l'extrait (journal d'audit) / who asks for it (audit ledger)."),
    ) -> None:
        """Extrait pseudonymisé k-anonyme pour la recherche, consigné au journal. / k-anonymous pseudonymised research extract, logged in the ledger."""
        from temoin.services.opendata import research_extract as extract

        res = extract(engine(), contract, output, settings=settings(), actor=actor, k=k,
                      policy="refuse" if refuse else "generalise")
        rep = res.extract.anonymised
        action = {
            "none": t("aucune modification nécessaire", "no change needed"),
            "generalised": t("quasi-identifiants numériques regroupés en tranches", "numeric quasi-identifiers grouped into bands"),
            "suppressed": t("enregistrements retirés", "records left out"),
            "generalised_and_suppressed": t("tranches et enregistrements retirés", "bands and records left out"),
        }[rep.action]
        console.print(t(
            f"Extrait écrit : {output} ({len(res.extract.frame)} lignes, {rep.after.k}-anonyme sur "
            f"{', '.join(res.extract.quasi_identifiers) or 'aucun quasi-identifiant'}) ; {action}"
            f"{f' : {rep.generalised}' if rep.generalised else ''}; {rep.suppressed_records} retiré(s). SHA-256 {res.sha256[:16]}…",
            f"Extract written: {output} ({len(res.extract.frame)} rows, {rep.after.k}-anonymous on "
            f"{', '.join(res.extract.quasi_identifiers) or 'no quasi-identifier'}); {action}"
            f"{f': {rep.generalised}' if rep.generalised else ''}; {rep.suppressed_records} left out. SHA-256 {res.sha256[:16]}…"))
        console.print(t(f"Dictionnaire des variables : {res.codebook} ; à lire d'abord : {res.readme}.",
                        f"Codebook: {res.codebook}; read first: {res.readme}."))
        every = res.extract.all_columns
        declared = ", ".join(res.extract.not_quasi_identifiers or {}) or "—"
        console.print(t(f"Non quasi-identifiants selon le contrat : {declared} ; k sur toutes les colonnes publiées : "
                        f"{every.smallest_class if every else '—'}.",
                        f"Not quasi-identifiers per the contract: {declared}; k on all released columns: "
                        f"{every.smallest_class if every else '—'}."))
