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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from temoin.errors import InvalidInputError, NotFoundError
from temoin.governance.ledger import LedgerEvent
from temoin.opendata.indigo_export import export_project
from temoin.opendata.indigo_import import ImportResult, read_indigo
from temoin.opendata.observatory import Comparison, compare
from temoin.opendata.registry import RegistryEntry, entry_from_contract, entry_from_indigo
from temoin.opendata.research import ResearchExtract, build_extract
from temoin.services.evaluations import participants_frame
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.opendata import OpenDataRepository

__all__ = [
    "ExtractSummary",
    "IndigoImportSummary",
    "export_indigo",
    "import_indigo",
    "observe",
    "registry",
    "research_extract",
]


def export_indigo(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The latest version of a stored contract as an INDIGO project (public fields only)."""
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
    return export_project(stored.contract, as_of=as_of)


@dataclass(frozen=True)
class IndigoImportSummary:
    import_id: int
    result: ImportResult
    added: tuple[str, ...]
    replaced: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.result.source,
            "format": self.result.format,
            "added": list(self.added),
            "replaced": list(self.replaced),
            "warnings": [w.to_dict() for w in self.result.warnings],
        }


def import_indigo(engine: Engine, path: str | Path, *, actor: str = "cli") -> IndigoImportSummary:
    """Import every project of a JSON file or CSV folder, with its warnings, in one transaction."""
    result = read_indigo(path)  # raises before anything is written
    with session_scope(engine) as s:
        import_id, added, replaced = OpenDataRepository(s).save_import(result, actor=actor)
        ledger.append(s, actor=actor, event=LedgerEvent.OPENDATA_INDIGO_IMPORTED, payload={
            "import_id": import_id,
            "source": result.source,
            "format": result.format,
            "projects": [p.id for p in result.projects],
            "added": added,
            "replaced": replaced,
            "warnings": len(result.warnings),
            "warnings_by_code": dict(sorted(Counter(w.code for w in result.warnings).items())),
        })
    return IndigoImportSummary(import_id, result, tuple(added), tuple(replaced))


def registry(engine: Engine, *, as_of: dt.date | None = None) -> list[RegistryEntry]:
    """The public registry: Témoin contracts (latest versions) then imported INDIGO projects."""
    with session_scope(engine) as s:
        contracts = ContractRepository(s).list_latest()
        projects = OpenDataRepository(s).projects(public_only=True)
    return [entry_from_contract(c.contract, as_of=as_of) for c in contracts] + [
        entry_from_indigo(p.id, p.data) for p in projects
    ]


def observe(engine: Engine, contract_id: str) -> Comparison:
    """Compare a stored contract's terms with the rest of the registry."""
    entries = registry(engine)
    me = next((e for e in entries if e.source == "temoin" and e.id == contract_id), None)
    if me is None:
        raise NotFoundError("contract.not_found", f"Contrat inconnu : « {contract_id} ».", f"Unknown contract: '{contract_id}'.",
                            path="contract_id", hint_fr="Importez-le avec `temoin contract import FICHIER`.",
                            hint_en="Import it with `temoin contract import FILE`.")
    return compare(me, entries)


@dataclass(frozen=True)
class ExtractSummary:
    contract_id: str
    contract_version: int
    output: Path
    sha256: str
    extract: ResearchExtract

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "contract_version": self.contract_version, "output": str(self.output),
                "sha256": self.sha256, **self.extract.report()}


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
    """Write a k-anonymous pseudonymised extract (CSV) and log it in the ledger, or refuse and write nothing.

    ``k`` defaults to the settings' ``k_anonymity``. ``frame`` replaces the participants read from
    the database (used by callers that already hold them).
    """
    out = Path(output)
    if out.suffix.lower() != ".csv":
        raise InvalidInputError("extract.format", f"L'extrait s'écrit en CSV : « {out.name} » doit finir par .csv.",
                                f"Extracts are written as CSV: '{out.name}' must end in .csv.", path="output")
    if not out.parent.exists():
        raise InvalidInputError("extract.folder", f"Dossier introuvable : {out.parent}.", f"No such folder: {out.parent}.", path="output")
    k = k or settings.k_anonymity
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
        participants = frame if frame is not None else participants_frame(s, contract_id)
        extract = build_extract(participants, stored.contract, k=k, policy=policy)  # may refuse: nothing written
        fd, tmp_name = tempfile.mkstemp(prefix=".extract-", suffix=".csv", dir=out.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            extract.frame.to_csv(tmp, index=False)
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            ledger.append(s, actor=actor, event=LedgerEvent.OPENDATA_RESEARCH_EXTRACT, contract_id=contract_id, payload={
                "contract_version": stored.version, "file": out.name, "sha256": digest, **extract.report()})
            s.flush()
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return ExtractSummary(contract_id, stored.version, out, digest, extract)
