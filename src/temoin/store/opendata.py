"""Repository for imported INDIGO records: projects, organisations, funds (inside the caller's transaction)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from temoin.opendata.indigo_columns import RecordKind
from temoin.opendata.indigo_records import ImportedRecord, ImportResult
from temoin.store.models.base import utcnow
from temoin.store.models.opendata import (
    IndigoFundRow,
    IndigoImportRow,
    IndigoOrganisationRow,
    IndigoProjectRow,
    IndigoRecordColumns,
)

__all__ = ["HIDDEN_STATUSES", "OpenDataRepository", "SavedImport", "StoredProject"]

HIDDEN_STATUSES = frozenset({"PRIVATE", "SANDBOX"})  # never shown in the public registry

_ROWS: dict[RecordKind, type[IndigoRecordColumns]] = {
    RecordKind.PROJECT: IndigoProjectRow,
    RecordKind.ORGANISATION: IndigoOrganisationRow,
    RecordKind.FUND: IndigoFundRow,
}


@dataclass(frozen=True)
class StoredProject:
    """A stored INDIGO record (a project, an organisation or a fund)."""

    id: str
    name: str
    status: str
    data: dict[str, Any]
    import_id: int


@dataclass(frozen=True)
class SavedImport:
    """What an import changed, per record type: new records, updated ones, and those already identical."""

    import_id: int
    added: dict[RecordKind, list[str]] = field(default_factory=dict)
    updated: dict[RecordKind, list[str]] = field(default_factory=dict)
    unchanged: dict[RecordKind, list[str]] = field(default_factory=dict)


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


class OpenDataRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save_import(self, result: ImportResult, *, actor: str) -> SavedImport:
        """Store every record of an import: a new identifier is added, a known one updated in place
        (matched by its INDIGO identifier, never duplicated)."""
        run = IndigoImportRow(
            actor=actor, source=result.source[:500], format=result.format, n_projects=len(result.projects),
            n_organisations=len(result.organisations), n_funds=len(result.funds), n_warnings=len(result.warnings),
            warnings=json.dumps([w.to_dict() for w in result.warnings], ensure_ascii=False),
            files=json.dumps([f.to_dict() for f in result.files], ensure_ascii=False),
        )
        self.session.add(run)
        self.session.flush()
        saved = SavedImport(run.id)
        groups = ((RecordKind.PROJECT, result.projects), (RecordKind.ORGANISATION, result.organisations),
                  (RecordKind.FUND, result.funds))
        for kind, records in groups:
            added, updated, unchanged = self._save(kind, records, run.id)
            saved.added[kind], saved.updated[kind], saved.unchanged[kind] = added, updated, unchanged
        self.session.flush()
        return saved

    def _save(self, kind: RecordKind, records: Iterable[ImportedRecord], import_id: int) -> tuple[list[str], list[str], list[str]]:
        model = _ROWS[kind]
        records = list(records)
        ids = [r.id for r in records]
        existing = {row.id: row for row in self.session.execute(select(model).where(model.id.in_(ids))).scalars()} if ids else {}
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        for record in records:
            text = _text(record.data)
            name, status = record.name[:500], record.status[:20]
            row = existing.get(record.id)
            if row is None:
                self.session.add(model(id=record.id, name=name, status=status, data=text, import_id=import_id))  # type: ignore[call-arg]
                added.append(record.id)
            elif row.data == text and row.name == name and row.status == status:
                unchanged.append(record.id)
            else:
                row.name, row.status, row.data, row.import_id = name, status, text, import_id
                row.imported_at = utcnow()
                updated.append(record.id)
        return added, updated, unchanged

    def records(self, kind: RecordKind, *, public_only: bool = True, ids: Iterable[str] | None = None) -> list[StoredProject]:
        model = _ROWS[kind]
        query = select(model).order_by(model.id)
        if ids is not None:
            query = query.where(model.id.in_(list(ids)))
        rows = self.session.execute(query).scalars().all()
        return [StoredProject(r.id, r.name, r.status, json.loads(r.data), r.import_id)
                for r in rows if not public_only or r.status not in HIDDEN_STATUSES]

    def projects(self, *, public_only: bool = True) -> list[StoredProject]:
        return self.records(RecordKind.PROJECT, public_only=public_only)

    def project(self, project_id: str) -> StoredProject | None:
        """One public project, or None (unknown, or not public)."""
        found = self.records(RecordKind.PROJECT, ids=[project_id])
        return found[0] if found else None

    def names(self, kind: RecordKind, ids: Iterable[str] | None = None) -> dict[str, str]:
        """Identifier -> name of the public records of a kind (all of them, or those in ``ids``)."""
        model = _ROWS[kind]
        query = select(model.id, model.name, model.status)
        if ids is not None:
            query = query.where(model.id.in_(list(ids)))
        return {i: n for i, n, status in self.session.execute(query) if status not in HIDDEN_STATUSES}
