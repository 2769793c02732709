"""Rolling enrolment through the command line: the import says which batch people join, each batch is
randomised with `cohort randomise`, `cohort batches` replays them and tells the flow, `cohort schedule`
shows each wave's statuses, `evaluate --as-of` uses the people due by then."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from tests.test_cohorts_cli import cli_sqlite, runner  # noqa: F401  (the fixture)
from tests.test_cohorts_cli import ok as _ok
from tests.test_enrolment_rolling import C, monthly_files, rolling_yaml


def ok(*args: str) -> str:
    """The command's output with Rich's line wrapping undone."""
    return " ".join(_ok(*args).split())


def test_rolling_enrolment_on_the_command_line(cli_sqlite: Engine, tmp_path: Path) -> None:  # noqa: F811
    from temoin.cli import app

    (tmp_path / "c.yaml").write_text(rolling_yaml(), encoding="utf-8")
    ok("contract", "import", str(tmp_path / "c.yaml"))
    people = tmp_path / "people.csv"
    ok("cohort", "generate", C, "-o", str(people), "--seed", "3")
    files = monthly_files(tmp_path, pd.read_csv(people, dtype=str, keep_default_na=False))[:6]
    ok("plan", "lock", C)
    batch = 0
    for f in files:
        said = ok("cohort", "import", C, str(f))
        enrolled = int((pd.read_csv(f, dtype=str)["enrolled"] == "True").sum())
        if not enrolled:
            continue
        batch += 1
        assert f"the {enrolled} newly enrolled join batch {batch}, which {enrolled} people await" in said
        out = ok("cohort", "randomise", C, "--seed", str(100 + batch))
        assert f"Batch {batch} (stratified randomisation, permuted blocks of 4 continuing across batches)" in out
        assert "in the programme; " in out and "Seed " + str(100 + batch) in out
    shown = ok("cohort", "batches", C, "--replay", "--as-of", "2026-12-31")
    assert "Enrolment batches" in shown and "Replay: " in shown and f"of {batch} batch(es) reproduced exactly" in shown
    assert "waiting for the next batch" in shown and "wave m12: due" in shown
    data = json.loads(ok("cohort", "batches", C, "--json"))
    assert [b["number"] for b in data["batches"]] == list(range(1, batch + 1))
    assert data["flow"]["waiting"] == 0 and data["replay"] is None
    schedule = json.loads(ok("cohort", "schedule", C, "--as-of", "2026-03-01", "--json"))
    assert [w["wave"] for w in schedule] == ["m12", "m24"]
    assert schedule[1]["owed"] == 0 and schedule[1]["not_yet_due"] == sum(b["n"] for b in data["batches"])
    table = ok("cohort", "schedule", C, "--as-of", "2026-03-01")
    assert "Follow-up schedule on 1 March 2026" in table and "not yet due" in table
    fr = runner.invoke(app, ["--lang", "fr", "cohort", "schedule", C, "--as-of", "2026-03-01"])
    said_fr = " ".join(fr.output.split())
    assert fr.exit_code == 0 and "Calendrier de suivi au 1 mars 2026" in said_fr and "pas encore dû" in said_fr
    bad = runner.invoke(app, ["--lang", "en", "cohort", "schedule", C, "--as-of", "tomorrow"])
    assert bad.exit_code != 0 and "Unreadable date: 'tomorrow'" in " ".join(bad.output.split())
