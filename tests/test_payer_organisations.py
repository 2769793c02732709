"""On a brand-new platform (no contract yet), the administrator states that an account acts for a
public payer organisation; that account may then draft calls for it, and nothing more: no role in
any contract. Committee members are named by their account's user name and sit as the person that
account acts as. SQLite and PostgreSQL; every statement is in the ledger."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text

from calls_support import COMMITTEE, draft
from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.governance.selection import CommitteeMember
from temoin.services.accounts import create_account, list_accounts
from temoin.services.calls import call_view, draft_call, drafting_organisations
from temoin.services.payer_organisations import (
    list_payer_organisations,
    state_payer_organisation,
    withdraw_payer_organisation,
)
from temoin.store import session_scope
from temoin.store.governance import RoleRepository

PASSWORD = "quatre mots bien choisis ici"


def _person(engine: Engine, username: str) -> str | None:
    return next(a.person_id for a in list_accounts(engine) if a.username == username)


def _events(engine: Engine, event: str) -> list[dict[str, object]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT payload FROM audit_ledger WHERE event = :e ORDER BY seq"), {"e": event}).all()
    return [json.loads(p) if isinstance(p, str) else p for (p,) in rows]


def test_an_account_stated_for_a_payer_drafts_calls_for_it_and_holds_no_contract_role(engine: Engine) -> None:
    create_account(engine, "elise", PASSWORD, actor="admin", display_name="Élise Martin")
    assert _person(engine, "elise") is None
    stated = state_payer_organisation(engine, "Elise", "dept-nord", "Département du Nord", actor="web:admin")
    assert (stated.username, stated.organisation, stated.name) == ("elise", "dept-nord", "Département du Nord")
    person = _person(engine, "elise")
    assert person == "elise"  # a new person, named after the account
    assert drafting_organisations(engine, person) == ["dept-nord"]
    with session_scope(engine) as s:
        assert RoleRepository(s).active_for_person(person) == []  # no role in any contract
    assert _events(engine, "account.payer_organisation") == [
        {"username": "elise", "person": "elise", "organisation": "dept-nord", "name": "Département du Nord"}]
    assert [(p.username, p.organisation) for p in list_payer_organisations(engine)] == [("elise", "dept-nord")]

    # the committee is named by user names; each member sits as the person their account acts as
    create_account(engine, "amina", PASSWORD, actor="admin", display_name="Amina")
    committee = (CommitteeMember("amina", "union-assos", "civil_society"), *COMMITTEE[1:])
    draft_call(engine, draft(committee=committee), person_id=person, actor="web:elise")
    view = call_view(engine, "aap-2027", person_id=person)
    amina = _person(engine, "amina")
    assert amina is not None
    assert [m.person for m in view.state.call.committee] == [amina, "demo-benevole", "demo-expert"]


def test_statements_refused_with_their_reason(engine: Engine) -> None:
    create_account(engine, "elise", PASSWORD, actor="admin")
    create_account(engine, "root", PASSWORD, actor="install", is_admin=True)
    with pytest.raises(InvalidInputError) as bad:
        state_payer_organisation(engine, "elise", "Dept Nord", "Département du Nord", actor="web:admin")
    assert bad.value.path == "organisation"
    with pytest.raises(InvalidInputError):
        state_payer_organisation(engine, "elise", "dept-nord", " ", actor="web:admin")
    with pytest.raises(NotFoundError):
        state_payer_organisation(engine, "nobody", "dept-nord", "Nord", actor="web:admin")
    with pytest.raises(ConflictError):
        state_payer_organisation(engine, "root", "dept-nord", "Nord", actor="web:admin")
    state_payer_organisation(engine, "elise", "dept-nord", "Nord", actor="web:admin")
    with pytest.raises(ConflictError):
        state_payer_organisation(engine, "elise", "dept-nord", "Nord", actor="web:admin")
    assert drafting_organisations(engine, _person(engine, "root")) == []
    assert len(_events(engine, "account.payer_organisation")) == 1


def test_a_statement_is_withdrawn_then_stated_again(engine: Engine) -> None:
    create_account(engine, "elise", PASSWORD, actor="admin")
    state_payer_organisation(engine, "elise", "dept-nord", "Nord", actor="web:admin")
    withdraw_payer_organisation(engine, "elise", "dept-nord", actor="web:admin")
    assert drafting_organisations(engine, "elise") == [] and list_payer_organisations(engine) == []
    with pytest.raises(NotFoundError):
        withdraw_payer_organisation(engine, "elise", "dept-nord", actor="web:admin")
    state_payer_organisation(engine, "elise", "dept-nord", "Département du Nord", actor="web:admin")
    assert drafting_organisations(engine, "elise") == ["dept-nord"]
    assert [p.name for p in list_payer_organisations(engine)] == ["Département du Nord"]
    assert _events(engine, "account.payer_organisation_withdrawn") == [
        {"username": "elise", "person": "elise", "organisation": "dept-nord"}]
    assert len(_events(engine, "account.payer_organisation")) == 2
