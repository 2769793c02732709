"""The guided form of a contract: each section's fields from the contract's own model, and the
form read back into the same data (then YAML, then the same parser and safeguard report).

The form is built from a document's data (the latest version, an example, or the blank contract):
each value is a field named ``f:<path>`` (``f:parties.0.name``), with a widget chosen from the
pydantic model at that path: a list of choices for a closed set (each by its label when the
catalogue has one), a box for yes or no, boxes for a list of roles, a date, a number, a text.
Items of a list (a party, an indicator, a period…) can be added and removed. What the form does
not show (a table of shares, a research release) is kept from the document as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

import yaml
from pydantic import BaseModel

from temoin.contract.model import Contract
from temoin.i18n import Translator, catalogue

# The sections of the form, in the order a contract is written: (title, top-level keys).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The contract", ("id", "title", "summary", "policy_sector", "jurisdiction", "currency", "signed_date", "start_date",
                      "end_date", "synthetic")),
    ("Parties", ("parties",)),
    ("Population and margins", ("population",)),
    ("Indicators", ("indicators",)),
    ("Design and analysis plan", ("evaluation",)),
    ("Payments", ("payments", "savings")),
    ("Caps", ("caps",)),
    ("Investments", ("investments", "costs", "direct_delivery_cost")),
    ("Governance", ("governance", "research_extract")),
)
# Value labels of closed sets, by field (label:<kind>:<code>), where the catalogue has them.
VALUE_KINDS = {
    "design": "design", "estimator": "estimator", "se_type": "se_type", "sidedness": "sidedness",
    "policy_sector": "policy_sector", "roles": "role", "seat": "seat", "data_source": "data_source",
    "accumulation": "accumulation", "basis": "payment_basis", "direction": "indicator_direction",
    "instrument": "instrument", "seniority": "seniority", "multiplicity": "multiplicity",
    "missing_outcomes": "missing_outcomes", "df_method": "df_method", "attrition_boundary": "attrition_boundary",
}
KIND_IN = {"parties": "party_kind", "committees": "committee_kind", "costs": "cost_kind", "investor_return": "return_cap_kind"}

Path = tuple[str | int, ...]


@dataclass
class Row:
    """One line of the form: a heading of an item (depth, words, its list's path to add or remove)
    or a field."""

    depth: int
    label: str
    name: str = ""
    widget: str = "heading"
    value: Any = None
    options: list[tuple[str, str]] = field(default_factory=list)
    remove: str = ""
    add: str = ""
    add_label: str = ""
    own: bool = False
    remove_label: str = ""
    """The label is the contract's own words (an item's name), not Témoin's."""


@dataclass
class Section:
    title: str
    rows: list[Row]


def _unwrap(annotation: Any) -> Any:
    """The type under ``Annotated[...]`` and ``X | None``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def annotation_at(path: Path) -> Any:
    """The model's type at ``path`` (keys and list positions), or None where the model has none."""
    current: Any = Contract
    for step in path:
        current = _unwrap(current)
        if isinstance(step, int):
            if typing.get_origin(current) is not list:
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(step)
            if info is None:
                return None
            current = info.annotation
        else:
            return None
    return _unwrap(current)


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    return None


def _kind_of(path: Path) -> str | None:
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    if key == "kind":
        parent = next((str(p) for p in reversed(path[:-1]) if isinstance(p, str) and p in KIND_IN), "")
        return KIND_IN.get(parent)
    return VALUE_KINDS.get(key)


def _option_label(t: Translator, kind: str | None, code: str) -> str:
    if kind and catalogue(t.lang).get(f"label:{kind}:{code}"):
        return t.label(kind, code)
    return code


def _name(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _field_label(t: Translator, key: str) -> str:
    return t(f"label:contract_field:{key}")


def _item_title(t: Translator, item: Any, index: int) -> str:
    if isinstance(item, dict):
        name = item.get("name") or item.get("id") or item.get("indicator") or item.get("person") or item.get("code")
        if isinstance(name, dict):
            name = name.get(t.lang) or name.get("fr")
        if isinstance(name, str) and name:
            return name
    return t("item {n}", n=index + 1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(t: Translator, value: Any, path: Path, depth: int, out: list[Row]) -> None:
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    annotation = annotation_at(path)
    if isinstance(value, dict) and not (isinstance(annotation, type) and not issubclass(annotation, BaseModel)) \
            and typing.get_origin(annotation) is not dict:
        if path and not isinstance(path[-1], int):
            out.append(Row(depth, _field_label(t, key)))
        for k, v in value.items():
            _rows(t, v, (*path, k), depth + 1, out)
        return
    if isinstance(value, list) and typing.get_origin(annotation) is list:
        inner = _unwrap(typing.get_args(annotation)[0])
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            out.append(Row(depth, _field_label(t, key), add=_name(path), add_label=t("Add to {what}", what=_field_label(t, key))))
            for i, item in enumerate(value):
                out.append(Row(depth + 1, _item_title(t, item, i), remove=_name((*path, i)), own=True,
                               remove_label=t("Remove item {n} of {what}", n=i + 1, what=_field_label(t, key))))
                if isinstance(item, dict):
                    for k, v in item.items():
                        _rows(t, v, (*path, i, k), depth + 2, out)
            return
        choices = _choices(inner)
        kind = _kind_of(path)
        if choices:
            out.append(Row(depth, _field_label(t, key), "f:" + _name(path), "checkboxes", [str(v) for v in value],
                           [(c, _option_label(t, kind, c)) for c in choices]))
        else:
            out.append(Row(depth, _field_label(t, key), "f:" + _name(path), "list", ", ".join(_text(v) for v in value)))
        return
    if typing.get_origin(annotation) is dict or isinstance(value, dict | list):
        out.append(Row(depth, _field_label(t, key), widget="kept", value=t("kept as written in the YAML")))
        return
    label = _field_label(t, key) if not isinstance(path[-1], int) else t("item {n}", n=path[-1] + 1)
    name = "f:" + _name(path)
    choices = _choices(annotation)
    if choices:
        kind = _kind_of(path)
        out.append(Row(depth, label, name, "select", _text(value), [(c, _option_label(t, kind, c)) for c in choices]))
    elif annotation is bool:
        out.append(Row(depth, label, name, "checkbox", bool(value)))
    elif annotation is dt.date:
        out.append(Row(depth, label, name, "date", _text(value)))
    elif key in ("description", "definition", "summary", "method") or (isinstance(value, str) and len(value) > 90):
        out.append(Row(depth, label, name, "textarea", _text(value)))
    else:
        out.append(Row(depth, label, name, "text", _text(value)))


def sections(t: Translator, data: dict[str, Any]) -> list[Section]:
    """The form's sections for ``data`` (a contract document as plain data, valid or not)."""
    out = []
    for title, keys in SECTIONS:
        rows: list[Row] = []
        for key in keys:
            if key in data:
                _rows(t, data[key], (key,), 0, rows)
        out.append(Section(t(title), rows))
    return out


def _path_of(name: str) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in name.split("."))


def _container(data: Any, path: Path) -> Any:
    for step in path:
        data = data[step]
    return data


def _scalar(raw: str, annotation: Any) -> Any:
    if annotation is bool:
        return raw in ("on", "true", "1")
    if annotation is int:
        try:
            return int(raw)
        except ValueError:
            return raw
    if annotation is float:
        try:
            return float(raw.replace(",", "."))
        except ValueError:
            return raw
    if annotation is Decimal:
        return raw.replace(",", ".").replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
    if annotation is str or _choices(annotation) or annotation is dt.date:
        return raw
    try:  # a value of any type (an eligibility rule's): read as YAML reads it
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def _blank(value: Any) -> Any:
    """An empty item shaped like ``value``: texts and numbers emptied, lists of items kept to one."""
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(value[0])] if value and isinstance(value[0], dict) else []
    if isinstance(value, bool):
        return value
    return ""


def _new_item(annotation: Any) -> dict[str, Any]:
    """An empty item of a model: its required fields, empty."""
    out: dict[str, Any] = {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for k, info in annotation.model_fields.items():
            if info.is_required():
                inner = _unwrap(info.annotation)
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    out[k] = _new_item(inner)
                elif typing.get_origin(inner) is list:
                    out[k] = []
                else:
                    out[k] = ""
    return out


def apply(base: dict[str, Any], form: Any, action: str = "") -> dict[str, Any]:
    """``base`` with the form's values written over it; then the item added or removed that
    ``action`` names (``add:<path>``, ``remove:<path>``). An emptied field stays empty here (the
    form shows it again); :func:`document` leaves it out."""
    data = copy.deepcopy(base)
    names = [k for k in form if k.startswith(("f:", "b:"))]
    for name in names:
        path = _path_of(name[2:])
        if name.startswith("b:") and "f:" + name[2:] in form:
            continue
        try:
            parent = _container(data, path[:-1])
        except (KeyError, IndexError, TypeError):
            continue  # a field of an item removed meanwhile
        annotation = annotation_at(path)
        last = path[-1]
        if typing.get_origin(annotation) is list:
            inner = _unwrap(typing.get_args(annotation)[0])
            if _choices(inner):
                value: Any = [str(v) for v in form.getlist(name)]
            else:
                value = [v.strip() for v in str(form.get(name) or "").split(",") if v.strip()]
        elif name.startswith("b:"):
            value = False
        else:
            raw = str(form.get(name) or "").strip()
            value = "" if raw == "" else _scalar(raw, annotation)
        if isinstance(parent, dict):
            parent[str(last)] = value
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            parent[last] = value
    verb, _, target = action.partition(":")
    if verb in ("add", "remove") and target:
        path = _path_of(target)
        try:
            if verb == "add":
                items = _container(data, path)
                annotation = annotation_at((*path, 0))
                items.append(_blank(items[-1]) if items else _new_item(annotation))
            else:
                del _container(data, path[:-1])[path[-1]]
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
    return data


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v != ""}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def document(data: dict[str, Any]) -> str:
    """The contract's YAML from the form's data: an emptied field is left out, so that the parser
    names it when it is required."""
    return to_yaml(_strip(data))


def to_yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def from_yaml(text: str) -> dict[str, Any]:
    """A document's data, or an empty one when the text is not a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
