"""The contract commands, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"
runner = CliRunner()


def test_check_exit_status_and_json() -> None:
    ok = runner.invoke(app, ["contract", "check", str(EXAMPLES / "aemo-renforcee.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "Erreurs : 0 ; avertissements : 0." in ok.output
    bad = runner.invoke(app, ["--lang", "en", "contract", "check", str(EXAMPLES / "relais-familial.yaml"), "--json"])
    assert bad.exit_code == 1
    findings = json.loads(bad.stdout)
    s01 = next(f for f in findings if f["code"] == "S01")
    assert s01["passed"] is False and s01["severity"] == "error" and "cannot prove impact" in s01["message"]


def test_bad_file_prints_a_clear_error_without_traceback(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text((EXAMPLES / "aemo-renforcee.yaml").read_text().replace("expected_size: 800", "expected_size: -3"))
    res = runner.invoke(app, ["contract", "check", str(f)])
    assert res.exit_code == 1
    assert "population.expected_size" in res.output and "Traceback" not in res.output
    missing = runner.invoke(app, ["contract", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 1 and "introuvable" in missing.output


def test_schema_command_prints_json_schema() -> None:
    res = runner.invoke(app, ["contract", "schema"])
    schema = json.loads(res.stdout)
    assert schema["title"] == "Contract" and "evaluation" in schema["properties"]


def test_import_export_round_trip(cli_env: Engine, tmp_path: Path) -> None:
    res = runner.invoke(app, ["contract", "import", str(EXAMPLES / "cravate-solidaire.yaml")])
    assert res.exit_code == 0 and "version 1" in res.output
    out = tmp_path / "back.yaml"
    res = runner.invoke(app, ["contract", "export", "cravate-solidaire", "-o", str(out)])
    assert res.exit_code == 0
    from temoin.contract import load_contract

    assert load_contract(out) == load_contract(EXAMPLES / "cravate-solidaire.yaml")
    res = runner.invoke(app, ["contract", "export", "inconnu"])
    assert res.exit_code == 1 and "Contrat inconnu" in res.output
