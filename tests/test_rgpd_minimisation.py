"""Minimisation: attributes classed in the contract; a sensitive one (health, justice) needs a stated
purpose in the plan, or the safeguard check says so; a contract without classes keeps its hash,
its plan's hash and its checks."""

from __future__ import annotations

import pytest

from temoin.contract.checks import RULES, check_contract
from temoin.contract.data_protection import DataClass
from temoin.contract.loading import contract_to_data, dump_contract, load_contract, parse_contract
from temoin.contract.model import Text
from temoin.errors import TemoinError
from temoin.evaluation.plan import plan_document, plan_hash
from temoin.examples import example_path
from temoin.i18n import Translator

FR = Translator("fr")


def _with_classes(purpose: bool):
    c = load_contract(example_path("aemo-renforcee"))
    attrs = [a.model_copy(update={"data_class": DataClass.HEALTH if a.name == "risk_level" else DataClass.ORDINARY})
             for a in c.population.attributes]
    plan = c.evaluation.analysis_plan
    if purpose:
        plan = plan.model_copy(update={"purposes": {"risk_level": Text(fr="Stratifier le tirage.", en="Stratify the draw.")}})
    data = contract_to_data(c.model_copy(update={
        "population": c.population.model_copy(update={"attributes": attrs}),
        "evaluation": c.evaluation.model_copy(update={"analysis_plan": plan})}))
    return parse_contract(dump_contract(parse_contract(__import__("yaml").safe_dump(data, allow_unicode=True))))


def test_a_sensitive_attribute_without_purpose_fails_the_safeguard_check() -> None:
    outcomes = {o.code: o for o in check_contract(_with_classes(purpose=False))}
    s15 = outcomes["S15"]
    assert not s15.passed and s15.blocking
    assert FR.render(s15.message) == ("Caractéristique(s) sensible(s) sans finalité indiquée : risk_level (données de santé "
                                      "ou de justice, RGPD art. 9 et 10).")
    assert check_contract(_with_classes(purpose=True))[-1].passed


def test_a_contract_without_classes_keeps_its_hash_plan_and_checks() -> None:
    from temoin.store.contracts import content_hash

    c = load_contract(example_path("aemo-renforcee"))
    assert [o.code for o in check_contract(c)] == [r.code for r in RULES]  # S15 only with classes
    text = example_path("aemo-renforcee").read_text(encoding="utf-8")
    assert "data_class" not in dump_contract(c) and "purposes" not in dump_contract(c)
    assert content_hash(c) == content_hash(parse_contract(text))
    assert "purposes" not in plan_document(c)["analysis_plan"]
    classed = _with_classes(purpose=True)
    assert plan_hash(plan_document(classed)) != plan_hash(plan_document(c))  # a stated purpose is part of the plan


def test_an_unknown_class_is_refused_with_the_allowed_ones() -> None:
    text = example_path("aemo-renforcee").read_text(encoding="utf-8").replace(
        "quasi_identifier: true}", "quasi_identifier: true, data_class: secret}", 1)
    with pytest.raises(TemoinError) as err:
        parse_contract(text)
    assert "data_class" in FR.error(err.value)
