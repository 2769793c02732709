"""Import INDIGO project data: a JSON file, or a folder of GO Lab flat CSV files.

Real files carry defects: periods such as "2018-13", blank organisation roles, free text in
numeric fields ("£1.3m", "approx. 250k"), returns written in prose ("capital plus just over 3 % a
year"). Each defect becomes an :class:`ImportWarning` naming the file, row, field and value; the
value is read when that is safe (and the warning says how) or dropped. The import never crashes
on a defective value and never keeps half a project: a file that cannot be read as INDIGO at all
(not JSON, a project without an identifier, two projects with one identifier, a CSV folder
without ``project.csv``) is refused with an :class:`InvalidInputError`, and nothing is returned.

Accepted shapes:

* JSON: ``{"id": "INDIGO-POJ-0001", "data": {...}}`` (as in the INDIGO data repository), a bare
  project object with an ``id`` key, a list of either, or ``{"projects": [...]}``.
* CSV folder (Open Data Services' flattened layout): ``project.csv`` with one row per project, an
  ``id`` column and one column per field path (``name/value``, ``dates/outcomes_contract_signed/value``);
  one file per sub-table named after the list (``investments.csv`` or ``project_investments.csv``)
  with a ``project_id`` column and one row per item (``id``, ``investment_commitment/amount/exact/value``).

After cleaning, every project validates against the INDIGO project schema.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from temoin.errors import InvalidInputError
from temoin.opendata._cleaning import (
    Reading,
    read_date,
    read_enum,
    read_months,
    read_number,
    read_percentage,
)
from temoin.opendata.schemas import project_schema, validate_project

__all__ = ["ImportResult", "ImportWarning", "ImportedProject", "read_indigo", "read_indigo_csv", "read_indigo_json"]

Where = Callable[[tuple[str | int, ...]], tuple[str, int | None, str]]


@dataclass(frozen=True)
class ImportWarning:
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
        return f"{self.file}{row}, {self.field} = {self.value!r}: {text} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "field": self.field, "value": self.value, "code": self.code,
                "project": self.project, "message_fr": self.fr, "message_en": self.en}


@dataclass(frozen=True)
class ImportedProject:
    id: str
    data: dict[str, Any]
    source: str
    warnings: tuple[ImportWarning, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    source: str
    format: Literal["json", "csv"]
    projects: tuple[ImportedProject, ...]
    warnings: tuple[ImportWarning, ...] = field(default_factory=tuple)


def _refuse(code: str, fr: str, en: str, *, path: str, line: int | None = None) -> InvalidInputError:
    return InvalidInputError(
        code, fr, en, path=path, line=line,
        hint_fr="Corrigez le fichier puis relancez l'import : rien n'a été enregistré.",
        hint_en="Fix the file and run the import again: nothing was saved.",
    )


# --- the schema-guided cleaner ----------------------------------------------------------------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = project_schema()
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    merged = dict(target)
    merged.update({k: v for k, v in node.items() if k != "$ref" and k not in ("type",)})
    return merged


class _Cleaner:
    def __init__(self, where: Where, project: str) -> None:
        self.where = where
        self.project = project
        self.warnings: list[ImportWarning] = []

    def warn(self, path: tuple[str | int, ...], raw: object, reading: Reading) -> None:
        file, row, fld = self.where(path)
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.warnings.append(ImportWarning(file, row, fld, text, reading.code or "indigo.defect", reading.fr, reading.en, self.project))

    def clean(self, value: Any, schema: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        s = _resolve(schema)
        if "properties" in s:
            return self._object(value, s, path)
        if s.get("type") == "array":
            if not isinstance(value, list):
                self.warn(path, value, Reading(None, "indigo.not_a_list", "une liste est attendue : ignoré", "a list is expected: dropped"))
                return None
            items = [self.clean(v, s.get("items", {}), (*path, i)) for i, v in enumerate(value)]
            return [i for i in items if i not in (None, {})] or None
        return self._leaf(value, s, path)

    def _object(self, value: Any, s: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        if not isinstance(value, dict):
            if value in (None, ""):
                return None
            self.warn(path, value, Reading(None, "indigo.not_an_object", "un objet est attendu : ignoré", "an object is expected: dropped"))
            return None
        props: dict[str, Any] = s["properties"]
        if value.get("status") == "PRIVATE" and path:
            self.warn(path, value.get("id") or value.get("value") or "PRIVATE", Reading(None, "indigo.private_value", "valeur marquée PRIVATE : non importée",
                                                            "value marked PRIVATE: not imported"))
            return None
        out: dict[str, Any] = {}
        for key, sub in value.items():
            if key not in props:
                self.warn((*path, key), sub, Reading(None, "indigo.unknown_field", "champ inconnu du standard INDIGO : ignoré",
                                                      "field unknown to the INDIGO standard: dropped"))
                continue
            cleaned = self.clean(sub, props[key], (*path, key))
            if cleaned not in (None, {}, []):
                out[key] = cleaned
        if "value" in props and "value" not in out:  # a status or source without its value says nothing
            return None
        return out

    def _leaf(self, value: Any, s: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        if value is None:
            return None
        kind = s.get("type")
        name = str(path[-2]) if len(path) >= 2 else str(path[-1]) if path else ""
        if "enum" in s:
            is_role = name == "organisation_role_category"
            reading = read_enum(value, list(s["enum"]), what="role" if is_role else "value")
            if not reading.clean or (reading.value is None and is_role):
                self.warn(path, value, reading)
            return reading.value
        if kind == "string" and "pattern" in s:
            reading = read_date(value)
        elif kind == "number":
            if name == "maximum_potential_return":
                reading = read_percentage(value)
            elif "duration" in name:
                reading = read_months(value)
            else:
                reading = read_number(value)
        elif kind == "string":
            if isinstance(value, (dict, list)):
                reading = Reading(None, "indigo.not_text", "du texte est attendu : ignoré", "text is expected: dropped")
            else:
                text = value if isinstance(value, str) else json.dumps(value)
                return text if text.strip() else None
        else:
            return value
        if not reading.clean:
            self.warn(path, value, reading)
        return reading.value


def _clean_project(pid: str, raw: dict[str, Any], where: Where, source: str) -> ImportedProject:
    cleaner = _Cleaner(where, pid)
    data = cleaner.clean(raw, project_schema(), ()) or {}
    errors = validate_project(data)
    if errors:  # the cleaner should leave nothing invalid; refuse rather than keep a bad project
        raise _refuse("indigo.invalid_project", f"Le projet {pid} reste invalide après nettoyage : {errors[0]}.",
                      f"Project {pid} is still invalid after cleaning: {errors[0]}.", path=source)
    return ImportedProject(pid, data, source, tuple(cleaner.warnings))


def _check_id(pid: Any, *, source: str, line: int | None = None) -> str:
    if not isinstance(pid, str) or not pid.strip():
        raise _refuse("indigo.missing_id", "Un projet n'a pas d'identifiant (« id »).", "A project has no identifier ('id').",
                      path=source, line=line)
    return pid.strip()


def _no_duplicates(projects: list[ImportedProject], source: str) -> None:
    seen: set[str] = set()
    for p in projects:
        if p.id in seen:
            raise _refuse("indigo.duplicate_id", f"Le projet {p.id} apparaît deux fois.", f"Project {p.id} appears twice.", path=source)
        seen.add(p.id)


# --- JSON ---------------------------------------------------------------------------------------


def read_indigo_json(path: Path, *, text: str | None = None) -> ImportResult:
    source = path.name
    try:
        doc = json.loads(text if text is not None else path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise _refuse("indigo.encoding", f"{source} n'est pas un fichier texte UTF-8.", f"{source} is not a UTF-8 text file.", path=source) from None
    except json.JSONDecodeError as exc:
        raise _refuse("indigo.json_syntax", f"JSON illisible dans {source} : {exc.msg}.", f"Unreadable JSON in {source}: {exc.msg}.",
                      path=source, line=exc.lineno) from None
    if isinstance(doc, dict) and isinstance(doc.get("projects"), list):
        doc = doc["projects"]
    entries = doc if isinstance(doc, list) else [doc]
    projects: list[ImportedProject] = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _refuse("indigo.not_a_project", f"L'élément {n} de {source} n'est pas un projet INDIGO (objet attendu).",
                          f"Item {n} of {source} is not an INDIGO project (an object is expected).", path=source)
        pid = _check_id(entry.get("id"), source=source)
        if isinstance(entry.get("data"), dict):
            raw = entry["data"]
        else:
            raw = {k: v for k, v in entry.items() if k != "id"}
        prefix = f"{pid}: " if len(entries) > 1 else ""

        def where(p: tuple[str | int, ...], _prefix: str = prefix) -> tuple[str, int | None, str]:
            return source, None, _prefix + "/".join(str(x) for x in p)

        projects.append(_clean_project(pid, raw, where, source))
    if not projects:
        raise _refuse("indigo.empty", f"{source} ne contient aucun projet.", f"{source} contains no project.", path=source)
    _no_duplicates(projects, source)
    return ImportResult(source, "json", tuple(projects), tuple(w for p in projects for w in p.warnings))


# --- CSV folder ---------------------------------------------------------------------------------


def _unflatten(row: dict[str, str], *, keep_blank: Callable[[str], bool]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None:
            continue
        cell = (cell or "").strip()
        if not cell and not keep_blank(column):
            continue
        node = out
        parts = [p for p in column.strip().split("/") if p]
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[parts[-1]] = cell
    return out


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = [(reader.line_num, dict(r)) for r in reader]
            return list(reader.fieldnames or []), rows
    except UnicodeDecodeError:
        raise _refuse("indigo.encoding", f"{path.name} n'est pas un fichier texte UTF-8.", f"{path.name} is not a UTF-8 text file.",
                      path=path.name) from None
    except csv.Error as exc:
        raise _refuse("indigo.csv_syntax", f"CSV illisible dans {path.name} : {exc}.", f"Unreadable CSV in {path.name}: {exc}.",
                      path=path.name) from None


def _is_role_column(column: str) -> bool:
    return column.strip().endswith("organisation_role_category/value")


def read_indigo_csv(folder: Path) -> ImportResult:
    source = folder.name
    main = folder / "project.csv"
    if not main.is_file():
        raise _refuse("indigo.no_project_csv", f"Le dossier {source} ne contient pas de fichier project.csv.",
                      f"The folder {source} has no project.csv file.", path=source)
    columns, rows = _read_csv(main)
    if "id" not in [c.strip() for c in columns]:
        raise _refuse("indigo.missing_column", "project.csv n'a pas de colonne « id ».", "project.csv has no 'id' column.", path="project.csv")
    lists = {k for k, v in project_schema()["properties"].items() if v.get("type") == "array"}
    raw: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    item_lines: dict[tuple[str, str, int], tuple[str, int]] = {}
    orphans: list[ImportWarning] = []
    for line, row in rows:
        row = {(k or "").strip(): v for k, v in row.items()}
        pid = _check_id(row.get("id"), source="project.csv", line=line)
        if pid in raw:
            raise _refuse("indigo.duplicate_id", f"Le projet {pid} apparaît deux fois dans project.csv.",
                          f"Project {pid} appears twice in project.csv.", path="project.csv", line=line)
        raw[pid] = _unflatten({k: v for k, v in row.items() if k != "id"}, keep_blank=lambda c: False)
        lines[pid] = line
    if not raw:
        raise _refuse("indigo.empty", "project.csv ne contient aucun projet.", "project.csv contains no project.", path="project.csv")
    for csv_path in sorted(folder.glob("*.csv")):
        if csv_path.name == "project.csv":
            continue
        name = csv_path.stem.removeprefix("project_")
        if name not in lists:
            orphans.append(ImportWarning(csv_path.name, None, "", "", "indigo.unknown_table",
                                         "fichier qui ne correspond à aucune sous-table INDIGO : ignoré",
                                         "file matches no INDIGO sub-table: ignored"))
            continue
        sub_columns, sub_rows = _read_csv(csv_path)
        if "project_id" not in [c.strip() for c in sub_columns]:
            raise _refuse("indigo.missing_column", f"{csv_path.name} n'a pas de colonne « project_id ».",
                          f"{csv_path.name} has no 'project_id' column.", path=csv_path.name)
        for line, row in sub_rows:
            row = {(k or "").strip(): v for k, v in row.items()}
            pid = (row.get("project_id") or "").strip()
            if pid not in raw:
                orphans.append(ImportWarning(csv_path.name, line, "project_id", pid, "indigo.orphan_row",
                                             "ligne rattachée à un projet absent de project.csv : ignorée",
                                             "row belongs to a project missing from project.csv: ignored", pid))
                continue
            items = raw[pid].setdefault(name, [])
            item_lines[(pid, name, len(items))] = (csv_path.name, line)
            items.append(_unflatten({k: v for k, v in row.items() if k != "project_id"}, keep_blank=_is_role_column))
    projects = []
    for pid, data in raw.items():
        def where(p: tuple[str | int, ...], _pid: str = pid) -> tuple[str, int | None, str]:
            if len(p) >= 2 and isinstance(p[1], int) and (_pid, str(p[0]), p[1]) in item_lines:
                file, line = item_lines[(_pid, str(p[0]), p[1])]
                return file, line, "/".join(str(x) for x in p[2:])
            return "project.csv", lines[_pid], "/".join(str(x) for x in p)

        projects.append(_clean_project(pid, data, where, source))
    return ImportResult(source, "csv", tuple(projects), tuple(orphans) + tuple(w for p in projects for w in p.warnings))


def read_indigo(path: str | Path) -> ImportResult:
    """Read INDIGO data from a JSON file or a folder of flat CSV files (see the module docstring)."""
    p = Path(path)
    if p.is_dir():
        return read_indigo_csv(p)
    if p.is_file():
        return read_indigo_json(p)
    raise InvalidInputError("indigo.not_found", f"Fichier ou dossier introuvable : {p}.", f"No such file or folder: {p}.",
                            path=str(p), hint_fr="Donnez un fichier JSON ou un dossier de fichiers CSV INDIGO.",
                            hint_en="Give a JSON file or a folder of INDIGO CSV files.")
