"""An audit-ledger entry as a person reads it: its event by its label, and its payload as lines
"what: value" in the reader's language (never raw JSON). The JSON API keeps the payload as stored.

Each key of a payload has a label, ``label:ledger_field:<key>``; values are shown the reader's way:
numbers by the Translator, yes/no, a code of a closed set by its label (an evidence grade, a seat,
a reason for recusal), a column of a cohort file by its label (``names``), a list joined, a nested
record as its own "what: value" parts. Fingerprints, file names and program versions are marked as
code (``Line.code``): a person copies them, they do not translate.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from temoin.i18n import Translator

__all__ = ["Line", "entry_lines"]

_HASH = re.compile(r"^[0-9a-f]{40,}$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
# keys whose values are codes of a closed set: shown by their label
_CODED = {"grade": "evidence_grade", "role": "role", "seat": "seat", "kind": "approval_kind",
          "method": "randomisation_method", "action": "ledger_action", "status": "call_status",
          "recusal_reason": "recusal_reason", "reason": "recusal_reason", "erasure_rule": "erasure_rule",
          "request_kind": "request_kind", "answer": "request_outcome"}
# keys whose values (or whose records' keys) are columns of a cohort file
_COLUMNS = {"quasi_identifiers", "columns", "withheld_columns", "dropped_columns", "dates_coarsened_to_month",
            "strata", "not_quasi_identifiers", "generalised", "blank_values", "criteria"}
_AS_CODE = {"algorithm", "file", "seed", "run_id", "call", "application", "organisation", "party", "source"}
MAX_ITEMS = 8


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    code: bool = False


class _Shown:
    def __init__(self, t: Translator, names: Mapping[str, str]) -> None:
        self.t = t
        self.names = names

    def column(self, name: str) -> str:
        if name in self.names:
            return self.names[name]
        if "__" in name:  # an indicator at a wave: placement_days__m24
            indicator, wave = name.split("__", 1)
            return self.t("{indicator} ({wave})", indicator=self.names.get(indicator, indicator), wave=wave)
        return self.t.label("column", name)

    def listing(self, items: list[str]) -> str:
        more = len(items) - MAX_ITEMS
        return ", ".join(items[:MAX_ITEMS]) + (" " + self.t("(and {n} more)", n=more) if more > 0 else "")

    def value(self, key: str, value: Any) -> str:
        t = self.t
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return t("yes") if value else t("no")
        if isinstance(value, int | float):
            return t.number(value, None if isinstance(value, int) or float(value).is_integer() else 2)
        if isinstance(value, str):
            return self.text(key, value)
        if isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                return self.listing([self.column(str(v)) if key in _COLUMNS else self.value(key, v) for v in value])
            return t("{n} item(s)", n=len(value))
        if isinstance(value, dict):
            if key in _COLUMNS:  # columns and what was done to them: the columns
                return self.listing([self.column(str(k)) for k in value])
            return self.listing([t("{label}: {value}", label=t.label("ledger_field", str(k)), value=self.value(str(k), v))
                                 for k, v in value.items()])
        return str(value)

    def text(self, key: str, value: str) -> str:
        t = self.t
        if _HASH.match(value):
            return value[:12] + "…"
        if key in _CODED:
            return t.label(_CODED[key], value)
        if _DECIMAL.match(value):
            try:
                return t.number(Decimal(value), len(value.split(".")[1]))
            except InvalidOperation:
                return value
        if key.endswith(("_at", "_date", "_on")) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
            return t.datetime(value) if "T" in value else t.date(dt.date.fromisoformat(value[:10]))
        return value


def entry_lines(t: Translator, payload: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[Line]:
    """Each field of a ledger entry's payload, in the reader's language; ``names``: the labels of the
    contract's columns (attributes, indicators) in that language."""
    shown = _Shown(t, names or {})
    return [Line(t.label("ledger_field", key), shown.value(key, value),
                 key in _AS_CODE or (isinstance(value, str) and bool(_HASH.match(value))))
            for key, value in payload.items()]
