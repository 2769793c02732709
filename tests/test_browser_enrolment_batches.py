"""In Debian's Chromium (Playwright), against the app served by uvicorn (a site of its own: the cohort
is enrolled in monthly batches): the evaluator runs the locked plan from the evaluation page and reads
the balance and the representativeness batch by batch. The screenshot is kept in the test's folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.test_enrolment_rolling import SETTINGS, C, monthly_files, referred, rolling_yaml

from temoin.evaluation.schedule import due_date
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.store import session_scope
from test_browser_web import page, served, sign_in  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser


def test_the_evaluator_runs_the_plan_and_reads_balance_and_who_was_served_batch_by_batch(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served
    import_contract(site.engine, rolling_yaml(), actor="test")
    for i, f in enumerate(monthly_files(tmp_path, referred(tmp_path))):
        if ev.import_participants(site.engine, C, f, settings=SETTINGS).enrolled:
            ev.randomise_cohort(site.engine, C, seed=100 + i)
    ev.lock_plan(site.engine, C)
    path = tmp_path / "m12.csv"
    ev.generate_synthetic(site.engine, C, path, wave="m12", seed=11, settings=SETTINGS)
    today = dt.date.today()  # the page evaluates on today's date: the outcomes of the people due by then
    outcomes = pd.read_csv(path, dtype=str, keep_default_na=False)
    people = referred(tmp_path).set_index("participant_id")["enrolment_date"]
    due = [due_date(dt.date.fromisoformat(people[p]), 12) <= today for p in outcomes["participant_id"]]
    outcomes[due].to_csv(path, index=False)
    ev.import_outcomes(site.engine, C, "m12", path, settings=SETTINGS, as_of=today)

    sign_in(page, base, site, "evaluateur")
    page.goto(f"{base}/contracts/{C}/evaluation")
    page.get_by_role("button", name="Exécuter le plan verrouillé").click()
    page.wait_for_url(f"{base}/contracts/{C}/evaluation")
    page.locator("#served-by-batch").wait_for()
    with session_scope(site.engine) as s:
        diagnostics = ev.latest_diagnostics(s, C)["placement_days__m12"]
    served_batches = page.locator("#served-by-batch dt").all_inner_texts()
    assert served_batches == [f"Vague d'inclusion {b}" for b in sorted(diagnostics["representativeness_by_batch"], key=int)]
    assert page.locator("#served-by-batch dd").count() == sum(len(r) for r in diagnostics["representativeness_by_batch"].values())
    assert page.locator("#balance-by-batch dt").all_inner_texts() == \
        [f"Vague d'inclusion {b}" for b in sorted(diagnostics["balance_by_batch"], key=int)]
    assert "Qui a été servi, vague d'inclusion par vague d'inclusion" in page.locator("#served-by-batch h4").inner_text()
    page.locator("#served-by-batch").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "evaluator-reads-batches.png"), full_page=True)
