"""The web platform through its app factory on a fresh database (SQLite and PostgreSQL): sign-in
for each role, isolation between contracts, CSRF, cookies, rate limiting, errors in the user's
language, public pages, API tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from temoin.services.accounts import MAX_FAILURES_PER_USER
from test_web_support import ROLE_USERS, Site, csrf_of, login, make_site


@pytest.fixture
def site(engine: Engine) -> Site:
    return make_site(engine)


@pytest.fixture
def sqlite_site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def test_each_role_signs_in_and_sees_only_its_contracts(site: Site) -> None:
    for role in ROLE_USERS:
        c = site.signed_in(role)
        listing = c.get("/contracts")
        assert listing.status_code == 200
        ids = set(re.findall(r'href="/contracts/([a-z0-9-]+)"', listing.text.split("<table", 1)[-1]))  # the list, not "New contract"
        if role == "admin":
            assert ids == {"aemo-renforcee", "cravate-solidaire", "relais-familial"}
        elif role == "other investor":
            assert ids == {"cravate-solidaire"}
        else:
            assert ids == {"aemo-renforcee"}, role
        api = c.get("/api/v1/contracts").json()
        assert {x["id"] for x in api} == ids
    other = site.signed_in("other investor")
    page = other.get("/contracts/aemo-renforcee")
    assert page.status_code == 403
    assert "Vous n&#39;avez aucun rôle dans le contrat « aemo-renforcee »" in page.text
    assert "Banque Solidaire" not in page.text  # nothing of the other contract leaks
    api = other.get("/api/v1/contracts/aemo-renforcee/ledger")
    assert api.status_code == 403 and api.json()["error"]["code"] == "access.contract"


def test_overview_shows_parties_terms_and_safeguards(site: Site) -> None:
    c = site.signed_in("observer")
    page = c.get("/contracts/aemo-renforcee")
    assert page.status_code == 200
    assert "Département du Nord" in page.text and "Banque Solidaire du Nord (fictive)" in page.text
    assert "Tous les garde-fous bloquants sont respectés." in page.text
    data = c.get("/api/v1/contracts/aemo-renforcee").json()
    assert data["blocking"] == 0 and data["terms"]["payments_within_realised_savings"] is True
    admin = site.signed_in("admin")
    relais = admin.get("/api/v1/contracts/relais-familial").json()
    assert relais["blocking"] > 0  # absolute target: cannot prove impact, the page says so
    assert "garde-fou(s) non respecté(s)" in admin.get("/contracts/relais-familial").text


def test_ledger_page_shows_entries_and_verification(site: Site) -> None:
    c = site.signed_in("payer")
    data = c.get("/api/v1/contracts/aemo-renforcee/ledger").json()
    assert data["whole"] is True
    events = {e["event"] for e in data["entries"]}
    assert {"contract.version_created", "role.assigned"} <= events
    assert all(e["payload"].get("contract") in (None, "aemo-renforcee") for e in data["entries"])
    page = c.get("/contracts/aemo-renforcee/ledger")
    assert "Chaîne intègre" in page.text


def test_sign_out_ends_the_session(site: Site) -> None:
    c = site.signed_in("investor")
    token = csrf_of(c, "/contracts")
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    r = c.get("/contracts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert c.get("/api/v1/me").status_code == 401


def test_wrong_password_then_rate_limited(sqlite_site: Site) -> None:
    c = sqlite_site.client()
    for _ in range(MAX_FAILURES_PER_USER):
        r = login(c, "payeur", "wrong-password-123")
        assert r.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in r.text
    good = sqlite_site.accounts["payeur"].password
    r = login(c, "payeur", good)
    assert r.status_code == 429 and "Trop d&#39;essais de connexion infructueux depuis cette adresse." in r.text
    c.cookies.set("temoin_lang", "en")
    r = login(c, "payeur", good)
    assert r.status_code == 429 and "Too many failed sign-in attempts from this address." in r.text
    # another user is not locked out by someone else's failures
    assert login(c, "operateur", sqlite_site.accounts["operateur"].password).status_code == 303


def test_csrf_missing_or_forged_is_refused(sqlite_site: Site) -> None:
    c = sqlite_site.client()
    pw = sqlite_site.accounts["payeur"].password
    r = c.post("/login", data={"username": "payeur", "password": pw})
    assert r.status_code == 403 and "Jeton de sécurité (CSRF) absent ou invalide" in r.text
    r = c.post("/login", data={"username": "payeur", "password": pw, "csrf_token": "0" * 64})
    assert r.status_code == 403
    # a token from another browser does not work either
    other = sqlite_site.client()
    r = c.post("/login", data={"username": "payeur", "password": pw, "csrf_token": csrf_of(other)})
    assert r.status_code == 403
    signed = sqlite_site.signed_in("payer")
    r = signed.post("/api/v1/tokens", json={"name": "script"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf.invalid"
    r = signed.post("/api/v1/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf_of(signed, "/account")})
    assert r.status_code == 201
    token = r.json()["token"]
    program = sqlite_site.client()
    me = program.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["roles"] == {"aemo-renforcee": ["outcome_payer"]}
    # an API token needs no CSRF token, but cannot mint tokens; a wrong one signs nobody in
    minted = program.post("/api/v1/tokens", json={"name": "b"}, headers={"Authorization": f"Bearer {token}"})
    assert minted.status_code == 403 and minted.json()["error"]["code"] == "access.session"
    assert program.get("/api/v1/me", headers={"Authorization": "Bearer tmn_wrong"}).status_code == 401


def test_passwords_are_argon2id_hashes(sqlite_site: Site) -> None:
    from sqlalchemy import text

    with sqlite_site.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM web_accounts"))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(a.password in h for a in sqlite_site.accounts.values() for h in hashes)


def test_session_cookie_flags(sqlite_site: Site) -> None:
    pw = sqlite_site.accounts["observateur"].password
    plain = login(sqlite_site.client(), "observateur", pw)
    cookie = plain.headers["set-cookie"]
    assert "temoin_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    tls = login(sqlite_site.client(base_url="https://testserver"), "observateur", pw)
    assert "Secure" in tls.headers["set-cookie"]


def test_errors_in_the_users_language(sqlite_site: Site) -> None:
    c = sqlite_site.client()
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["error"]["message"] == "Connectez-vous pour voir cette page."
    r = c.get("/api/v1/me?lang=en")
    assert r.json()["error"]["message"] == "Sign in to see this page."
    c = sqlite_site.client()  # the ?lang=en above is remembered: start afresh
    r = c.get("/no/such/page")
    assert r.status_code == 404 and "Page introuvable." in r.text and 'lang="fr"' in r.text
    assert c.get("/api/v1/nothing-here").json()["error"]["code"] == "http.not_found"
    c.cookies.set("temoin_lang", "en")
    r = c.get("/no/such/page")
    assert "Page not found." in r.text and 'lang="en"' in r.text


def test_language_switch_keeps_to_the_chosen_language(sqlite_site: Site) -> None:
    c = sqlite_site.signed_in("operator")
    fr = c.get("/contracts/aemo-renforcee")
    assert "Garde-fous" in fr.text and 'lang="fr"' in fr.text
    en = c.get("/contracts/aemo-renforcee?lang=en")
    assert "Safeguard findings" in en.text and "Garde-fous" not in en.text
    again = c.get("/contracts/aemo-renforcee/ledger")  # the choice is remembered (cookie)
    assert 'lang="en"' in again.text and "Audit ledger" in again.text


def test_public_pages_need_no_account(sqlite_site: Site) -> None:
    c = sqlite_site.client()
    page = c.get("/public")
    assert page.status_code == 200
    assert {"aemo-renforcee", "cravate-solidaire", "relais-familial"} <= set(
        re.findall(r'href="/public/contracts/([a-z0-9-]+)"', page.text))
    obs = c.get("/public/contracts/aemo-renforcee")
    assert obs.status_code == 200 and "Observatoire" in obs.text
    assert c.get("/public/contracts/unknown").status_code == 404
    reg = c.get("/api/v1/public/registry").json()
    assert {e["id"] for e in reg if e["source"] == "temoin"} == {"aemo-renforcee", "cravate-solidaire", "relais-familial"}


def test_admin_creates_an_account_others_cannot(sqlite_site: Site) -> None:
    admin = sqlite_site.signed_in("admin")
    token = csrf_of(admin, "/admin/accounts")
    r = admin.post("/admin/accounts", data={"csrf_token": token, "username": "nouvelle", "password": "court",
                                            "display_name": "N"})
    assert r.status_code == 422 and "Mot de passe trop court" in r.text
    r = admin.post("/admin/accounts", data={"csrf_token": token, "username": "nouvelle",
                                            "password": "un-mot-de-passe-long", "display_name": "N"})
    assert r.status_code == 200 and "Compte créé" in r.text
    assert login(sqlite_site.client(), "nouvelle", "un-mot-de-passe-long").status_code == 303
    payer = sqlite_site.signed_in("payer")
    r = payer.post("/admin/accounts", data={"csrf_token": csrf_of(payer, "/account"), "username": "x2",
                                            "password": "un-mot-de-passe-long"})
    assert r.status_code == 403


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_is_translated(lang: str) -> None:
    from _web_words import used_messages
    from temoin.i18n import catalogue

    missing = sorted(m for m in used_messages() if not catalogue(lang).get(m))
    assert not missing, f"messages without a {lang} translation: {missing}"


def test_security_headers_and_cookies_on_every_kind_of_answer(sqlite_site: Site) -> None:
    c = sqlite_site.client()
    first = c.get("/login")
    anon = [h for h in first.headers.get_list("set-cookie") if h.startswith("temoin_anon=")]
    assert len(anon) == 1 and "HttpOnly" in anon[0] and "SameSite=lax" in anon[0]
    for path in ("/login", "/public", "/api/v1/public/registry", "/static/style.css", "/no-such-page"):
        r = c.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin", path
        assert r.headers["content-language"] == "fr", path
    assert not c.get("/public").headers.get_list("set-cookie")  # the anonymous cookie is set once
    en = c.get("/public", params={"lang": "en"})
    assert en.headers["content-language"] == "en"
    assert any(h.startswith("temoin_lang=en") for h in en.headers.get_list("set-cookie"))
