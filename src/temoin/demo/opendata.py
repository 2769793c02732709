"""The open-data part of ``make demo``: the child-protection contract exported to INDIGO and checked
against the schema, a sample of the registry imported, the observatory, a publication with small
cells suppressed, and a k-anonymous research extract."""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.errors import NotFoundError, TemoinError
from temoin.i18n import Translator
from temoin.opendata.schemas import validate_project
from temoin.opendata.suppression import suppress_table
from temoin.services.evaluations import participants_frame
from temoin.services.opendata import (
    export_indigo,
    import_indigo,
    observe,
    registry_counts,
    research_extract,
)
from temoin.services.publication import publish_open_data
from temoin.settings import Settings
from temoin.store import session_scope


def show(engine: Engine, console: Console, settings: Settings) -> None:
    """What a new user wants to see: the contract in INDIGO, against the registry, and published safely."""
    contract_id = "aemo-renforcee"
    console.print(Rule("Données ouvertes / Open data — aemo-renforcee"))
    project = export_indigo(engine, contract_id)
    errors = validate_project(project["data"])
    console.print(f"Export INDIGO {project['id']} : "
                  + ("conforme au schéma projet INDIGO 4.1 / valid against the INDIGO 4.1 project schema" if not errors
                     else f"{len(errors)} erreur(s) de schéma / schema error(s)"))
    with resources.as_file(resources.files("temoin.opendata").joinpath("samples", "indigo-sample.json")) as sample:
        summary = import_indigo(engine, sample, actor="demo")
    warnings = summary.result.warnings
    console.print(f"Import INDIGO (échantillon) : {len(summary.result.projects)} projets, {len(warnings)} défauts signalés, "
                  "aucun bloquant / sample import: every defect reported, none fatal")
    for w in warnings[:3]:
        console.print(f"  [yellow]⚠[/] {escape(Translator('fr').render(w.describe()))}", soft_wrap=True)
    reg = registry_counts(engine)["all"]
    console.print(f"Registre : {reg.entries} contrats ; contrefactuel réel {reg.real_counterfactual}/{reg.validation_known} "
                  f"(méthode connue) ; plafond aux économies réalisées {reg.capped_at_savings}/{reg.cap_known} "
                  f"(non renseigné : {reg.entries - reg.cap_known}) ; résultats publiés {reg.published_results}/"
                  f"{reg.results_known}.")
    cmp = observe(engine, contract_id)
    console.print(f"Observatoire : {cmp.registry_size} autres contrats au registre, dont {cmp.with_real_counterfactual} avec un "
                  f"vrai contrefactuel (essai randomisé ou quasi-expérimental) ; celui-ci : "
                  f"{'oui' if cmp.contract_has_real_counterfactual else 'non'}.")
    words = Translator("fr")
    for m in cmp.registry_metrics:
        if m.value is not None and m.n and m.median is not None:
            console.print(f"  {words.label('observatory_metric', m.key)} : {words.number(m.value, 2)} {words.label('unit', m.unit)} "
                          f"(médiane du registre {words.number(m.median, 2)}, n={m.n})")
    url = engine.url
    folder = Path(url.database).parent if url.get_backend_name() == "sqlite" and url.database else Path(tempfile.gettempdir())
    publication = publish_open_data(engine, folder / "donnees-ouvertes", settings=settings)
    console.print(f"Données ouvertes : {len(publication.files)} fichiers (CSV + Table Schema, INDIGO, Data Package, "
                  f"métadonnées data.gouv.fr) dans {folder / 'donnees-ouvertes'}")
    with session_scope(engine) as s:
        try:
            people = participants_frame(s, contract_id)
        except NotFoundError:
            people = pd.DataFrame()
    if not len(people) or "arm" not in people.columns:
        return
    threshold = settings.small_cell_threshold
    enrolled = people[people["arm"].notna()]
    if "siblings" in enrolled.columns and "territory" in enrolled.columns:
        counts = pd.crosstab(enrolled["siblings"], enrolled["territory"])
        table = suppress_table(counts.to_numpy(), threshold=threshold)
        console.print(f"Publication : inscrits par nombre de frères et sœurs (lignes {list(counts.index)}) × territoire "
                      f"({', '.join(map(str, counts.columns))}), seuil {threshold} : {table.n_primary} case(s) sous le seuil "
                      f"masquée(s), {table.n_secondary} de plus pour qu'aucune ne se recalcule depuis les totaux "
                      f"(· = masqué) :")
        for row in table.published():
            console.print("   " + " ".join(f"{'·' if v is None else v:>5}" for v in row))
    try:
        res = research_extract(engine, contract_id, folder / f"{contract_id}-extrait-recherche.csv", settings=settings,
                               actor="demo")
    except TemoinError as exc:
        console.print(f"Extrait de recherche refusé / research extract refused: {escape(Translator('fr').error(exc))}")
        return
    rep = res.extract.anonymised
    console.print(f"Extrait de recherche : {res.output} (avec {res.codebook.name if res.codebook else '—'} et "
                  f"{res.readme.name if res.readme else '—'}) — {len(res.extract.frame)} lignes, {rep.after.k}-anonyme sur "
                  f"{', '.join(res.extract.quasi_identifiers)} (plus petite classe {rep.after.smallest_class}) ; "
                  f"tranches : {rep.generalised or 'aucune'} ; {rep.suppressed_records} retiré(s) ; consigné au journal "
                  f"(sha256 {res.sha256[:12]}…).")
    every = res.extract.all_columns
    console.print(f"  Non quasi-identifiants selon le contrat (raison donnée) : {', '.join(res.extract.not_quasi_identifiers or {})} ; "
                  f"non publiés : {', '.join(res.extract.withheld)} ; k sur toutes les colonnes publiées : "
                  f"{every.smallest_class if every else '—'}.")
