"""Invitations to a role, and roles revoked by the payer: single use, expiry, only a digest of the
token stored, an account made or linked, the ledger entries of each change in its transaction,
and the refusals (in both languages) that leave everything as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import Engine, text

from temoin.demo.accounts import demo_accounts
from temoin.errors import ConflictError, InvalidInputError, NotFoundError, TemoinError
from temoin.i18n import Translator
from temoin.services.accounts import authenticate, create_account, set_hash_cost, signed_in
from temoin.services.governance import assign_role, list_roles, verify_ledger
from temoin.services.invitations import (
    NewAccount,
    accept_invitation,
    invitation_for,
    invite,
    list_invitations,
    list_people,
    revoke_person_role,
)

C = "aemo-renforcee"
PASSWORD = "quatre mots bien choisis ici"


@pytest.fixture
def db(engine: Engine) -> Engine:
    set_hash_cost(time_cost=1, memory_cost_kib=8192)
    demo_accounts(engine)  # the three examples, the demo accounts and their roles in aemo-renforcee
    return engine


def _ledger(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as c:
        return [(e, json.loads(p)) for e, p in c.execute(text("SELECT event, payload FROM audit_ledger ORDER BY seq"))]


def _invite(engine: Engine, **kw: object) -> tuple[str, int]:
    args: dict[str, object] = {"email": "nadia@example.org", "role": "evaluator", "name": "Nadia Évaluatrice",
                               "actor": "web:payeur"} | kw
    made = invite(engine, C, **args)  # type: ignore[arg-type]
    return made.token, made.invitation.id


def test_only_a_digest_of_the_token_is_stored_and_the_invitation_is_in_the_ledger(db: Engine) -> None:
    before = len(_ledger(db))
    token, inv_id = _invite(db)
    assert len(token) >= 40  # 32 random bytes, URL-safe
    with db.connect() as c:
        row = c.execute(text("SELECT * FROM gov_invitations WHERE id = :i"), {"i": inv_id}).mappings().one()
        dump = c.execute(text("SELECT * FROM gov_invitations")).all() + c.execute(text("SELECT * FROM audit_ledger")).all()
    assert row["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(dump)  # the token is nowhere in the database, in the ledger neither
    assert (row["role"], row["organisation"], row["email"]) == ("evaluator", "labo-eval", "nadia@example.org")
    entries = _ledger(db)[before:]
    assert [e for e, _ in entries] == ["invitation.created"]
    payload = entries[0][1]
    assert payload["invitation"] == inv_id and payload["role"] == "evaluator" and payload["organisation"] == "labo-eval"
    assert payload["email_sha256"] == hashlib.sha256(b"nadia@example.org").hexdigest()  # no address in the ledger
    assert verify_ledger(db).whole


def test_accepting_makes_the_account_gives_the_role_and_records_each_change(db: Engine) -> None:
    token, inv_id = _invite(db)
    before = len(_ledger(db))
    done = accept_invitation(db, token, new_account=NewAccount("nadia", PASSWORD, "Nadia E."), actor="web:nadia",
                             language="en")
    assert done.new_account and done.account.username == "nadia" and done.account.language == "en"
    assert done.account.person_id == "nadia" and not done.account.is_admin
    # the account signs in with its password, and holds the role in this contract only
    account = authenticate(db, "nadia", PASSWORD)
    from temoin.services.accounts import open_session

    identity = signed_in(db, session_token=open_session(db, account.id))
    assert identity.roles == {C: frozenset({"evaluator"})}
    assert [(r["person"], r["organisation"], r["role"]) for r in list_roles(db, person="nadia")] == [
        ("nadia", "labo-eval", "evaluator")]
    events = _ledger(db)[before:]
    assert [e for e, _ in events] == ["account.created", "role.assigned", "invitation.accepted"]
    assert events[2][1] == {"invitation": inv_id, "username": "nadia", "person": "nadia", "role": "evaluator",
                            "organisation": "labo-eval", "new_account": True}
    assert [i.status() for i in list_invitations(db, C)] == ["accepted"]
    assert verify_ledger(db).whole


def test_a_link_is_used_once_and_the_refused_reuse_is_recorded_once(db: Engine) -> None:
    token, inv_id = _invite(db)
    accept_invitation(db, token, new_account=NewAccount("nadia", PASSWORD), actor="web:nadia")
    before = len(_ledger(db))
    for attempt in range(3):
        with pytest.raises(ConflictError) as caught:
            accept_invitation(db, token, new_account=NewAccount(f"other{attempt}", PASSWORD), actor="web:anonymous")
        assert caught.value.code == "invitation.used"
    with pytest.raises(ConflictError):
        invitation_for(db, token)
    assert _ledger(db)[before:] == [("invitation.refused", {"invitation": inv_id, "reason": "used"})]
    with db.connect() as c:  # no second account was made
        assert c.execute(text("SELECT COUNT(*) FROM web_accounts WHERE username LIKE 'other%'")).scalar_one() == 0


def test_an_expired_link_is_refused_and_the_refusal_is_in_the_ledger(db: Engine) -> None:
    eight_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    token, inv_id = _invite(db, days=7, now=eight_days_ago)
    with pytest.raises(ConflictError) as caught:
        invitation_for(db, token)
    assert caught.value.code == "invitation.expired"
    before = len(_ledger(db))
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, token, new_account=NewAccount("late", PASSWORD), actor="web:anonymous")
    assert caught.value.code == "invitation.expired"
    assert _ledger(db)[before:] == [("invitation.refused", {"invitation": inv_id, "reason": "expired"})]
    expired_on = Translator("fr").datetime(eight_days_ago + dt.timedelta(days=7))
    assert Translator("fr").error_message(caught.value) == f"Ce lien d'invitation a expiré le {expired_on}."
    assert list_roles(db, person="late") == []
    assert [i.status() for i in list_invitations(db, C)] == ["expired"]
    # one minute before its end, the same kind of link still works
    token2, _ = _invite(db, days=7, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=7) + dt.timedelta(minutes=1))
    assert accept_invitation(db, token2, new_account=NewAccount("intime", PASSWORD), actor="web:intime").new_account


def test_an_unknown_link_writes_nothing(db: Engine) -> None:
    before = len(_ledger(db))
    with pytest.raises(NotFoundError) as caught:
        accept_invitation(db, "not-a-token", new_account=NewAccount("x1", ""), actor="web:anonymous")
    assert caught.value.code == "invitation.unknown"  # the link is checked before the (empty) password
    assert len(_ledger(db)) == before
    assert Translator("en").error(caught.value).startswith("token: This invitation link is not known.")


def test_a_signed_in_account_without_a_person_is_linked(db: Engine) -> None:
    plain = create_account(db, "yann", PASSWORD, actor="admin")
    token, _ = _invite(db, role="civil_society_observer", email="yann@example.org")
    done = accept_invitation(db, token, account_id=plain.id, actor="web:yann")
    assert not done.new_account and done.account.person_id == "yann"
    assert [(r["role"], r["organisation"]) for r in list_roles(db, person="yann")] == [
        ("civil_society_observer", "union-assos")]


def test_a_new_person_never_takes_over_an_existing_persons_roles(db: Engine) -> None:
    assign_role(db, "cravate-solidaire", "zoe", "investisseurs-emploi", "investor", actor="cli", name="Zoé")
    token, _ = _invite(db, role="operator", email="zoe@example.org")
    done = accept_invitation(db, token, new_account=NewAccount("zoe", PASSWORD), actor="web:zoe")
    assert done.account.person_id != "zoe" and done.account.person_id.startswith("zoe-")
    identity_roles = {(str(r["contract"]), str(r["role"])) for r in list_roles(db, person=done.account.person_id)}
    assert identity_roles == {(C, "operator")}  # not zoe's investor role in cravate-solidaire


def test_an_existing_persons_new_role_follows_the_independence_rules(db: Engine) -> None:
    evaluator = next(a for a in demo_accounts(db) if a.username == "evaluateur")
    account = authenticate(db, evaluator.username, evaluator.password)
    token, _ = _invite(db, role="investor", organisation="banque-solidaire", email="eve@example.org")
    before = len(_ledger(db))
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, token, account_id=account.id, actor="web:evaluateur")
    assert caught.value.code == "role.incompatible"
    assert len(_ledger(db)) == before and invitation_for(db, token).accepted_at is None  # still usable by someone else
    same, _ = _invite(db, role="evaluator", email="eve@example.org")
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, same, account_id=account.id, actor="web:evaluateur")
    assert caught.value.code == "invitation.role_held"


def test_an_administrator_cannot_take_a_partys_role(db: Engine) -> None:
    admin = next(a for a in demo_accounts(db) if a.username == "admin")
    account = authenticate(db, "admin", admin.password)
    token, _ = _invite(db, role="outcome_payer", email="admin@example.org")
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, token, account_id=account.id, actor="web:admin")
    assert caught.value.code == "invitation.admin"
    assert list_roles(db, person="admin") == [] and invitation_for(db, token).accepted_at is None


def test_a_new_account_follows_the_password_rules_and_leaves_the_link_usable(db: Engine) -> None:
    token, _ = _invite(db)
    with pytest.raises(InvalidInputError) as caught:
        accept_invitation(db, token, new_account=NewAccount("nadia", "password12"), actor="web:nadia")
    assert caught.value.code == "account.password_common"
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, token, new_account=NewAccount("payeur", PASSWORD), actor="web:payeur")
    assert caught.value.code == "invitation.username_taken"
    assert Translator("fr").error_message(caught.value) == "L'identifiant « payeur » existe déjà."
    assert invitation_for(db, token).accepted_at is None


@pytest.mark.parametrize(("kw", "code", "fr"), [
    ({"email": "nadia.example.org"}, "invitation.email", "Ce n'est pas une adresse électronique : « nadia.example.org »."),
    ({"email": "nadia@exemple"}, "invitation.email", "Ce n'est pas une adresse électronique : « nadia@exemple »."),
    ({"email": "na dia@example.org"}, "invitation.email", None),
    ({"role": "king"}, "invitation.role_unknown", "Rôle inconnu : « king »."),
    ({"role": "investor"}, "invitation.organisation_needed",
     "Plusieurs parties ont le rôle investisseur : choisissez celle pour laquelle la personne agit."),
    ({"role": "investor", "organisation": "labo-eval"}, "invitation.organisation",
     "« labo-eval » n'a pas le rôle investisseur dans le contrat aemo-renforcee."),
    ({"days": 0}, "invitation.days", "Durée de validité refusée : 0 jours."),
])
def test_bad_input_is_refused_in_the_readers_words_and_writes_nothing(db: Engine, kw: dict[str, object], code: str,
                                                                      fr: str | None) -> None:
    before = len(_ledger(db))
    with pytest.raises(TemoinError) as caught:
        _invite(db, **kw)
    assert caught.value.code == code
    if fr:
        assert Translator("fr").error_message(caught.value) == fr
    assert Translator("en").error_message(caught.value) != Translator("fr").error_message(caught.value)
    assert len(_ledger(db)) == before and list_invitations(db, C) == []


def test_a_role_the_contract_does_not_have_is_refused(db: Engine) -> None:
    with pytest.raises(InvalidInputError) as caught:
        invite(db, "cravate-solidaire", email="g@example.org", role="guarantor", actor="web:x")
    assert caught.value.code == "invitation.role_not_in_contract"
    assert Translator("en").error(caught.value) == (
        "role: Contract cravate-solidaire has no party in the role guarantor. Roles in this contract: outcome payer, "
        "operator, investor, evaluator, civil-society observer, beneficiaries' representative. "
        "[invitation.role_not_in_contract]")


def test_the_payer_revokes_roles_but_never_the_last_payers(db: Engine) -> None:
    people = {p.person: p for p in list_people(db, C)}
    assert people["demo-evaluateur"].username == "evaluateur" and people["demo-payeur"].role == "outcome_payer"
    before = len(_ledger(db))
    revoke_person_role(db, C, people["demo-evaluateur"].id, actor="web:payeur")
    assert "demo-evaluateur" not in {p.person for p in list_people(db, C)}
    assert _ledger(db)[before:] == [("role.revoked", {"person": "demo-evaluateur", "organisation": "labo-eval",
                                                      "role": "evaluator", "assignment": people["demo-evaluateur"].id})]
    with pytest.raises(NotFoundError):  # revoked already: no current role by that number
        revoke_person_role(db, C, people["demo-evaluateur"].id, actor="web:payeur")
    with pytest.raises(NotFoundError):  # a role of another contract is not revoked from this one
        other = next(p for p in list_people(db, "cravate-solidaire"))
        revoke_person_role(db, C, other.id, actor="web:payeur")
    before = len(_ledger(db))
    with pytest.raises(ConflictError) as caught:
        revoke_person_role(db, C, people["demo-payeur"].id, actor="web:payeur")
    assert caught.value.code == "role.last_payer" and len(_ledger(db)) == before
    assert "dernier payeur aux résultats du contrat aemo-renforcee" in Translator("fr").error_message(caught.value)
    # a second payer accepts; the first one may then go
    token, _ = _invite(db, role="outcome_payer", email="paul@example.org")
    accept_invitation(db, token, new_account=NewAccount("paul", PASSWORD), actor="web:paul")
    revoke_person_role(db, C, people["demo-payeur"].id, actor="web:paul")
    assert [p.person for p in list_people(db, C) if p.role == "outcome_payer"] == ["paul"]
    assert verify_ledger(db).whole


def test_a_link_clicked_twice_at_once_is_used_once(db_url: str) -> None:
    from temoin.store import make_engine, migrate
    from test_concurrency import _together

    engine = make_engine(db_url, pool_size=10)
    migrate(engine)
    set_hash_cost(time_cost=1, memory_cost_kib=8192)
    demo_accounts(engine)
    token, _ = _invite(engine)
    results = _together(6, lambda i: accept_invitation(engine, token, new_account=NewAccount(f"racer{i}", PASSWORD),
                                                       actor=f"web:racer{i}"))
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 5, results
    assert all(isinstance(e, ConflictError) and e.code == "invitation.used" for e in lost), lost
    assert len(list_roles(engine, person=won[0].account.person_id)) == 1
    with engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM web_accounts WHERE username LIKE 'racer%'")).scalar_one() == 1
    assert [e for e, _ in _ledger(engine)].count("invitation.accepted") == 1 and verify_ledger(engine).whole
    engine.dispose()


def test_the_payer_withdraws_an_invitation_before_it_is_used(db: Engine) -> None:
    from temoin.services.invitations import withdraw_invitation

    token, inv_id = _invite(db, email="wrong@example.org")
    before = len(_ledger(db))
    assert withdraw_invitation(db, C, inv_id, actor="web:payeur").status() == "withdrawn"
    withdraw_invitation(db, C, inv_id, actor="web:payeur")  # again: nothing changes
    assert _ledger(db)[before:] == [("invitation.withdrawn", {"invitation": inv_id})]
    with pytest.raises(ConflictError) as caught:
        accept_invitation(db, token, new_account=NewAccount("wrong", PASSWORD), actor="web:wrong")
    assert caught.value.code == "invitation.withdrawn"
    assert Translator("fr").error_message(caught.value) == "Ce lien d'invitation a été annulé par le payeur du contrat."
    assert _ledger(db)[-1] == ("invitation.refused", {"invitation": inv_id, "reason": "withdrawn"})
    with pytest.raises(NotFoundError):  # an invitation of another contract is not withdrawn from this one
        withdraw_invitation(db, "cravate-solidaire", inv_id, actor="web:payeur")
    used, used_id = _invite(db)
    accept_invitation(db, used, new_account=NewAccount("nadia", PASSWORD), actor="web:nadia")
    with pytest.raises(ConflictError) as caught:
        withdraw_invitation(db, C, used_id, actor="web:payeur")
    assert caught.value.code == "invitation.accepted"
