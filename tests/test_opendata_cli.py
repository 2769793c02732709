"""The open-data commands as a user runs them: export, import, registry, observatory, research-extract."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft7Validator
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.cli import app
from temoin.opendata.schemas import project_schema

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"
DATA = Path(__file__).parent / "data" / "indigo"
runner = CliRunner()


def test_export_indigo_to_a_file_validates(cli_env: Engine, tmp_path: Path) -> None:
    assert runner.invoke(app, ["contract", "import", str(EXAMPLES / "cravate-solidaire.yaml")]).exit_code == 0
    out = tmp_path / "cravate.json"
    res = runner.invoke(app, ["--lang", "en", "export", "indigo", "cravate-solidaire", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "TEMOIN-POJ-cravate-solidaire" in res.output
    project = json.loads(out.read_text(encoding="utf-8"))
    assert list(Draft7Validator(project_schema()).iter_errors(project["data"])) == []
    to_stdout = runner.invoke(app, ["export", "indigo", "cravate-solidaire"])
    assert json.loads(to_stdout.stdout)["id"] == "TEMOIN-POJ-cravate-solidaire"


def test_export_of_an_unknown_contract_is_a_clean_error(cli_env: Engine) -> None:
    res = runner.invoke(app, ["export", "indigo", "inconnu"])
    assert res.exit_code == 1
    assert "Contrat inconnu" in res.output and "Traceback" not in res.output


def test_import_indigo_reports_warnings_and_registry_shows_projects(cli_env: Engine) -> None:
    res = runner.invoke(app, ["--lang", "en", "import", "indigo", str(DATA / "csv-golab")])
    assert res.exit_code == 0, res.output
    assert "3 project(s) imported" in res.output
    assert "results.csv, row 2, period/end_date/value = '2015-13'" in res.output
    reg = runner.invoke(app, ["registry", "--json"])
    ids = [e["id"] for e in json.loads(reg.stdout)]
    assert ids == ["INDIGO-POJ-9101", "INDIGO-POJ-9102", "INDIGO-POJ-9103"]
    table = runner.invoke(app, ["--lang", "en", "registry"])
    assert table.exit_code == 0 and "Public registry" in table.output


def test_import_of_a_malformed_file_exits_1_and_saves_nothing(cli_env: Engine) -> None:
    res = runner.invoke(app, ["import", "indigo", str(DATA / "truncated.json")])
    assert res.exit_code == 1
    assert "JSON illisible" in res.output and "rien n'a été enregistré" in res.output
    assert "Traceback" not in res.output
    assert json.loads(runner.invoke(app, ["registry", "--json"]).stdout) == []


def test_observatory_command(cli_env: Engine) -> None:
    runner.invoke(app, ["contract", "import", str(EXAMPLES / "aemo-renforcee.yaml")])
    runner.invoke(app, ["import", "indigo", str(DATA / "projects-with-defects.json")])
    res = runner.invoke(app, ["observatory", "aemo-renforcee", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["registry_size"] == 2 and data["with_real_counterfactual"] == 1
    text = runner.invoke(app, ["--lang", "en", "observatory", "aemo-renforcee"])
    assert "With a real counterfactual: 1/2" in text.output


def test_research_extract_refuses_a_non_csv_output(cli_env: Engine, tmp_path: Path) -> None:
    runner.invoke(app, ["contract", "import", str(EXAMPLES / "aemo-renforcee.yaml")])
    res = runner.invoke(app, ["--lang", "en", "research-extract", "aemo-renforcee", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "must end in .csv" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.xlsx").exists()


EXCERPT = Path(__file__).parent / "data" / "golab-flat-excerpt"


def test_import_of_gos_labs_published_folder_summarises_what_was_read(cli_env: Engine) -> None:
    res = runner.invoke(app, ["--lang", "en", "import", "indigo", str(EXCERPT)])
    assert res.exit_code == 0, res.output
    assert "5 project(s) imported from golab-flat-excerpt (5 new, 0 updated, 0 unchanged), 45 warning(s)." in " ".join(res.output.split())
    assert "22 file(s) read, 333 row(s)." in res.output
    assert "indigo.blank_role 38" in res.output and "… and 15 more" in res.output
    every = runner.invoke(app, ["--lang", "en", "import", "indigo", str(EXCERPT), "--all-warnings"])
    assert "(0 new, 0 updated, 5 unchanged)" in " ".join(every.output.split())
    assert " ".join(every.output.split()).count("Warning projects/") == 45


def test_registry_shows_an_imported_projects_sheet_and_the_observatory_counts(cli_env: Engine) -> None:
    runner.invoke(app, ["import", "indigo", str(EXCERPT)])
    sheet = runner.invoke(app, ["--lang", "en", "registry", "INDIGO-POJ-0218"])
    assert sheet.exit_code == 0, sheet.output
    flat = " ".join(sheet.output.split())
    assert "Sticking Together SIB (INDIGO-POJ-0218)" in flat and "Historical" in flat and "US$5,000,000" in flat  # en_GB: Babel's format
    assert "[source1] Social Ventures Australia website" in flat
    as_json = json.loads(runner.invoke(app, ["registry", "INDIGO-POJ-0218", "--json"]).stdout)
    assert as_json["entry"]["max_return_pct"] == 12.5 and as_json["results"][0]["positive"] == 163
    unknown = runner.invoke(app, ["--lang", "en", "registry", "INDIGO-POJ-9999"])
    assert unknown.exit_code == 1 and "Project not in the registry" in unknown.output
    counts = json.loads(runner.invoke(app, ["observatory", "--json"]).stdout)
    assert counts["indigo"] == {"entries": 5, "validation_known": 2, "real_counterfactual": 0, "cap_known": 0,
                                "capped_at_savings": 0, "results_known": 5, "published_results": 4,
                                "designs": {"Historical comparison": 1, "Pre-Post analysis": 1}}
    table = runner.invoke(app, ["--lang", "en", "observatory"])
    assert table.exit_code == 0 and "What the registry shows" in table.output


def test_export_opendata_and_every_contract_as_indigo(cli_env: Engine, tmp_path: Path) -> None:
    runner.invoke(app, ["contract", "import", str(EXAMPLES / "relais-familial.yaml")])
    res = runner.invoke(app, ["--lang", "en", "export", "opendata", str(tmp_path / "pub")])
    assert res.exit_code == 0, res.output
    assert "7 file(s) written" in res.output
    assert (tmp_path / "pub" / "chiffres-relais-familial.csv").read_text(encoding="utf-8").startswith("contrat,version,rubrique")
    out = tmp_path / "all.json"
    assert runner.invoke(app, ["export", "indigo", "--all", "-o", str(out)]).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [p["id"] for p in doc["projects"]] == ["TEMOIN-POJ-relais-familial"]
    assert list(Draft7Validator(project_schema()).iter_errors(doc["projects"][0]["data"])) == []
    neither = runner.invoke(app, ["export", "indigo"])
    assert neither.exit_code == 2
