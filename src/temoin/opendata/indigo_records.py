"""What an INDIGO import returns: cleaned records, the files read, and a warning per defect."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from temoin.errors import InvalidInputError
from temoin.opendata.indigo_columns import RecordKind

__all__ = ["FileRead", "FileUse", "ImportResult", "ImportWarning", "ImportedProject", "ImportedRecord", "refuse"]


@dataclass(frozen=True)
class ImportWarning:
    """One defect: where it is (file, row, column or field), the value, and what was done with it.

    ``row`` is the spreadsheet row (the header is row 1), or None for a whole file or a JSON file.
    """

    file: str
    row: int | None
    field: str
    value: str
    code: str
    fr: str
    en: str
    project: str = ""

    def render(self, lang: Literal["fr", "en"] = "fr") -> str:
        row = "" if self.row is None else (f", ligne {self.row}" if lang == "fr" else f", row {self.row}")
        text = self.fr if lang == "fr" else self.en
        where = f", {self.field} = {self.value!r}" if self.field or self.value else ""
        return f"{self.file}{row}{where}: {text} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value, "code": self.code,
                "project": self.project, "message_fr": self.fr, "message_en": self.en}


@dataclass(frozen=True)
class ImportedRecord:
    """A cleaned INDIGO record (valid against its schema) and the warnings its cleaning raised."""

    id: str
    data: dict[str, Any]
    source: str
    warnings: tuple[ImportWarning, ...] = ()
    kind: RecordKind = RecordKind.PROJECT

    @property
    def name(self) -> str:
        name = self.data.get("name")
        value = name.get("value") if isinstance(name, dict) else None
        return str(value or self.id)

    @property
    def status(self) -> str:
        return str(self.data.get("status") or "PUBLIC")


ImportedProject = ImportedRecord  # the name used before organisations and funds were imported


class FileUse(StrEnum):
    """What the import did with a file it found."""

    MAIN = "main"  # the records of one type (projects.csv, organisations.csv, funds.csv)
    TABLE = "table"  # a list of those records (projects_outcome_metrics.csv)
    NOT_IMPORTED = "not_imported"  # read, but holds no contracted project (pipelines.csv)
    UNKNOWN = "unknown"  # matches no INDIGO table


@dataclass(frozen=True)
class FileRead:
    """One file of the import: its name, what it was read as, and how many rows it had."""

    name: str
    use: FileUse
    rows: int
    kind: RecordKind | None = None
    table: str = ""  # the list it fills, e.g. "outcome_metrics"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.name, "use": self.use.value, "rows": self.rows,
                "kind": None if self.kind is None else self.kind.value, "table": self.table}


@dataclass(frozen=True)
class ImportResult:
    source: str
    format: Literal["json", "csv"]
    projects: tuple[ImportedRecord, ...]
    warnings: tuple[ImportWarning, ...] = field(default_factory=tuple)
    organisations: tuple[ImportedRecord, ...] = ()
    funds: tuple[ImportedRecord, ...] = ()
    files: tuple[FileRead, ...] = ()

    @property
    def records(self) -> tuple[ImportedRecord, ...]:
        return self.projects + self.organisations + self.funds

    def warnings_by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(w.code for w in self.warnings).items()))


def refuse(code: str, fr: str, en: str, *, path: str, line: int | None = None) -> InvalidInputError:
    """The error for an input that cannot be read as INDIGO at all (nothing is saved)."""
    return InvalidInputError(
        code, fr, en, path=path, line=line,
        hint_fr="Corrigez le fichier puis relancez l'import : rien n'a été enregistré.",
        hint_en="Fix the file and run the import again: nothing was saved.",
    )
