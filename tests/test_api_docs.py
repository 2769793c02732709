"""The API's documentation is a page of the site in the reader's language (issue 15): every operation
of the OpenAPI schema with its method, path, summary, description, parameters, what it needs and its
answers, its words from the catalogue; the schema stays at /api/v1/openapi.json for programs; no
Swagger UI is linked or served. What each operation is said to need is what the application enforces."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine

from temoin.i18n import catalogue
from temoin.services.accounts import create_api_token
from temoin.web.access import SCOPE, Permission
from temoin.web.routes.api_docs import PUBLIC, route_name
from test_web_support import Site, make_site
from test_web_words import problems, read

C = "aemo-renforcee"


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _operations(site: Site) -> list[tuple[str, str, dict[str, Any]]]:
    schema = site.client().get("/api/v1/openapi.json").json()
    return [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]


def test_every_operation_has_its_words_and_what_it_needs_in_both_catalogues(site: Site) -> None:
    ops = _operations(site)
    assert len(ops) >= 20
    kinds = {p.value for p in Permission} | {"account", "session"}
    for lang in ("fr", "en"):
        words = catalogue(lang)
        for method, path, op in ops:
            name = route_name(op, method, path)
            assert words.get(f"label:api:{name}"), (lang, method, path)
            description = " ".join(op["description"].split())
            assert words.get(description), (lang, description)
            assert path.startswith(PUBLIC) or op.get(SCOPE) in kinds, (method, path, op.get(SCOPE))
            for p in op.get("parameters", []):
                assert words.get(f"label:api_parameter:{p['name']}"), (lang, p["name"])
            for code in op["responses"]:
                assert words.get(f"label:api_status:{code}"), (lang, code)
        assert words["label:api:me"] != words.get("label:api:contracts")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_lists_every_operation_in_the_readers_language(site: Site, lang: str) -> None:
    client = site.client()
    client.cookies.set("temoin_lang", lang)
    r = client.get("/api/docs")
    assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
    assert "swagger" not in r.text.lower() and "<script" not in r.text.split("</header>", 1)[-1].split("<footer", 1)[0]
    text = read(r.text, lang)
    assert problems(text, lang) == [], problems(text, lang)
    shown = set(re.findall(r"<code>(GET|POST|DELETE|PUT|PATCH) ([^<]+)</code>", r.text))
    assert shown == {(m.upper(), p) for m, p, _ in _operations(site)}
    words = catalogue(lang)
    page = re.sub(r"\s+", " ", r.text.replace("&#39;", "'"))
    for needle in (words["label:api:api_participants"], words["label:permission:data.participants"],
                   words["label:api_scope:session"], words["label:api_scope:public"], words["label:api_status:413"],
                   words["label:api_parameter:contract_id"],
                   words["Lifetime in days (default: the platform's setting)."]):
        assert needle in page, (lang, needle)
    if lang == "fr":
        assert "Importe les personnes orientées (CSV ou XLSX)" in page and "Il faut :" in page


def test_the_pages_people_open_link_the_page_and_nothing_links_swagger(site: Site) -> None:
    assert 'href="/api/docs"' in site.client().get("/public/open-data").text
    assert 'href="/api/docs"' in site.signed_in("payer").get("/account").text
    assert site.client().get("/static/api-docs.js").status_code == 404
    for path in ("/", "/public", "/public/open-data", "/api/docs"):
        assert "swagger" not in site.client().get(path).text.lower(), path
    assert site.client().get("/api/v1/openapi.json").json()["paths"]


def test_what_the_page_says_an_operation_needs_is_what_the_application_enforces(site: Site) -> None:
    """A token without the upload scope is refused an upload the page says needs it; a token is refused
    what needs a browser session; reading a contract needs only the token; public data needs nothing."""
    needs = {(m, p): op.get(SCOPE) for m, p, op in _operations(site)}
    from temoin.services.accounts import list_accounts

    operator = next(a for a in list_accounts(site.engine) if a.username == "operateur")
    bare = create_api_token(site.engine, operator.id, "bare", actor="test", scopes=[])
    allowed = create_api_token(site.engine, operator.id, "upload", actor="test", scopes=["data.participants"])
    program = site.client()
    upload = f"/api/v1/contracts/{C}/participants"
    assert needs[("post", "/api/v1/contracts/{contract_id}/participants")] == "data.participants"
    files = {"file": ("p.csv", b"participant_id\n", "text/csv")}
    assert program.post(upload, files=files, headers={"Authorization": f"Bearer {bare}"}).status_code == 403
    assert program.post(upload, files=files, headers={"Authorization": f"Bearer {allowed}"}).status_code == 422
    assert needs[("get", "/api/v1/tokens")] == "session"
    assert program.get("/api/v1/tokens", headers={"Authorization": f"Bearer {bare}"}).status_code == 403
    assert needs[("get", "/api/v1/contracts/{contract_id}")] == "contract.read"
    assert program.get(f"/api/v1/contracts/{C}", headers={"Authorization": f"Bearer {bare}"}).status_code == 200
    assert needs[("get", "/api/v1/me")] == "account"
    assert program.get("/api/v1/me").status_code == 401
    assert site.client().get("/api/v1/public/registry").status_code == 200
