"""Contracts written, compared and signed in the browser (through the application, CSRF included):
a YAML uploaded with its every problem listed, the live report (htmx), a new contract whose creator
becomes its payer, versions made by the text and by the guided form, their comparison in words,
the payer's signature that locks the contract, the exports, and every refusal answered on the
page where the action was, in the reader's language."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from temoin.contract import parse_contract
from temoin.examples import example_path
from temoin.opendata.indigo_export import export_project
from test_web_support import Site, csrf_of, make_site

AEMO = example_path("aemo-renforcee").read_text(encoding="utf-8")
NEW = AEMO.replace("id: aemo-renforcee", "id: aemo-bis", 1)
THREE_MISTAKES = (NEW.replace("policy_sector: child_protection", "policy_sector: kids")
                  .replace("currency: EUR", "currency: euros")
                  .replace("design: stratified_rct", "design: coin_toss"))
PROBLEM = re.compile(r"<li>(.*?)</li>", re.S)


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _text(r: Any) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", r.text))


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _problems(r: Any) -> list[str]:
    block = re.search(r'id="contract-problems">(.*?)</div>', r.text, re.S)
    assert block, r.text[:3000]
    return [html.unescape(re.sub(r"<[^>]+>", "", p)).strip() for p in PROBLEM.findall(block.group(1))]


def _upload(c: TestClient, document: str, action: str = "check", path: str = "/contracts/new") -> Any:
    return c.post(path, data={"csrf_token": csrf_of(c, "/contracts"), "action": action},
                  files={"file": ("contrat.yaml", document.encode("utf-8"), "application/yaml")}, follow_redirects=False)


def _create(c: TestClient, document: str = NEW) -> Any:
    return c.post("/contracts/new", data={"csrf_token": csrf_of(c, "/contracts"), "document": document,
                                          "action": "save"}, follow_redirects=False)


class _Fields:
    """A page's guided form as a browser would send it (fields, ticked boxes, chosen options)."""

    def __init__(self, page: str) -> None:
        form = page[page.index('id="guided-form"'):page.index("</form>", page.index('id="guided-form"'))]
        self.data: dict[str, list[str]] = {}
        for tag in re.findall(r"<input[^>]*>", form):
            name = re.search(r'name="([^"]+)"', tag)
            if not name or ('type="checkbox"' in tag and " checked" not in tag):
                continue
            value = re.search(r'value="([^"]*)"', tag)
            self.add(name.group(1), html.unescape(value.group(1)) if value else "on")
        for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
            chosen = re.search(r'<option value="([^"]*)" selected', body)
            self.add(name, html.unescape(chosen.group(1)) if chosen else "")
        for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
            self.add(name, html.unescape(body))

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def set(self, name: str, value: str) -> _Fields:
        assert name in self.data, sorted(self.data)[:40]
        self.data[name] = [value]
        return self


def test_a_yaml_with_three_mistakes_lists_all_three_in_the_readers_language(site: Site) -> None:
    c = site.signed_in("payer")
    r = _upload(c, THREE_MISTAKES)
    assert r.status_code == 422
    found = _problems(r)
    assert len(found) == 3, found
    assert found[0].startswith("Secteur policy_sector ligne 17 :") and "« kids » n'est pas permis ici" in found[0]
    assert "currency" in found[1] and "evaluation.design" in found[2] and "coin_toss" in found[2]
    assert "policy_sector: kids" in html.unescape(r.text)  # the file's text is now in the text area, to fix
    english = _upload(site.signed_in("payer", lang="en"), THREE_MISTAKES)
    assert english.status_code == 422 and "'kids' is not allowed here" in _problems(english)[0]
    assert "not a valid contract yet (3 problems)" in _text(english)
    assert _count(site.engine, "SELECT COUNT(*) FROM contracts") == 3


def test_the_report_follows_the_text_as_one_types(site: Site) -> None:
    c = site.signed_in("payer")
    token = csrf_of(c, "/contracts/new")
    wrong = c.post("/contracts/new/check", data={"document": THREE_MISTAKES}, headers={"X-CSRF-Token": token})
    assert wrong.status_code == 422 and "<html" not in wrong.text and len(_problems(wrong)) == 3
    right = c.post("/contracts/new/check", data={"document": NEW}, headers={"X-CSRF-Token": token})
    assert right.status_code == 200 and 'id="safeguards"' in right.text
    assert "Tous les garde-fous bloquants sont respectés." in _text(right)
    unsafe = c.post("/contracts/new/check", headers={"X-CSRF-Token": token}, data={
        "document": NEW.replace("payments_within_realised_savings: true", "payments_within_realised_savings: false")})
    assert "1 garde-fou(s) non respecté(s)." in _text(unsafe)
    assert "Plafond aux économies réalisées" in _text(unsafe)
    assert c.post("/contracts/new/check", data={"document": NEW}).status_code == 403  # no CSRF token


def test_the_creator_becomes_the_payer_and_finds_the_contract_among_theirs(site: Site) -> None:
    c = site.signed_in("operator")  # the demo operator acts for no payer: they create their own contract
    r = _create(c)
    assert r.status_code == 303 and r.headers["location"] == "/contracts/aemo-bis/versions?saved=1"
    page = c.get(r.headers["location"])
    assert page.status_code == 200 and "Version 1 enregistrée." in _text(page)
    assert 'href="/contracts/aemo-bis"' in c.get("/contracts").text
    assert c.get("/contracts/aemo-bis/people").status_code == 200  # the payer's page
    assert "payeur aux résultats" in _text(c.get("/contracts"))
    with site.engine.connect() as conn:
        events = [e for (e,) in conn.execute(text(
            "SELECT event FROM audit_ledger WHERE contract_id = 'aemo-bis' ORDER BY seq"))]
    assert events == ["contract.version_created", "role.assigned"]
    assert site.signed_in("investor").get("/contracts/aemo-bis").status_code == 403  # no role in it


def test_refusals_of_a_new_contract_answer_on_the_page(site: Site) -> None:
    c = site.signed_in("payer")
    r = _create(c, AEMO)
    assert r.status_code == 409 and "Un contrat d'identifiant « aemo-renforcee » existe déjà." in _text(r)
    assert 'id="edit-error"' in r.text and "id: aemo-renforcee" in html.unescape(r.text)  # the text is kept
    english = _create(site.signed_in("payer", lang="en"), AEMO)
    assert "A contract with the identifier 'aemo-renforcee' already exists." in _text(english)
    admin = site.signed_in("admin")
    page = admin.get("/contracts/new")
    assert page.status_code == 403 and "Un compte d'administration ne peut pas créer de contrat" in _text(page)
    assert 'id="new-contract"' not in admin.get("/contracts").text
    assert 'id="new-contract"' in c.get("/contracts").text
    assert c.post("/contracts/new", data={"document": NEW, "action": "save"}).status_code == 403  # no CSRF token
    assert _count(site.engine, "SELECT COUNT(*) FROM contracts") == 3


def test_a_second_version_by_the_guided_form_then_the_comparison_in_words(site: Site) -> None:
    c = site.signed_in("payer")
    assert _create(c).status_code == 303
    form = _Fields(c.get("/contracts/aemo-bis/form").text)
    assert form.data["f:population.expected_size"] == ["800"] and form.data["f:parties.0.roles"] == ["outcome_payer"]
    form.set("f:population.expected_size", "640").set("f:caps.investor_return.value", "0.04")
    saved = c.post("/contracts/aemo-bis/form", data=form.data | {"action": ["save"]}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/contracts/aemo-bis/versions?saved=2"
    page = c.get("/contracts/aemo-bis/versions?a=1&b=2")
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>",
                      re.search(r'<table id="changes">.*?</table>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert [tuple(html.unescape(x) for x in row) for row in rows] == [
        ("Population › Effectif prévu", "modifié", "800", "640"),
        ("Plafonds › Plafond du rendement des investisseurs › Valeur", "modifié", "0,05", "0,04")]
    english = site.signed_in("payer", lang="en").get("/contracts/aemo-bis/versions?a=1&b=2")
    assert "Population › Expected size" in _text(english) and "Caps › Cap on investors' return › Value" in _text(english)
    # the same model: the form's version parses back to the first one with those two changes only
    versions = [parse_contract(c.get(f"/contracts/aemo-bis/export.yaml?version={v}").text) for v in (1, 2)]
    assert versions[1].population.expected_size == 640 and versions[0].population.expected_size == 800
    assert versions[1].model_copy(update={"population": versions[0].population, "caps": versions[0].caps}) == versions[0]


def test_the_guided_form_adds_and_removes_items_and_keeps_what_was_typed(site: Site) -> None:
    c = site.signed_in("payer")
    blank = _Fields(c.get("/contracts/new/form").text)
    blank.set("f:title.fr", "Mon contrat")
    added = c.post("/contracts/new/form", data=blank.data | {"action": ["add:parties"]})
    assert added.status_code == 200 and 'name="f:parties.4.name"' in added.text
    assert 'value="Mon contrat"' in added.text
    removed = c.post("/contracts/new/form", data=_Fields(added.text).data | {"action": ["remove:parties.1"]})
    assert 'name="f:parties.4.name"' not in removed.text and 'name="f:parties.3.name"' in removed.text
    checked = c.post("/contracts/new/form", data=_Fields(removed.text).data | {"action": ["check"]})
    listed = _problems(checked)
    assert checked.status_code == 422 and any(p.startswith("Titre › Anglais title.en") for p in listed), listed
    assert not any("title.fr" in p for p in listed)
    assert not any("temoin" in p for p in listed)  # no page sends anyone to the command line


def test_signing_locks_the_contract_and_a_change_is_refused_with_the_reason(site: Site) -> None:
    c = site.signed_in("payer")
    assert _create(c).status_code == 303
    token = csrf_of(c, "/contracts/aemo-bis/versions")
    assert site.signed_in("operator").post("/contracts/aemo-bis/sign", data={"csrf_token": token, "version": "1"}
                                           ).status_code == 403
    assert c.post("/contracts/aemo-bis/sign", data={"version": "1"}).status_code == 403  # no CSRF token
    r = c.post("/contracts/aemo-bis/sign", data={"csrf_token": token, "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    page = c.get("/contracts/aemo-bis/versions")
    assert "La version 1 a été signée le" in _text(page) and 'id="sign-form"' not in page.text
    edit = c.get("/contracts/aemo-bis/edit")
    assert 'id="signed-lock"' in edit.text and "readonly" in edit.text and 'id="save-refused"' in edit.text
    assert 'value="save"' not in edit.text and 'id="edit-refused"' in c.get("/contracts/aemo-bis/versions").text
    changed = NEW.replace("expected_size: 800", "expected_size: 640")
    refused = c.post("/contracts/aemo-bis/edit", data={"csrf_token": token, "document": changed, "action": "save"})
    assert refused.status_code == 409
    assert "La version 1 de ce contrat a été signée le" in _text(refused) and "un avenant" in _text(refused)
    reader = site.signed_in("payer", lang="en")
    form = _Fields(reader.get("/contracts/aemo-bis/form").text).set("f:population.expected_size", "640")
    english = reader.post("/contracts/aemo-bis/form", data=form.data | {"action": ["save"]})
    assert english.status_code == 409 and "Version 1 of this contract was signed on" in _text(english)
    assert "amendment" in _text(english)
    assert _count(site.engine, "SELECT COUNT(*) FROM contract_versions WHERE contract_id = 'aemo-bis'") == 1
    with site.engine.connect() as conn:
        assert conn.execute(text("SELECT event FROM audit_ledger ORDER BY seq DESC LIMIT 1")).scalar_one() == "contract.signed"


def test_a_version_failing_a_blocking_safeguard_is_not_signed_and_the_page_says_why(site: Site) -> None:
    c = site.signed_in("payer")
    unsafe = NEW.replace("payments_within_realised_savings: true", "payments_within_realised_savings: false")
    assert _create(c, unsafe).status_code == 303
    token = csrf_of(c, "/contracts/aemo-bis/versions")
    r = c.post("/contracts/aemo-bis/sign", data={"csrf_token": token, "version": "1"})
    assert r.status_code == 409 and 'id="versions-error"' in r.text
    assert "Garde-fous non respectés, qui empêchent de signer : Plafond aux économies réalisées." \
        in _text(r)
    reader = site.signed_in("payer", lang="en")
    en = reader.post("/contracts/aemo-bis/sign", data={"csrf_token": csrf_of(reader, "/contracts/aemo-bis/versions"),
                                                       "version": "1"})
    assert en.status_code == 409 and "Safeguards not met, which block signing: Cap at realised savings." \
        in _text(en)
    assert _count(site.engine, "SELECT COUNT(*) FROM contract_signatures") == 0


def test_exports_of_any_version_are_the_stored_text_and_its_indigo_project(site: Site) -> None:
    c = site.signed_in("observer")
    y = c.get("/contracts/aemo-renforcee/export.yaml?version=1")
    assert y.status_code == 200 and y.headers["content-disposition"] == 'attachment; filename="aemo-renforcee-v1.yaml"'
    contract = parse_contract(y.text)
    assert contract == parse_contract(AEMO)
    j = c.get("/contracts/aemo-renforcee/export-indigo.json?version=1")
    assert j.status_code == 200 and json.loads(j.text) == json.loads(json.dumps(export_project(contract), default=str))
    assert c.get("/contracts/aemo-renforcee/export.yaml?version=9").status_code == 422
    assert site.signed_in("other investor").get("/contracts/aemo-renforcee/export.yaml").status_code == 403
    assert yaml.safe_load(y.text)["id"] == "aemo-renforcee"


def test_a_contract_starts_from_an_application_a_decided_call_selected(site: Site) -> None:
    """The demo's call for projects (decided, Horizon Familles selected): the new contract's form
    starts with the programme's title, the operator that applied, the payer of the call's contract
    and the call's committee as its selection committee."""
    import io

    from rich.console import Console

    from temoin.demo import governance
    from temoin.i18n import Translator

    governance.show(site.engine, Console(file=io.StringIO()), Translator("fr"))
    c = site.signed_in("operator")
    page = c.get("/contracts/new")
    link = re.search(r'<p id="applications">.*?href="([^"]+)"', page.text, re.S)
    assert link and "Horizon Familles" in page.text
    form = c.get(html.unescape(link.group(1)).replace("/contracts/new?", "/contracts/new/form?"))
    values = dict(re.findall(r'name="f:([^"]+)" value="([^"]*)"', form.text))
    assert values["title.fr"] == "AEMO renforcée, Horizon Familles"
    assert (values["parties.0.id"], values["parties.1.id"]) == ("dept-nord", "horizon-familles")
    assert html.unescape(values["parties.1.name"]) == "Association Horizon Familles (fictive)"
    assert values["governance.committees.0.members.0.person"] == "Claire Martin"
    text_page = c.get(html.unescape(link.group(1)))
    assert "horizon-familles" in text_page.text and "AEMO renforcée, Horizon Familles" in html.unescape(text_page.text)
    refused = c.get("/contracts/new?call=appel-aemo-nord-2024&application=nope")
    assert refused.status_code == 404 and "Aucune candidature « nope » n'a été retenue" in _text(refused)
