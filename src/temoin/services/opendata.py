"""Open-data services: INDIGO export and import, the public registry, the observatory, research extracts.

Each function that changes state owns one transaction: the change and its audit-ledger entry are
saved together or not at all. An INDIGO import is read and cleaned completely before the
transaction opens, so a refused file leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from temoin.errors import InvalidInputError, NotFoundError
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.opendata.codebook import CODEBOOK_SCHEMA, codebook, readme
from temoin.opendata.indigo_columns import RecordKind
from temoin.opendata.indigo_export import export_project
from temoin.opendata.indigo_import import ImportResult, read_indigo
from temoin.opendata.observatory import Comparison, SafeguardCounts, compare, counts_by_source
from temoin.opendata.project_sheet import ProjectSheet, project_sheet
from temoin.opendata.publication import to_csv
from temoin.opendata.registry import (
    PARTY_LISTS,
    RegistryEntry,
    entry_from_contract,
    entry_from_indigo,
)
from temoin.opendata.research import ResearchExtract, build_extract
from temoin.services.evaluations import latest_results, participants_frame
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.opendata import OpenDataRepository, SavedImport

__all__ = [
    "ExtractSummary",
    "IndigoImportSummary",
    "export_indigo",
    "export_indigo_all",
    "import_indigo",
    "observe",
    "public_project",
    "registry",
    "registry_counts",
    "research_extract",
]


def export_indigo(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The latest version of a stored contract as an INDIGO project (public fields only)."""
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
    return export_project(stored.contract, as_of=as_of)


def export_indigo_all(engine: Engine, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """Every contract of the registry (latest versions, public fields only) as INDIGO projects:
    ``{"projects": [{"id": ..., "data": ...}, ...]}``, the shape ``temoin import indigo`` reads back."""
    with session_scope(engine) as s:
        contracts = ContractRepository(s).list_latest()
    return {"projects": [export_project(c.contract, as_of=as_of) for c in contracts]}


@dataclass(frozen=True)
class IndigoImportSummary:
    """What an import read and changed: new, updated and unchanged records (by INDIGO identifier)."""

    import_id: int
    result: ImportResult
    saved: SavedImport

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(self.saved.added.get(RecordKind.PROJECT, []))

    @property
    def updated(self) -> tuple[str, ...]:
        return tuple(self.saved.updated.get(RecordKind.PROJECT, []))

    @property
    def unchanged(self) -> tuple[str, ...]:
        return tuple(self.saved.unchanged.get(RecordKind.PROJECT, []))

    @property
    def replaced(self) -> tuple[str, ...]:
        """Projects already in the registry (updated or unchanged), in the import's order."""
        known = set(self.updated) | set(self.unchanged)
        return tuple(p.id for p in self.result.projects if p.id in known)

    def counts(self) -> dict[str, dict[str, int]]:
        return {k.value: {"added": len(self.saved.added.get(k, [])), "updated": len(self.saved.updated.get(k, [])),
                          "unchanged": len(self.saved.unchanged.get(k, []))} for k in RecordKind}

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.result.source,
            "format": self.result.format,
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "replaced": list(self.replaced),
            "counts": self.counts(),
            "files": [f.to_dict() for f in self.result.files],
            "warnings_by_code": self.result.warnings_by_code(),
            "warnings": [w.to_dict() for w in self.result.warnings],
        }


def import_indigo(engine: Engine, path: str | Path, *, actor: str = "cli") -> IndigoImportSummary:
    """Import every record of GO Lab's flat CSV files (folder or ZIP) or of INDIGO JSON, with its
    warnings, in one transaction with its ledger entry. A record already in the registry (same INDIGO
    identifier) is updated in place, never duplicated."""
    result = read_indigo(path)  # read and cleaned whole before the transaction: a refused input writes nothing
    with session_scope(engine) as s:
        saved = OpenDataRepository(s).save_import(result, actor=actor)
        summary = IndigoImportSummary(saved.import_id, result, saved)
        ledger.append(s, actor=actor, event=LedgerEvent.OPENDATA_INDIGO_IMPORTED, payload={
            "import_id": saved.import_id,
            "source": result.source,
            "format": result.format,
            "projects": [p.id for p in result.projects],
            "added": list(summary.added),
            "replaced": list(summary.replaced),
            "updated": list(summary.updated),
            "counts": summary.counts(),
            "files": len(result.files),
            "rows": sum(f.rows for f in result.files),
            "warnings": len(result.warnings),
            "warnings_by_code": result.warnings_by_code(),
        })
    return summary


def registry(engine: Engine, *, as_of: dt.date | None = None) -> list[RegistryEntry]:
    """The public registry: Témoin contracts (latest versions) then imported INDIGO projects, their
    parties named from the imported organisations."""
    with session_scope(engine) as s:
        contracts = ContractRepository(s).list_latest()
        evaluated = {c.contract.id: bool(latest_results(s, c.contract.id)) for c in contracts}
        repo = OpenDataRepository(s)
        projects = repo.projects(public_only=True)
        names = repo.names(RecordKind.ORGANISATION)
    return [entry_from_contract(c.contract, as_of=as_of, has_published_results=evaluated[c.contract.id]) for c in contracts] + [
        entry_from_indigo(p.id, p.data, names) for p in projects
    ]


def registry_counts(engine: Engine) -> dict[str, SafeguardCounts]:
    """Across the registry (all, Témoin's contracts, INDIGO projects): how many have a real
    counterfactual, a cap at realised savings, and published results."""
    return counts_by_source(registry(engine))


def public_project(engine: Engine, project_id: str) -> ProjectSheet:
    """The public sheet of an imported INDIGO project (parties, metrics, prices, payments, results, sources)."""
    with session_scope(engine) as s:
        repo = OpenDataRepository(s)
        project = repo.project(project_id)
        if project is None:
            raise NotFoundError("opendata.project_not_found", Msg("Project not in the registry: '{project_id}'.", project_id=project_id), path="project_id",
                                hint=Msg("Check the address, or find the project in the public registry."))
        orgs = {o.strip() for key, _, _ in PARTY_LISTS for item in project.data.get(key, [])
                for o in str((item.get("organisation_id") or {}).get("value") or "").split(",") if o.strip()}
        names = repo.names(RecordKind.ORGANISATION, orgs)
    return project_sheet(project.id, project.data, names)


def observe(engine: Engine, contract_id: str) -> Comparison:
    """Compare a stored contract's terms with its peers (same sector and country) and count the registry."""
    entries = registry(engine)
    me = next((e for e in entries if e.source == "temoin" and e.id == contract_id), None)
    if me is None:
        raise NotFoundError("contract.not_found", Msg("Unknown contract: '{contract_id}'.", contract_id=contract_id),
                            path="contract_id", hint=Msg("Check the contract's identifier, or find it in the list of contracts."))
    return compare(me, entries)


@dataclass(frozen=True)
class ExtractSummary:
    contract_id: str
    contract_version: int
    output: Path
    sha256: str
    extract: ResearchExtract
    codebook: Path | None = None
    readme: Path | None = None
    sha256_by_file: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "contract_version": self.contract_version, "output": str(self.output),
                "sha256": self.sha256, "codebook": str(self.codebook) if self.codebook else None,
                "readme": str(self.readme) if self.readme else None, "files": dict(self.sha256_by_file or {}),
                **self.extract.report()}


def extract_companions(output: Path) -> tuple[Path, Path]:
    """Where the codebook and README of an extract go: beside it, named after it."""
    return output.with_name(f"{output.stem}-dictionnaire.csv"), output.with_name(f"{output.stem}-LISEZMOI.md")


def research_extract(
    engine: Engine,
    contract_id: str,
    output: str | Path,
    *,
    settings: Settings,
    actor: str = "cli",
    k: int | None = None,
    policy: str = "generalise",
    frame: pd.DataFrame | None = None,
) -> ExtractSummary:
    """Write a k-anonymous pseudonymised extract (CSV) with its codebook (CSV) and README, and log
    the three in the ledger with their SHA-256; or refuse and write nothing.

    ``k`` defaults to the settings' ``k_anonymity``. ``frame`` replaces the participants read from
    the database (used by callers that already hold them).
    """
    out = Path(output)
    if out.suffix.lower() != ".csv":
        raise InvalidInputError("extract.format", Msg("Extracts are written as CSV: '{name}' must end in .csv.", name=out.name), path="output")
    if not out.parent.exists():
        raise InvalidInputError("extract.folder", Msg("No such folder: {parent}.", parent=out.parent), path="output")
    k = k or settings.k_anonymity
    book_path, readme_path = extract_companions(out)
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
        participants = frame if frame is not None else participants_frame(s, contract_id)
        extract = build_extract(participants, stored.contract, k=k, policy=policy)  # may refuse: nothing written
        texts = {
            out: extract.frame.to_csv(index=False, lineterminator="\n"),
            book_path: to_csv(codebook(extract, stored.contract), CODEBOOK_SCHEMA),
            readme_path: readme(extract, stored.contract, data_file=out.name, codebook_file=book_path.name, k=k),
        }
        temps: dict[Path, Path] = {}
        try:
            for final, text in texts.items():
                fd, tmp_name = tempfile.mkstemp(prefix=".extract-", suffix=final.suffix, dir=out.parent)
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                temps[final] = Path(tmp_name)
            digests = {final.name: hashlib.sha256(tmp.read_bytes()).hexdigest() for final, tmp in temps.items()}
            ledger.append(s, actor=actor, event=LedgerEvent.OPENDATA_RESEARCH_EXTRACT, contract_id=contract_id, payload={
                "contract_version": stored.version, "file": out.name, "sha256": digests[out.name], "files": digests,
                **extract.report()})
            s.flush()
            for final, tmp in temps.items():
                tmp.replace(final)
        except BaseException:
            for tmp in temps.values():
                tmp.unlink(missing_ok=True)
            raise
    return ExtractSummary(contract_id, stored.version, out, digests[out.name], extract, book_path, readme_path, digests)
