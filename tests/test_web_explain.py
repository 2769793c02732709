"""Pages that explain, on the site as ``make demo`` seeds it: the payment decision in words with the
settlement's own numbers on the evaluation, overview and settlement pages and in both reports; each
person's to-do list on the home page, with what they may not do yet shown disabled and why; the
error page of an approval before certification, in the reader's words. French and English."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from rich.console import Console
from sqlalchemy import Engine

from temoin.i18n import Translator
from temoin.services import settlements
from temoin.services.contracts import get_contract
from temoin.settings import Settings
from test_web_support import CSRF, Site, make_site

C = "aemo-renforcee"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo's records (contracts, cohort, evaluation, an approved settlement, a call), then the
    settlement corrected: #2 replaces #1 and awaits every sign-off."""
    from temoin.demo import contracts, evaluation, governance, settlement
    from temoin.store import make_engine, migrate

    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('explain') / 'e.db'}")
    migrate(engine)
    quiet, reader = Console(file=io.StringIO()), Translator("fr")
    contracts.show(engine, quiet, reader)
    evaluation.show(engine, quiet, Settings(), reader)
    settlement.show(engine, quiet, reader)
    governance.show(engine, quiet, reader)
    first = max(r.id for r in settlements.list_settlements(engine, C))
    settlements.supersede(engine, first, reason="correction for the test", actor="test")
    yield make_site(engine)
    engine.dispose()


def _current(site: Site) -> settlements.SettlementRecord:
    return next(r for r in settlements.list_settlements(site.engine, C) if r.superseded_by is None)


def _text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").replace("&amp;", "&")


def _todo(html: str) -> str:
    m = re.search(r'<section id="todo".*?</section>', html, re.S)
    assert m, "no to-do list on the home page"
    return m.group(0)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_payment_decision_reads_with_the_settlements_numbers_on_every_page_and_report(seeded: Site, lang: str) -> None:
    words = Translator(lang)
    outputs = _current(seeded).outputs
    indicator = get_contract(seeded.engine, C).contract.indicator("placement_days")
    assert indicator is not None
    days = words.label("unit", indicator.unit)
    expected = []
    for p in outputs["periods"]:
        e = p["entitlements"][0]
        assert e["status"] == "below_threshold"  # the demo: why it pays nothing
        value = words("{value} {unit}", value=words.number(e["verified_impact"], 1), unit=days)
        expected.append(words("{Bound} ({value}) is below the threshold of {threshold}: nothing is due for {indicator} in "
                              "{period}.", Bound=words("the one-sided lower bound at {level}", level=words.share(0.95, 0)).capitalize(),
                              value=value, threshold=words("{value} {unit}", value="10", unit=days),
                              indicator=words.pick("Journées de placement", "Placement days"),
                              period=words("the period “{period}”", period=words.pick(p["label_fr"], p["label_en"]))))
    assert [e["verified_impact"] for p in outputs["periods"] for e in p["entitlements"]] == pytest.approx([5.789, 3.999], abs=1e-3)
    client = seeded.signed_in("observer", lang=lang)
    for path in (f"/contracts/{C}/evaluation", f"/contracts/{C}", f"/contracts/{C}/settlement"):
        page = _text(client.get(path).text)
        for sentence in expected:
            assert sentence in page, f"{path}: {sentence!r} missing"
    evaluation = client.get(f"/contracts/{C}/evaluation").text
    shown = re.findall(r'<td class="num paid-bound"><strong>([^<]+)</strong>', evaluation)
    assert words("{value} {unit}", value=words.number(outputs["periods"][0]["entitlements"][0]["verified_impact"], 1),
                 unit=days) in shown  # the same bound in the results table
    from temoin.reports.report import render_html
    from temoin.services.reports import build_report

    for public in (False, True):
        html = _text(render_html(build_report(seeded.engine, C, settings=Settings(), lang=lang, public=public)))
        for sentence in expected:
            assert sentence in html, f"report (public={public}): {sentence!r} missing"


@pytest.mark.parametrize(("lang", "approve", "waiting", "certify"), [
    ("fr", "Approuver le paiement du règlement n° {n}.", "en attente de la certification par l'évaluateur",
     "Certifier les résultats du règlement n° {n}."),
    ("en", "Approve the payment of settlement no. {n}.", "waiting for the evaluator's certification",
     "Certify the results of settlement no. {n}.")])
def test_each_role_reads_its_to_do_list(seeded: Site, lang: str, approve: str, waiting: str, certify: str) -> None:
    n = _current(seeded).id
    payer = _todo(seeded.signed_in("payer", lang=lang).get("/").text)
    item = re.search(r'<li class="todo-item" data-kind="approve".*?</li>', payer, re.S)
    assert item, payer
    assert approve.format(n=n) in _text(item.group(0)) and waiting in _text(item.group(0))
    assert "disabled" in item.group(0) and "href=" not in item.group(0)  # not a link to an action that would fail
    evaluator = _todo(seeded.signed_in("evaluator", lang=lang).get("/").text)
    assert certify.format(n=n) in _text(evaluator)
    assert f'href="/contracts/{C}/settlement"' in evaluator
    assert 'data-kind="wave_due"' in evaluator  # the schedule: m12 outcomes still to collect
    # the contract by its title, the wave by its label ("à 12 mois"), never their codes
    title = get_contract(seeded.engine, C).contract.title.get(lang)
    assert title in _text(evaluator) and f"<code>{C}</code>" not in evaluator
    wave = re.search(r'<li class="todo-item" data-kind="wave_due".*?</li>', evaluator, re.S)
    assert wave and ("à 12 mois" if lang == "fr" else "at 12 months") in _text(wave.group(0))
    assert "m12" not in _text(wave.group(0))
    observer = _todo(seeded.signed_in("observer", lang=lang).get("/").text)
    assert 'data-kind="acknowledge"' in observer and 'data-kind="approve"' not in observer
    investor = _todo(seeded.signed_in("investor", lang=lang).get("/").text)
    assert "todo-item" not in investor
    assert ("Rien ne vous attend" if lang == "fr" else "Nothing awaits you") in investor
    assert "todo" not in seeded.client().get("/").text  # nobody signed in: no list


def test_approve_is_disabled_before_certification_then_offered(seeded: Site) -> None:
    rec = _current(seeded)
    payer = seeded.signed_in("payer", lang="fr")
    page = payer.get(f"/contracts/{C}/settlement").text
    assert f'id="why-approve-{rec.id}">en attente de la certification par l&#39;évaluateur' in page
    assert 'class="approve-blocked" disabled' in page and 'action="/contracts/aemo-renforcee/settlement/approve"' not in page
    # a payer who posts anyway reads why on the error page, in plain words, without the approval's code
    token = CSRF.search(page)
    assert token
    refused = payer.post(f"/contracts/{C}/settlement/approve", data={"csrf_token": token.group(1), "settlement_id": str(rec.id)})
    assert refused.status_code == 409
    assert "L&#39;évaluateur certifie d&#39;abord les résultats" in refused.text
    assert "kind evaluator_certification" not in refused.text and "(kind" not in refused.text
    english = seeded.signed_in("payer", lang="en").post(
        f"/contracts/{C}/settlement/approve", data={"csrf_token": token.group(1), "settlement_id": str(rec.id)})
    assert english.status_code in (403, 409)  # another session: its own CSRF token
    # the evaluator certifies through the page; the payer's action is then offered, and the to-do item a link
    evaluator = seeded.signed_in("evaluator", lang="fr")
    form = CSRF.search(evaluator.get(f"/contracts/{C}/settlement").text)
    assert form
    done = evaluator.post(f"/contracts/{C}/settlement/certify", data={"csrf_token": form.group(1), "settlement_id": str(rec.id)},
                          follow_redirects=False)
    assert done.status_code == 303
    page = payer.get(f"/contracts/{C}/settlement").text
    assert 'action="/contracts/aemo-renforcee/settlement/approve"' in page and "approve-blocked" not in page
    item = re.search(r'<li class="todo-item" data-kind="approve".*?</li>', _todo(payer.get("/").text), re.S)
    assert item and "disabled" not in item.group(0) and f'href="/contracts/{C}/settlement"' in item.group(0)
    assert "Certifier" not in _todo(evaluator.get("/").text)


def test_a_provider_from_another_area_adds_its_items(seeded: Site) -> None:
    """One decorated function is all another area writes to add its items."""
    import datetime as dt

    from temoin.messages import Msg
    from temoin.services import todo

    def consultations(engine: Engine, person: str, roles: object, today: dt.date) -> list[todo.TodoItem]:
        return [todo.TodoItem("consultation", C, Msg("Awaiting you"), f"/contracts/{C}/committee")]

    todo.todo_provider(consultations)
    try:
        items = todo.todo_list(seeded.engine, "demo-investisseur", {C: frozenset({"investor"})}, today=dt.date(2031, 1, 1))
        assert [i.kind for i in items] == ["consultation"]
    finally:
        todo._PROVIDERS.remove(consultations)


def test_the_pages_gather_the_report_once_per_data_state(seeded: Site) -> None:
    """The evaluation and settlement pages share one gathered report while the ledger's head stays;
    any recorded change (here a role given) is a new head, so the next view gathers it again."""
    from temoin.contract.model import Role
    from temoin.services.governance import assign_role
    from temoin.web.routes import extra

    client = seeded.signed_in("investor", lang="fr")
    first = client.get(f"/contracts/{C}/evaluation").text
    kept = extra._PAGE_REPORTS
    before = kept.states(seeded.engine)
    assert client.get(f"/contracts/{C}/settlement").status_code == 200
    assert client.get(f"/contracts/{C}/evaluation").text == first
    assert kept.states(seeded.engine) == before  # nothing gathered again
    assign_role(seeded.engine, C, "someone-new", "union-assos", Role.OBSERVER, actor="test", name="Quelqu'un")
    again = client.get(f"/contracts/{C}/evaluation").text  # the site's pages wait for the figures gathered anew
    after = kept.states(seeded.engine)
    # the French page's report gathered again at the new head (another language's, kept by an earlier
    # test of this module, waits for its own reader)
    read = [k for k in before if "fr" in k]
    assert read and after.keys() == before.keys() and all(after[k] > before[k] for k in read)
    assert again == first  # the same page (nothing it shows changed)


def test_a_committee_member_is_asked_for_the_declarations_they_owe(seeded: Site) -> None:
    """An open call: each member of its committee has a to-do item until they have declared their
    interests for every application; the item goes once they have."""
    import datetime as dt

    from temoin.governance.selection import Application, Declaration
    from temoin.services import todo
    from temoin.services.governance import apply_to_call, create_call, declare_interests

    create_call(seeded.engine, {
        "id": "appel-test-declarations", "contract": C, "max_score": 10, "committee_from_contract": "comite-selection",
        "title": {"fr": "Appel de test", "en": "Test call"},
        "criteria": [{"id": "besoins", "label": {"fr": "Besoins", "en": "Needs"}, "weight": 1}]}, actor="test")
    apply_to_call(seeded.engine, "appel-test-declarations", Application("horizon", "horizon-familles", "AEMO"), actor="test")
    roles = {C: frozenset({"civil_society_observer"})}
    today = dt.date(2026, 12, 3)
    items = [i for i in todo.todo_list(seeded.engine, "Karim Benali", roles, today=today) if i.kind == "declare"]
    assert len(items) == 1 and items[0].link == f"/contracts/{C}/committee" and items[0].blocked is None
    assert Translator("fr").render(items[0].what) == ("Déclarer vos intérêts pour l'appel « appel-test-declarations » : "
                                                      "1 candidature(s) sans votre déclaration.")
    assert not [i for i in todo.todo_list(seeded.engine, "someone-else", roles, today=today) if i.kind == "declare"]
    declare_interests(seeded.engine, "appel-test-declarations", Declaration("Karim Benali", "horizon", False), actor="test")
    assert not [i for i in todo.todo_list(seeded.engine, "Karim Benali", roles, today=today) if i.kind == "declare"]
