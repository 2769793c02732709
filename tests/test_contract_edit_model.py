"""The comparison of two versions and the guided form, without the web: the comparison finds each
change written here by hand (items matched by their identifier, not their place), and the form,
sent back as it is shown, makes the same contract for every bundled example and real deal."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import MultiDict

from temoin.contract import load_contract, parse_contract
from temoin.contract.compare import compare
from temoin.examples import (
    CONTRACTS_DIR,
    EXAMPLES,
    REAL_DEALS,
    example_path,
    load_example,
    real_deal_path,
)
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.web.contract_form import Row, apply, document, from_yaml, sections

PATHS = [example_path(n) for n in EXAMPLES] + [real_deal_path(n) for n in REAL_DEALS]


def test_the_comparison_finds_each_change_and_matches_items_by_identifier() -> None:
    a = load_example("aemo-renforcee")
    payer = a.parties[0].model_copy(update={"name": "Département du Nord (DEF)"})
    b = a.model_copy(update={
        "parties": [*reversed(a.parties[1:]), payer],  # reordered, one renamed, none added
        "population": a.population.model_copy(update={"expected_size": 640}),
        "caps": a.caps.model_copy(update={"investor_return": None}),
    })
    changes = compare(a, b)
    assert [(c.path, c.kind, c.before, c.after) for c in changes] == [
        (("parties", "dept-nord", "name"), "changed", "Département du Nord", "Département du Nord (DEF)"),
        (("population", "expected_size"), "changed", 800, 640),
        (("caps", "investor_return"), "removed", {"kind": "irr", "value": 0.05}, None),
    ]
    fr = Translator("fr")
    assert [fr.render(s) if isinstance(s, Msg) else s for s in changes[0].where] == [
        "Parties", "Département du Nord (DEF)", "Nom"]
    assert compare(a, a) == []


def test_an_item_added_or_removed_is_one_change() -> None:
    a = load_example("aemo-renforcee")
    b = a.model_copy(update={"indicators": a.indicators[:1]})
    removed = compare(a, b)
    assert [(c.path, c.kind) for c in removed] == [(("indicators", a.indicators[1].id), "removed")]
    assert [(c.path, c.kind) for c in compare(b, a)] == [(("indicators", a.indicators[1].id), "added")]


def _sent(rows: list[Row]) -> MultiDict:
    """The form as a browser sends it: each field's value, ticked boxes, and each box's marker."""
    items: list[tuple[str, Any]] = []
    for r in rows:
        if r.widget in ("heading", "kept"):
            continue
        if r.widget == "checkbox":
            items.append(("b:" + r.name[2:], "1"))
            if r.value:
                items.append((r.name, "on"))
        elif r.widget == "checkboxes":
            items += [(r.name, v) for v in r.value]
        else:
            items.append((r.name, r.value))
    return MultiDict(items)


KEPT = ("shares", "not_quasi_identifiers")  # tables the form keeps as written


def _hollow(value: Any, key: str = "") -> Any:
    """The same document with every value the form shows emptied (yes/no turned over): the form
    alone must bring each one back."""
    if isinstance(value, dict):
        return value if key in KEPT else {k: _hollow(v, k) for k, v in value.items()}
    if isinstance(value, list) and key == "value":
        return value
    if isinstance(value, list):
        if key == "value":  # an eligibility rule's list of values: kept as written
            return value
        return [_hollow(v) for v in value] if value and isinstance(value[0], dict) else []
    if isinstance(value, bool):
        return not value
    return ""


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_guided_form_sent_back_as_shown_makes_the_same_contract(path: Any, lang: str) -> None:
    data = from_yaml(path.read_text(encoding="utf-8"))
    rows = [r for s in sections(Translator(lang), data) for r in s.rows]
    assert sum(r.widget not in ("heading", "kept") for r in rows) > 60
    again = apply(_hollow(data), _sent(rows))
    assert parse_contract(document(again)) == load_contract(path)


def test_a_field_changed_in_the_form_changes_that_field_only() -> None:
    path = CONTRACTS_DIR / "cravate-solidaire.yaml"
    data = from_yaml(path.read_text(encoding="utf-8"))
    form = _sent([r for s in sections(Translator("fr"), data) for r in s.rows])
    form = MultiDict([(k, "0,04" if k == "f:caps.investor_return.value" else v) for k, v in form.multi_items()])
    changed = parse_contract(document(apply(data, form)))
    assert [c.path for c in compare(load_contract(path), changed)] == [("caps", "investor_return", "value")]
    assert changed.caps.investor_return is not None and changed.caps.investor_return.value == 0.04


def test_adding_and_removing_items_and_an_emptied_field_named_by_the_parser() -> None:
    data = from_yaml(example_path("aemo-renforcee").read_text(encoding="utf-8"))
    n = len(data["parties"])
    added = apply(data, MultiDict(), "add:parties")
    assert len(added["parties"]) == n + 1 and added["parties"][-1]["id"] == "" and added["parties"][-1]["roles"] == []
    assert len(apply(data, MultiDict(), "remove:parties.1")["parties"]) == n - 1
    emptied = apply(data, MultiDict([("f:population.expected_size", "")]))
    assert emptied["population"]["expected_size"] == ""  # shown again, empty
    with pytest.raises(Exception) as refused:
        parse_contract(document(emptied))
    assert [p.path for p in refused.value.problems] == ["population.expected_size"]  # type: ignore[attr-defined]
