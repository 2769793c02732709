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
from temoin.i18n import Translator

FR, EN = Translator("fr"), Translator("en")

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
    assert EN.error_message(p) == "'many' is not a whole number." and FR.error_message(p) == "« many » n'est pas un nombre entier."


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
    assert FR.error_message(p) == ("Le plafond (3\u202f000\u202f000,00\u00a0€) dépasse l'engagement maximal du payeur "
                                   "(2\u202f200\u202f000,00\u00a0€).")
    assert EN.error_message(p) == "The cap (€3,000,000.00) is above the payer's maximum commitment (€2,200,000.00)."


def test_mixed_currencies_refused_with_path() -> None:
    (p,) = _problems(_text(lambda d: d["costs"][0].update({"amount": "60000.00 USD"})))
    assert p.path == "costs[0].amount" and "mixed currencies" in EN.error(p)
    assert FR.error(p).startswith("costs[0].amount (ligne ") and "Un montant en USD dans un contrat en EUR" in FR.error(p)
    # the contract's own currency written explicitly is accepted
    c = parse_contract(_text(lambda d: d["costs"][0].update({"amount": "60000.00 EUR"})))
    assert str(c.costs[0].amount) == "60000.00"


def test_return_cap_without_investments() -> None:
    (p,) = _problems(_text(lambda d: d.update({"investments": []})))
    assert p.path == "caps.investor_return"


def test_unknown_reference_names_the_choices() -> None:
    (p,) = _problems(_text(lambda d: d["evaluation"]["analysis_plan"].update({"primary_outcome": "placements"})))
    assert p.path == "evaluation.analysis_plan.primary_outcome"
    assert "placement_days" in EN.error(p)
    assert EN.error_hint(p) == "Did you mean 'placement_days'? Choose one of placement_days, placed_any."


def test_errors_read_in_french_and_english() -> None:
    (p,) = _problems(_text(lambda d: d["population"].pop("expected_size")))
    assert FR.error_message(p) == "Champ obligatoire manquant." and EN.error_message(p) == "Required field missing."
    assert FR.error_hint(p) == "Ajoutez expected_size."


def test_eligibility_rules() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    assert c.population.is_eligible({"age": 7, "risk_level": "high"})
    assert not c.population.is_eligible({"age": 19, "risk_level": "high"})
    assert not c.population.is_eligible({"age": 7, "risk_level": "moderate"})
    assert not c.population.is_eligible({"risk_level": "high"})  # age unknown: not eligible


# --- every problem of a document at once, in the reader's language (issue 15, items 3 and 4) ---------


def _three_mistakes(d: dict[str, Any]) -> None:
    """A misspelt key, a wrong type, and a date out of order (a cross-field rule)."""
    d["evaluation"]["analysis_plan"]["covariate"] = d["evaluation"]["analysis_plan"].pop("covariates")
    d["population"]["expected_size"] = "beaucoup"
    d["payments"]["periods"][1]["payment_date"] = "2027-01-01"


def test_a_document_with_several_mistakes_reports_them_all_in_one_pass() -> None:
    text = _text(_three_mistakes)
    problems = _problems(text)
    by_path = {p.path: p for p in problems}
    assert set(by_path) == {"evaluation.analysis_plan.covariate", "population.expected_size",
                            "payments.periods[1].payment_date"}
    assert by_path["payments.periods[1].payment_date"].code == "contract.dates_order"  # cross-field, beside pydantic's
    lines = [p.line for p in problems]
    assert lines == sorted(lines) and all(n is not None for n in lines)  # in the order of the document
    for p in problems:
        key = p.path.rsplit(".", 1)[-1].split("[")[0]  # type: ignore[union-attr]
        assert key in text.splitlines()[p.line - 1]  # type: ignore[operator]
    fr = FR.error(ContractValidationError(problems))
    assert fr.startswith("Le contrat n'est pas valide (3 problèmes).")
    assert EN.error(ContractValidationError(problems)).startswith("The contract is not valid (3 problems).")


def test_an_unknown_key_suggests_the_nearest_known_one() -> None:
    (p,) = _problems(_text(lambda d: d["evaluation"]["analysis_plan"].update(
        {"covariate": d["evaluation"]["analysis_plan"].pop("covariates")})))
    assert p.code == "contract.extra_forbidden" and p.path == "evaluation.analysis_plan.covariate"
    assert EN.error_message(p) == "Unknown key 'covariate'." and EN.error_hint(p) == "Did you mean 'covariates'?"
    assert FR.error_message(p) == "Clé inconnue : « covariate »." and FR.error_hint(p) == "Vouliez-vous dire « covariates » ?"
    # nothing close: the keys allowed in that section are listed
    (far,) = _problems(_text(lambda d: d["caps"].update({"zzz": 1})))
    hint = EN.error_hint(far) or ""
    assert hint.startswith("Remove it or fix its spelling; the keys allowed here: ") and "per_participant" in hint


def test_a_code_outside_its_set_lists_the_allowed_ones_and_the_nearest() -> None:
    (p,) = _problems(_text(lambda d: d["payments"].update({"accumulation": "by-cohort"})))
    assert p.path == "payments.accumulation" and p.code == "contract.literal_error"
    assert FR.error_message(p) == "« by-cohort » n'est pas permis ici."
    assert FR.error_hint(p) == "Vouliez-vous dire « by_cohort » ? Choisissez parmi cumulative, by_cohort."


def test_an_identifier_error_proposes_a_valid_one() -> None:
    problems = _problems(_text(lambda d: d.update({"id": "AEMO Renforcée"})))
    p = next(p for p in problems if p.path == "id")
    assert EN.error_message(p) == "'AEMO Renforcée' is not a valid identifier."
    assert (EN.error_hint(p) or "").endswith("for example aemo-renforcee.")


@pytest.mark.parametrize(("change", "path", "fr_message", "fr_hint"), [
    (lambda d: d["evaluation"].update({"allocation_ratio": 1.5}), "evaluation.allocation_ratio",
     "« 1.5 » est trop grand : la valeur doit être inférieure à 1.", "Écrivez une valeur inférieure à 1."),
    (lambda d: d["population"].update({"expected_size": 0}), "population.expected_size",
     "« 0 » est trop petit : la valeur doit être supérieure à 0.", "Écrivez une valeur supérieure à 0."),
    (lambda d: d.update({"start_date": "2025-02-30"}), "start_date",
     "« 2025-02-30 » n'est pas une date.", "Écrivez la date sous la forme AAAA-MM-JJ, par exemple 2025-01-31."),
    (lambda d: d["caps"].update({"payments_within_realised_savings": "peut-être"}), "caps.payments_within_realised_savings",
     "« peut-être » n'est ni true ni false.", "Écrivez true (vrai) ou false (faux)."),
    (lambda d: d["evaluation"].update({"strata": "age"}), "evaluation.strata",
     "Une liste est attendue ici, pas « age ».", "Écrivez un élément par ligne, chacun après « - »."),
    (lambda d: d.update({"currency": "eur"}), "currency",
     "« eur » n'est pas un code de devise ISO 4217 en usage.", "Écrivez-le en majuscules, par exemple EUR, GBP ou USD."),
    (lambda d: d["caps"].update({"total_outcome_payments": "beaucoup"}), "caps.total_outcome_payments",
     "« beaucoup » n'est pas un montant.", "Écrivez un nombre, par exemple 1500000.00."),
    (lambda d: d["evaluation"].update({"design": "cluster_rct"}), "evaluation",
     "Le plan « essai randomisé par grappes » demande « cluster ».", "Ajoutez « cluster » : l'attribut qui nomme chaque grappe."),
])
def test_library_errors_read_in_french_with_path_value_and_what_to_do(
        change: Any, path: str, fr_message: str, fr_hint: str) -> None:
    problems = _problems(_text(change))
    p = next(p for p in problems if p.path == path)
    assert FR.error_message(p) == fr_message and FR.error_hint(p) == fr_hint
    english = EN.error_message(p) + " " + (EN.error_hint(p) or "")
    assert "Input should" not in english and "Value error" not in english  # pydantic's own words never reach a reader
    assert p.line is not None


def test_a_cross_field_rule_runs_on_the_parts_that_did_validate() -> None:
    """A party with a bad id cannot be looked up, so the rules that need every party id wait; the
    rules about dates still speak."""
    def change(d: dict[str, Any]) -> None:
        d["parties"][0]["id"] = "Bad Id"
        d["end_date"] = d["start_date"]
    problems = _problems(_text(change))
    assert {"parties[0].id", "end_date"} <= {p.path for p in problems}
    assert not any(p.code == "contract.unknown_party" for p in problems)  # no spurious "unknown party"


def test_yaml_syntax_errors_read_in_french() -> None:
    with pytest.raises(TemoinError) as info:
        parse_contract("id: x\ntitle: {fr: a, en: b\nsummary: c\n", source="c.yaml")
    assert FR.error_message(info.value).startswith("YAML illisible dans c.yaml : il manque une « , » ou une accolade")
