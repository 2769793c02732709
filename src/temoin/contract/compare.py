"""Two versions of a contract compared field by field, as a person reads them.

Each :class:`Change` says where (the section, the item by its name, the field, each by its label
``label:contract_field:<key>``), whether something was added, removed or changed, and the values
before and after as plain data (the entry point renders them in the reader's words). Items of a
list that carry an identifier (a party, an indicator, a period, a committee…) are matched by it,
so that a party moved in the list is not a change, and a renamed one is a change of its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from temoin.contract.loading import contract_to_data
from temoin.contract.model import Contract
from temoin.messages import Msg

Kind = Literal["added", "removed", "changed"]
Step = Msg | str
# The key that names an item of a list, in the order they are tried.
IDENTITY_KEYS = ("id", "indicator", "outcome", "person", "code", "attribute", "investor", "name")


@dataclass(frozen=True)
class Change:
    path: tuple[str | int, ...]
    """The keys from the contract's root to the field, as in the YAML (an item by its identifier)."""
    where: tuple[Step, ...]
    """The same path in words: each key's label, each item by its name."""
    kind: Kind
    field: str
    """The last key: it says how to read the values (a design, a role, an amount…)."""
    before: Any = None
    after: Any = None


def field_label(key: str) -> Msg:
    return Msg(f"label:contract_field:{key}")


def _is_text(value: Any) -> bool:
    """A text given in both languages ({fr, en}): one value, read in the reader's half."""
    return isinstance(value, dict) and bool(value) and set(value) <= {"fr", "en"}


def _identity(items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in IDENTITY_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return None


def _item_name(item: Any, key: str | None, index: int) -> Step:
    if isinstance(item, dict):
        name = item.get("name") or item.get("label") or (item.get(key) if key else None)
        if isinstance(name, dict):
            name = name.get("fr") or name.get("en")
        if isinstance(name, str) and name:
            return name
    return Msg("item {n}", n=index + 1)


def _diff(before: Any, after: Any, path: tuple[str | int, ...], where: tuple[Step, ...], field: str,
          out: list[Change]) -> None:
    if before == after:
        return
    if before is None or after is None:
        out.append(Change(path, where, "added" if before is None else "removed", field, before, after))
        return
    if isinstance(before, dict) and isinstance(after, dict) and not (_is_text(before) and _is_text(after)):
        for key in [*before, *(k for k in after if k not in before)]:
            _diff(before.get(key), after.get(key), (*path, key), (*where, field_label(key)), key, out)
        return
    if isinstance(before, list) and isinstance(after, list) and (before or after) \
            and all(isinstance(i, dict) for i in before + after):
        key = _identity(before)
        key = key if key is not None and (not after or _identity(after) == key) else _identity(after) if not before else None
        if key is not None:
            old = {i[key]: i for i in before}
            new = {i[key]: i for i in after}
            for ident in [*old, *(k for k in new if k not in old)]:
                item = new.get(ident) or old[ident]
                _diff(old.get(ident), new.get(ident), (*path, ident),
                      (*where, _item_name(item, key, 0)), field, out)
            return
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else None
            a = after[i] if i < len(after) else None
            _diff(b, a, (*path, i), (*where, _item_name(a or b, None, i)), field, out)
        return
    out.append(Change(path, where, "changed", field, before, after))


def compare(before: Contract, after: Contract) -> list[Change]:
    """Every difference from ``before`` to ``after``, in the order of the document."""
    out: list[Change] = []
    _diff(contract_to_data(before), contract_to_data(after), (), (), "", out)
    return out
