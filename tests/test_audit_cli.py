"""`temoin audit verify` and `temoin audit head` against a ledger tampered with in the database,
on SQLite and PostgreSQL: the command names the first altered, deleted or reordered entry."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from temoin.cli import app
from temoin.governance.selection import Application, Declaration
from temoin.services.contracts import import_contract
from temoin.services.governance import apply_to_call, create_call, declare_interests
from temoin.store import ledger, session_scope

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["--lang", "en", *args])
    return res.exit_code, res.output


@pytest.fixture
def history(cli_env: Engine, example_path) -> Engine:  # type: ignore[no-untyped-def]
    """Real governance activity: a contract import, a call, two applications, two declarations (6 entries)."""
    import_contract(cli_env, example_path("aemo-renforcee"), actor="dept-nord")
    create_call(cli_env, {"id": "appel", "contract": "aemo-renforcee", "title": "Appel",
                          "committee_from_contract": "comite-selection", "criteria": [{"id": "a", "weight": 1}]},
                actor="dept-nord")
    apply_to_call(cli_env, "appel", Application("h", "horizon-familles", "Horizon"), actor="horizon")
    apply_to_call(cli_env, "appel", Application("p", "passerelle", "Passerelle"), actor="passerelle")
    declare_interests(cli_env, "appel", Declaration("Claire Martin", "h", False), actor="Claire Martin")
    declare_interests(cli_env, "appel", Declaration("Jean Dubois", "h", False), actor="Jean Dubois")
    return cli_env


def _without_triggers(engine: Engine, *statements: str) -> None:
    """What an attacker with database access would do: drop the append-only triggers, then edit."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER audit_ledger_no_update ON audit_ledger"))
        else:
            c.execute(text("DROP TRIGGER audit_ledger_no_update"))
            c.execute(text("DROP TRIGGER audit_ledger_no_delete"))
        for st in statements:
            c.execute(text(st))


def test_verify_and_head_on_a_whole_chain(history: Engine) -> None:
    code, out = _run("audit", "verify")
    assert code == 0 and "Chain whole: 6 entries" in out
    code, head = _run("audit", "head")
    with session_scope(history) as s:
        rows = ledger.entries(s, limit=1)
    assert code == 0 and head.strip() == rows[0].hash and len(head.strip()) == 64


def test_the_database_refuses_to_alter_the_ledger(history: Engine) -> None:
    with pytest.raises(DBAPIError, match="append-only"), history.begin() as c:
        c.execute(text("UPDATE audit_ledger SET actor = 'mallory' WHERE seq = 3"))
    assert _run("audit", "verify")[0] == 0


def test_verify_names_an_altered_entry(history: Engine) -> None:
    _without_triggers(history, "UPDATE audit_ledger SET actor = 'mallory' WHERE seq = 4")
    code, out = _run("audit", "verify")
    assert code == 1 and "entry #4 was altered" in out
    code, out = _run("audit", "head")
    assert code == 1 and "#4" in out


def test_verify_names_a_deleted_entry(history: Engine) -> None:
    _without_triggers(history, "DELETE FROM audit_ledger WHERE seq = 3")
    code, out = _run("audit", "verify")
    assert code == 1 and "entry #3 was deleted" in out


def test_verify_names_reordered_entries(history: Engine) -> None:
    # Swap entries 2 and 5 wholesale (their numbers follow them), then renumber so the sequence has no gap.
    _without_triggers(history,
                      "UPDATE audit_ledger SET seq = 100 WHERE seq = 2",
                      "UPDATE audit_ledger SET seq = 2 WHERE seq = 5",
                      "UPDATE audit_ledger SET seq = 5 WHERE seq = 100")
    code, out = _run("audit", "verify", "--json")
    assert code == 1
    import json

    status = json.loads(out)
    assert status["whole"] is False and status["first_bad_seq"] == 2
    assert "entry #2" in status["message"]


def test_verify_in_french_by_default(history: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_triggers(history, "UPDATE audit_ledger SET payload = '{}' WHERE seq = 6")
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 1 and "l'entrée n° 6 a été modifiée" in res.output
