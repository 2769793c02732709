"""Contracts written in the browser, at the service layer: every problem of a text in one pass, a
new contract whose creator becomes its outcome payer, versions, the payer's signature that locks
the contract, each change with its ledger entry in its own transaction, and the refusals (in both
languages) that leave everything as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from temoin.contract import check_contract, load_contract
from temoin.demo.accounts import demo_accounts
from temoin.errors import ConflictError, InvalidInputError, TemoinError
from temoin.examples import BLANK_CONTRACT, example_path, real_deal_path
from temoin.i18n import Translator
from temoin.services.accounts import authenticate, create_account, set_hash_cost
from temoin.services.contract_edit import (
    create_contract,
    preview,
    save_version,
    sign_version,
    signature_of,
    versions_of,
)
from temoin.services.governance import list_roles, verify_ledger

PASSWORD = "quatre mots bien choisis ici"
AEMO = example_path("aemo-renforcee").read_text(encoding="utf-8")
NEW = AEMO.replace("id: aemo-renforcee", "id: aemo-bis", 1)


@pytest.fixture
def db(engine: Engine) -> Engine:
    set_hash_cost(time_cost=1, memory_cost_kib=8192)
    demo_accounts(engine)
    return engine


def _ledger(engine: Engine) -> list[tuple[str, str | None, dict[str, object]]]:
    with engine.connect() as c:
        return [(e, cid, json.loads(p)) for e, cid, p in
                c.execute(text("SELECT event, contract_id, payload FROM audit_ledger ORDER BY seq"))]


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql)).scalar_one())


def _account(engine: Engine, name: str = "camille") -> int:
    return create_account(engine, name, PASSWORD, actor="admin", display_name="Camille Payeuse").id


THREE_MISTAKES = (NEW.replace("policy_sector: child_protection", "policy_sector: kids")
                  .replace("currency: EUR", "currency: euros")
                  .replace("design: stratified_rct", "design: coin_toss"))


def test_preview_lists_every_problem_of_the_text_at_once_with_its_line() -> None:
    report = preview(THREE_MISTAKES)
    assert report.contract is None and report.outcomes == []
    paths = [p.path for p in report.problems]
    assert paths == ["policy_sector", "currency", "evaluation.design"], paths
    lines = THREE_MISTAKES.splitlines()
    for p in report.problems:  # each problem points at the line that holds the key
        assert p.line is not None and lines[p.line - 1].strip().startswith(str(p.path).split(".")[-1] + ":")
    fr, en = Translator("fr"), Translator("en")
    assert "« kids » n'est pas permis ici" in fr.error_message(report.problems[0])
    assert "'kids' is not allowed here" in en.error_message(report.problems[0])


def test_preview_of_a_readable_contract_is_its_safeguard_report() -> None:
    deal = real_deal_path("rikers").read_text(encoding="utf-8")
    report = preview(deal)
    assert report.problems == [] and report.contract is not None
    assert report.outcomes == check_contract(load_contract(real_deal_path("rikers")))
    assert [o.code for o in report.blocking] == ["S03", "S04", "S06", "S07", "S08", "S10", "S11"]
    assert [p.code for p in preview("").problems] == ["contract_edit.empty"]
    assert [p.code for p in preview("id: [unclosed").problems] == ["contract.yaml_syntax"]
    blank = preview(BLANK_CONTRACT.read_text(encoding="utf-8"))
    assert blank.contract is None and len(blank.problems) > 10  # every empty field is named


def test_the_creator_becomes_the_outcome_payer_and_both_changes_are_in_the_ledger(db: Engine) -> None:
    account = _account(db)
    before = len(_ledger(db))
    saved = create_contract(db, NEW, account_id=account, actor="web:camille")
    assert (saved.contract_id, saved.version, saved.created) == ("aemo-bis", 1, True)
    roles = list_roles(db, contract_id="aemo-bis")
    assert [(r["person"], r["organisation"], r["role"]) for r in roles] == [("camille", "dept-nord", "outcome_payer")]
    added = _ledger(db)[before:]
    assert [(e, cid) for e, cid, _ in added] == [("contract.version_created", "aemo-bis"), ("role.assigned", "aemo-bis")]
    assert added[0][2]["version"] == 1 and added[0][2]["safeguard_errors"] == []
    assert added[1][2] == {"person": "camille", "organisation": "dept-nord", "role": "outcome_payer", "creator": True}
    assert verify_ledger(db).whole
    with db.connect() as c:
        assert c.execute(text("SELECT person_id FROM web_accounts WHERE username = 'camille'")).scalar_one() == "camille"


def test_creation_refusals_change_nothing(db: Engine) -> None:
    account = _account(db)
    admin = create_account(db, "root2", PASSWORD, actor="admin", is_admin=True).id
    rows = _count(db, "SELECT COUNT(*) FROM contract_versions")
    entries = len(_ledger(db))
    with pytest.raises(ConflictError) as exists:  # never a version of someone else's contract
        create_contract(db, AEMO, account_id=account, actor="web:camille")
    assert Translator("fr").error_message(exists.value) == "Un contrat d'identifiant « aemo-renforcee » existe déjà."
    with pytest.raises(ConflictError, match="administrator"):
        create_contract(db, NEW, account_id=admin, actor="web:root2")
    with pytest.raises(TemoinError) as invalid:
        create_contract(db, THREE_MISTAKES, account_id=account, actor="web:camille")
    assert len(invalid.value.problems) == 3  # type: ignore[attr-defined]
    two_payers = real_deal_path("peterborough").read_text(encoding="utf-8")
    with pytest.raises(InvalidInputError) as which:
        create_contract(db, two_payers, account_id=account, actor="web:camille")
    assert which.value.code == "contract_edit.which_payer"
    assert "Choose the party you act for" in Translator("en").error_message(which.value)
    with pytest.raises(InvalidInputError):
        create_contract(db, two_payers, account_id=account, payer="not-a-payer", actor="web:camille")
    assert _count(db, "SELECT COUNT(*) FROM contract_versions") == rows and len(_ledger(db)) == entries
    assert create_contract(db, two_payers, account_id=account, payer="big-lottery-fund", actor="web:camille").version == 1
    assert [r["organisation"] for r in list_roles(db, contract_id="peterborough")] == ["big-lottery-fund"]


def test_an_account_already_a_party_in_the_contract_cannot_create_it_twice_but_can_create_another(db: Engine) -> None:
    """The demo payer (already payer of aemo-renforcee) creates a second contract: the same person,
    a new role, checked by the independence rules."""
    payer = next(a for a in demo_accounts(db) if a.username == "payeur")
    account = authenticate(db, "payeur", payer.password)
    create_contract(db, NEW, account_id=account.id, actor="web:payeur")
    assert {(r["contract"], r["role"]) for r in list_roles(db, person=account.person_id)} >= {
        ("aemo-renforcee", "outcome_payer"), ("aemo-bis", "outcome_payer")}


def test_each_save_is_a_version_and_an_unchanged_text_is_none(db: Engine) -> None:
    create_contract(db, NEW, account_id=_account(db), actor="web:camille")
    second = save_version(db, "aemo-bis", NEW.replace("expected_size: 800", "expected_size: 640"), actor="web:camille")
    assert (second.version, second.created) == (2, True)
    again = save_version(db, "aemo-bis", NEW.replace("expected_size: 800", "expected_size: 640"), actor="web:camille")
    assert (again.version, again.created) == (2, False)
    assert [v.contract.population.expected_size for v in versions_of(db, "aemo-bis")] == [800, 640]
    with pytest.raises(InvalidInputError) as other:
        save_version(db, "aemo-bis", AEMO, actor="web:camille")
    assert other.value.code == "contract_edit.other_id"
    assert [e for e, cid, _ in _ledger(db) if cid == "aemo-bis"].count("contract.version_created") == 2


def test_signing_locks_the_contract_and_later_changes_are_refused_with_the_reason(db: Engine) -> None:
    create_contract(db, NEW, account_id=_account(db), actor="web:camille")
    save_version(db, "aemo-bis", NEW.replace("expected_size: 800", "expected_size: 640"), actor="web:camille")
    with pytest.raises(ConflictError) as stale:
        sign_version(db, "aemo-bis", 1, person="camille", actor="web:camille")
    assert stale.value.code == "contract_edit.not_latest"
    assert signature_of(db, "aemo-bis") is None
    signed = sign_version(db, "aemo-bis", 2, person="camille", actor="web:camille")
    assert (signed.version, signed.person) == (2, "camille")
    assert signed.content_hash == versions_of(db, "aemo-bis")[1].content_hash
    assert _ledger(db)[-1][:2] == ("contract.signed", "aemo-bis") and _ledger(db)[-1][2]["version"] == 2
    with pytest.raises(ConflictError) as locked:
        save_version(db, "aemo-bis", NEW, actor="web:camille")
    assert locked.value.code == "contract_edit.signed"
    fr = Translator("fr")
    assert fr.error_message(locked.value).startswith("La version 2 de ce contrat a été signée le ")
    assert fr.error_hint(locked.value) == ("Un changement d'un contrat signé est un avenant, convenu entre les parties "
                                           "et signé à nouveau.")
    with pytest.raises(ConflictError):
        sign_version(db, "aemo-bis", 2, person="camille", actor="web:camille")
    assert len(versions_of(db, "aemo-bis")) == 2 and verify_ledger(db).whole
    # the signature row itself is written once: the database refuses to change or remove it
    for sql in ("UPDATE contract_signatures SET version = 1 WHERE contract_id = 'aemo-bis'",
                "DELETE FROM contract_signatures WHERE contract_id = 'aemo-bis'"):
        with pytest.raises(DBAPIError, match="contract_signatures is append-only"), db.begin() as c:
            c.execute(text(sql))
    assert signature_of(db, "aemo-bis") == signed


def test_a_version_that_fails_a_blocking_safeguard_cannot_be_signed(db: Engine) -> None:
    unsafe = NEW.replace("payments_within_realised_savings: true", "payments_within_realised_savings: false")
    assert unsafe != NEW
    create_contract(db, unsafe, account_id=_account(db), actor="web:camille")
    with pytest.raises(ConflictError) as refused:
        sign_version(db, "aemo-bis", 1, person="camille", actor="web:camille")
    assert refused.value.code == "contract_edit.safeguards"
    assert "Cap at realised savings" in Translator("en").error_message(refused.value)
    assert "Plafond aux économies réalisées" in Translator("fr").error_message(refused.value)
    assert signature_of(db, "aemo-bis") is None and _count(db, "SELECT COUNT(*) FROM contract_signatures") == 0
