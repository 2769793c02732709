"""The design-diagnosis page (issue 16, item 8: long work does not block a page): the form queues a
background job; the page follows it and then shows the kept result — the same figures as the service,
the probability of a wrongful payment, in the reader's language — with when it was made and, after
any change to the contract or its data, that it should be run again; a number of simulations that is
not offered is refused clearly; the report survives its JSON form whole."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from temoin.evaluation.diagnosis import DiagnosisReport
from temoin.services import jobs
from temoin.services.evaluations import diagnose
from temoin.services.governance import assign_role
from temoin.services.job_kinds import DIAGNOSIS, KINDS
from temoin.settings import Settings
from test_web_support import Site, csrf_of, make_site

C = "aemo-renforcee"
HX = {"HX-Request": "true"}


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _ask(c: TestClient, data: dict[str, str]) -> Any:
    return c.post(f"/contracts/{C}/diagnosis", data={"csrf_token": csrf_of(c, f"/contracts/{C}/diagnosis"), **data},
                  follow_redirects=False)


def _run_all(site: Site) -> None:
    while jobs.run_next(site.engine, Settings(), "test-worker", KINDS) is not None:
        pass


def _said(text: str) -> str:
    return " ".join(html.unescape(text).replace("\xa0", " ").replace("\u202f", " ").split())


def test_a_diagnosis_runs_as_a_job_and_the_page_shows_the_services_figures(site: Site) -> None:
    c = site.signed_in("observer")
    first = c.get(f"/contracts/{C}/diagnosis")
    assert first.status_code == 200 and 'id="diagnosis-none"' in first.text and 'id="wrongful-payment"' not in first.text
    assert c.post(f"/contracts/{C}/diagnosis", data={"sims": "1000"}, follow_redirects=False).status_code == 403  # no CSRF
    r = _ask(c, {"sims": "1000"})
    assert r.status_code == 303
    job_id = int(r.headers["location"].rsplit("job=", 1)[1])
    waiting = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert 'data-status="queued"' in waiting.text and "hx-trigger" in waiting.text  # htmx asks again
    _run_all(site)
    assert jobs.get_job(site.engine, job_id).progress == 1.0
    page = c.get(f"/contracts/{C}/diagnosis")  # the latest diagnosis, kept
    assert page.status_code == 200 and f"Diagnostic n° {job_id}" in page.text
    report = diagnose(site.engine, C, sims=1000)
    wrongful = re.search(r'id="wrongful-payment"[^>]*><strong>([^<]*)</strong>', page.text)
    assert wrongful is not None
    # shares as French percentages: a decimal comma and a no-break space before the sign
    assert f"{100 * report.wrongful_payment:.1f}\u00a0%".replace(".", ",") in wrongful.group(1)  # type: ignore[operator]
    rows = re.findall(r"<tr><td class=\"num\">([^<]*)</td><td class=\"num\">([^<]*)</td>", page.text)
    assert len(rows) == len(report.effects)
    for (effect, power), e in zip(rows, report.effects, strict=True):
        assert effect == f"{e.true_effect:.1f}".replace(".", ",")
        assert power == f"{100 * e.power:.1f}\u00a0%".replace(".", ",")
    assert "<svg" in page.text and "Hypothèses" in page.text and "<html" in page.text
    assert "Calculé le" in page.text and "ont changé depuis" not in page.text
    done = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)  # the fragment htmx swaps in: no more polling
    assert 'data-status="done"' in done.text and "hx-trigger" not in done.text and 'id="diagnosis"' in done.text


def test_the_result_is_said_in_english_and_a_change_to_the_data_is_said(site: Site) -> None:
    c = site.signed_in("investor", lang="en")
    job_id = int(_ask(c, {"sims": "5000"}).headers["location"].rsplit("job=", 1)[1])
    _run_all(site)
    frag = c.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert frag.status_code == 200
    assert "5,000 simulated trials" in frag.text and "Assumptions" in frag.text
    assert "changed since" not in frag.text
    assign_role(site.engine, C, "new-observer", "union-assos", "civil_society_observer", actor="test")  # a ledger entry
    again = _said(c.get(f"/contracts/{C}/diagnosis?job={job_id}").text)
    assert "The contract or its data changed since: run the diagnosis again" in again
    assert "5,000 simulated trials" in again  # the kept result, dated, is still shown


def test_a_number_of_simulations_not_offered_is_refused_clearly(site: Site) -> None:
    c = site.signed_in("payer")
    r = _ask(c, {"sims": str(10**7)})
    assert r.status_code == 422
    assert "10\u202f000\u202f000" in r.text and "1\u202f000" in r.text  # French digit groups
    assert 'id="diagnosis-error"' in r.text and jobs.list_jobs(site.engine, C, (DIAGNOSIS,)) == []


def test_another_contracts_investor_is_refused(site: Site) -> None:
    c = site.signed_in("other investor")
    assert c.get(f"/contracts/{C}/diagnosis").status_code == 403
    token = csrf_of(c, "/contracts")
    assert c.post(f"/contracts/{C}/diagnosis", data={"csrf_token": token, "sims": "1000"}).status_code == 403


def test_the_report_is_the_same_after_its_json_form(site: Site) -> None:
    import json

    report = diagnose(site.engine, C, sims=1000)
    assert DiagnosisReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report


def test_progress_is_told_after_each_chunk_of_trials(site: Site) -> None:
    told: list[float] = []
    diagnose(site.engine, C, sims=5000, progress=told.append)
    assert len(told) >= 2 and told == sorted(told) and told[-1] == 1.0 and told[0] < 1.0
