"""The risk simulation, power and reports pages (through the application, CSRF included): the
contract's assumptions editable, a simulation and a report asked for as background jobs, their
progress followed by htmx, the result kept and shown in words, the report downloadable; refusals
answered on the page, in the reader's language; the worker threads start and stop with the app."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from conftest import missing_component
from temoin.evaluation.power import power_for_contract
from temoin.i18n import Translator
from temoin.services import jobs
from temoin.services.contracts import get_contract
from temoin.services.job_kinds import KINDS
from temoin.settings import Settings
from temoin.settlement.risk import RiskAssumptions, simulate
from temoin.store import jobs as queue
from temoin.store import session_scope
from test_web_support import Site, csrf_of, make_site

C = "aemo-renforcee"
HX = {"HX-Request": "true"}
SIM = {"effect_mean": "40", "effect_sd": "20", "enrolment_low": "0,8", "attrition_mean": "0.1", "scenarios": "2000",
       "seed": "7"}


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _text(r: Any) -> str:
    """The page's words, every run of spaces (no-break ones included) as one space."""
    return _n(html.unescape(re.sub(r"<[^>]+>", " ", r.text)))


def _n(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _ask(c: TestClient, page: str, data: dict[str, str]) -> Any:
    return c.post(f"/contracts/{C}/{page}", data={"csrf_token": csrf_of(c, f"/contracts/{C}/{page}"), **data},
                  follow_redirects=False)


def _run_all(site: Site) -> None:
    while jobs.run_next(site.engine, Settings(), "test-worker", KINDS) is not None:
        pass


def test_the_simulation_page_fills_in_the_contract_s_assumptions(site: Site) -> None:
    c = site.signed_in("investor")
    page = c.get(f"/contracts/{C}/simulation")
    assert page.status_code == 200
    contract = get_contract(site.engine, C).contract
    mean = float(contract.evaluation.expected_effect)  # type: ignore[arg-type]
    assert f'name="effect_mean" value="{mean}"' in page.text and f'name="effect_sd" value="{mean / 2}"' in page.text
    assert 'href="/contracts/aemo-renforcee/simulation" aria-current="page"' in page.text  # a tab of the contract
    assert "Simulation des risques" in page.text and 'name="csrf_token"' in page.text


def test_a_simulation_runs_as_a_job_and_its_result_is_kept_and_said_in_words(site: Site) -> None:
    c = site.signed_in("payer")
    assert c.post(f"/contracts/{C}/simulation", data=SIM, follow_redirects=False).status_code == 403  # no CSRF token
    r = _ask(c, "simulation", SIM)
    assert r.status_code == 303
    job_id = int(r.headers["location"].rsplit("job=", 1)[1])
    waiting = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert 'data-status="queued"' in waiting.text and "en attente" in waiting.text
    assert f'hx-get="/contracts/{C}/jobs/{job_id}"' in waiting.text and 'hx-trigger="load delay:1s"' in waiting.text
    _run_all(site)
    done = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert 'data-status="done"' in done.text and "hx-get" not in done.text  # polling stops
    followed = c.get(f"/contracts/{C}/jobs/{job_id}", follow_redirects=False)  # without htmx: the job on its page
    assert followed.status_code == 303 and followed.headers["location"] == f"/contracts/{C}/simulation?job={job_id}"
    # the figures are the domain's own simulation with the same assumptions and seed
    contract = get_contract(site.engine, C).contract
    expected = simulate(contract, 2000, 7, RiskAssumptions(effect_mean=40.0, effect_sd=20.0, enrolment_low=0.8,
                                                          attrition_mean=0.1))
    fr = Translator("fr")
    words = _text(done)
    assert _n(f"Probabilité qu'aucun paiement ne soit dû : {fr.share(expected.prob_no_payment, 2)}") in words
    assert expected.prob_paid_without_effect is not None
    assert _n("Probabilité qu'un paiement soit dû alors que le programme n'a aucun effet réel : "
              f"{fr.share(expected.prob_paid_without_effect, 2)}") in words
    assert _n(f"TRI médian : {fr.share(expected.investor_irr.p50, 2)}") in words
    cost = expected.payer_cost.money("EUR")
    assert _n(f"95 % sous {fr.money(cost['p95'].amount, 'EUR')}") in words
    # kept: the page shows it again later, with the form as it was filled in
    page = c.get(f"/contracts/{C}/simulation")
    assert f"Simulation n° {job_id}" in _text(page) and 'name="scenarios" min="1000" max="1000000" step="1000" value="2000"' in page.text
    en = site.signed_in("observer", lang="en")
    assert "Probability nothing is paid: " in _text(en.get(f"/contracts/{C}/jobs/{job_id}", headers=HX))


def test_a_running_job_s_progress_is_shown_and_followed(site: Site) -> None:
    c = site.signed_in("payer")
    job_id = int(_ask(c, "simulation", SIM).headers["location"].rsplit("=", 1)[1])
    with session_scope(site.engine) as s:  # a worker took it and is 40 % through
        queue.claim(s, "w1", dt.datetime.now(dt.UTC))
        queue.beat(s, job_id, "w1", dt.datetime.now(dt.UTC), 0.4)
    r = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert 'data-status="running"' in r.text and '<progress max="1" value="0.4"' in r.text
    assert "en cours" in _text(r) and _n("40 %") in _text(r) and 'hx-trigger="load delay:1s"' in r.text


def test_wrong_assumptions_are_answered_on_the_page_naming_the_field(site: Site) -> None:
    c = site.signed_in("evaluator")
    for field, value, said in (("effect_sd", "-1", "Une incertitude vaut 0 ou plus."),
                               ("attrition_mean", "1", "Une part des personnes suivies"),
                               ("scenarios", "5000000", "Un nombre entier de 1 000 à 1 000 000."),
                               ("effect_mean", "beaucoup", "Ce n'est pas un nombre : « beaucoup »")):
        r = _ask(c, "simulation", {**SIM, field: value})
        assert r.status_code == 422, field
        assert said in _text(r), (field, _text(r)[-600:])
        assert f'value="{value}"' in r.text  # the form as it was filled in
    assert jobs.list_jobs(site.engine, C, ("risk_simulation",)) == []


def test_only_readers_of_the_contract_see_its_jobs(site: Site) -> None:
    job_id = int(_ask(site.signed_in("payer"), "simulation", SIM).headers["location"].rsplit("=", 1)[1])
    other = site.signed_in("other investor")
    assert other.get(f"/contracts/{C}/jobs/{job_id}", headers=HX).status_code == 403
    assert _ask(other, "simulation", SIM).status_code == 403
    assert site.client().get(f"/contracts/{C}/jobs/{job_id}", follow_redirects=False).status_code == 303  # sign in
    assert site.signed_in("payer").get(f"/contracts/cravate-solidaire/jobs/{job_id}", headers=HX).status_code in (403, 404)


def test_one_person_has_at_most_three_jobs_waiting(site: Site) -> None:
    c = site.signed_in("operator")
    for _ in range(3):
        assert _ask(c, "simulation", SIM).status_code == 303
    r = _ask(c, "simulation", SIM)
    assert r.status_code == 409 and "Vous avez déjà 3 travaux en attente ou en cours." in _text(r)


def test_reports_of_every_variant_are_made_kept_and_downloaded(site: Site, tmp_path: Path) -> None:
    c = site.signed_in("investor")
    r = _ask(c, "reports", {"variant": "public", "format": "pdf", "lang": "fr", "period": ""})
    assert r.status_code == 303
    assert _ask(c, "reports", {"variant": "internal", "format": "html", "lang": "en", "period": "p1"}).status_code == 303
    bad = _ask(c, "reports", {"variant": "internal", "format": "pdf", "lang": "fr", "period": "p9"})
    assert bad.status_code == 422 and "p9" in _text(bad)
    listing = c.get(f"/contracts/{C}/reports")
    assert listing.text.count('data-status="queued"') == 2
    _run_all(site)
    listing = c.get(f"/contracts/{C}/reports")
    links = re.findall(rf'href="(/contracts/{C}/jobs/\d+/file)"', listing.text)
    assert len(links) == 2 and "temoin-aemo-renforcee-public-fr.pdf" in listing.text
    assert "temoin-aemo-renforcee-p1-en.html" in listing.text
    pdf = c.get(links[1])  # newest first: the public PDF was asked first
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    page = c.get(links[0])
    assert page.headers["content-type"].startswith("text/html") and "attachment" in page.headers["content-disposition"]
    assert '<html lang="en"' in page.text
    if shutil.which("pdftotext") is None:
        missing_component("pdftotext (Debian package poppler-utils) is not installed")
    path = tmp_path / "public.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Prévenir les placements par l'AEMO renforcée" in text.replace("\n", " ")


def test_a_failed_job_says_its_error_in_the_reader_s_language(site: Site) -> None:
    job = jobs.submit(site.engine, "report", contract_id=C, actor="test",
                      arguments={"public": False, "format": "pdf", "lang": "fr", "period": "p9"})
    _run_all(site)
    fr = _text(site.signed_in("payer").get(f"/contracts/{C}/jobs/{job.id}", headers=HX))
    en = _text(site.signed_in("payer", lang="en").get(f"/contracts/{C}/jobs/{job.id}", headers=HX))
    assert "Unknown period: 'p9'." in en and "échoué" in fr and "failed" in en
    assert "Unknown period" not in fr and "p9" in fr
    assert site.signed_in("payer").get(f"/contracts/{C}/jobs/{job.id}/file").status_code == 409


def test_the_power_page_computes_the_contract_s_power_and_other_assumptions(site: Site) -> None:
    c = site.signed_in("observer")
    page = c.get(f"/contracts/{C}/power")
    assert page.status_code == 200
    contract = get_contract(site.engine, C).contract
    own = power_for_contract(contract)
    fr = Translator("fr")
    assert _n(f"avec {fr.number(own.n)} personnes : {fr.share(own.power)}") in _text(page)
    bigger = c.get(f"/contracts/{C}/power", params={"n": str(own.n * 2)})
    doubled = power_for_contract(contract, n=own.n * 2)
    assert _n(f"avec {fr.number(own.n * 2)} personnes : {fr.share(doubled.power)}") in _text(bigger)
    wrong = c.get(f"/contracts/{C}/power", params={"alpha": "deux"})
    assert wrong.status_code == 422 and "Ce n'est pas un nombre : « deux »" in _text(wrong)


def test_the_worker_threads_start_with_the_app_and_run_the_jobs(sqlite_engine: Engine) -> None:
    site = make_site(sqlite_engine, job_workers=2)
    with TestClient(site.app, base_url="http://testserver") as c:  # type: ignore[arg-type]  # the lifespan runs
        from test_web_support import login

        assert login(c, "payeur", site.accounts["payeur"].password).status_code == 303
        job_id = int(_ask(c, "simulation", SIM).headers["location"].rsplit("=", 1)[1])
        deadline = time.monotonic() + 60
        while 'data-status="done"' not in (r := c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)).text:
            assert time.monotonic() < deadline, r.text
            time.sleep(0.2)
        assert "Pour les investisseurs" in r.text
        workers = site.app.state.job_workers  # type: ignore[attr-defined]
        assert len(workers._threads) == 2
    assert workers._threads == []  # stopped with the app
