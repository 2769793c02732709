"""In Debian's Chromium (Playwright), against the app served by uvicorn: under rolling enrolment the
operator uploads the newly enrolled people and is told which batch they join; the evaluator
randomises that batch from the evaluation page, which then lists the batches and each wave's
schedule. Screenshots are kept in the test's folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.test_enrolment_rolling import SETTINGS, C, monthly_files, referred, rolling_yaml

from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.store import session_scope
from test_browser_web import page, served, sign_in, sign_out  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser


def test_the_operator_uploads_a_batch_and_the_evaluator_randomises_it(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served
    import_contract(site.engine, rolling_yaml(), actor="test")  # a new version of the example: rolling enrolment
    files = [f for f in monthly_files(tmp_path, referred(tmp_path))
             if (pd.read_csv(f, dtype=str)["enrolled"] == "True").any()]
    ev.import_participants(site.engine, C, files[0], settings=SETTINGS)  # the first month, already randomised
    ev.randomise_cohort(site.engine, C, seed=1)
    n = int((pd.read_csv(files[1], dtype=str)["enrolled"] == "True").sum())

    sign_in(page, base, site, "operateur")
    page.goto(f"{base}/contracts/{C}/data")
    page.get_by_label("Fichier").first.set_input_files(str(files[1]))
    page.get_by_role("button", name="Vérifier et importer").first.click()
    page.locator("#enrolment-batch").wait_for()
    said = " ".join(page.locator("#enrolment-batch").inner_text().split())
    assert f"les {n} nouveaux inclus rejoignent la vague d'inclusion 2, qu'attendent {n} personne(s)" in said
    page.locator("#enrolment-joining summary").click()  # who joins: the operator's own case numbers
    joining = page.locator("#enrolment-joining p").inner_text().split(", ")
    second = pd.read_csv(files[1], dtype=str)
    assert joining == sorted(second.loc[second["enrolled"] == "True", "participant_id"])
    page.screenshot(path=str(tmp_path / "operator-uploads-batch-2.png"), full_page=True)
    sign_out(page)

    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/contracts/{C}/evaluation")
    assert f"{n} personne(s) incluse(s) attendent la vague d'inclusion 2." in page.locator("#next-batch").inner_text()
    page.get_by_role("button", name=re.compile(r"Randomiser la vague d'inclusion 2")).click()
    page.wait_for_url(f"{base}/contracts/{C}/evaluation")
    rows = page.locator("#batches tbody tr")
    assert rows.count() == 2
    cells = rows.nth(1).locator("td").all_inner_texts()
    with session_scope(site.engine) as s:
        batch2 = rolling.batches(s, C)[1]
    assert cells[0] == "2" and cells[3] == str(n) and cells[6] == batch2.list_hash[:16]
    assert int(cells[4]) + int(cells[5]) == n == batch2.n and int(cells[4]) == batch2.n_treated
    schedule = page.locator("#schedule tbody tr")
    assert schedule.count() == 2 and schedule.nth(0).locator("td").first.inner_text() == "à 12 mois"
    page.screenshot(path=str(tmp_path / "evaluator-randomised-batch-2.png"), full_page=True)
    # the next batch: nobody waits now
    assert "0 personne(s) incluse(s) attendent la vague d'inclusion 3." in page.locator("#next-batch").inner_text()
