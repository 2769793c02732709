"""The INDIGO data standard's JSON Schemas and code lists, bundled with the package.

The files in ``temoin/opendata/indigo/`` are an unmodified copy of the INDIGO 4.1 schemas
(Government Outcomes Lab and Open Data Services); a test checks the copy against the shared one.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator

__all__ = ["codelist", "project_schema", "record_schema", "validate_project", "validate_record"]

_SCHEMAS = {"project": "project.json", "organisation": "organisation.json", "fund": "fund.json"}


def _read(name: str) -> str:
    return resources.files("temoin.opendata").joinpath("indigo", name).read_text(encoding="utf-8")


@lru_cache(maxsize=4)
def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_read(name))
    return data


def project_schema() -> dict[str, Any]:
    """The INDIGO project schema (draft-07)."""
    return _schema("project.json")


def record_schema(kind: str) -> dict[str, Any]:
    """The INDIGO schema of a record type: ``project``, ``organisation`` or ``fund``."""
    return _schema(_SCHEMAS[kind])


@lru_cache(maxsize=8)
def codelist(name: str) -> tuple[str, ...]:
    """The first column of an INDIGO code list (``countries`` -> ('AD', 'AE', …)), stripped."""
    rows = list(csv.reader(io.StringIO(_read(f"codelists/{name}.csv"))))
    return tuple(row[0].strip() for row in rows[1:] if row and row[0].strip())


_ANNOTATIONS = frozenset({"title", "description", "priority", "patternHint", "codelistDescription"})


def _inline(node: Any, root: dict[str, Any]) -> Any:
    """The schema with every ``$ref`` replaced by its definition (INDIGO's are not recursive) and
    annotations left out: the same constraints, checked without a reference lookup per value."""
    if isinstance(node, dict):
        if "$ref" in node:  # draft-07: a $ref's siblings are ignored
            target: Any = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _inline(target, root)
        return {k: ({name: _inline(sub, root) for name, sub in v.items()} if k == "properties" else _inline(v, root))
                for k, v in node.items() if k not in _ANNOTATIONS and k != "definitions"}
    if isinstance(node, list):
        return [_inline(v, root) for v in node]
    return node


@lru_cache(maxsize=3)
def _validator(kind: str) -> Draft7Validator:
    schema = record_schema(kind)
    return Draft7Validator(_inline(schema, schema))


def validate_project(data: dict[str, Any]) -> list[str]:
    """Every schema error of an INDIGO project's data, as 'path: message' (empty when valid)."""
    return validate_record("project", data)


def validate_record(kind: str, data: dict[str, Any]) -> list[str]:
    """Every schema error of an INDIGO record's data (``kind``: project, organisation or fund)."""
    validator = _validator(kind)
    if validator.is_valid(data):
        return []
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(root)'}: {err.message}"
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
