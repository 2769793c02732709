"""Parsing contracts: round trip, JSON Schema, and clear errors on bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from temoin.contract import (
    contract_json_schema,
    contract_to_data,
    dump_contract,
    load_contract,
    parse_contract,
)
from temoin.errors import ContractValidationError, TemoinError

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"
NAMES = ["aemo-renforcee", "relais-familial", "cravate-solidaire"]


@pytest.mark.parametrize("name", NAMES)
def test_yaml_round_trip_keeps_meaning(name: str) -> None:
    c = load_contract(EXAMPLES / f"{name}.yaml")
    again = parse_contract(dump_contract(c))
    assert again == c
    assert dump_contract(again) == dump_contract(c)


@pytest.mark.parametrize("name", NAMES)
def test_examples_validate_against_published_json_schema(name: str) -> None:
    # The schema describes the JSON form (dates as ISO text, amounts as strings).
    data = contract_to_data(load_contract(EXAMPLES / f"{name}.yaml"))
    jsonschema.Draft202012Validator(contract_json_schema()).validate(data)


def test_schema_rejects_what_the_model_rejects() -> None:
    data = contract_to_data(load_contract(EXAMPLES / "aemo-renforcee.yaml"))
    data["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(contract_json_schema()).validate(data)


def _text(change: Any) -> str:
    data = yaml.safe_load((EXAMPLES / "aemo-renforcee.yaml").read_text())
    d = copy.deepcopy(data)
    change(d)
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False)


def _problems(text: str) -> list[TemoinError]:
    with pytest.raises(ContractValidationError) as info:
        parse_contract(text)
    return info.value.problems


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(TemoinError) as info:
        parse_contract("id: x\ntitle: {fr: a, en: b\nsummary: c\n")
    assert info.value.code == "contract.yaml_syntax" and info.value.line is not None


def test_unknown_key_names_path_and_line() -> None:
    text = _text(lambda d: d["caps"].update({"total_payments": "1"}))
    (p,) = _problems(text)
    assert p.path == "caps.total_payments" and p.code == "contract.extra_forbidden"
    assert p.line is not None and "total_payments" in text.splitlines()[p.line - 1]


def test_wrong_type_names_path() -> None:
    (p,) = _problems(_text(lambda d: d["population"].update({"expected_size": "many"})))
    assert p.path == "population.expected_size"
    assert "many" in p.render("en")


def test_dates_out_of_order() -> None:
    def change(d: dict[str, Any]) -> None:
        d["end_date"] = d["start_date"]
        d["payments"]["periods"][1]["end_date"] = d["payments"]["periods"][0]["end_date"]
    paths = {p.path for p in _problems(_text(change))}
    assert {"end_date", "payments.periods[1].end_date"} <= paths


def test_negative_price_and_cap_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        d["payments"]["indicators"][0]["price_per_unit"] = "-150.00"
        d["caps"]["total_outcome_payments"] = -1
    paths = {p.path for p in _problems(_text(change))}
    assert paths == {"payments.indicators[0].price_per_unit", "caps.total_outcome_payments"}


def test_cap_above_payer_maximum() -> None:
    (p,) = _problems(_text(lambda d: d["caps"].update({"total_outcome_payments": "3000000.00"})))
    assert p.code == "contract.cap_above_payer_maximum" and p.path == "caps.total_outcome_payments"
    assert "2200000" in p.render("fr")


def test_mixed_currencies_refused_with_path() -> None:
    (p,) = _problems(_text(lambda d: d["costs"][0].update({"amount": "60000.00 USD"})))
    assert p.path == "costs[0].amount" and "mixed currencies" in p.render("en")
    # the contract's own currency written explicitly is accepted
    c = parse_contract(_text(lambda d: d["costs"][0].update({"amount": "60000.00 EUR"})))
    assert str(c.costs[0].amount) == "60000.00"


def test_return_cap_without_investments() -> None:
    (p,) = _problems(_text(lambda d: d.update({"investments": []})))
    assert p.path == "caps.investor_return"


def test_unknown_reference_names_the_choices() -> None:
    (p,) = _problems(_text(lambda d: d["evaluation"]["analysis_plan"].update({"primary_outcome": "placements"})))
    assert p.path == "evaluation.analysis_plan.primary_outcome"
    assert "placement_days" in p.render("en")


def test_errors_read_in_french_and_english() -> None:
    (p,) = _problems(_text(lambda d: d["population"].pop("expected_size")))
    assert "Champ obligatoire manquant" in p.render("fr") and "Required field missing" in p.render("en")


def test_eligibility_rules() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    assert c.population.is_eligible({"age": 7, "risk_level": "high"})
    assert not c.population.is_eligible({"age": 19, "risk_level": "high"})
    assert not c.population.is_eligible({"age": 7, "risk_level": "moderate"})
    assert not c.population.is_eligible({"risk_level": "high"})  # age unknown: not eligible
