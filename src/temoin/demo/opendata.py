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

from temoin.cli.opendata_view import metric_value
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


def show(engine: Engine, console: Console, settings: Settings, reader: Translator) -> None:
    """What a new user wants to see: the contract in INDIGO, against the registry, and published safely."""
    t = reader
    contract_id = "aemo-renforcee"
    console.print(Rule(t("Open data — {contract}", contract=contract_id)))
    project = export_indigo(engine, contract_id)
    errors = validate_project(project["data"])
    console.print(t("INDIGO export {project}: valid against the INDIGO 4.1 project schema", project=project["id"]) if not errors
                  else t("INDIGO export {project}: {n} schema error(s)", project=project["id"], n=len(errors)))
    with resources.as_file(resources.files("temoin.opendata").joinpath("samples", "indigo-sample.json")) as sample:
        summary = import_indigo(engine, sample, actor="demo")
    warnings = summary.result.warnings
    console.print(t("INDIGO import (sample): {projects} projects, {warnings} defects reported, none fatal",
                    projects=len(summary.result.projects), warnings=len(warnings)))
    for w in warnings[:3]:
        console.print(f"  [yellow]⚠[/] {escape(t.render(w.describe()))}", soft_wrap=True)
    reg = registry_counts(engine)["all"]
    console.print(t("Registry: {entries} contracts; real counterfactual {real}/{known} (method known); capped at realised "
                    "savings {capped}/{cap_known} (not recorded: {unknown}); published results {published}/{results_known}.",
                    entries=reg.entries, real=str(reg.real_counterfactual), known=str(reg.validation_known),
                    capped=str(reg.capped_at_savings), cap_known=str(reg.cap_known), unknown=reg.entries - reg.cap_known,
                    published=str(reg.published_results), results_known=str(reg.results_known)))
    cmp = observe(engine, contract_id)
    console.print(t("Observatory: {size} other contracts in the registry, {real} of them with a real counterfactual "
                    "(randomised or quasi-experimental); this one: {this}.", size=cmp.registry_size,
                    real=cmp.with_real_counterfactual, this=bool(cmp.contract_has_real_counterfactual)))
    for m in cmp.registry_metrics:
        if m.value is not None and m.n and m.median is not None:
            console.print("  " + escape(t("{label}: {value} (registry median {median}, n = {n})",
                                          label=t.label("observatory_metric", m.key),
                                          value=metric_value(t, m.value, m.unit), median=metric_value(t, m.median, m.unit),
                                          n=m.n)))
    url = engine.url
    folder = Path(url.database).parent if url.get_backend_name() == "sqlite" and url.database else Path(tempfile.gettempdir())
    publication = publish_open_data(engine, folder / "donnees-ouvertes", settings=settings)
    console.print(t("Open data: {n} files (CSV + Table Schema, INDIGO, Data Package, data.gouv.fr metadata) in {folder}",
                    n=len(publication.files), folder=str(folder / "donnees-ouvertes")))
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
        console.print(escape(t("Publication: enrolled people by number of siblings (rows {rows}) × territory ({columns}), "
                               "threshold {threshold}: {primary} cell(s) below the threshold hidden, {secondary} more so "
                               "that none can be worked out from the totals (· = hidden):",
                               rows=", ".join(str(x) for x in counts.index), columns=", ".join(map(str, counts.columns)),
                               threshold=threshold, primary=table.n_primary, secondary=table.n_secondary)))
        for row in table.published():
            console.print("   " + " ".join(f"{'·' if v is None else t.number(v):>5}" for v in row))
    try:
        res = research_extract(engine, contract_id, folder / f"{contract_id}-extrait-recherche.csv", settings=settings,
                               actor="demo")
    except TemoinError as exc:
        console.print(escape(t("Research extract refused: {reason}", reason=t.error(exc))))
        return
    rep = res.extract.anonymised
    bands = "; ".join(t("{column}: bands of {width}", column=c, width=w) for c, w in (rep.generalised or {}).items())
    console.print(escape(t("Research extract: {output} (with {codebook} and {readme}) — {rows} rows, {k}-anonymous on "
                           "{columns} (smallest class {smallest}); bands: {bands}; {left_out} left out; logged in the "
                           "ledger (sha256 {digest}…).", output=str(res.output),
                           codebook=res.codebook.name if res.codebook else "—", readme=res.readme.name if res.readme else "—",
                           rows=len(res.extract.frame), k=rep.after.k, columns=", ".join(res.extract.quasi_identifiers),
                           smallest=rep.after.smallest_class, bands=bands or t("none"), left_out=rep.suppressed_records,
                           digest=res.sha256[:12])))
    every = res.extract.all_columns
    console.print("  " + escape(t("Not quasi-identifiers per the contract (reason given): {declared}; not released: "
                                  "{withheld}; k on all released columns: {k}.",
                                  declared=", ".join(res.extract.not_quasi_identifiers or {}) or "—",
                                  withheld=", ".join(res.extract.withheld) or "—",
                                  k=every.smallest_class if every else "—")))
