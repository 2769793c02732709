"""``temoin export indigo``, ``temoin import indigo``, ``temoin registry``, ``temoin observatory``, ``temoin research-extract``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

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
        contract: str = typer.Argument(..., help="Identifiant du contrat / contract id."),
        output: Annotated[Path | None, typer.Option("-o", "--output", help="Fichier JSON à écrire / JSON file to write.")] = None,
    ) -> None:
        """Exporter un contrat au standard INDIGO (champs publics seulement). / Export a contract as an INDIGO project (public fields only)."""
        from temoin.services.opendata import export_indigo as export

        project = export(engine(), contract)
        text = json.dumps(project, ensure_ascii=False, indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            console.print(t(f"Projet INDIGO {project['id']} écrit dans {output}.", f"INDIGO project {project['id']} written to {output}."))

    @import_app.command("indigo")
    @handle_errors
    def import_indigo(
        path: Annotated[Path, typer.Argument(help="Fichier JSON ou dossier de CSV / JSON file or folder of CSV files.")],
        actor: str = typer.Option("cli", help="Qui importe (journal d'audit) / who is importing (audit ledger)."),
        as_json: bool = typer.Option(False, "--json", help="Résultat en JSON / result as JSON."),
    ) -> None:
        """Importer des projets INDIGO ; chaque défaut est signalé, rien n'est à moitié importé. / Import INDIGO projects; every defect is reported, nothing is half-imported."""
        from temoin.services.opendata import import_indigo as do_import

        summary = do_import(engine(), path, actor=actor)
        if as_json:
            print_json(summary.to_dict())
            return
        res = summary.result
        console.print(t(f"{len(res.projects)} projet(s) importé(s) depuis {res.source} ({len(summary.added)} nouveau(x), "
                        f"{len(summary.replaced)} remplacé(s)), {len(res.warnings)} avertissement(s).",
                        f"{len(res.projects)} project(s) imported from {res.source} ({len(summary.added)} new, "
                        f"{len(summary.replaced)} replaced), {len(res.warnings)} warning(s)."))
        for w in res.warnings:
            err_console.print(f"[yellow]{t('Avertissement', 'Warning')}[/] {escape(w.render(lang()))}", soft_wrap=True)  # type: ignore[arg-type]

    @app.command("registry")
    @handle_errors
    def registry(as_json: bool = typer.Option(False, "--json", help="Registre en JSON / registry as JSON.")) -> None:
        """Le registre public des contrats (champs publics). / The public registry of contracts (public fields)."""
        from temoin.services.opendata import registry as reg

        entries = reg(engine())
        if as_json:
            print_json([e.to_dict() for e in entries])
            return
        table = Table(title=t("Registre public des contrats", "Public registry of contracts"))
        for col in (t("Identifiant", "Id"), t("Nom", "Name"), t("Pays", "Country"), t("Secteur", "Sector"),
                    t("Paiement max.", "Max. payment"), t("Durée (mois)", "Duration (months)"),
                    t("Rendement max.", "Max. return"), t("Validation", "Validation")):
            table.add_column(col)
        for e in entries:
            table.add_row(
                e.id, escape(e.name), e.country or "—", e.sector or "—",
                f"{e.max_outcome_payment:,.0f} {e.currency}" if e.max_outcome_payment is not None else "—",
                f"{e.duration_months:g}" if e.duration_months is not None else "—",
                f"{e.max_return_pct:g} %" if e.max_return_pct is not None else "—",
                e.validation_method or "—",
            )
        console.print(table)

    @app.command("observatory")
    @handle_errors
    def observatory(
        contract: str = typer.Argument(..., help="Identifiant du contrat / contract id."),
        as_json: bool = typer.Option(False, "--json", help="Comparaison en JSON / comparison as JSON."),
    ) -> None:
        """Comparer les termes d'un contrat avec le registre. / Compare a contract's terms with the registry."""
        from temoin.services.opendata import observe

        cmp = observe(engine(), contract)
        if as_json:
            print_json(cmp.to_dict())
            return
        table = Table(title=t(f"« {contract} » face au registre ({cmp.registry_size} contrats)",
                              f"'{contract}' against the registry ({cmp.registry_size} contracts)"))
        for col in (t("Terme", "Term"), t("Ce contrat", "This contract"), t("Médiane", "Median"), "Min", "Max",
                    t("Part en dessous", "Share below"), "n", t("Exclus", "Excluded")):
            table.add_column(col)

        def fmt(x: float | None) -> str:
            return "—" if x is None else f"{x:,.2f}"

        for m in cmp.metrics:
            table.add_row(f"{m.label_fr if lang() == 'fr' else m.label_en} ({m.unit})", fmt(m.value), fmt(m.median),
                          fmt(m.minimum), fmt(m.maximum), "—" if m.share_below is None else f"{m.share_below:.0%}",
                          str(m.n), str(m.excluded))
        console.print(table)
        designs = ", ".join(f"{k}: {v}" for k, v in cmp.designs.items()) or "—"
        console.print(t(f"Méthodes de validation dans le registre : {designs} ; inconnues : {cmp.designs_unknown}. "
                        f"Avec un vrai contrefactuel : {cmp.with_real_counterfactual}/{cmp.registry_size}.",
                        f"Validation methods in the registry: {designs}; unknown: {cmp.designs_unknown}. "
                        f"With a real counterfactual: {cmp.with_real_counterfactual}/{cmp.registry_size}."))
        console.print(t(f"Ce contrat : {cmp.contract_design} ; paiements plafonnés aux économies réalisées : "
                        f"{'oui' if cmp.contract_capped_at_savings else 'non'}.",
                        f"This contract: {cmp.contract_design}; payments capped at realised savings: "
                        f"{'yes' if cmp.contract_capped_at_savings else 'no'}."))

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
        every = res.extract.all_columns
        declared = ", ".join(res.extract.not_quasi_identifiers or {}) or "—"
        console.print(t(f"Non quasi-identifiants selon le contrat : {declared} ; k sur toutes les colonnes publiées : "
                        f"{every.smallest_class if every else '—'}.",
                        f"Not quasi-identifiers per the contract: {declared}; k on all released columns: "
                        f"{every.smallest_class if every else '—'}."))
