"""Issue 14, finding 6: every record the ledger vouches for refuses UPDATE and DELETE like the
ledger, and `temoin audit verify` checks each against its entry and names the first that differs
(on SQLite and PostgreSQL), even when an attacker with database access dropped the triggers."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.conftest import EXAMPLES
from typer.testing import CliRunner

from temoin.cli import app
from temoin.settings import Settings

C = "aemo-renforcee"
SETTINGS = Settings()
runner = CliRunner()
GUARDED = ("contract_versions", "cohort_outcomes", "cohort_randomisations", "plan_locks", "evaluation_results",
           "settlements", "settlement_approvals")


@pytest.fixture
def history(cli_env: Engine) -> Iterator[Engine]:
    """A contract through its whole life: cohort, plan, randomisation, a wave, evaluation, settlement, sign-off."""
    from temoin.services import evaluations as ev
    from temoin.services import settlements as st
    from temoin.services.contracts import import_contract

    import_contract(cli_env, EXAMPLES / f"{C}.yaml", actor="test")
    with tempfile.TemporaryDirectory() as tmp:
        people = Path(tmp) / "p.csv"
        ev.generate_synthetic(None, C, people, settings=SETTINGS)
        ev.import_participants(cli_env, C, people, settings=SETTINGS, actor="test")
        ev.lock_plan(cli_env, C, actor="test")
        ev.randomise_cohort(cli_env, C, seed=7, actor="test")
        wave = Path(tmp) / "m12.csv"
        ev.generate_synthetic(cli_env, C, wave, settings=SETTINGS, wave="m12")
        ev.import_outcomes(cli_env, C, "m12", wave, settings=SETTINGS, actor="test")
    ev.evaluate_contract(cli_env, C, actor="test")
    record, _ = st.run_settlement(cli_env, C, actor="test")
    st.approve(cli_env, record.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="test")
    yield cli_env


def _verify() -> tuple[int, dict[str, object]]:
    res = runner.invoke(app, ["--lang", "en", "audit", "verify", "--json"])
    return res.exit_code, json.loads(res.output)


def _without_triggers(engine: Engine, table: str, *statements: str) -> None:
    """What an attacker with database access would do: drop the table's triggers, then edit it."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            names = c.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"),
                              {"t": table}).scalars().all()
            for n in names:
                c.execute(text(f'DROP TRIGGER "{n}" ON {table}'))
        else:
            names = c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
                              {"t": table}).scalars().all()
            for n in names:
                c.execute(text(f'DROP TRIGGER "{n}"'))
        for st in statements:
            c.execute(text(st))


def test_a_whole_history_verifies_and_no_vouched_record_can_be_changed(history: Engine) -> None:
    code, out = _verify()
    assert code == 0 and out["whole"] and out["records"] == [], out
    assert out["records_checked"] >= 8 and out["records_counted_only"] == 0
    res = runner.invoke(app, ["--lang", "en", "audit", "verify"])
    assert "Records match the ledger" in res.output
    for table in GUARDED:
        for sql in (f"UPDATE {table} SET id = id WHERE id = (SELECT MIN(id) FROM {table})",
                    f"DELETE FROM {table} WHERE id = (SELECT MIN(id) FROM {table})"):
            with pytest.raises(DBAPIError, match="append-only"), history.begin() as c:
                c.execute(text(sql))
    # a participant keeps everything but an arm, and that only while it has no outcome (a referral not
    # enrolled yet may also record its enrolment: tests/test_enrolment_scenario.py)
    for sql in ("UPDATE cohort_participants SET arm = 1 - arm WHERE id IN (SELECT participant_id FROM cohort_outcomes)",
                "UPDATE cohort_participants SET attributes = '{}' WHERE id = (SELECT MIN(id) FROM cohort_participants WHERE enrolled)",
                "DELETE FROM cohort_participants WHERE id = (SELECT MAX(id) FROM cohort_participants)",
                f"UPDATE contracts SET latest_version = 1 WHERE id = '{C}'"):
        with pytest.raises(DBAPIError, match="append-only"), history.begin() as c:
            c.execute(text(sql))
    assert _verify()[0] == 0


def test_a_changed_total_paid_is_named(history: Engine) -> None:
    _without_triggers(history, "settlements", "UPDATE settlements SET total_paid = total_paid + 100000")
    code, out = _verify()
    first = out["first_record"]
    assert code == 1 and out["chain_whole"] is True and out["whole"] is False
    assert first["kind"] == "settlement" and first["ref"] == "#1" and "total_paid" in first["message"]


def test_changed_outcomes_a_deleted_one_and_a_swapped_arm_are_named(history: Engine) -> None:
    _without_triggers(history, "cohort_outcomes", "UPDATE cohort_outcomes SET \"values\" = '{\"placement_days\": 0.0}'",
                      "DELETE FROM cohort_outcomes WHERE id = (SELECT MIN(id) FROM cohort_outcomes)")
    code, out = _verify()
    assert code == 1 and out["first_record"]["kind"] == "outcomes" and out["first_record"]["ref"] == f"{C} / m12"
    assert "wave_sha256" in out["first_record"]["message"]
    _without_triggers(history, "cohort_participants",
                      "UPDATE cohort_participants SET arm = 1 - arm WHERE id = (SELECT MIN(id) FROM cohort_participants WHERE arm IS NOT NULL)")
    assert "assignment" in {p["kind"] for p in _verify()[1]["records"]}  # type: ignore[union-attr]


def test_each_kind_of_record_is_checked_and_an_added_one_is_named(history: Engine) -> None:
    tampering = {
        "contract_version": ("contract_versions", "UPDATE contract_versions SET document = document || ' '"),
        "plan": ("plan_locks", "UPDATE plan_locks SET plan = '{}'"),
        "evaluation": ("evaluation_results", "UPDATE evaluation_results SET result = replace(result, '\"grade\"', '\"grade \"')"),
        "approval": ("settlement_approvals", "UPDATE settlement_approvals SET person = 'Mallory'"),
        "participants": ("cohort_participants",
                         "UPDATE cohort_participants SET consent = NOT consent WHERE id = (SELECT MIN(id) FROM cohort_participants)"),
    }
    for table, statement in tampering.values():
        _without_triggers(history, table, statement)
    _without_triggers(history, "settlement_approvals",
                      "INSERT INTO settlement_approvals (settlement_id, kind, party_id, person, at) "
                      "VALUES (1, 'payer_approval', 'dept-nord', 'Claire Martin', CURRENT_TIMESTAMP)")
    code, out = _verify()
    found = {(p["kind"], p["problem"]) for p in out["records"]}  # type: ignore[union-attr]
    assert code == 1
    assert {(k, "differs") for k in tampering} <= found, found
    assert ("approval", "unrecorded") in found
    assert out["first_record"]["kind"] == "contract_version"  # the first in ledger order
