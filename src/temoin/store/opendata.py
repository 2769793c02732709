"""Repository for imported INDIGO projects (inside the caller's transaction)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from temoin.opendata.indigo_import import ImportResult
from temoin.store.models.opendata import IndigoImportRow, IndigoProjectRow


@dataclass(frozen=True)
class StoredProject:
    id: str
    name: str
    status: str
    data: dict[str, Any]
    import_id: int


class OpenDataRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save_import(self, result: ImportResult, *, actor: str) -> tuple[int, list[str], list[str]]:
        """Store every project of an import (replacing earlier copies). Returns (import id, added, replaced)."""
        run = IndigoImportRow(
            actor=actor, source=result.source, format=result.format, n_projects=len(result.projects),
            n_warnings=len(result.warnings),
            warnings=json.dumps([w.to_dict() for w in result.warnings], ensure_ascii=False),
        )
        self.session.add(run)
        self.session.flush()
        added: list[str] = []
        replaced: list[str] = []
        for project in result.projects:
            name = str(project.data.get("name", {}).get("value") or project.id)[:500]
            status = str(project.data.get("status") or "PUBLIC")
            row = self.session.get(IndigoProjectRow, project.id)
            text = json.dumps(project.data, ensure_ascii=False, sort_keys=True)
            if row is None:
                self.session.add(IndigoProjectRow(id=project.id, name=name, status=status, data=text, import_id=run.id))
                added.append(project.id)
            else:
                row.name, row.status, row.data, row.import_id = name, status, text, run.id
                replaced.append(project.id)
        self.session.flush()
        return run.id, added, replaced

    def projects(self, *, public_only: bool = True) -> list[StoredProject]:
        query = select(IndigoProjectRow).order_by(IndigoProjectRow.id)
        rows = self.session.execute(query).scalars().all()
        return [
            StoredProject(r.id, r.name, r.status, json.loads(r.data), r.import_id)
            for r in rows
            if not public_only or r.status not in ("PRIVATE", "SANDBOX")
        ]
