"""Open-data publication: the registry and each contract's public figures as CSV files with their
Table Schemas, every contract as INDIGO JSON, a Data Package and data.gouv.fr metadata.

These only read (no state changes, so no ledger entry); each publication names the audit-ledger
head it was made at, so that a reader can check later that nothing changed since.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from temoin.errors import InvalidInputError, NotFoundError
from temoin.messages import Msg
from temoin.opendata.publication import (
    FIGURES_SCHEMA,
    REGISTRY_SCHEMA,
    Figure,
    contract_figures,
    datagouv_metadata,
    datapackage,
    registry_rows,
    to_csv,
)
from temoin.reports._public import suppress_flow
from temoin.services.contracts import get_contract
from temoin.services.evaluations import latest_results, stored_cohort_flow
from temoin.services.opendata import export_indigo_all, registry
from temoin.services.settlements import list_settlements
from temoin.settings import Settings
from temoin.store import ledger, read_scope, session_scope
from temoin.store.contracts import ContractRepository

__all__ = ["FIGURES_SCHEMA_FILE", "REGISTRY_FILE", "REGISTRY_SCHEMA_FILE", "Publication", "figures", "figures_csv", "figures_file",
           "file_names", "open_data_file", "open_data_files", "publish_open_data", "registry_csv"]

REGISTRY_FILE = "registre-contrats.csv"
FIGURES_SCHEMA_FILE = "chiffres-contrat.schema.json"
REGISTRY_SCHEMA_FILE = "registre-contrats.schema.json"


def figures_file(contract_id: str) -> str:
    return f"chiffres-{contract_id}.csv"


def registry_csv(engine: Engine) -> str:
    """The public registry as CSV (see ``REGISTRY_SCHEMA``)."""
    return to_csv(registry_rows(registry(engine)), REGISTRY_SCHEMA)


def figures(engine: Engine, contract_id: str, *, settings: Settings) -> list[Figure]:
    """A contract's public figures: terms, cohort after small-cell suppression, latest impact, latest
    recorded settlement (the threshold is the settings' ``small_cell_threshold``)."""
    stored = get_contract(engine, contract_id)
    c = stored.contract
    with session_scope(engine) as s:
        flow = stored_cohort_flow(s, c)
        results = latest_results(s, c.id)
    public_flow = suppress_flow(flow, settings.small_cell_threshold)[0] if flow else None
    current = [r for r in list_settlements(engine, contract_id) if r.superseded_by is None]
    settled = max(current, key=lambda r: r.id, default=None)
    return contract_figures(c, stored.version, flow=public_flow, results=results,
                            settlement=settled.outputs if settled else None, threshold=settings.small_cell_threshold)


def figures_csv(engine: Engine, contract_id: str, *, settings: Settings) -> str:
    return to_csv(figures(engine, contract_id, settings=settings), FIGURES_SCHEMA)


def _resources(contract_ids: list[str], base: str) -> list[dict[str, Any]]:
    def res(name: str, path: str, schema: str, title: str) -> dict[str, Any]:
        return {"name": name, "path": base + path, "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
                "encoding": "utf-8", "schema": base + schema, "title": title}

    out = [res("registre-contrats", REGISTRY_FILE, REGISTRY_SCHEMA_FILE, "Registre des contrats / Registry of contracts")]
    out += [res(f"chiffres-{cid}", figures_file(cid), FIGURES_SCHEMA_FILE, f"Chiffres publics de {cid} / Public figures of {cid}")
            for cid in contract_ids]
    return out


@dataclass(frozen=True)
class Publication:
    """Every open-data file, by file name, and the ledger head they were made at."""

    files: dict[str, str]
    ledger_head: int


def _ledger_head(engine: Engine) -> int:
    with read_scope(engine) as db:
        return ledger.head_seq(db)


def _contract_ids(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return [c.contract.id for c in ContractRepository(s).list_latest()]


def file_names(engine: Engine) -> list[str]:
    """The names of the open-data files, the same in a published folder and under the API."""
    return [REGISTRY_FILE, REGISTRY_SCHEMA_FILE, FIGURES_SCHEMA_FILE, "indigo.json", "datapackage.json", "data.gouv.fr.json",
            *(figures_file(cid) for cid in _contract_ids(engine))]


def _json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def open_data_file(engine: Engine, name: str, *, settings: Settings, base_url: str = "") -> str:
    """One open-data file's text. ``base_url`` prefixes the resource paths in the metadata files
    (empty: paths relative to the folder the files are written to)."""
    if name == REGISTRY_FILE:
        return registry_csv(engine)
    if name == REGISTRY_SCHEMA_FILE:
        return _json(REGISTRY_SCHEMA)
    if name == FIGURES_SCHEMA_FILE:
        return _json(FIGURES_SCHEMA)
    if name == "indigo.json":
        return _json(export_indigo_all(engine))
    if name in ("datapackage.json", "data.gouv.fr.json"):
        entries = registry(engine)
        resources = _resources(_contract_ids(engine), base_url)
        head = {"temoin:ledger_head": _ledger_head(engine)}
        if name == "datapackage.json":
            return _json(datapackage(resources, producer=settings.open_data_producer, entries=entries) | head)
        links = [{"title": r["title"], "url": r["path"], "format": "csv"} for r in resources]
        return _json(datagouv_metadata(entries, producer=settings.open_data_producer, resources=links) | head)
    if name.startswith("chiffres-") and name.endswith(".csv"):
        return figures_csv(engine, name.removeprefix("chiffres-").removesuffix(".csv"), settings=settings)
    raise NotFoundError("opendata.file_not_found", Msg("Unknown open-data file: '{name}'.", name=name), path="file",
                        hint=Msg("See datapackage.json for the list of files."))


def open_data_files(engine: Engine, *, settings: Settings, base_url: str = "") -> Publication:
    """Every open-data file (name -> text) and the ledger head they were made at."""
    head = _ledger_head(engine)
    return Publication({n: open_data_file(engine, n, settings=settings, base_url=base_url) for n in file_names(engine)}, head)


def publish_open_data(engine: Engine, folder: str | Path, *, settings: Settings) -> Publication:
    """Write the open-data files into ``folder`` (created if needed; files of the same name replaced)."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InvalidInputError("opendata.folder", Msg("'{out}' is not a folder.", out=out), path="folder",
                                hint=Msg("Give a folder (it is created if it does not exist)."))
    publication = open_data_files(engine, settings=settings)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in publication.files.items():
        (out / name).write_text(text, encoding="utf-8", newline="")
    return publication
