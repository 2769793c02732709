"""Calls for projects in the browser (through the application, CSRF included): the payer drafts and
publishes, the public and a network comment, the payer answers and opens, an operator applies with
documents, members declare (one recused: the score form is absent and a forged score refused), the
payer decides and the record is public; refusals answer on the page in both languages."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

import temoin.services.calls as calls_service
from calls_support import PAYER_PERSON
from temoin.services.accounts import create_account
from temoin.store import session_scope
from temoin.store.governance import RoleRepository
from test_web_support import Site, csrf_of, login, make_site

PASSWORD = "quatre mots bien choisis ici"
START = dt.date(2027, 1, 10)
ERROR = re.compile(r'role="alert" id="call-error"><strong>([^<]+)</strong>')
PDF = b"%PDF-1.4\n% dossier\n"

FORM = {
    "id": "aap-2027", "title_fr": "Appel 2027 : prévention", "title_en": "Call 2027: prevention", "payer": "dept-nord",
    "objectives": "Réduire les placements d'enfants.", "budget": "1 500 000", "currency": "EUR",
    "consultation_start": "2027-01-10", "consultation_end": "2027-01-30", "applications_end": "2027-03-01",
    "decision_date": "2027-03-20", "min_civil_society_seats": "2", "max_score": "10",
    "criteria": "impact | Impact attendu | Expected impact | 3\nfaisabilite | Faisabilité | Feasibility | 2",
    "committee": ("demo-observateur | union-assos | civil_society\n"
                  "demo-benevole | reseau-familles | beneficiary | horizon-familles\n"
                  "demo-expert | universite | expert"),
}


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.day = START
        monkeypatch.setattr(calls_service, "today", lambda: self.day)


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    s = make_site(sqlite_engine)
    for username, person in (("benevole", "demo-benevole"), ("expert", "demo-expert")):
        with session_scope(sqlite_engine) as session:
            RoleRepository(session).ensure_person(person, username.title())
        create_account(sqlite_engine, username, PASSWORD, actor="test", display_name=username.title(), person_id=person)
    return s


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _member(site: Site, username: str) -> TestClient:
    c = site.client()
    assert login(c, username, PASSWORD).status_code == 303
    return c


def _post(c: TestClient, path: str, page: str, **data: Any) -> Any:
    return c.post(path, data={"csrf_token": csrf_of(c, page)} | data, follow_redirects=False)


def _error(r: Any) -> str:
    m = ERROR.search(r.text)
    assert m, r.text[:3000]
    return html.unescape(m.group(1))


def _count(engine: Engine, event: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM audit_ledger WHERE event = :e"), {"e": event}).scalar_one())


def test_only_a_payer_drafts_and_only_its_author_sees_the_draft(site: Site, clock: Clock) -> None:
    anonymous = site.client()
    assert anonymous.get("/calls").status_code == 200
    assert anonymous.get("/calls/new", follow_redirects=False).status_code == 303  # to sign in
    observer = site.signed_in("observer")
    assert observer.get("/calls/new").status_code == 403 and 'id="new-call"' not in observer.get("/calls").text
    payer = site.signed_in("payer")
    assert 'id="new-call"' in payer.get("/calls").text
    r = _post(payer, "/calls", "/calls/new", **FORM)
    assert r.status_code == 303 and r.headers["location"] == "/calls/aap-2027"
    assert "Publier pour la consultation" in payer.get("/calls/aap-2027").text
    for c in (anonymous, observer):
        assert c.get("/calls/aap-2027").status_code == 404
        assert "aap-2027" not in c.get("/calls").text
    assert _post(observer, "/calls/aap-2027/publish", "/calls").status_code in (403, 404)
    assert _post(payer, "/calls", "/calls/new", **FORM).status_code == 409  # the same identifier again
    no_csrf = payer.post("/calls/aap-2027/publish", data={}, follow_redirects=False)
    assert no_csrf.status_code == 403 and _count(site.engine, "call.published") == 0


@pytest.mark.parametrize(("lang", "words"), [("fr", "siège(s) de la société civile"), ("en", "civil-society or beneficiary seat")])
def test_a_draft_breaking_the_composition_rule_is_refused_on_the_page(site: Site, lang: str, words: str) -> None:
    payer = site.signed_in("payer", lang=lang)
    form = FORM | {"committee": "demo-observateur | union-assos | civil_society\ndemo-expert | universite | expert"}
    r = _post(payer, "/calls", "/calls/new", **form)
    assert r.status_code == 422 and words in _error(r)
    assert f'<html lang="{lang}">' in r.text and "demo-expert | universite | expert" in html.unescape(r.text)
    r = _post(payer, "/calls", "/calls/new", **(FORM | {"criteria": "impact | Impact"}))
    assert r.status_code == 422 and ("ligne 1 des critères" if lang == "fr" else "Line 1 of the criteria") in _error(r)
    r = _post(payer, "/calls", "/calls/new", **(FORM | {"budget": "beaucoup"}))  # the field named as on the form
    assert r.status_code == 422 and ("« Budget total »" if lang == "fr" else "'Total budget'") in _error(r)


def test_the_whole_call_in_the_browser(site: Site, clock: Clock) -> None:
    payer = site.signed_in("payer")
    assert _post(payer, "/calls", "/calls/new", **FORM).status_code == 303
    edited = FORM | {"budget": "1 600 000"}
    assert _post(payer, "/calls/aap-2027/edit", "/calls/aap-2027/edit", **edited).status_code == 303
    assert _post(payer, "/calls/aap-2027/publish", "/calls/aap-2027").status_code == 303
    page = html.unescape(site.client().get("/calls/aap-2027").text)
    assert "1\u202f600\u202f000,00\u00a0€" in page and "Consultation publique" in page
    assert _post(payer, "/calls/aap-2027/edit", "/calls/aap-2027", **FORM).status_code == 409

    public = site.client()
    r = _post(public, "/calls/aap-2027/comments", "/calls/aap-2027", name="Jeanne Martin", body="Et les familles rurales ?")
    assert r.status_code == 303
    r = _post(public, "/calls/aap-2027/comments", "/calls/aap-2027", name="Jeanne Martin", body="x" * 4001)
    assert r.status_code == 422 and "trop long" in _error(r)
    network = site.signed_in("observer")
    assert _post(network, "/calls/aap-2027/comments", "/calls/aap-2027", body="Quels indicateurs ?").status_code == 303
    page = html.unescape(site.client().get("/calls/aap-2027").text)
    assert "Et les familles rurales ?" in page and "Jeanne Martin" not in page and "Un particulier" in page
    assert "Odile Observatrice" in page  # a registered network is named
    assert "Jeanne Martin" in html.unescape(payer.get("/calls/aap-2027").text)  # the payer sees who asked

    r = _post(payer, "/calls/aap-2027/open", "/calls/aap-2027")
    assert r.status_code == 409 and "consultation" in _error(r)
    clock.day = dt.date(2027, 1, 31)
    r = _post(payer, "/calls/aap-2027/open", "/calls/aap-2027")
    assert r.status_code == 409 and "2 commentaire(s)" in _error(r)
    ids = [int(x) for x in re.findall(r'id="comment-(\d+)"', payer.get("/calls/aap-2027").text)]
    assert _post(network, f"/calls/aap-2027/comments/{ids[0]}/answer", "/calls/aap-2027", answer="Non").status_code == 403
    for n in ids:
        assert _post(payer, f"/calls/aap-2027/comments/{n}/answer", "/calls/aap-2027", answer=f"Réponse {n}").status_code == 303
    assert _post(payer, "/calls/aap-2027/open", "/calls/aap-2027").status_code == 303
    assert "Réponse" in site.client().get("/calls/aap-2027").text

    operator = site.signed_in("operator")
    token = csrf_of(operator, "/calls/aap-2027/apply")
    bad = operator.post("/calls/aap-2027/apply", data={"csrf_token": token, "application": "horizon",
                                                       "organisation": "horizon-familles", "title": "Horizon"},
                        files=[("documents", ("virus.exe", b"MZ", "application/octet-stream"))], follow_redirects=False)
    assert bad.status_code == 422 and "PDF" in _error(bad)
    for app, org in (("horizon", "horizon-familles"), ("relais", "relais-asso")):
        r = operator.post("/calls/aap-2027/apply", data={"csrf_token": token, "application": app, "organisation": org,
                                                         "title": app.title(), "summary": "Projet"},
                          files=[("documents", (f"{app}.pdf", PDF, "application/pdf"))], follow_redirects=False)
        assert r.status_code == 303, r.text[:2000]
    assert _count(site.engine, "call.document_added") == 2
    assert payer.get("/calls/aap-2027/committee").status_code == 403  # the payer does not sit on the committee
    doc = re.search(r'href="(/calls/aap-2027/documents/\d+)"', _member(site, "expert").get("/calls/aap-2027/committee").text)
    assert doc and operator.get(doc.group(1)).status_code == 403 and site.client().get(doc.group(1), follow_redirects=False).status_code == 303
    assert _member(site, "expert").get(doc.group(1)).content == PDF and payer.get(doc.group(1)).content == PDF

    members = {u: (_member(site, u) if u != "observateur" else network) for u in ("observateur", "benevole", "expert")}
    assert operator.get("/calls/aap-2027/committee").status_code == 403
    for username, c in members.items():
        for app in ("horizon", "relais"):
            conflict = username == "expert" and app == "relais"
            r = _post(c, "/calls/aap-2027/declarations", "/calls/aap-2027/committee", application=app,
                      conflict="yes" if conflict else "no", nature="ancien salarié" if conflict else "")
            assert r.status_code == 303, r.text[:2000]
    benevole = members["benevole"]
    page = html.unescape(benevole.get("/calls/aap-2027/committee").text)
    assert 'id="recused-horizon"' in page and 'id="score-horizon"' not in page and 'id="score-relais"' in page
    assert "horizon-familles" in page
    forged = _post(benevole, "/calls/aap-2027/scores", "/calls/aap-2027/committee", application="horizon",
                   score_impact="9", score_faisabilite="9")
    assert forged.status_code == 409 and "récusé" in _error(forged)
    english = _member(site, "benevole")
    english.cookies.set("temoin_lang", "en")
    forged = _post(english, "/calls/aap-2027/scores", "/calls/aap-2027/committee", application="horizon",
                   score_impact="9", score_faisabilite="9")
    assert forged.status_code == 409 and "recused" in _error(forged)
    for username, app in (("observateur", "horizon"), ("observateur", "relais"), ("benevole", "relais"),
                          ("expert", "horizon")):
        r = _post(members[username], "/calls/aap-2027/scores", "/calls/aap-2027/committee", application=app,
                  score_impact="8", score_faisabilite="6")
        assert r.status_code == 303, r.text[:2000]
    assert _post(members["expert"], "/calls/aap-2027/decision", "/calls/aap-2027", selected="horizon",
                 reasons="x").status_code == 403
    r = _post(payer, "/calls/aap-2027/decision", "/calls/aap-2027", selected="horizon", reasons="")
    assert r.status_code == 422
    r = _post(payer, "/calls/aap-2027/decision", "/calls/aap-2027", selected="horizon", reasons="Le mieux classé.",
              reasons_en="Ranked first.")
    assert r.status_code == 303 and r.headers["location"] == "/calls/aap-2027/record"
    record = html.unescape(site.client().get("/calls/aap-2027/record").text)
    for needle in ("Benevole", "ancien salarié", "Le mieux classé.", "7,20", "Déclarations d'intérêts",
                   "Et les familles rurales ?", "Réponse", "Odile Observatrice", "Impact attendu",
                   # where each interest was recorded: the member's declaration, or the committee's composition
                   "conflit d'intérêts dans la déclaration du membre pour cette candidature : ancien salarié",
                   "intérêt durable dans horizon-familles, inscrit dans la composition du comité"):
        assert needle in record, needle
    assert "Jeanne Martin" not in record
    assert not re.findall(r"demo-[a-z]+", record), "members by their names, not their person ids"
    assert "Ranked first." in html.unescape(site.client().get("/calls/aap-2027/record?lang=en").text)
    assert PAYER_PERSON  # the payer's person drafted the call
