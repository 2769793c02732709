"""The accounts page: the administrator states that an account acts for a public payer
organisation, and that account may then draft a call for it in the browser; nobody else may make
the statement; a wrong identifier is answered on the page, in French and in English; a contract
started from the call's selected application names that payer and carries the committee's
declarations of interests."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from calls_support import draft
from temoin.governance.selection import Application, CommitteeMember, Declaration
from temoin.services.accounts import create_account
from temoin.services.calls import draft_call, open_call, publish_call, submit_application
from temoin.services.contract_edit import draft_from_application
from temoin.services.governance import decide_call, declare_interests, record_scores
from temoin.services.payer_organisations import state_payer_organisation
from temoin.web.contract_form import from_yaml
from temoin.web.routes.contract_edit.yaml_pages import starting_text
from test_web_support import Site, csrf_of, make_site

PASSWORD = "quatre mots bien choisis ici"


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    s = make_site(sqlite_engine)
    create_account(sqlite_engine, "elise", PASSWORD, actor="test", display_name="Élise Martin")
    return s


def _state(admin, form: dict[str, str]):  # type: ignore[no-untyped-def]
    return admin.post("/admin/accounts/payer-organisations",
                      data={"csrf_token": csrf_of(admin, "/admin/accounts")} | form)


def test_the_administrator_states_it_and_the_account_drafts_a_call(site: Site) -> None:
    elise = site.client()
    assert elise.post("/login", data={"csrf_token": csrf_of(elise), "username": "elise", "password": PASSWORD},
                      follow_redirects=False).status_code == 303
    assert "Rédiger un appel à projets" not in elise.get("/calls").text
    assert elise.get("/calls/new").status_code == 403

    admin = site.signed_in("admin")
    r = _state(admin, {"username": "elise", "organisation": "dept-sud", "organisation_name": "Département du Sud"})
    assert r.status_code == 200
    assert "Le compte elise agit désormais pour l'organisme payeur Département du Sud" in html.unescape(r.text)
    assert "Département du Sud (<code>dept-sud</code>)" in r.text

    assert "Rédiger un appel à projets" in elise.get("/calls").text
    form = elise.get("/calls/new")
    assert form.status_code == 200 and '<option value="dept-sud"' in form.text

    r = admin.post("/admin/accounts/payer-organisations/withdraw", data={
        "csrf_token": csrf_of(admin, "/admin/accounts"), "username": "elise", "organisation": "dept-sud"},
        follow_redirects=False)
    assert r.status_code == 303
    assert elise.get("/calls/new").status_code == 403


@pytest.mark.parametrize(("lang", "words"), [("fr", "Identifiant d'organisme invalide : « Dept Sud »"),
                                             ("en", "Invalid organisation identifier: 'Dept Sud'")])
def test_a_wrong_identifier_is_answered_on_the_page(site: Site, lang: str, words: str) -> None:
    admin = site.signed_in("admin", lang=lang)
    r = _state(admin, {"username": "elise", "organisation": "Dept Sud", "organisation_name": "Sud"})
    assert r.status_code == 422 and words in html.unescape(r.text)


def test_only_the_administrator_states_it_and_with_a_csrf_token(site: Site) -> None:
    payer = site.signed_in("payer")
    r = payer.post("/admin/accounts/payer-organisations", data={
        "csrf_token": csrf_of(payer, "/account"), "username": "payeur", "organisation": "dept-sud",
        "organisation_name": "Sud"})
    assert r.status_code == 403
    admin = site.signed_in("admin")
    r = admin.post("/admin/accounts/payer-organisations", data={
        "csrf_token": "forged", "username": "elise", "organisation": "dept-sud", "organisation_name": "Sud"})
    assert r.status_code == 403
    r = _state(admin, {"username": "admin", "organisation": "dept-sud", "organisation_name": "Sud"})
    assert r.status_code == 409  # an administrator acts for no party


def test_a_contract_from_the_selected_application_names_the_payer_and_carries_declarations(site: Site) -> None:
    engine = site.engine
    state_payer_organisation(engine, "elise", "dept-sud", "Département du Sud", actor="test")
    for name in ("karim", "sophie", "camille"):
        create_account(engine, name, PASSWORD, actor="test")
    committee = (CommitteeMember("karim", "union-assos", "civil_society"),
                 CommitteeMember("sophie", "collectif-familles", "beneficiary"),
                 CommitteeMember("camille", "labo-eval", "expert"))
    d = draft("aap-sud", committee=committee)
    d = dataclasses.replace(d, terms=dataclasses.replace(d.terms, payer="dept-sud"))
    draft_call(engine, d, person_id="elise", actor="web:elise")
    publish_call(engine, "aap-sud", person_id="elise", actor="web:elise", on=d.terms.timetable.consultation_start)
    after = d.terms.timetable.consultation_end + dt.timedelta(days=1)
    open_call(engine, "aap-sud", person_id="elise", actor="web:elise", on=after)
    for app, org in (("horizon", "horizon-familles"), ("liens", "liens-solidaires")):
        submit_application(engine, "aap-sud", Application(app, org, app.title()), summary="…", documents=[],
                           max_bytes=1 << 20, actor="web:op", on=after)
    for member in ("karim", "sophie", "camille"):
        for app in ("horizon", "liens"):
            conflict = member == "sophie" and app == "horizon"
            declare_interests(engine, "aap-sud", Declaration(member, app, conflict, "Frère du directeur" if conflict
                                                             else ""), actor=f"web:{member}")
            if not conflict:
                record_scores(engine, "aap-sud", member, app, {"impact": Decimal(8), "faisabilite": Decimal(6)}, actor=f"web:{member}")
    decide_call(engine, "aap-sud", ["horizon"], "Le mieux noté.", "Ranked first.", actor="web:elise")

    data = draft_from_application(engine, "aap-sud", "horizon", from_yaml(starting_text(None)))
    payer = next(p for p in data["parties"] if "outcome_payer" in p["roles"])
    assert (payer["id"], payer["name"]) == ("dept-sud", "Département du Sud")
    declarations = {d["person"]: d["interests"] for d in data["governance"]["declarations"]}
    assert declarations == {"karim": [], "camille": [],
                            "sophie": [{"organisation": "horizon-familles", "nature": "Frère du directeur"}]}
