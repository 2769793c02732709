"""A contract carries the labels of its own codes (issue 15 item 2): its attributes' categories
(``category_labels``) and its indicators' units (``unit_label``), read wherever a person reads
them — the evaluation page, the report, the upload templates' lists, the upload's « read as » —
before the catalogue's (the bundled examples), and the code last. A contract without them keeps
its hash."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import Engine

from temoin.contract import load_contract
from temoin.contract.loading import parse_contract
from temoin.contract.model import Contract
from temoin.errors import TemoinError
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.i18n.contract_labels import category_label, unit_label
from temoin.reports._evaluation import variable_label
from temoin.reports.explain import impact_value
from temoin.reports.report import render_html
from temoin.services import evaluations as ev
from temoin.services.cohort_columns import category_labels
from temoin.services.cohort_templates import template_xlsx
from temoin.services.contracts import import_contract
from temoin.services.reports import build_report
from temoin.settings import Settings
from test_web_support import make_site

FR, EN = Translator("fr"), Translator("en")
C = "aemo-renforcee"
HOUSING = {"name": "housing", "label": {"fr": "Logement de la famille", "en": "Family housing"}, "type": "categorical",
           "categories": ["social_rent", "private_rent"],
           "category_labels": {"social_rent": {"fr": "logement social", "en": "social housing"},
                               "private_rent": {"fr": "location privée", "en": "private rental"}}}
NIGHTS = {"fr": "nuits hors du foyer", "en": "nights away from home"}


def _user_contract_yaml() -> str:
    """A copy of an example, as a user would write it: a new attribute with two labelled categories
    (a covariate of the analysis), its own label for a category the catalogue knows (``very_high``),
    and a new unit label on the primary indicator."""
    raw: dict[str, Any] = yaml.safe_load(example_path(C).read_text(encoding="utf-8"))
    attrs = raw["population"]["attributes"]
    attrs.append(HOUSING)
    risk = next(a for a in attrs if a["name"] == "risk_level")
    risk["category_labels"] = {"very_high": {"fr": "danger grave", "en": "serious danger"}}
    raw["indicators"][0]["unit_label"] = NIGHTS
    raw["evaluation"]["analysis_plan"]["covariates"].append("housing")
    raw["research_extract"]["withheld"].append("housing")
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


@pytest.fixture
def user_contract(tmp_path: Path) -> Path:
    path = tmp_path / f"{C}.yaml"
    path.write_text(_user_contract_yaml(), encoding="utf-8")
    return path


def test_the_contract_s_own_label_comes_first_then_the_catalogue_then_the_code(user_contract: Path) -> None:
    c = load_contract(user_contract)
    assert category_label(c, "social_rent", FR, "housing") == "logement social"
    assert category_label(c, "social_rent", EN) == "social housing"  # the attribute found by its category
    assert category_label(c, "very_high", FR, "risk_level") == "danger grave"  # the contract's own beats the catalogue's
    assert category_label(c, "high", FR, "risk_level") == FR.label("category", "high") == "élevé"  # the catalogue's
    assert category_label(c, "unknown_code", FR, "housing") == "unknown_code"  # the code last
    assert category_label(None, "lille", EN) == EN.label("category", "lille")
    assert unit_label(c, "days", FR) == "nuits hors du foyer" and unit_label(c, "days", EN) == "nights away from home"
    assert unit_label(c, "share of children", FR) == FR.label("unit", "share of children") != "share of children"
    assert unit_label(c, "furlongs", EN) == "furlongs" and unit_label(c, "", FR) == ""
    assert variable_label(c, "housing=private_rent", FR) == "Logement de la famille = location privée"
    assert impact_value(5.0, "days", EN, contract=c) == "5.0 nights away from home"
    # an upload may write either language's label for a category
    assert category_labels(c)["housing"] == {"social_rent": ["logement social", "social housing"],
                                             "private_rent": ["location privée", "private rental"]}


def test_a_label_for_a_category_the_attribute_does_not_have_is_refused(user_contract: Path) -> None:
    raw = yaml.safe_load(_user_contract_yaml())
    raw["population"]["attributes"][-1]["category_labels"]["privte_rent"] = {"fr": "x", "en": "x"}
    with pytest.raises(TemoinError) as err:
        parse_contract(yaml.safe_dump(raw, allow_unicode=True))
    assert "privte_rent" in FR.error(err.value) and "population.attributes" in FR.error(err.value)


def test_a_contract_without_the_new_fields_keeps_its_form_and_hash(tmp_path: Path) -> None:
    from temoin.examples import EXAMPLES, REAL_DEALS, real_deal_path

    for cid in (*EXAMPLES, *REAL_DEALS):
        c = load_contract(example_path(cid) if cid in EXAMPLES else real_deal_path(cid))
        dumped = c.model_dump_json(exclude_defaults=True)
        assert "category_labels" not in dumped and "unit_label" not in dumped, cid
    schema = Contract.model_json_schema()
    assert "category_labels" in schema["$defs"]["Attribute"]["properties"]
    assert "unit_label" in schema["$defs"]["Indicator"]["properties"]


def test_the_xlsx_template_lists_the_contract_s_own_labels(user_contract: Path) -> None:
    c = load_contract(user_contract)
    for words, expected in ((FR, '"logement social,location privée"'), (EN, '"social housing,private rental"')):
        wb = load_workbook(io.BytesIO(template_xlsx(c, "participants", words)))
        data, notice = wb.worksheets
        header = [cell.value for cell in data[1]]
        letter = data.cell(row=1, column=header.index(HOUSING["label"][words.lang]) + 1).column_letter
        rule = {str(r.sqref).split(":")[0]: r for r in data.data_validations.dataValidation}[letter + "2"]
        assert rule.type == "list" and rule.formula1 == expected
        risk = data.cell(row=1, column=header.index("Niveau de risque" if words is FR else "Risk level") + 1).column_letter
        risk_rule = {str(r.sqref).split(":")[0]: r for r in data.data_validations.dataValidation}[risk + "2"]
        assert ("danger grave" if words is FR else "serious danger") in risk_rule.formula1
        lines = {row[0].value: [x.value for x in row] for row in notice.iter_rows(min_row=2) if row[0].value}
        assert lines[HOUSING["label"][words.lang]][4] == expected.strip('"').replace(",", ", ")
        assert lines[HOUSING["label"][words.lang]][5] == HOUSING["category_labels"]["social_rent"][words.lang]  # example


def _evaluated(engine: Engine, contract: Path, tmp_path: Path) -> None:
    """The user contract imported, its participants uploaded with the housing column written as
    French labels (and one as its code), two waves and an evaluation."""
    settings = Settings()
    import_contract(engine, contract, actor="test")
    path = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=settings)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["housing"] = ["logement social" if i % 2 else "LOCATION PRIVEE" for i in range(len(frame))]
    frame.loc[0, "housing"] = "private_rent"
    frame.to_csv(path, index=False)
    summary = ev.import_participants(engine, C, path, settings=settings)
    assert summary.rows == len(frame)
    ev.lock_plan(engine, C)
    ev.randomise_cohort(engine, C, seed=5)
    for wave in ("m12", "m24"):
        w = tmp_path / f"{wave}.csv"
        ev.generate_synthetic(engine, C, w, wave=wave, seed=11, settings=settings)
        ev.import_outcomes(engine, C, wave, w, settings=settings)
    ev.evaluate_contract(engine, C)


def test_the_evaluation_page_and_the_report_show_the_contract_s_labels(sqlite_engine: Engine, tmp_path: Path,
                                                                       user_contract: Path) -> None:
    site = make_site(sqlite_engine)
    _evaluated(sqlite_engine, user_contract, tmp_path)
    from temoin.store import session_scope
    from temoin.store.cohorts import CohortRepository

    with session_scope(sqlite_engine) as s:
        stored = {json.loads(p.attributes)["housing"] for p in CohortRepository(s).participants(C)}
    assert stored == {"social_rent", "private_rent"}  # the French labels were read as the codes
    for lang in ("fr", "en"):
        page = site.signed_in("evaluator", lang=lang).get(f"/contracts/{C}/evaluation").text
        shown = f'{HOUSING["label"][lang]} = {HOUSING["category_labels"]["social_rent"][lang]}'
        assert shown in page, lang  # the balance table names the covariate's category by its labels
        assert ("danger grave" if lang == "fr" else "serious danger") in page, lang  # the contract's own label
        assert NIGHTS[lang] in page, lang
        assert "private_rent" not in page and "social_rent" not in page
        overview = site.signed_in("evaluator", lang=lang).get(f"/contracts/{C}").text
        assert NIGHTS[lang] in overview, lang  # the latest impact estimate, in the contract's unit label
        html = render_html(build_report(sqlite_engine, C, settings=Settings(), lang=lang))
        assert NIGHTS[lang] in html and "social_rent" not in html and "private_rent" not in html, lang
        assert shown in html, lang
        assert f"({NIGHTS[lang]})" in html, lang  # the impact table: « Journées de placement (nuits hors du foyer) »


def test_an_upload_in_the_browser_reads_the_contract_s_labels_and_says_so_in_its_words(
        sqlite_engine: Engine, tmp_path: Path, user_contract: Path) -> None:
    """« LOCATION PRIVEE » and « social housing » (the English label) are read as their codes and
    reported in the French reader's words; « logement social » (already their words) is not reported."""
    import re

    from test_web_support import csrf_of

    site = make_site(sqlite_engine)
    import_contract(sqlite_engine, user_contract, actor="test")
    path = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=Settings())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["housing"] = [("LOCATION PRIVEE", "social housing", "logement social")[i % 3] for i in range(len(frame))]
    op = site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    r = op.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                files={"file": ("p.csv", frame.to_csv(index=False).encode("utf-8"), "application/octet-stream")})
    assert r.status_code == 200, r.text[-1500:]
    page = r.text.replace("&#39;", "'")
    reported = re.findall(r"<li>Logement de la famille : « ([^»]+) » lu comme « ([^»]+) » \((\d+) lignes?\)</li>", page)
    n = len(frame)
    assert sorted(reported) == sorted([("LOCATION PRIVEE", "location privée", str(len(range(0, n, 3)))),
                                       ("social housing", "logement social", str(len(range(1, n, 3))))])
    assert "private_rent" not in page and "social_rent" not in page


def test_a_value_not_in_the_list_is_answered_with_the_labels_people_may_write(
        sqlite_engine: Engine, tmp_path: Path, user_contract: Path) -> None:
    import re

    from test_web_support import csrf_of

    site = make_site(sqlite_engine)
    import_contract(sqlite_engine, user_contract, actor="test")
    path = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=Settings())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["housing"] = "logement social"
    frame.loc[2, "housing"] = "caravane"
    for lang, allowed in (("fr", "logement social, location privée"), ("en", "social housing, private rental")):
        client = site.signed_in("operator", lang=lang)
        token = csrf_of(client, f"/contracts/{C}/data")
        r = client.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                        files={"file": ("p.csv", frame.to_csv(index=False).encode("utf-8"), "application/octet-stream")})
        assert r.status_code == 422, r.text[-1500:]
        page = re.sub(r"\s+", " ", r.text.replace("&#39;", "'"))
        assert "caravane" in page and f"({allowed})" in page, (lang, page[-3000:])
        assert "social_rent" not in page and "private_rent" not in page


def test_the_command_line_names_the_allowed_values_by_their_labels_word_for_word(
        monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine, tmp_path: Path, user_contract: Path) -> None:
    """``temoin cohort import`` says what the web page says: the allowed values by the contract's
    labels in the reader's language (the message carries the codes, the Translator labels them)."""
    from typer.testing import CliRunner

    from temoin.cli import app

    monkeypatch.setenv("TEMOIN_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    assert runner.invoke(app, ["--lang", "fr", "contract", "import", str(user_contract)]).exit_code == 0
    path = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=Settings())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["housing"] = "logement social"
    frame.loc[2, "housing"] = "caravane"
    frame.to_csv(path, index=False)
    said = {lang: runner.invoke(app, ["--lang", lang, "cohort", "import", C, str(path)]) for lang in ("fr", "en")}
    assert [r.exit_code for r in said.values()] == [1, 1]
    assert said["fr"].output == (
        "Erreur Fichier refusé : 1 problème(s) ; rien n'a été enregistré.\n"
        "  - Logement de la famille (ligne 4): 'caravane' : valeur hors liste (logement social, location privée) [cohort.row]\n")
    assert said["en"].output == (
        "Error File refused: 1 problem(s); nothing was saved.\n"
        "  - Family housing (line 4): 'caravane': value not in the list (social housing, private rental) [cohort.row]\n")


def test_the_allowed_values_are_kept_as_codes_and_labelled_when_shown(user_contract: Path) -> None:
    """Stored (a job's error), the message keeps the codes and the contract's labels; shown, each
    category reads as the contract's label, else the catalogue's, else its code."""
    from temoin.evaluation.cohort_file import allowed
    from temoin.messages import Categories, Msg

    c = load_contract(user_contract)
    risk = c.population.attribute("risk_level")
    assert risk is not None
    msg = Msg("value not in the list ({values})", values=allowed(risk))
    stored = json.loads(json.dumps(msg.to_dict()))
    assert stored["params"]["values"]["$categories"] == risk.categories
    again = Msg.from_dict(stored)
    assert again == msg and isinstance(again.params["values"], Categories)
    expected = {lang: ", ".join("danger grave" if code == "very_high" and lang == "fr" else
                                "serious danger" if code == "very_high" else
                                Translator(lang).label("category", code) for code in risk.categories)
                for lang in ("fr", "en")}
    assert FR.render(again) == f"valeur hors liste ({expected['fr']})"
    assert EN.render(again) == f"value not in the list ({expected['en']})"
    assert "very_high" not in FR.render(again) and "high" not in FR.render(again).split(", ")
    bare = Msg("value not in the list ({values})", values=Categories("x", ["zz_unknown"]))
    assert FR.render(bare) == "valeur hors liste (zz_unknown)"
