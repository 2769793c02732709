"""Each safeguard rule, both ways: the child-protection example passes it, a mutation fails it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from temoin.contract import RULES, check_contract, contract_to_data, load_contract, parse_contract
from temoin.contract.model import Contract
from temoin.i18n import Translator, catalogue
from temoin.messages import Msg

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    return contract_to_data(load_contract(EXAMPLES / "aemo-renforcee.yaml"))


def _with(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> Contract:
    d = copy.deepcopy(data)
    change(d)
    import yaml

    return parse_contract(yaml.safe_dump(d, allow_unicode=True))


def _failed(contract: Contract) -> set[str]:
    return {o.code for o in check_contract(contract) if not o.passed}


def test_child_protection_example_satisfies_every_safeguard(good: dict[str, Any]) -> None:
    outcomes = check_contract(parse_contract(__import__("yaml").safe_dump(good)))
    assert [o.code for o in outcomes] == [r.code for r in RULES]
    assert all(o.passed for o in outcomes), [o for o in outcomes if not o.passed]


def _design(design: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["evaluation"]["design"] = design
        if design == "absolute_target":
            d["evaluation"]["target"] = {"successes": 300, "out_of": 400}
        if design == "benchmark_comparison":
            d["evaluation"]["benchmark"] = {"reference_rate": 0.3, "reference_std_error": 0.01, "source": "x"}
    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        node = d
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return change


_DELETE = object()


def _affiliate_evaluator(d: dict[str, Any]) -> None:
    for p in d["parties"]:
        if p["id"] == "labo-eval":
            p["affiliated_with"] = ["banque-solidaire"]


def _evaluator_also_structurer(d: dict[str, Any]) -> None:
    for p in d["parties"]:
        if p["id"] == "labo-eval":
            p["roles"] = ["evaluator", "structurer"]


def _no_civil_society_in_monitoring(d: dict[str, Any]) -> None:
    com = d["governance"]["committees"][1]
    com["members"] = [m for m in com["members"] if m["seat"] not in ("civil_society", "beneficiary")]


def _drop_declaration(d: dict[str, Any]) -> None:
    d["governance"]["declarations"] = [x for x in d["governance"]["declarations"] if x["person"] != "Anne Petit"]


def _no_mandatory_lines(d: dict[str, Any]) -> None:
    d["governance"]["protected_budget_lines"] = [x for x in d["governance"]["protected_budget_lines"] if not x["mandatory"]]


def _drop_observers(d: dict[str, Any]) -> None:
    d["parties"] = [p for p in d["parties"] if "civil_society_observer" not in p["roles"]]
    d["governance"]["committees"] = [{**c, "members": [m for m in c["members"] if m["organisation"] != "union-assos"]}
                                     for c in d["governance"]["committees"]]
    for c in d["governance"]["committees"]:
        c["min_civil_society_seats"] = 1


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("S01", _design("absolute_target")),
    ("S01", _design("pre_post")),
    ("S02", _design("benchmark_comparison")),
    ("S03", _set("caps.payments_within_realised_savings", False)),
    ("S03", _set("savings", [])),
    ("S04", _set("caps.investor_return", _DELETE)),
    ("S05", _affiliate_evaluator),
    ("S05", _evaluator_also_structurer),
    ("S06", _no_civil_society_in_monitoring),
    ("S07", _drop_declaration),
    ("S08", _set("evaluation.analysis_plan.se_type", _DELETE)),
    ("S08", _set("evaluation.analysis_plan.minimum_effect", _DELETE)),
    ("S09", _set("evaluation.longitudinal_follow_up", False)),
    ("S10", _set("population.reference_margins", [])),
    ("S11", _no_mandatory_lines),
    ("S12", _set("payments.pay_without_evidence_standard", True)),
    ("S13", _drop_observers),
    ("S14", _set("payments.basis", "point_estimate")),
]


@pytest.mark.parametrize(("code", "change"), MUTATIONS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(MUTATIONS)])
def test_mutation_fails_exactly_its_rule(good: dict[str, Any], code: str, change: Callable[[dict[str, Any]], None]) -> None:
    failed = _failed(_with(good, change))
    assert code in failed
    # The mutation does not trip unrelated rules (a design without a control cohort also fails S09).
    allowed = {code} | ({"S09"} if code in ("S01", "S02") else set())
    assert failed <= allowed, failed


def test_every_rule_is_exercised_both_ways() -> None:
    assert {code for code, _ in MUTATIONS} == {r.code for r in RULES}


def test_justified_alternative_design_satisfies_longitudinal_rule(good: dict[str, Any]) -> None:
    def change(d: dict[str, Any]) -> None:
        _design("benchmark_comparison")(d)
        d["evaluation"]["longitudinal_follow_up"] = False
        d["evaluation"]["alternative_design_justification"] = {"fr": "Public trop mobile.", "en": "Too mobile."}
    assert "S09" not in _failed(_with(good, change))


def test_examples_are_judged_as_expected() -> None:
    relais = _failed(load_contract(EXAMPLES / "relais-familial.yaml"))
    assert "S01" in relais  # absolute target: unable to prove impact
    cravate = check_contract(load_contract(EXAMPLES / "cravate-solidaire.yaml"))
    assert not any(o.blocking for o in cravate)
    assert {o.code for o in cravate if not o.passed} == {"S02", "S14"}


def test_findings_speak_french_and_english() -> None:
    o = next(o for o in check_contract(load_contract(EXAMPLES / "relais-familial.yaml")) if o.code == "S01")
    fr, en = Translator("fr"), Translator("en")
    assert fr.render(o.title) == "Contrefactuel" and en.render(o.title) == "Counterfactual"
    assert fr.render(o.message).startswith("Le contrat est évalué sans groupe de comparaison (cible absolue) : il ne peut "
                                           "pas prouver un impact.")
    assert "(absolute target): it cannot prove impact" in en.render(o.message)
    assert "absolute_target" not in fr.render(o.message) + en.render(o.message)  # the design by its label
    assert fr.render(o.fix).startswith("Adoptez un essai randomisé") and en.render(o.fix).startswith("Use a randomised")
    # stored as data: codes and message identifiers, which read back to the same messages
    d = o.to_dict()
    assert d["code"] == "S01" and Msg.from_dict(d["message"]) == o.message  # type: ignore[arg-type]
    assert d["message"]["params"] == {"design": "absolute_target"}  # type: ignore[index]


def test_every_finding_has_words_in_both_languages_and_no_raw_code() -> None:
    """Every rule's title, message and fix is in the catalogue in both languages; a list of
    committee kinds reads as words (S06), the missing plan items too (S08)."""
    outcomes = [o for name in ("aemo-renforcee", "relais-familial", "cravate-solidaire")
                for o in check_contract(load_contract(EXAMPLES / f"{name}.yaml"))]
    outcomes += check_contract(load_contract(Path(EXAMPLES, "real", "peterborough.yaml")))
    for lang in ("fr", "en"):
        words = catalogue(lang)
        for o in outcomes:
            for m in (o.title, o.message, o.fix):
                if m is not None:
                    assert m.id in words, (lang, m.id)
    s06 = next(o for o in check_contract(load_contract(Path(EXAMPLES, "real", "peterborough.yaml"))) if o.code == "S06")
    assert Translator("fr").render(s06.message).endswith("dans : comité de sélection, comité de suivi.")
    assert Translator("en").render(s06.message).endswith("seats on: selection committee, monitoring committee.")
