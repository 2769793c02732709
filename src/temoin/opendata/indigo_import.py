"""Import INDIGO data as GO Lab publishes it: flat CSV files (a folder or its ZIP), or INDIGO JSON.

Real files carry defects: periods such as "2018-13", blank organisation roles, free text in
numeric fields ("£1.3m", "approx. 250k"), returns written in prose ("Maximum 12.5% p.a. …"), a
second row for one identifier, codes outside their code list. Each defect becomes an
:class:`ImportWarning` naming the file, row, column and value; the value is read when that is
safe (and the warning says how) or dropped, and the rest of the record is kept. Nothing a person
could read is refused; only an input with no INDIGO record at all (not JSON, not CSV, no
identifier anywhere) is refused with an :class:`InvalidInputError`, and then nothing is returned.

Accepted shapes:

* CSV: GO Lab's published files, see :mod:`temoin.opendata.indigo_flat`.
* JSON: ``{"id": "INDIGO-POJ-0001", "data": {...}}`` (as in the INDIGO data repository), a bare
  record with an ``id`` key, a list of either, ``{"projects": [...]}``, or a folder of such
  files. An ``INDIGO-ORG-…`` identifier is an organisation, ``INDIGO-FUND-…`` a fund, any other a
  project.

After cleaning, every record validates against its INDIGO schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from temoin.errors import InvalidInputError
from temoin.messages import Msg
from temoin.opendata._indigo_clean import clean_record
from temoin.opendata.indigo_columns import RecordKind, kind_of_id
from temoin.opendata.indigo_flat import csv_members, read_flat
from temoin.opendata.indigo_records import (
    FileRead,
    FileUse,
    ImportedProject,
    ImportedRecord,
    ImportResult,
    ImportWarning,
    refuse,
)

__all__ = ["ImportResult", "ImportWarning", "ImportedProject", "ImportedRecord", "read_indigo", "read_indigo_csv",
           "read_indigo_json"]


def _entries(path: Path, text: str | None) -> list[Any]:
    source = path.name
    try:
        doc = json.loads(text if text is not None else path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise refuse("indigo.encoding", Msg("{source} is not a UTF-8 text file.", source=source),
                     path=source) from None
    except json.JSONDecodeError as exc:
        raise refuse("indigo.json_syntax", Msg("Unreadable JSON in {source}: {msg}.", source=source, msg=exc.msg),
                     path=source, line=exc.lineno) from None
    if isinstance(doc, dict):
        lists = [doc[k] for k in ("projects", "organisations", "funds") if isinstance(doc.get(k), list)]
        if lists:
            return [e for entries in lists for e in entries]
    return doc if isinstance(doc, list) else [doc]


def _read_entries(files: list[tuple[Path, str | None]], source: str) -> ImportResult:
    records: dict[str, ImportedRecord] = {}
    warnings: list[ImportWarning] = []
    read: list[FileRead] = []
    for path, text in files:
        entries = _entries(path, text)
        name = path.name
        read.append(FileRead(name, FileUse.MAIN, len(entries)))
        for n, entry in enumerate(entries):
            where_item = f"{n}" if len(entries) > 1 else ""
            if not isinstance(entry, dict):
                warnings.append(ImportWarning(name, None, where_item, json.dumps(entry, ensure_ascii=False)[:80],
                                              "indigo.not_a_project", Msg("item that is not an INDIGO object: ignored")))
                continue
            rid = entry.get("id")
            if not isinstance(rid, str) or not rid.strip():
                warnings.append(ImportWarning(name, None, where_item, "", "indigo.missing_id",
                                              Msg("record without an identifier ('id'): ignored")))
                continue
            rid = rid.strip()
            if rid in records:
                warnings.append(ImportWarning(name, None, where_item, rid, "indigo.duplicate_id",
                                              Msg("identifier already read: this second record is ignored (the first is kept)"), rid))
                continue
            raw = entry["data"] if isinstance(entry.get("data"), dict) else {k: v for k, v in entry.items() if k != "id"}
            prefix = f"{rid}: " if len(entries) > 1 else ""

            def where(p: tuple[str | int, ...], _prefix: str = prefix, _name: str = name) -> tuple[str, int | None, str]:
                return _name, None, _prefix + "/".join(str(x) for x in p)

            records[rid] = clean_record(kind_of_id(rid), rid, raw, where, name)
    if not records:
        raise refuse("indigo.empty", Msg("{source} contains no readable INDIGO record.", source=source), path=source)
    by_kind = {k: tuple(r for r in records.values() if r.kind is k) for k in RecordKind}
    every = tuple(warnings) + tuple(w for r in records.values() for w in r.warnings)
    return ImportResult(source, "json", by_kind[RecordKind.PROJECT], every, by_kind[RecordKind.ORGANISATION],
                        by_kind[RecordKind.FUND], tuple(read))


def read_indigo_json(path: Path, *, text: str | None = None) -> ImportResult:
    """Read one INDIGO JSON file (see the module docstring for its accepted shapes)."""
    return _read_entries([(path, text)], path.name)


def read_indigo_csv(path: Path) -> ImportResult:
    """Read GO Lab's flat CSV files from a folder or a ZIP."""
    return read_flat(path)


def read_indigo(path: str | Path) -> ImportResult:
    """Read INDIGO data: a folder or ZIP of flat CSV files, a JSON file, or a folder of JSON files."""
    p = Path(path)
    if p.is_dir():
        if csv_members(p):
            return read_flat(p)
        jsons = sorted([*p.glob("*.json"), *p.glob("*/*.json")])
        if jsons:
            return _read_entries([(j, None) for j in jsons], p.name)
        raise refuse("indigo.no_csv", Msg("The folder {name} holds no CSV nor JSON file.", name=p.name), path=p.name)
    if p.is_file():
        if p.suffix.lower() == ".zip":
            return read_flat(p)
        return read_indigo_json(p)
    raise InvalidInputError("indigo.not_found", Msg("No such file or folder: {p}.", p=p),
                            path=str(p), hint=Msg("Give a folder or ZIP of GO Lab CSV files, or an INDIGO JSON file."))
