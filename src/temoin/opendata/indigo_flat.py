"""GO Lab's flat CSV files, read whole: projects, organisations and funds with their sub-tables.

The published download is a folder (or the ZIP it comes in) holding ``projects/``, ``funds/`` and
``organizations/`` (or the same files side by side): for each record type a main file
(``projects.csv``, ``organisations.csv``, ``funds.csv``: an ``ID`` column and one column per
field) and one file per list (``projects_outcome_metrics.csv``: a ``Project ID`` column, then the
item's fields). Column names are the data dictionary's labels (see
:mod:`temoin.opendata.indigo_columns`). The older flattened layout (``project.csv`` with ``id``
and ``name/value`` columns, ``investments.csv`` with ``project_id``) is read the same way.

Nothing a person could read is refused: a row without an identifier, a second row for one
identifier, a row whose project is missing, a column or a file the standard does not know, a file
that is not UTF-8, each is a warning naming the file, row, column and value, and the rest is
imported. Only an input with no INDIGO record at all is refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from temoin.messages import Msg
from temoin.opendata._indigo_clean import clean_record
from temoin.opendata.indigo_columns import (
    FlatLayout,
    FlatTable,
    RecordKind,
    column_key,
    flat_layout,
)
from temoin.opendata.indigo_records import (
    FileRead,
    FileUse,
    ImportedRecord,
    ImportResult,
    ImportWarning,
    refuse,
)

__all__ = ["csv_members", "read_flat"]

_MAIN_STEMS = {
    "projects": RecordKind.PROJECT, "project": RecordKind.PROJECT,
    "organisations": RecordKind.ORGANISATION, "organizations": RecordKind.ORGANISATION,
    "organisation": RecordKind.ORGANISATION, "organization": RecordKind.ORGANISATION,
    "funds": RecordKind.FUND, "fund": RecordKind.FUND,
}
_NOT_IMPORTED = {"pipelines", "pipeline"}
_ID_COLUMNS = {"id"}
_PARENT_COLUMNS = {"project id", "project_id", "organisation id", "organisation_id", "organization id",
                   "organization_id", "fund id", "fund_id"}


@dataclass(frozen=True)
class _Member:
    name: str  # relative path, with "/"
    data: bytes


def csv_members(path: Path) -> list[_Member]:
    """The CSV files of a folder (and its sub-folders, one level down) or of a ZIP file, by name."""
    if path.is_file():
        try:
            with zipfile.ZipFile(path) as archive:
                return sorted((_Member(n, archive.read(n)) for n in archive.namelist()
                               if n.lower().endswith(".csv") and len(PurePosixPath(n).parts) <= 3
                               and not PurePosixPath(n).name.startswith(".")), key=lambda m: m.name)
        except zipfile.BadZipFile:
            raise refuse("indigo.bad_zip", Msg("{name} is not a readable ZIP archive.", name=path.name),
                         path=path.name) from None
    found = [*path.glob("*.csv"), *path.glob("*/*.csv")]
    return sorted((_Member(p.relative_to(path).as_posix(), p.read_bytes()) for p in found if not p.name.startswith(".")),
                  key=lambda m: m.name)


def _classify(stem: str) -> tuple[FileUse, RecordKind | None, str]:
    s = stem.lower()
    if s in _MAIN_STEMS:
        return FileUse.MAIN, _MAIN_STEMS[s], ""
    if s in _NOT_IMPORTED:
        return FileUse.NOT_IMPORTED, None, ""
    for main, kind in _MAIN_STEMS.items():
        if s.startswith(main + "_") and s[len(main) + 1:] in flat_layout(kind).tables:
            return FileUse.TABLE, kind, s[len(main) + 1:]
    if s in flat_layout(RecordKind.PROJECT).tables:  # the older layout: investments.csv
        return FileUse.TABLE, RecordKind.PROJECT, s
    return FileUse.UNKNOWN, None, ""


def _decode(member: _Member, warnings: list[ImportWarning]) -> str:
    try:
        return member.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(ImportWarning(member.name, None, "", "", "indigo.encoding",
                                      Msg("file is not UTF-8: read as Windows-1252, check accented letters")))
        return member.data.decode("cp1252", errors="replace")


def _rows(member: _Member, text: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, cells) of every record after the header; a cell may span several lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise refuse("indigo.csv_syntax", Msg("Unreadable CSV in {name}: {exc}.", name=member.name, exc=exc),
                     path=member.name, line=reader.line_num) from None


@dataclass
class _Columns:
    """How one file's header maps to paths: (position, path, header) for the known columns."""

    key: int | None
    fields: list[tuple[int, tuple[str, ...], str]]
    label: dict[tuple[str, ...], str]  # path -> the header as written, for warnings


def _columns(member: _Member, header: list[str], table: FlatTable, key_names: set[str],
             warnings: list[ImportWarning]) -> _Columns:
    key = None
    fields: list[tuple[int, tuple[str, ...], str]] = []
    label: dict[tuple[str, ...], str] = {}
    for i, raw in enumerate(header):
        name = raw.strip()
        k = column_key(name)
        if key is None and k in key_names:
            key = i
            continue
        path = table.path_of(name)
        if path is None:
            if name:
                warnings.append(ImportWarning(member.name, 1, name, "", "indigo.unknown_column",
                                              Msg("column not in the INDIGO data dictionary: ignored")))
            continue
        if path in label:
            warnings.append(ImportWarning(member.name, 1, name, "", "indigo.duplicate_column",
                                          Msg("duplicate column (already read as '{column}'): ignored", column=label[path])))
            continue
        fields.append((i, path, name))
        label[path] = name
    return _Columns(key, fields, label)


def _is_role(path: tuple[str, ...]) -> bool:
    return path[-2:] == ("organisation_role_category", "value")


def _unflatten(cells: list[str], cols: _Columns) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, path, _ in cols.fields:
        cell = cells[i].strip() if i < len(cells) else ""
        if not cell and not _is_role(path):
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = cell
    return out


def _set_list(record: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    node = record
    for part in path[:-1]:
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    items = node.setdefault(path[-1], [])
    if not isinstance(items, list):
        items = node[path[-1]] = []
    return items


@dataclass
class _Kind:
    """Everything read so far for one record type."""

    layout: FlatLayout
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, tuple[str, int, _Columns]] = field(default_factory=dict)  # id -> (file, row, columns)
    items: dict[tuple[str, tuple[str, ...], int], tuple[str, int, _Columns]] = field(default_factory=dict)
    item_ids: dict[tuple[str, tuple[str, ...], str], int] = field(default_factory=dict)


def _read_main(member: _Member, rows: Iterator[tuple[int, list[str]]], header: list[str], kind: _Kind,
               warnings: list[ImportWarning]) -> int:
    cols = _columns(member, header, kind.layout.main, _ID_COLUMNS, warnings)
    if cols.key is None:
        warnings.append(ImportWarning(member.name, 1, "ID", "", "indigo.missing_column",
                                      Msg("no 'ID' column: no {kind} in this file can be imported", kind=kind.layout.kind)))
        return sum(1 for _ in rows)
    n = 0
    for row, cells in rows:
        n += 1
        if not any(c.strip() for c in cells):
            continue
        rid = cells[cols.key].strip() if cols.key < len(cells) else ""
        if not rid:
            warnings.append(ImportWarning(member.name, row, header[cols.key].strip(), "", "indigo.missing_id",
                                          Msg("row without an identifier: this {kind} is ignored", kind=kind.layout.kind)))
            continue
        if rid in kind.raw:
            first = kind.rows[rid][1]
            warnings.append(ImportWarning(member.name, row, header[cols.key].strip(), rid, "indigo.duplicate_id",
                                          Msg("identifier already read on row {first}: this row is ignored (the first is kept)", first=str(first)), rid))
            continue
        kind.raw[rid] = _unflatten(cells, cols)
        kind.rows[rid] = (member.name, row, cols)
    return n


def _read_table(member: _Member, rows: Iterator[tuple[int, list[str]]], header: list[str], kind: _Kind, name: str,
                warnings: list[ImportWarning]) -> int:
    table = kind.layout.tables[name]
    cols = _columns(member, header, table, _PARENT_COLUMNS, warnings)
    if cols.key is None:
        warnings.append(ImportWarning(member.name, 1, "Project ID", "", "indigo.missing_column",
                                      Msg("no 'Project ID' column: its rows cannot be attached, file ignored")))
        return sum(1 for _ in rows)
    n = 0
    key_label = header[cols.key].strip()
    for row, cells in rows:
        n += 1
        if not any(c.strip() for c in cells):
            continue
        rid = cells[cols.key].strip() if cols.key < len(cells) else ""
        if rid not in kind.raw:
            code, message = (("indigo.missing_id", Msg("row without the identifier it belongs to: ignored")) if not rid else
                             ("indigo.orphan_row", Msg("row belongs to an identifier missing from the main file: ignored")))
            warnings.append(ImportWarning(member.name, row, key_label, rid, code, message, rid))
            continue
        item = _unflatten(cells, cols)
        items = _set_list(kind.raw[rid], table.path)
        kind.items[(rid, table.path, len(items))] = (member.name, row, cols)
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id:
            seen = kind.item_ids.get((rid, table.path, item_id))
            if seen is not None:
                warnings.append(ImportWarning(member.name, row, cols.label.get(("id",), "Id"), item_id, "indigo.duplicate_item_id",
                                              Msg("identifier already used on row {seen} for the same {kind}: kept", seen=str(seen), kind=kind.layout.kind), rid))
            else:
                kind.item_ids[(rid, table.path, item_id)] = row
        items.append(item)
    return n


def _where(kind: _Kind, rid: str) -> Any:
    file, row, cols = kind.rows[rid]
    lists = {t.path for t in kind.layout.tables.values()}

    def where(path: tuple[str | int, ...]) -> tuple[str, int | None, str]:
        for depth in range(1, len(path)):
            if isinstance(path[depth], int) and tuple(map(str, path[:depth])) in lists:
                found = kind.items.get((rid, tuple(map(str, path[:depth])), int(path[depth])))
                if found is not None:
                    ifile, irow, icols = found
                    rest = tuple(str(p) for p in path[depth + 1:])
                    return ifile, irow, icols.label.get(rest, "/".join(rest))
        key = tuple(str(p) for p in path)
        return file, row, cols.label.get(key, "/".join(key))

    return where


def read_flat(path: Path) -> ImportResult:
    """Read GO Lab's flat CSV files (a folder or a ZIP) whole; see the module docstring."""
    source = path.name
    members = csv_members(path)
    if not members:
        raise refuse("indigo.no_csv", Msg("{source} holds no CSV file.", source=source), path=source)
    warnings: list[ImportWarning] = []
    kinds = {k: _Kind(flat_layout(k)) for k in RecordKind}
    files: list[FileRead] = []
    plan = [(m, *_classify(PurePosixPath(m.name).stem)) for m in members]
    if not any(use is FileUse.MAIN for _, use, _, _ in plan):
        raise refuse("indigo.no_project_csv",
                     Msg("{source} holds no projects.csv, organisations.csv or funds.csv (nor project.csv).", source=source), path=source)
    # main files first, so that every sub-table row finds its record
    for member, use, kind, table in sorted(plan, key=lambda p: (p[1] is not FileUse.MAIN, p[0].name)):
        rows = _rows(member, _decode(member, warnings))
        header = next(rows, (1, []))[1]
        if use is FileUse.MAIN and kind is not None:
            n = _read_main(member, rows, header, kinds[kind], warnings)
        elif use is FileUse.TABLE and kind is not None:
            n = _read_table(member, rows, header, kinds[kind], table, warnings)
        else:
            n = sum(1 for _ in rows)
            if use is FileUse.NOT_IMPORTED and n:
                warnings.append(ImportWarning(member.name, None, "", "", "indigo.pipeline_not_imported",
                                              Msg("{n} project(s) still in preparation: not imported, the registry holds signed contracts only", n=n)))
            elif use is FileUse.UNKNOWN:
                warnings.append(ImportWarning(member.name, None, "", "", "indigo.unknown_table",
                                              Msg("file matches no INDIGO table: ignored")))
        files.append(FileRead(member.name, use, n, kind, table))
    cleaned: dict[RecordKind, list[ImportedRecord]] = {}
    for k, state in kinds.items():
        cleaned[k] = [clean_record(k, rid, raw, _where(state, rid), source) for rid, raw in state.raw.items()]
    if not any(cleaned.values()):
        raise refuse("indigo.empty", Msg("{source} contains no readable INDIGO record.", source=source), path=source)
    records = [r for k in RecordKind for r in cleaned[k]]
    order = {m.name: n for n, m in enumerate(members)}
    every = sorted([*warnings, *(w for r in records for w in r.warnings)], key=lambda w: (order.get(w.file, 0), w.row or 0))
    return ImportResult(source, "csv", tuple(cleaned[RecordKind.PROJECT]), tuple(every),
                        tuple(cleaned[RecordKind.ORGANISATION]), tuple(cleaned[RecordKind.FUND]),
                        tuple(sorted(files, key=lambda f: order[f.name])))
