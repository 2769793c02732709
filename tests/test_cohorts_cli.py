"""The cohort, plan, diagnose and power commands, through the CLI runner (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.cli import app
from temoin.examples import example_path

runner = CliRunner()


@pytest.fixture
def cli_sqlite(monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine) -> Iterator[Engine]:
    monkeypatch.setenv("TEMOIN_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    yield sqlite_engine


def ok(*args: str) -> str:
    res = runner.invoke(app, ["--lang", "en", *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_cohort_commands_end_to_end(cli_sqlite: Engine, tmp_path: Path) -> None:
    ok("contract", "import", str(example_path("aemo-renforcee")))
    people = tmp_path / "people.csv"
    assert "SYNTHETIC" in ok("cohort", "generate", "aemo-renforcee", "-o", str(people), "--seed", "3")
    pd.read_csv(people, dtype=str).head(240).to_csv(people, index=False)
    assert "240 referred people imported" in ok("cohort", "import", "aemo-renforcee", str(people))
    assert "Plan locked: sha256" in ok("plan", "lock", "aemo-renforcee")
    out = json.loads(ok("cohort", "randomise", "aemo-renforcee", "--seed", "9", "--json"))
    assert out["method"] == "stratified" and out["seed"] == "9" and len(out["list_hash"]) == 64
    wave = tmp_path / "m12.xlsx"
    ok("cohort", "generate", "aemo-renforcee", "-o", str(wave), "--wave", "m12", "--seed", "3")
    assert "Wave m12:" in ok("cohort", "outcomes", "aemo-renforcee", "m12", str(wave))
    res = runner.invoke(app, ["--lang", "en", "cohort", "randomise", "aemo-renforcee"])
    assert res.exit_code == 1 and "re-randomised" in res.output and "Traceback" not in res.output
    status = json.loads(ok("plan", "status", "aemo-renforcee", "--json"))
    assert status["locked"] and status["matches_contract"]


def test_diagnose_and_power(cli_sqlite: Engine) -> None:
    ok("contract", "import", str(example_path("aemo-renforcee")))
    rep = json.loads(ok("diagnose", "aemo-renforcee", "--sims", "300", "--effect", "45", "--json"))
    assert [e["true_effect"] for e in rep["effects"]] == [0.0, 45.0]
    assert rep["wrongful_payment"] == rep["effects"][0]["p_paid"] < 0.1
    assert rep["effects"][1]["power"] > 0.7
    assert "Probability of paying when the true effect is zero" in ok("diagnose", "aemo-renforcee", "--sims", "200")
    p = json.loads(ok("power", "aemo-renforcee", "--json"))
    assert 0.8 < p["power"] < 1 and p["n"] == 800
    q = json.loads(ok("power", "--n", "400", "--effect", "0.3", "--sd", "1", "--json"))
    assert 0.8 < q["power"] < 0.9


def test_bad_file_gives_a_row_report_not_a_traceback(cli_sqlite: Engine, tmp_path: Path) -> None:
    ok("contract", "import", str(example_path("aemo-renforcee")))
    bad = tmp_path / "bad.csv"
    bad.write_text("participant_id;consent;enrolled;age;age_band;sex;risk_level;territory;prior_placement;single_parent;siblings\n"
                   "A1;oui;oui;7;6-11;F;high;lille;non;oui;2\n"
                   "A2;oui;oui;;6-11;F;high;lille;non;oui;2\n", encoding="latin-1")
    res = runner.invoke(app, ["--lang", "fr", "cohort", "import", "aemo-renforcee", str(bad)])
    assert res.exit_code == 1 and "Âge (ligne 3): valeur manquante" in res.output and "rien n'a été enregistré" in res.output
