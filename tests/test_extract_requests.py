"""Research-extract requests (issue 16, item 4): a researcher asks (purpose, fields), the payer agrees
or refuses with a reason, the extract is made k-anonymous by the existing extract code, logged in
the ledger, and downloadable by its requester only. The service on SQLite and PostgreSQL; the pages
through the application (roles, CSRF, refusals on the page in both languages)."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine, text

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.opendata.kanonymity import check_k_anonymity
from temoin.opendata.research import DIRECT_IDENTIFIERS
from temoin.services import evaluations
from temoin.services.accounts import create_account
from temoin.services.extracts import decide_extract, extract_file, list_requests, request_extract
from temoin.settings import Settings
from test_web_support import Site, csrf_of, login, make_site

C = "aemo-renforcee"
SETTINGS = Settings()
FIELDS = ["arm", "age_band", "sex", "risk_level", "placement_days__m12"]
PASSWORD = "quatre mots bien choisis ici"


def _cohort(engine: Engine, tmp: Any) -> None:
    people = tmp / "participants.csv"
    evaluations.generate_synthetic(None, C, people, settings=SETTINGS)
    evaluations.import_participants(engine, C, people, settings=SETTINGS, actor="test")
    evaluations.randomise_cohort(engine, C, actor="test")
    evaluations.lock_plan(engine, C, actor="test")
    wave = tmp / "m12.csv"
    evaluations.generate_synthetic(engine, C, wave, wave="m12", settings=SETTINGS)
    evaluations.import_outcomes(engine, C, "m12", wave, settings=SETTINGS, actor="test")


def _events(engine: Engine, event: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [json.loads(p) for p in conn.execute(text("SELECT payload FROM audit_ledger WHERE event = :e ORDER BY seq"),
                                                    {"e": event}).scalars()]


@pytest.fixture
def researcher_site(engine: Engine) -> tuple[Site, int, int]:
    site = make_site(engine)
    one = create_account(engine, "chercheuse", PASSWORD, actor="test", display_name="Chercheuse")
    two = create_account(engine, "chercheur", PASSWORD, actor="test", display_name="Chercheur")
    return site, one.id, two.id


def test_a_request_agreed_makes_a_k_anonymous_extract_for_its_requester_only(
        researcher_site: tuple[Site, int, int], tmp_path: Any) -> None:
    site, me, other = researcher_site
    _cohort(site.engine, tmp_path)
    with pytest.raises(InvalidInputError) as e:
        request_extract(site.engine, C, account_id=me, requester="chercheuse", purpose=" ", fields=FIELDS, actor="t")
    assert e.value.code == "extract.purpose"
    with pytest.raises(InvalidInputError) as e:
        request_extract(site.engine, C, account_id=me, requester="chercheuse", purpose="Étude", fields=["nom"], actor="t")
    assert e.value.code == "extract.fields_unknown"
    asked = request_extract(site.engine, C, account_id=me, requester="chercheuse",
                            purpose="Effet de l'AEMO renforcée selon l'âge", fields=FIELDS, actor="web:chercheuse")
    assert asked.state == "pending" and asked.fields == tuple(FIELDS)
    with pytest.raises(ConflictError):  # nothing to download before the decision
        extract_file(site.engine, asked.id, "data", account_id=me)
    with pytest.raises(NotFoundError):  # another contract's payer cannot decide it
        decide_extract(site.engine, asked.id, contract_id="cravate-solidaire", agree=True, reason="", actor="t",
                       settings=SETTINGS)
    made = decide_extract(site.engine, asked.id, contract_id=C, agree=True, reason="", actor="web:payeur", settings=SETTINGS)
    assert made.state == "made" and made.k == SETTINGS.k_anonymity
    name, data = extract_file(site.engine, asked.id, "data", account_id=me)
    assert name == f"extrait-{C}-{asked.id}.csv"
    rows = list(csv.DictReader(io.StringIO(data)))
    columns = set(rows[0])
    assert columns <= {"research_id", "arm", "age_band", "sex", "risk_level", "placement_days__m12", "consent"}
    assert not columns & (DIRECT_IDENTIFIERS | {"pkey"}) and {"arm", "age_band", "placement_days__m12"} <= columns
    quasi = [c for c in ("age_band", "sex") if c in columns]
    assert quasi
    import pandas as pd

    frame = pd.DataFrame(rows)
    assert check_k_anonymity(frame, quasi, SETTINGS.k_anonymity).satisfied  # checked by the k-anonymity module
    with pytest.raises(NotFoundError):  # someone else: as if it did not exist
        extract_file(site.engine, asked.id, "data", account_id=other)
    (logged,) = _events(site.engine, "opendata.research_extract")
    assert logged["request"] == asked.id and logged["sha256"] == hashlib.sha256(data.encode()).hexdigest() == made.sha256
    assert len(_events(site.engine, "extract.requested")) == 1 and len(_events(site.engine, "extract.agreed")) == 1
    with pytest.raises(ConflictError):
        decide_extract(site.engine, asked.id, contract_id=C, agree=False, reason="non", actor="t", settings=SETTINGS)


def test_a_refusal_needs_its_reason_and_makes_nothing(researcher_site: tuple[Site, int, int]) -> None:
    site, me, _ = researcher_site
    asked = request_extract(site.engine, C, account_id=me, requester="chercheuse", purpose="Étude", fields=["arm"],
                            actor="t")
    with pytest.raises(InvalidInputError) as e:
        decide_extract(site.engine, asked.id, contract_id=C, agree=False, reason="  ", actor="t", settings=SETTINGS)
    assert e.value.code == "extract.refusal_reason"
    refused = decide_extract(site.engine, asked.id, contract_id=C, agree=False, reason="Objet trop vague",
                             actor="web:payeur", settings=SETTINGS)
    assert refused.state == "refused" and refused.decision_reason == "Objet trop vague"
    assert _events(site.engine, "extract.refused") == [{"request": asked.id, "reason": "Objet trop vague"}]
    assert _events(site.engine, "opendata.research_extract") == []
    assert [r.id for r in list_requests(site.engine, account_id=me)] == [asked.id]


# --- pages ----------------------------------------------------------------------------------------------


def _researcher(site: Site, lang: str | None = None) -> Any:
    c = site.client()
    if lang:
        c.cookies.set("temoin_lang", lang)
    assert login(c, "chercheuse", PASSWORD).status_code == 303
    return c


def _alert(r: Any, where: str) -> str:
    m = re.search(rf'role="alert" id="{where}"><strong>([^<]+)</strong>', r.text)
    assert m, r.text[:3000]
    return html.unescape(m.group(1))


@pytest.fixture
def web_site(sqlite_engine: Engine) -> Site:
    site = make_site(sqlite_engine)
    create_account(sqlite_engine, "chercheuse", PASSWORD, actor="test", display_name="Chercheuse")
    create_account(sqlite_engine, "chercheur", PASSWORD, actor="test", display_name="Chercheur")
    return site


def test_ask_decide_and_download_in_the_browser(web_site: Site, tmp_path: Any) -> None:
    site = web_site
    _cohort(site.engine, tmp_path)
    me = _researcher(site)
    page = me.get(f"/research/extracts?contract={C}")
    assert page.status_code == 200 and 'id="extract-form"' in page.text and 'value="placement_days__m12"' in page.text
    token = csrf_of(me, f"/research/extracts?contract={C}")
    r = me.post("/research/extracts", data={"csrf_token": token, "contract": C, "purpose": "Étude par âge"})
    assert r.status_code == 422 and _alert(r, "extract-error") == "Aucun champ choisi."
    assert "Étude par âge" in html.unescape(r.text)  # what was typed is kept
    english = _researcher(site, lang="en")
    r = english.post("/research/extracts", data={"csrf_token": csrf_of(english, "/research/extracts"), "contract": C,
                                                 "purpose": " ", "fields": "arm"})
    assert r.status_code == 422 and _alert(r, "extract-error") == "Say what the extract is for."
    assert me.post("/research/extracts", data={"contract": C, "purpose": "x", "fields": "arm"}).status_code == 403
    r = me.post("/research/extracts", data={"csrf_token": token, "contract": C, "purpose": "Étude par âge",
                                            "fields": FIELDS}, follow_redirects=False)
    assert r.status_code == 303
    (asked,) = list_requests(site.engine, contract_id=C)
    assert "en attente de la décision du payeur" in html.unescape(me.get("/research/extracts").text)

    for role in ("admin", "operator", "investor", "evaluator", "observer"):
        c = site.signed_in(role)
        assert c.get(f"/contracts/{C}/extracts").status_code == 403, role
        assert c.post(f"/contracts/{C}/extracts/{asked.id}/decide", data={
            "csrf_token": csrf_of(c, "/account"), "decision": "agree"}).status_code == 403, role
    payer = site.signed_in("payer")
    page = payer.get(f"/contracts/{C}/extracts")
    assert page.status_code == 200 and "Étude par âge" in html.unescape(page.text) and f'href="/contracts/{C}/extracts"' in page.text
    ptoken = csrf_of(payer, f"/contracts/{C}/extracts")
    r = payer.post(f"/contracts/{C}/extracts/{asked.id}/decide", data={"csrf_token": ptoken, "decision": "refuse"})
    assert r.status_code == 422 and _alert(r, "decision-error") == "Un refus doit donner sa raison."
    r = payer.post(f"/contracts/{C}/extracts/{asked.id}/decide", data={"csrf_token": ptoken, "decision": "agree"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert "extrait produit (k = 5)" in html.unescape(payer.get(f"/contracts/{C}/extracts").text)

    mine = me.get("/research/extracts")
    assert f'href="/research/extracts/{asked.id}/data"' in mine.text
    data = me.get(f"/research/extracts/{asked.id}/data")
    assert data.status_code == 200 and data.text.startswith("research_id,")
    assert "attachment" in data.headers["content-disposition"]
    assert me.get(f"/research/extracts/{asked.id}/readme").status_code == 200
    other = site.client()
    assert login(other, "chercheur", PASSWORD).status_code == 303
    assert other.get(f"/research/extracts/{asked.id}/data").status_code == 404  # the requester only
    assert payer.get(f"/research/extracts/{asked.id}/data").status_code == 404  # the payer too
    assert site.client().get(f"/research/extracts/{asked.id}/data", follow_redirects=False).status_code == 303
    public = site.client().get(f"/public/contracts/{C}").text
    assert f'href="/research/extracts?contract={C}"' in public
