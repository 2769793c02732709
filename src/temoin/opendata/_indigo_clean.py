"""Cleaning an INDIGO record against its schema, value by value.

The cleaner walks the raw record alongside the schema: a value the schema does not know, a list
where an object is expected, a date such as "2018-13", text in a number, a code outside its code
list, each becomes an :class:`ImportWarning`; the value is read when that is safe (and the warning
says how) or dropped. What comes out is valid against the schema (checked once more at the end).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from temoin.messages import Msg
from temoin.opendata._cleaning import (
    Reading,
    read_date,
    read_enum,
    read_months,
    read_number,
    read_percentage,
)
from temoin.opendata.indigo_columns import RecordKind
from temoin.opendata.indigo_records import ImportedRecord, ImportWarning, refuse
from temoin.opendata.schemas import codelist, record_schema, validate_record

__all__ = ["Where", "clean_record"]

# path in the record -> (file, row, column or field name)
Where = Callable[[tuple[str | int, ...]], tuple[str, int | None, str]]

_ALIASES = {"UK": "GB"}  # country codes a reader means without ambiguity
_RESOLVED: dict[int, dict[str, Any]] = {}


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    found = _RESOLVED.get(id(node))
    if found is not None:
        return found
    out = node
    ref = node.get("$ref")
    if ref:
        target: Any = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        out = dict(target)
        out.update({k: v for k, v in node.items() if k != "$ref"})
    _RESOLVED[id(node)] = out  # schemas are loaded once and kept: their nodes' ids are stable
    return out


def _codes(name: str) -> list[str]:
    return list(codelist(name.removesuffix(".csv")))


class _Cleaner:
    def __init__(self, root: dict[str, Any], where: Where, record: str) -> None:
        self.root = root
        self.where = where
        self.record = record
        self.warnings: list[ImportWarning] = []

    def warn(self, path: tuple[str | int, ...], raw: object, reading: Reading) -> None:
        file, row, fld = self.where(path)
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
        self.warnings.append(ImportWarning(file, row, fld, text, reading.code or "indigo.defect", reading.message or Msg("defect"),
                                           self.record))

    def clean(self, value: Any, schema: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        s = _resolve(schema, self.root)
        if "properties" in s:
            return self._object(value, s, path)
        if s.get("type") == "array":
            if not isinstance(value, list):
                self.warn(path, value, Reading(None, "indigo.not_a_list", Msg("a list is expected: dropped")))
                return None
            items = [self.clean(v, s.get("items", {}), (*path, i)) for i, v in enumerate(value)]
            return [i for i in items if i not in (None, {})] or None
        return self._leaf(value, s, path)

    def _object(self, value: Any, s: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        if not isinstance(value, dict):
            if value in (None, ""):
                return None
            self.warn(path, value, Reading(None, "indigo.not_an_object", Msg("an object is expected: dropped")))
            return None
        props: dict[str, Any] = s["properties"]
        if value.get("status") == "PRIVATE" and path:
            self.warn(path, value.get("id") or value.get("value") or "PRIVATE",
                      Reading(None, "indigo.private_value", Msg("value marked PRIVATE: not imported")))
            return None
        out: dict[str, Any] = {}
        for key, sub in value.items():
            if key not in props:
                self.warn((*path, key), sub, Reading(None, "indigo.unknown_field", Msg("field unknown to the INDIGO standard: dropped")))
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
        if "enum" in s or "codelist" in s:
            is_role = name == "organisation_role_category"
            allowed = list(s["enum"]) if "enum" in s else _codes(str(s["codelist"]))
            text = str(value).strip()
            if "codelist" in s and text.upper() in _ALIASES:
                fixed = _ALIASES[text.upper()]
                reading = Reading(fixed, "indigo.code_normalised", Msg("read as '{fixed}'", fixed=fixed))
            else:
                reading = read_enum(value, allowed, what="role" if is_role else "value")
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
                reading = Reading(None, "indigo.not_text", Msg("text is expected: dropped"))
            else:
                text = value if isinstance(value, str) else json.dumps(value)
                if not text.strip():
                    return None
                if name == "maximum_potential_return":  # text, as the standard allows; say how the registry reads it
                    how = read_percentage(text)
                    if how.code not in (None, "indigo.return_from_text"):  # one percentage in prose is read as is
                        self.warn(path, value, Reading(None, how.code, Msg("{reading} (the text is kept as published)", reading=how.message)))
                return text
        else:
            return value
        if not reading.clean:
            self.warn(path, value, reading)
        return reading.value


def clean_record(kind: RecordKind, record_id: str, raw: dict[str, Any], where: Where, source: str) -> ImportedRecord:
    """Clean one record against the schema of its kind; every defect is a warning."""
    root = record_schema(kind.value)
    cleaner = _Cleaner(root, where, record_id)
    data = cleaner.clean(raw, root, ()) or {}
    errors = validate_record(kind.value, data)
    if errors:  # the cleaner should leave nothing invalid; refuse rather than keep a bad record
        raise refuse("indigo.invalid_project", Msg("Record {record_id} is still invalid after cleaning: {error}.", record_id=record_id, error=errors[0]), path=source)
    return ImportedRecord(record_id, data, source, tuple(cleaner.warnings), kind)
