"""The registry, the observatory, INDIGO project sheets and the open-data page in the browser (no
account needed), on GO Lab's published excerpt: what a reader looks for is on the page."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from temoin.services.contracts import import_contract
from temoin.services.opendata import import_indigo
from temoin.settings import Settings
from temoin.store import make_engine, migrate
from temoin.web import create_app

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"
EXCERPT = Path(__file__).parent / "data" / "golab-flat-excerpt"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('web') / 't.db'}")
    migrate(engine)
    for name in ("aemo-renforcee", "relais-familial", "cravate-solidaire"):
        import_contract(engine, EXAMPLES / f"{name}.yaml")
    import_indigo(engine, EXCERPT)
    return TestClient(create_app(Settings(), engine=engine))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def section(html: str, anchor: str) -> str:
    """The text of one section of a page: from its heading to the next one."""
    part = html.split(f'id="{anchor}"', 1)[1]
    return text(part.split("<h2", 1)[0])


def test_registry_links_every_entry_and_shows_the_safeguard_counts(site: TestClient) -> None:
    page = site.get("/public", params={"lang": "en"}).text
    assert 'href="/public/projects/INDIGO-POJ-0121"' in page and 'href="/public/contracts/aemo-renforcee"' in page
    counts = text(page.split('id="counts"', 1)[1].split("</section>", 1)[0])
    # whole registry: 8 entries; 1 real counterfactual among the 5 with a known method; caps known for the 3
    # Témoin contracts (2 capped); results published by 4 INDIGO projects
    assert "Whole registry 8 1 / 5" in counts and "2 / 3 5 not recorded 4 / 8" in counts
    assert "INDIGO 5 0 / 2" in counts


def test_project_sheet_shows_parties_metrics_prices_payments_results_and_sources(site: TestClient) -> None:
    r = site.get("/public/projects/INDIGO-POJ-0121", params={"lang": "en"})
    assert r.status_code == 200
    page = r.text
    assert "INDIGO-ORG-0210" in section(page, "parties") and "service provider" in section(page, "parties")
    assert "outcomemetric9" in section(page, "metrics")
    prices = section(page, "prices")
    assert "£1,760.00" in prices and "£4,730.00" in prices
    payments = section(page, "payments")
    # the outcome payments of the published file, added up here from the file itself
    with (EXCERPT / "projects" / "projects_outcome_payments.csv").open(encoding="utf-8", newline="") as fh:
        paid = sum(float(r["Payments - Amount - (Value)"]) for r in csv.DictReader(fh) if r["Project ID"] == "INDIGO-POJ-0121")
    assert f"Outcome payments made: £{paid:,.2f}" in payments and "October 2018 → October 2022" in payments
    results = section(page, "results")
    assert "final" in results and "241" in results
    assert "Bristol City Council website" in section(page, "sources")
    fr = site.get("/public/projects/INDIGO-POJ-0001", params={"lang": "fr"}).text
    assert "comparaison avant-après" in section(fr, "metrics") and "non" in section(fr, "metrics")  # no real counterfactual
    assert "décembre 2018 → août 2020" in section(fr, "results")
    fr_parties = section(site.get("/public/projects/INDIGO-POJ-0121", params={"lang": "fr"}).text, "parties")
    assert "opérateur" in fr_parties and "service provider" not in fr_parties  # the reader's language only
    assert "service provider" in section(page, "parties") and "opérateur" not in section(page, "parties")


def test_unknown_project_is_a_clean_404(site: TestClient) -> None:
    r = site.get("/public/projects/INDIGO-POJ-9999", params={"lang": "en"})
    assert r.status_code == 404 and "Project not in the registry" in r.text


def test_observatory_names_its_peers_and_says_when_it_widens(site: TestClient) -> None:
    page = text(site.get("/public/contracts/aemo-renforcee", params={"lang": "en"}).text)
    assert "Peers: same sector and country (1 contracts and projects; sector: Child and family welfare; country: France)" in page
    fr = text(site.get("/public/contracts/aemo-renforcee", params={"lang": "fr"}).text)
    assert "secteur : protection de l'enfance et de la famille ; pays : France" in fr
    cravate = text(site.get("/public/contracts/relais-familial", params={"lang": "en"}).text)
    assert "same sector and country" in cravate
    assert "Contracts and projects with published results: 4." in page


def test_open_data_page_lists_every_file(site: TestClient) -> None:
    page = site.get("/public/open-data", params={"lang": "en"}).text
    for name in ("registre-contrats.csv", "registre-contrats.schema.json", "chiffres-aemo-renforcee.csv", "indigo.json",
                 "datapackage.json", "data.gouv.fr.json"):
        assert f'href="/api/v1/public/open-data/{name}"' in page
        assert site.get(f"/api/v1/public/open-data/{name}").status_code == 200


def test_every_registry_entry_opens_its_public_page_and_each_contract_its_public_pdf(site: TestClient) -> None:
    """Issue 16, item 7: the registry links each contract's public page and public PDF, and each
    imported INDIGO project's own public page; every one of those links opens."""
    page = site.get("/public", params={"lang": "fr"}).text
    rows = page.split('id="registry"', 1)[1]
    pages = re.findall(r'href="(/public/(?:contracts|projects)/[^"/]+)"', rows)
    pdfs = re.findall(r'href="(/public/contracts/[^"/]+/report\.pdf)"', rows)
    projects = [p for p in pages if p.startswith("/public/projects/")]
    contracts = [p for p in pages if p.startswith("/public/contracts/")]
    assert len(projects) == 5 and len(contracts) == 3  # the excerpt's five projects, the three contracts
    assert sorted(pdfs) == sorted(f"{c}/report.pdf" for c in contracts)
    for path in pages:
        r = site.get(path)
        assert r.status_code == 200, path
        assert "<h1" in r.text
    r = site.get(pdfs[0])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
