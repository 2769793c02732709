"""The design-diagnosis page: the contract's evaluation and payment rule simulated, with the
probability of a wrongful payment, the same figures as the service, a fragment for htmx, and a
clear refusal of a number of simulations that is not offered."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from temoin.services.evaluations import diagnose
from test_web_support import Site, make_site

C = "aemo-renforcee"


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def test_diagnosis_page_shows_the_services_figures(site: Site) -> None:
    page = site.signed_in("observer").get(f"/contracts/{C}/diagnosis")
    assert page.status_code == 200
    report = diagnose(site.engine, C, sims=1000)
    wrongful = re.search(r'id="wrongful-payment"[^>]*><strong>([^<]*)</strong>', page.text)
    assert wrongful is not None
    # shares as French percentages: a decimal comma and a no-break space before the sign
    assert f"{100 * report.wrongful_payment:.1f}\u00a0%".replace(".", ",") in wrongful.group(1)
    rows = re.findall(r"<tr><td class=\"num\">([^<]*)</td><td class=\"num\">([^<]*)</td>", page.text)
    assert len(rows) == len(report.effects)
    for (effect, power), e in zip(rows, report.effects, strict=True):
        assert effect == f"{e.true_effect:.1f}".replace(".", ",")
        assert power == f"{100 * e.power:.1f}\u00a0%".replace(".", ",")
    assert "<svg" in page.text and "Hypothèses" in page.text and "<html" in page.text


def test_htmx_gets_only_the_results_in_english(site: Site) -> None:
    c = site.signed_in("investor", lang="en")
    frag = c.get(f"/contracts/{C}/diagnosis", params={"sims": 5000}, headers={"HX-Request": "true"})
    assert frag.status_code == 200
    assert frag.text.lstrip().startswith('<section id="diagnosis-result"')
    assert "5,000 simulated trials" in frag.text and "Assumptions" in frag.text


def test_a_number_of_simulations_not_offered_is_refused_clearly(site: Site) -> None:
    r = site.signed_in("payer").get(f"/contracts/{C}/diagnosis", params={"sims": 10**7})
    assert r.status_code == 422
    assert "10\u202f000\u202f000" in r.text and "1\u202f000" in r.text  # French digit groups


def test_another_contracts_investor_is_refused(site: Site) -> None:
    assert site.signed_in("other investor").get(f"/contracts/{C}/diagnosis").status_code == 403
