"""Governance through the command line, on SQLite and PostgreSQL: calls, roles, budget watch.

Every refused action leaves the database as it was: no half-written call, score or budget, and no
ledger entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from temoin.cli import app
from temoin.services.contracts import import_contract
from temoin.store import ledger, session_scope
from temoin.store.models.governance import BudgetLineRow, CallRow, ScoreRow

runner = CliRunner()
NORD = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "budgets" / "nord.csv"
CALL_YAML = """
id: appel-test
contract: aemo-renforcee
title: {fr: Appel test, en: Test call}
max_score: 10
committee_from_contract: comite-selection
criteria:
  - {id: besoins, label: {fr: Besoins, en: Needs}, weight: 2}
  - {id: cout, label: {fr: Coût, en: Cost}, weight: 1}
"""
MEMBERS = ["Claire Martin", "Karim Benali", "Sophie Lefebvre", "Jean Dubois"]


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["--lang", "en", *args])
    return res.exit_code, res.output


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as s:
        return (ledger.verify(s).entries, s.scalar(select(func.count()).select_from(ScoreRow)) or 0,
                s.scalar(select(func.count()).select_from(CallRow)) or 0,
                s.scalar(select(func.count()).select_from(BudgetLineRow)) or 0)


@pytest.fixture
def with_contract(cli_env: Engine, example_path) -> Engine:  # type: ignore[no-untyped-def]
    import_contract(cli_env, example_path("aemo-renforcee"), actor="test")
    return cli_env


def test_call_from_creation_to_public_record(with_contract: Engine, tmp_path: Path) -> None:
    eng = with_contract
    f = tmp_path / "call.yaml"
    f.write_text(CALL_YAML, encoding="utf-8")
    assert _run("call", "create", str(f), "--actor", "dept-nord")[0] == 0
    assert _run("call", "apply", "appel-test", "--id", "horizon", "--org", "horizon-familles", "--title", "Horizon")[0] == 0
    assert _run("call", "apply", "appel-test", "--id", "autre", "--org", "passerelle", "--title", "Passerelle")[0] == 0
    for m in MEMBERS:
        for a in ("horizon", "autre"):
            extra = ["--conflict", "ancien salarié"] if (m, a) == ("Jean Dubois", "autre") else ["--none"]
            code, out = _run("call", "declare", "appel-test", "--member", m, "--application", a, *extra)
            assert code == 0, out
    # Karim Benali's standing interest in horizon-familles recuses him automatically.
    before = _counts(eng)
    code, out = _run("call", "score", "appel-test", "--member", "Karim Benali", "--application", "horizon",
                     "--score", "besoins=9", "--score", "cout=9")
    assert code == 1 and "recused" in out and "Karim Benali" in out
    assert _counts(eng) == before  # nothing written, not even a ledger entry
    # A batch with one bad value is refused whole.
    code, out = _run("call", "score", "appel-test", "--member", "Claire Martin", "--application", "horizon",
                     "--score", "besoins=8", "--score", "cout=12")
    assert code == 1 and "out of range" in out and _counts(eng) == before
    scores = {("Claire Martin", "horizon"): (8, 6), ("Sophie Lefebvre", "horizon"): (9, 5),
              ("Jean Dubois", "horizon"): (7, 7), ("Claire Martin", "autre"): (6, 9),
              ("Karim Benali", "autre"): (5, 8), ("Sophie Lefebvre", "autre"): (6, 7)}
    # Before the decision, the record is not public yet.
    code, out = _run("call", "show", "appel-test", "--json")
    assert code == 0 and "scores" not in json.loads(out)
    code, out = _run("call", "decide", "appel-test", "--select", "horizon", "--reasons-fr", "Meilleure note")
    assert code == 1 and "Cannot decide yet" in out
    for (m, a), (b, c) in scores.items():
        assert _run("call", "score", "appel-test", "--member", m, "--application", a,
                    "--score", f"besoins={b}", "--score", f"cout={c}")[0] == 0
    code, out = _run("call", "decide", "appel-test", "--select", "horizon", "--reasons-fr", "Meilleure note",
                     "--reasons-en", "Best score")
    assert code == 0, out
    rec = json.loads(_run("call", "show", "appel-test", "--json")[1])
    assert rec["status"] == "decided" and rec["decision"]["reasons"]["en"] == "Best score"
    assert {(r["person"], r["application"], r["reason"]) for r in rec["recusals"]} == {
        ("Karim Benali", "horizon", "standing_interest"), ("Jean Dubois", "autre", "declared")}
    totals = {r["application"]: r["total"] for r in rec["results"]}
    # horizon: needs 8, 9, 7 -> 8; cost 6, 5, 7 -> 6; (2*8 + 6)/3. autre: needs 6, 5, 6; cost 9, 8, 7 -> (2*17/3 + 8)/3.
    assert totals == {"horizon": "7.33", "autre": "6.44"}
    assert len(rec["scores"]) == 12
    # Frozen after the decision.
    code, out = _run("call", "declare", "appel-test", "--member", "Claire Martin", "--application", "horizon",
                     "--conflict", "x")
    assert code == 1 and "decided" in out
    with session_scope(eng) as s:
        events = [r.event for r in ledger.entries(s)]
        assert ledger.verify(s).whole
    assert events.count("call.score") == 12 and events.count("call.declaration") == 8
    assert events[0] == "call.decided"
    # The public record matches the digest written in the ledger at the decision...
    assert rec["integrity"]["matches_ledger"] is True
    for lang, needs, cost in (("en", "Needs", "Cost"), ("fr", "Besoins", "Coût")):  # criteria by their labels
        shown = runner.invoke(app, ["--lang", lang, "call", "show", "appel-test"]).output.splitlines()
        header = next(line for line in shown if "horizon" not in line and needs in line)
        assert cost in header and "besoins" not in header and "cout" not in header
    # ...until someone changes a score directly in the database.
    with eng.begin() as c:
        c.execute(text("UPDATE gov_scores SET value = 10 WHERE person = 'Jean Dubois' AND criterion = 'cout'"))
    code, out = _run("call", "show", "appel-test")
    assert code == 1 and "no longer matches the digest written in the ledger" in out
    assert json.loads(_run("call", "show", "appel-test", "--json")[1])["integrity"]["matches_ledger"] is False


def test_a_committee_that_breaks_its_composition_rule_is_refused(with_contract: Engine, tmp_path: Path) -> None:
    f = tmp_path / "call.yaml"
    f.write_text("""
id: appel-ferme
title: Appel fermé
min_civil_society_seats: 2
criteria: [{id: prix, weight: 1}]
committee:
  - {person: Claire Martin, organisation: dept-nord, seat: payer}
  - {person: Anne Petit, organisation: banque-solidaire, seat: investor}
  - {person: Karim Benali, organisation: union-assos, seat: civil_society}
""", encoding="utf-8")
    before = _counts(with_contract)
    code, out = _run("call", "create", str(f))
    assert code == 1 and "composition rule requires at least 2" in out and "Traceback" not in out
    assert _counts(with_contract) == before


def test_budget_import_refuses_a_bad_file_whole_then_watches(with_contract: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    good_lines = NORD.read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([*good_lines[:20], "dept-nord,ASE,20x7,ASE-AEMO,A,A,true,10.00,100",
                              "dept-nord,ASE,2029,ASE-AEMO,A,A,true,-10.00,120"]) + "\n", encoding="utf-8")
    before = _counts(with_contract)
    code, out = _run("budget", "import", str(bad))
    assert code == 1 and "Unknown year: '20x7'" in out and "Negative amount" in out and "nothing was imported" in out
    assert _counts(with_contract) == before
    code, out = _run("budget", "check", "aemo-renforcee")
    assert code == 1 and "budget import" in out
    code, out = _run("budget", "import", str(NORD))
    assert code == 0 and "40 row(s) imported" in out
    code, out = _run("budget", "check", "aemo-renforcee", "--json")
    assert code == 0, out
    watch = json.loads(out)
    assert [(f["year"], f["code"]) for f in watch["flags"]] == [(2027, "ASE-AEMO")]
    assert watch["cis_basis"] == "commitments"
    y2027 = next(y for y in watch["years"] if y["year"] == 2027)
    assert y2027["cis_commitments"] == "1000000.00"
    # Importing the same file again replaces the rows, nothing is doubled.
    assert "40 replaced" in _run("budget", "import", str(NORD))[1]
    assert _counts(with_contract)[3] == 40


def test_one_person_different_roles_in_different_contracts(with_contract: Engine, example_path) -> None:  # type: ignore[no-untyped-def]
    import_contract(with_contract, example_path("cravate-solidaire"), actor="test")
    code, out = _run("role", "assign", "aemo-renforcee", "jdubois", "--role", "evaluator", "--org", "labo-eval",
                     "--name", "Jean Dubois")
    assert code == 0, out
    code, out = _run("role", "assign", "aemo-renforcee", "jdubois", "--role", "investor", "--org", "banque-solidaire")
    assert code == 1 and "cannot also be investor" in out
    code, out = _run("role", "assign", "aemo-renforcee", "kb", "--role", "civil_society_observer", "--org", "union-assos")
    assert code == 0, out
    cravate_orgs = json.loads(_run("role", "list", "--json")[1])
    assert len(cravate_orgs) == 2
    # In another contract the same person may hold another role (here: observer, for a party of that contract).
    from temoin.contract import load_contract

    other = load_contract(example_path("cravate-solidaire"))
    party = other.parties[0]
    code, out = _run("role", "assign", other.id, "jdubois", "--role", "civil_society_observer", "--org", party.id)
    assert code == 0, out
    mine = json.loads(_run("role", "list", "--person", "jdubois", "--json")[1])
    assert {(r["contract"], r["role"]) for r in mine} == {("aemo-renforcee", "evaluator"),
                                                          (other.id, "civil_society_observer")}
    assert _run("role", "revoke", "aemo-renforcee", "jdubois", "--role", "evaluator")[0] == 0
    assert len(json.loads(_run("role", "list", "--person", "jdubois", "--history", "--json")[1])) == 2
    assert len(json.loads(_run("role", "list", "--person", "jdubois", "--json")[1])) == 1
    with session_scope(with_contract) as s:
        events = [r.event for r in ledger.entries(s)]
    assert events.count("role.assigned") == 3 and events.count("role.revoked") == 1


def test_the_last_outcome_payer_keeps_the_role_on_the_command_line_too(with_contract: Engine) -> None:
    """The web's people page keeps the last outcome payer; ``temoin role revoke`` applies the same rule."""
    for person in ("mpayeur", "npayeur"):
        code, out = _run("role", "assign", "aemo-renforcee", person, "--role", "outcome_payer", "--org", "dept-nord",
                         "--name", person.capitalize())
        assert code == 0, out
    assert _run("role", "revoke", "aemo-renforcee", "mpayeur", "--role", "outcome_payer")[0] == 0
    code, out = _run("role", "revoke", "aemo-renforcee", "npayeur", "--role", "outcome_payer")
    assert code == 1 and "last outcome payer" in out, out
    current = json.loads(_run("role", "list", "--json")[1])
    assert [(r["person"], r["role"]) for r in current] == [("npayeur", "outcome_payer")]
    with session_scope(with_contract) as s:
        events = [r.event for r in ledger.entries(s)]
    assert events.count("role.revoked") == 1  # the refused revocation wrote nothing
