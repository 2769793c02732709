"""In Debian's Chromium (Playwright), against the app served by uvicorn (its job workers started with
it): the operator sends a participants file larger than the platform's threshold through the data
entry form; the page answers at once with the import's job and follows it (htmx) until it shows the
same answer as a small file's — first for a file with wrong rows (every problem listed, nothing
saved), then for the right file (what was saved). Screenshots of each step are kept in the test's
folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from temoin.services.evaluations import generate_synthetic
from temoin.settings import Settings
from test_browser_web import C, page, serving, sign_in  # noqa: F401 (fixtures)
from test_web_support import Site, make_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served_small_threshold(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Site]]:
    from temoin.store import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser-imports') / 'b.db'}")
    migrate(engine)
    site = make_site(engine, import_job_rows=1_000)  # the example's 1,150 referred people go to a job
    with serving(site.app) as base:
        yield base, site
    engine.dispose()


def test_the_operator_sends_a_large_file_and_the_page_follows_its_import(
        served_small_threshold: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served_small_threshold
    good = tmp_path / "cohorte.csv"
    generate_synthetic(None, C, good, settings=Settings())
    lines = good.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    row = lines[500].split(",")
    row[head.index("risk_level")] = "extreme"
    lines[500] = ",".join(row)
    bad = tmp_path / "cohorte-fausse.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    sign_in(page, base, site, "operateur")
    page.goto(f"{base}/contracts/{C}/data")
    page.set_input_files("#participants-file", str(bad))
    page.get_by_role("button", name="Vérifier et importer").first.click()
    page.wait_for_selector(".job[data-status]")  # answered at once: the job, followed by htmx
    assert "est vérifié puis importé en arrière-plan" in page.locator("#data-result").inner_text() or \
        page.locator(".job[data-status='failed']").count() == 1  # (a quick worker may already have ended it)
    page.screenshot(path=str(tmp_path / "import-queued.png"), full_page=True)
    page.wait_for_selector("#row-errors", timeout=60_000)
    problems = page.locator("#row-errors tbody tr")
    assert problems.count() == 1 and problems.first.locator("td").first.inner_text() == "501"
    assert "Niveau de risque" in problems.first.inner_text() and "extreme" in problems.first.inner_text()
    assert "rien n'a été enregistré" in page.locator("#data-result").inner_text()
    page.screenshot(path=str(tmp_path / "import-refused.png"), full_page=True)
    with site.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cohort_participants")).scalar_one() == 0

    page.set_input_files("#participants-file", str(good))
    page.get_by_role("button", name="Vérifier et importer").first.click()
    page.wait_for_selector("#import-ok", timeout=60_000)
    assert "Fichier importé : 1\u202f150 lignes enregistrées." in page.locator("#import-ok").inner_text()
    page.screenshot(path=str(tmp_path / "import-done.png"), full_page=True)
    with site.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM cohort_participants")).scalar_one() == 1150
