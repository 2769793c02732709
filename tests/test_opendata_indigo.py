"""INDIGO export (validated against the INDIGO project schema) and import of defective JSON and CSV files."""

from __future__ import annotations

import datetime as dt
import filecmp
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from temoin.contract import load_contract, parse_contract
from temoin.errors import InvalidInputError
from temoin.i18n import Translator
from temoin.opendata.indigo_export import export_project
from temoin.opendata.indigo_import import read_indigo
from temoin.opendata.registry import entry_from_contract, entry_from_indigo

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"
BUNDLED = REPO / "src" / "temoin" / "opendata" / "indigo"
SHARED = REPO.parent / "shared" / "indigo"
DATA = Path(__file__).parent / "data" / "indigo"
NAMES = ["aemo-renforcee", "relais-familial", "cravate-solidaire"]



def said(warning: object, lang: str) -> str:
    """An import warning as a reader of ``lang`` reads it."""
    return Translator(lang).render(warning.describe())  # type: ignore[attr-defined]

def shared_schema() -> dict[str, Any]:
    """The schema from ../shared/indigo when present (what CI has), else the bundled copy."""
    path = (SHARED if SHARED.exists() else BUNDLED) / "project.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def closed(schema: Any) -> Any:
    """The same schema with additionalProperties: false on every object, to catch misspelt keys."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        if "properties" in schema and "$ref" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/indigo is not beside the clone")
def test_bundled_schemas_are_an_exact_copy_of_the_shared_ones() -> None:
    # The schema and its code lists are bundled; the GO Lab data excerpt beside them is test data.
    shared = sorted(p.relative_to(SHARED) for p in SHARED.rglob("*")
                    if p.is_file() and p.relative_to(SHARED).parts[0] != "golab-flat-excerpt")
    bundled = sorted(p.relative_to(BUNDLED) for p in BUNDLED.rglob("*") if p.is_file())
    assert shared == bundled
    for rel in shared:
        assert filecmp.cmp(SHARED / rel, BUNDLED / rel, shallow=False), f"{rel} differs from ../shared/indigo"


@pytest.mark.parametrize("name", NAMES)
def test_export_validates_against_the_indigo_project_schema(name: str) -> None:
    project = export_project(load_contract(EXAMPLES / f"{name}.yaml"), as_of=dt.date(2026, 1, 1))
    schema = shared_schema()
    errors = [e.message for e in Draft7Validator(schema).iter_errors(project["data"])]
    assert errors == []
    # every key we write exists in the standard (the published schema does not forbid extra keys)
    strict = [f"{list(e.absolute_path)}: {e.message}" for e in Draft7Validator(closed(schema)).iter_errors(project["data"])]
    assert strict == []
    assert project["id"] == f"TEMOIN-POJ-{name}"


def test_export_carries_the_terms_a_reader_looks_for() -> None:
    data = export_project(load_contract(EXAMPLES / "aemo-renforcee.yaml"), as_of=dt.date(2026, 1, 1))["data"]
    assert data["stage_development"]["value"] == "Implementation"
    assert data["jurisdiction"]["jurisdiction"]["value"] == "FR"
    assert data["purpose_and_classifications"]["policy_sector"]["value"] == "Child and family welfare"
    assert data["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"]["value"] == 1200000
    assert data["overall_project_finance"]["maximum_potential_outcome_payment_v2"]["amount"]["value"] == 2000000
    assert data["outcome_metrics"][0]["outcome_validation_method"]["value"] == "Randomised Control Trial"
    assert data["outcome_pricings"][0]["price_per_unit"]["amount"]["value"] == 150
    assert data["dates"]["anticipated_duration_of_service_provision"]["value"] == 60
    assert {i["investment_type"]["value"] for i in data["investments"]} == {"Debt"}
    relais = export_project(load_contract(EXAMPLES / "relais-familial.yaml"), as_of=dt.date(2026, 1, 1))["data"]
    assert relais["outcome_metrics"][0]["outcome_validation_method"]["value"] == "Simple ex-post verification"


def test_export_never_names_a_private_party() -> None:
    text = (EXAMPLES / "aemo-renforcee.yaml").read_text(encoding="utf-8").replace(
        "{id: fonds-enfance, name: Fonds Enfance et Territoires (fictif), roles: [investor], kind: foundation}",
        "{id: fonds-enfance, name: Fonds Enfance et Territoires (fictif), roles: [investor], kind: foundation, public: false}")
    contract = parse_contract(text)
    exported = json.dumps(export_project(contract, as_of=dt.date(2026, 1, 1)), ensure_ascii=False)
    assert "fonds-enfance" not in exported and "Fonds Enfance" not in exported
    # its money still counts in the totals
    assert '"exact": {"value": 1200000' in exported
    assert entry_from_contract(contract).parties and not any("Fonds Enfance" in p for p in entry_from_contract(contract).parties)


@pytest.mark.parametrize("name", NAMES)
def test_exported_project_reads_back_into_the_same_registry_terms(name: str, tmp_path: Path) -> None:
    contract = load_contract(EXAMPLES / f"{name}.yaml")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(export_project(contract, as_of=dt.date(2026, 1, 1))), encoding="utf-8")
    res = read_indigo(path)
    assert res.warnings == ()
    back = entry_from_indigo(res.projects[0].id, res.projects[0].data)
    mine = entry_from_contract(contract, as_of=dt.date(2026, 1, 1))
    for attr in ("country", "sector", "currency", "start", "end", "duration_months", "targeted_beneficiaries",
                 "max_outcome_payment", "investment", "prices_per_outcome", "validation_method", "stage"):
        assert getattr(back, attr) == getattr(mine, attr), attr


def warnings_by(res: Any) -> dict[tuple[str, int | None, str], Any]:
    return {(w.file, w.row, w.field): w for w in res.warnings}


def test_json_import_reports_each_defect_and_keeps_the_rest() -> None:
    res = read_indigo(DATA / "projects-with-defects.json")
    assert [p.id for p in res.projects] == ["INDIGO-POJ-9001", "INDIGO-POJ-9002"]
    w = warnings_by(res)
    f = "projects-with-defects.json"
    bad_period = w[(f, None, "INDIGO-POJ-9001: dates/anticipated_end_date_of_service_provision/value")]
    assert (bad_period.value, bad_period.code) == ("2018-13", "indigo.bad_date")
    blank = w[(f, None, "INDIGO-POJ-9001: outcome_payment_commitments/0/organisation_role_category/value")]
    assert blank.code == "indigo.blank_role"
    money = w[(f, None, "INDIGO-POJ-9001: overall_project_finance/total_investment_commitment/amount/exact/value")]
    assert (money.value, money.code) == ("£5m", "indigo.number_from_text")
    prose = w[(f, None, "INDIGO-POJ-9001: investments/0/maximum_potential_return/value")]
    assert prose.code == "indigo.ambiguous_return"
    assert w[(f, None, "INDIGO-POJ-9001: dates/anticipated_duration_of_service_provision/value")].code == "indigo.duration_in_years"
    peterborough, adie = res.projects
    assert peterborough.data["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"]["value"] == 5_000_000
    assert "anticipated_end_date_of_service_provision" not in peterborough.data["dates"]
    assert peterborough.data["dates"]["anticipated_duration_of_service_provision"]["value"] == 72
    assert adie.data["dates"]["outcomes_contract_signed"]["value"] == "2016-11-24"
    assert adie.data["outcome_pricings"][0]["price_per_unit"]["amount"]["value"] == 4676.56
    # a PRIVATE investment and an unknown field never reach the registry
    assert len(adie.data["investments"]) == 1
    assert "project_manager_phone" not in adie.data
    assert entry_from_indigo(peterborough.id, peterborough.data).max_return_pct == 3.0
    assert entry_from_indigo(adie.id, adie.data).max_return_pct == 5.5
    # messages in both languages, naming file, field and value
    text = said(prose, "fr")
    assert f in text and "maximum_potential_return" in text and "13%" in text
    assert "dropped" in said(prose, "en")


def test_csv_folder_import_names_file_row_field_and_value() -> None:
    res = read_indigo(DATA / "csv-golab")
    assert res.format == "csv"
    assert [p.id for p in res.projects] == ["INDIGO-POJ-9101", "INDIGO-POJ-9102", "INDIGO-POJ-9103"]
    w = warnings_by(res)
    assert w[("project.csv", 3, "dates/anticipated_end_date_of_service_provision/value")].value == "2015-13"
    assert w[("results.csv", 2, "period/end_date/value")].code == "indigo.bad_date"
    assert w[("investments.csv", 3, "organisation_role_category/value")].code == "indigo.blank_role"
    assert w[("investments.csv", 2, "maximum_potential_return/value")].code == "indigo.return_not_a_number"
    assert w[("investments.csv", 4, "maximum_potential_return/value")].value == "up to 12% IRR"
    assert w[("project_outcome_metrics.csv", 4, "targeted_number_of_service_users_or_beneficiaries_total/value")].code == "indigo.not_a_number"
    assert w[("investments.csv", 6, "project_id")].code == "indigo.orphan_row"
    assert w[("README-notes.csv", None, "")].code == "indigo.unknown_table"
    rikers, rate_card, girls = res.projects
    assert [i["id"] for i in rikers.data["investments"]] == ["investment1", "investment2"]
    assert "organisation_role_category" not in rikers.data["investments"][1]
    assert [p["price_per_unit"]["amount"]["value"] for p in rate_card.data["outcome_pricings"]] == [3500, 2000, 3300]
    assert rate_card.data["investments"][0]["maximum_potential_return"]["value"] == 12
    assert girls.data["stage_development"]["value"] == "Complete"
    assert entry_from_indigo(girls.id, girls.data).has_real_counterfactual is True
    assert entry_from_indigo(rikers.id, rikers.data).has_real_counterfactual is False


def test_a_json_file_that_is_not_json_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as exc:
        read_indigo(DATA / "truncated.json")
    assert exc.value.code == "indigo.json_syntax" and exc.value.line == 2
    assert "rien n'a été enregistré" in Translator("fr").error(exc.value)


def test_a_project_without_id_is_left_out_with_a_warning_and_the_others_kept() -> None:
    res = read_indigo(DATA / "without-id.json")
    assert [p.id for p in res.projects] == ["INDIGO-POJ-9004"]
    (w,) = res.warnings
    assert (w.file, w.field, w.code) == ("without-id.json", "1", "indigo.missing_id")


def test_a_file_without_any_identifier_is_refused(tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text(json.dumps([{"data": {"name": {"value": "no id"}}}]))
    with pytest.raises(InvalidInputError) as exc:
        read_indigo(tmp_path / "none.json")
    assert exc.value.code == "indigo.empty"


def test_a_second_record_with_the_same_id_is_left_out_with_a_warning(tmp_path: Path) -> None:
    one = {"id": "INDIGO-POJ-1", "data": {"name": {"value": "first"}}}
    two = {"id": "INDIGO-POJ-1", "data": {"name": {"value": "second"}}}
    (tmp_path / "dup.json").write_text(json.dumps([one, two]))
    res = read_indigo(tmp_path / "dup.json")
    assert [(p.id, p.name) for p in res.projects] == [("INDIGO-POJ-1", "first")]
    assert [(w.code, w.field, w.value) for w in res.warnings] == [("indigo.duplicate_id", "1", "INDIGO-POJ-1")]


def test_csv_folder_without_a_main_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "investments.csv").write_text("project_id,id\nX,investment1\n")
    with pytest.raises(InvalidInputError) as exc:
        read_indigo(tmp_path)
    assert exc.value.code == "indigo.no_project_csv"


def test_sub_table_without_project_id_column_is_left_out_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "project.csv").write_text("id,name/value\nINDIGO-POJ-1,x\n")
    (tmp_path / "investments.csv").write_text("id,investment_type/value\ninvestment1,Debt\n")
    res = read_indigo(tmp_path)
    assert [p.data for p in res.projects] == [{"name": {"value": "x"}}]
    assert [(w.file, w.row, w.code) for w in res.warnings] == [("investments.csv", 1, "indigo.missing_column")]


def test_values_of_the_wrong_shape_are_dropped_with_a_warning(tmp_path: Path) -> None:
    doc = {"id": "INDIGO-POJ-2", "name": ["not", "text"], "dates": "2019", "investments": {"id": "x"},
           "outcome_metrics": [{"id": "m1", "definition": {"value": {"nested": True}}}]}
    (tmp_path / "odd.json").write_text(json.dumps(doc))
    res = read_indigo(tmp_path / "odd.json")
    assert {w.code for w in res.warnings} == {"indigo.not_an_object", "indigo.not_a_list", "indigo.not_text"}
    assert res.projects[0].data == {"outcome_metrics": [{"id": "m1"}]}


@pytest.mark.parametrize("kind", ["project", "organisation", "fund"])
def test_the_fast_validator_agrees_with_the_published_schema(kind: str) -> None:
    """Records are checked against the schema with its references inlined: the same verdicts and
    errors as the schema as published, on valid and invalid records of every shape."""
    from temoin.opendata.schemas import record_schema, validate_record

    published = Draft7Validator(record_schema(kind))
    samples: list[dict[str, Any]] = [
        {}, {"status": "PUBLIC"}, {"status": "SECRET"}, {"name": {"value": 3}}, {"name": "text"},
        {"documents": [{"title": {"value": 5}}]}, {"documents": [{"title": {"value": "ok"}, "url": {"value": "u"}}]},
        {"description": {"value": ["x"]}}, {"sources": []}, {"sources": [{"id": 1}]},
        {"dates": {"outcomes_contract_signed": {"value": "2018-13x"}}}, {"dates": {"launch_date": {"value": "2018"}}},
        {"outcome_metrics": [{"outcome_validation_method": {"value": None}}]},
        {"investments": [{"maximum_potential_return": {"value": "7%"}}]},
        {"stage_development": {"value": "Finished"}}, {"type": {"value": "Government body"}}, {"type": {"value": "Club"}},
    ]
    for data in samples:
        expected = sorted(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in published.iter_errors(data))
        assert sorted(validate_record(kind, data)) == expected, data
    assert any(validate_record(kind, d) for d in samples)  # some are invalid for every kind


def _vocabulary() -> list[str]:
    """Every property name of the three INDIGO schemas, so that random records hit real fields."""
    from temoin.opendata.schemas import record_schema

    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            names.update(node.get("properties", {}))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for kind in ("project", "organisation", "fund"):
        walk(record_schema(kind))
    return sorted(names)


def test_whatever_a_record_holds_the_import_never_crashes_and_keeps_it_valid() -> None:
    """Records made of real field names and junk values (dates like 2018-13, numbers in prose,
    lists where objects are expected, PRIVATE flags): cleaning warns, never raises, and what it
    keeps is valid against the schema as published."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from temoin.opendata._indigo_clean import clean_record
    from temoin.opendata.indigo_columns import RecordKind
    from temoin.opendata.schemas import record_schema

    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(-10**6, 10**9), st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(["2018-13", "2018-10", "13/03/2018", "£1.3m", "approx. 250", "up to 7% IRR", "0.066", "", "  ",
                         "PRIVATE", "PUBLIC", "Complete", "complete", "UK", "FR", "Randomised Control Trial", "Debt"]),
        st.text(max_size=12),
    )
    keys = st.sampled_from(_vocabulary())
    values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(keys, inner, max_size=4)), max_leaves=25)
    records = st.dictionaries(keys, values, max_size=8)
    validators = {k: Draft7Validator(record_schema(k.value)) for k in RecordKind}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(kind=st.sampled_from(list(RecordKind)), raw=records)
    def check(kind: RecordKind, raw: dict[str, Any]) -> None:
        record = clean_record(kind, "INDIGO-X-1", raw, lambda p: ("f.json", None, "/".join(map(str, p))), "f.json")
        assert [e.message for e in validators[kind].iter_errors(record.data)] == []

    check()
