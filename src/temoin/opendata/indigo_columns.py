"""The column names of GO Lab's flat CSV files, derived from the INDIGO JSON Schemas.

GO Lab publishes each record type (projects, organisations, funds) as one main file
(``projects.csv``: an ``ID`` column, then one column per field) and one file per list
(``projects_outcome_metrics.csv``: a ``Project ID`` column, then one column per field of an item).
A column's name is the data dictionary's label: the ``title`` of every schema node on the way to
the field, joined with " - " (``Dates - Date outcomes contract signed - (Value)``), and a list's
file is named after the list's path without its slashes (``org-ids/secondary`` gives
``organisations_org-idssecondary.csv``). This is the rule the INDIGO database app uses to write the
files; applying it to the bundled schema gives every column of the published files (tested on the
excerpt), so the mapping follows the schema and nothing is typed by hand.

Columns are also accepted under their JSON path (``name/value``, ``id``, ``project_id``): the
layout of a flattened JSON export. Names are matched without regard to case, spacing or the kind
of apostrophe (``Source ID's`` and ``Source ID’s``).

>>> layout = flat_layout(RecordKind.PROJECT)
>>> layout.main.path_of("Dates - Date outcomes contract signed - (Value)")
('dates', 'outcomes_contract_signed', 'value')
>>> layout.tables["outcome_metrics"].path_of("Outcome validation Method - (Value)")
('outcome_validation_method', 'value')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from temoin.opendata.schemas import record_schema

__all__ = ["FlatLayout", "FlatTable", "RecordKind", "column_key", "flat_layout", "kind_of_id"]


class RecordKind(StrEnum):
    """The three INDIGO record types GO Lab publishes."""

    PROJECT = "project"
    ORGANISATION = "organisation"
    FUND = "fund"

    @property
    def plural(self) -> str:
        """The published file's stem: ``projects``, ``organisations``, ``funds``."""
        return f"{self.value}s"


_ID_PREFIX = {"INDIGO-ORG-": RecordKind.ORGANISATION, "INDIGO-FUND-": RecordKind.FUND}


def kind_of_id(identifier: str) -> RecordKind:
    """The record type an INDIGO identifier names (``INDIGO-ORG-…`` an organisation, ``INDIGO-FUND-…``
    a fund, anything else a project)."""
    upper = identifier.upper()
    return next((k for prefix, k in _ID_PREFIX.items() if upper.startswith(prefix)), RecordKind.PROJECT)


def column_key(name: str) -> str:
    """A column name as it is matched: lower case, one space, straight apostrophes."""
    return re.sub(r"\s+", " ", name.replace("\u2019", "'").replace("\ufeff", "")).strip().casefold()


@dataclass(frozen=True)
class FlatTable:
    """One published file: the list it fills (``()`` for the main file) and its columns."""

    name: str
    path: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # column_key -> path in the record/item
    labels: tuple[str, ...] = ()  # the data dictionary's labels, in the schema's order

    def path_of(self, column: str) -> tuple[str, ...] | None:
        return self.columns.get(column_key(column))


@dataclass(frozen=True)
class FlatLayout:
    kind: RecordKind
    main: FlatTable
    tables: Mapping[str, FlatTable]  # by file name suffix: projects_<suffix>.csv


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = root
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    merged = dict(target)
    merged.update({k: v for k, v in node.items() if k != "$ref"})  # the referring node's title wins
    return merged


def _join(a: str, b: str) -> str:
    a, b = a.strip(), b.strip()
    return f"{a} - {b}" if a and b else a or b


def _walk(node: dict[str, Any], root: dict[str, Any], path: tuple[str, ...], title: str,
          leaves: list[tuple[tuple[str, ...], str]], lists: list[tuple[tuple[str, ...], dict[str, Any]]]) -> None:
    node = _resolve(node, root)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        for key, sub in node.get("properties", {}).items():
            _walk(sub, root, (*path, key), _join(title, node.get("title", "")), leaves, lists)
    elif kind == "array":
        lists.append((path, _resolve(node.get("items", {}), root)))
    else:
        leaves.append((path, _join(title, node.get("title", ""))))


def _table(name: str, path: tuple[str, ...], node: dict[str, Any], root: dict[str, Any]) -> FlatTable:
    leaves: list[tuple[tuple[str, ...], str]] = []
    _walk(node, root, (), "", leaves, [])  # lists inside list items are not published as files
    columns: dict[str, tuple[str, ...]] = {}
    for leaf, label in leaves:
        columns.setdefault(column_key(label), leaf)
        columns.setdefault(column_key("/".join(leaf)), leaf)
    return FlatTable(name, path, columns, tuple(label for _, label in leaves))


@lru_cache(maxsize=3)
def flat_layout(kind: RecordKind) -> FlatLayout:
    """The published files of one record type, read off its INDIGO schema."""
    root = record_schema(kind.value)
    leaves: list[tuple[tuple[str, ...], str]] = []
    lists: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    _walk(root, root, (), "", leaves, lists)
    columns: dict[str, tuple[str, ...]] = {}
    for leaf, label in leaves:
        columns.setdefault(column_key(label), leaf)
        columns.setdefault(column_key("/".join(leaf)), leaf)
    main = FlatTable("", (), columns, tuple(label for _, label in leaves))
    tables = {"".join(p): _table("".join(p), p, items, root) for p, items in lists}
    return FlatLayout(kind, main, tables)
