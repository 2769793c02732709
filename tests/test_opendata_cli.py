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
