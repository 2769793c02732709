"""What an INDIGO import returns: cleaned records, the files read, and a warning per defect."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from temoin.errors import InvalidInputError
from temoin.messages import Msg
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
    message: Msg
    project: str = ""

    def describe(self) -> Msg:
        """The warning as a message: the file, the row, the field and its value, what was done, the code."""
        parts = {"file": self.file, "what": self.message, "code": self.code}
        if self.field or self.value:
            parts |= {"field": self.field, "value": repr(self.value)}
            if self.row is not None:
                return Msg("{file}, row {row}, {field} = {value}: {what} [{code}]", row=str(self.row), **parts)
            return Msg("{file}, {field} = {value}: {what} [{code}]", **parts)
        if self.row is not None:
            return Msg("{file}, row {row}: {what} [{code}]", row=str(self.row), **parts)
        return Msg("{file}: {what} [{code}]", **parts)

    def to_dict(self) -> dict[str, Any]:
        """Codes and values, the message as data (``Msg.to_dict()``): what the import stores."""
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value, "code": self.code,
                "project": self.project, "message": self.message.to_dict()}

    @staticmethod
    def stored_message(stored: dict[str, Any]) -> Msg | tuple[str, str]:
        """The message of a stored warning: a message, or, for an import stored before warnings were
        messages, its French and English texts."""
        if isinstance(stored.get("message"), dict):
            return Msg.from_dict(stored["message"])
        return str(stored.get("message_fr", "")), str(stored.get("message_en", ""))


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


def refuse(code: str, message: Msg, *, path: str, line: int | None = None) -> InvalidInputError:
    """The error for an input that cannot be read as INDIGO at all (nothing is saved)."""
    return InvalidInputError(code, message, path=path, line=line,
                             hint=Msg("Fix the file and run the import again: nothing was saved."))
