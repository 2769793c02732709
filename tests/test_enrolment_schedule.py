"""Each person's own clock (issue 17, item 2): due dates, statuses, the schedule view, waves refused
when not yet due, and an evaluation at a date that uses only the people due by then."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from tests.test_enrolment_rolling import C, monthly_files, referred, rolling_yaml

from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.schedule import WaveStatus, due_date, wave_counts, wave_status
from temoin.i18n import Translator
from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.settings import Settings
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository

FR, EN = Translator("fr"), Translator("en")
SETTINGS = Settings()


@pytest.mark.parametrize("months", [1, 6, 12, 13, 24])
def test_due_dates_are_calendar_months_as_dateutil_counts_them(months: int) -> None:
    start = dt.date(2023, 1, 1)
    for k in range(0, 3 * 366):
        d = start + dt.timedelta(days=k)
        assert due_date(d, months) == d + relativedelta(months=months), d


def test_statuses_at_a_date() -> None:
    enrolled = dt.date(2025, 3, 10)  # m12 due on 2026-03-10
    assert wave_status(enrolled, 12, as_of=dt.date(2026, 3, 9), measured=True) is WaveStatus.NOT_YET_DUE
    assert wave_status(enrolled, 12, as_of=dt.date(2026, 3, 10), measured=False) is WaveStatus.DUE
    assert wave_status(enrolled, 12, as_of=dt.date(2026, 6, 8), measured=False) is WaveStatus.DUE  # 90 days later
    assert wave_status(enrolled, 12, as_of=dt.date(2026, 6, 9), measured=False) is WaveStatus.OVERDUE
    assert wave_status(enrolled, 12, as_of=dt.date(2026, 6, 9), measured=True) is WaveStatus.MEASURED
    counts = wave_counts([enrolled, dt.date(2025, 9, 1), dt.date(2024, 1, 1)], [False, False, True], wave="m12", months=12,
                         as_of=dt.date(2026, 4, 1))
    assert (counts.measured, counts.due, counts.overdue, counts.not_yet_due, counts.owed) == (1, 1, 0, 1, 2)
    assert counts.next_due == dt.date(2026, 9, 1)
    assert FR.label("wave_status", "not_yet_due") == "pas encore dû" and EN.label("wave_status", "overdue") == "overdue"


@pytest.fixture
def enrolled_monthly(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    for i, f in enumerate(monthly_files(tmp_path, referred(tmp_path))):
        if ev.import_participants(sqlite_engine, C, f, settings=SETTINGS).enrolled:
            ev.randomise_cohort(sqlite_engine, C, seed=100 + i)
    ev.lock_plan(sqlite_engine, C)
    return sqlite_engine


def _wave_file(engine: Engine, tmp: Path, wave: str) -> tuple[Path, pd.DataFrame]:
    path = tmp / f"{wave}.csv"
    ev.generate_synthetic(engine, C, path, wave=wave, seed=11, settings=SETTINGS)
    outcomes = pd.read_csv(path, dtype=str, keep_default_na=False)
    people = referred(tmp)[["participant_id", "enrolment_date"]]
    return path, outcomes.merge(people, on="participant_id")


def test_a_wave_row_for_someone_not_yet_due_is_refused_with_the_row(enrolled_monthly: Engine, tmp_path: Path) -> None:
    on = dt.date(2026, 6, 30)
    path, outcomes = _wave_file(enrolled_monthly, tmp_path, "m12")
    due = np.array([due_date(dt.date.fromisoformat(d), 12) for d in outcomes["enrolment_date"]])
    late = np.flatnonzero(due > on)
    assert 0 < len(late) < len(outcomes)
    with pytest.raises(CohortFileError) as exc:
        ev.import_outcomes(enrolled_monthly, C, "m12", path, settings=SETTINGS, as_of=on)
    assert [e.row for e in exc.value.errors] == [int(i) + 2 for i in late]
    first = exc.value.errors[0]
    assert EN.render(first.message) == f"wave m12 not yet due for this participant (due on {EN.date(due[late[0]])})"
    assert "pas encore due pour ce participant" in FR.error(exc.value)
    with session_scope(enrolled_monthly) as s:
        assert CohortRepository(s).outcome_count(C) == 0  # nothing written
    # the schedule on that date: those due are due (or overdue), the rest not yet due
    with session_scope(enrolled_monthly) as s:
        frame = ev.participants_frame(s, C)
    everyone = np.array([due_date(d, 12) <= on for d in frame.loc[frame["arm"].notna(), "enrolment_date"]])
    assert len(everyone) > len(outcomes)  # some people are not followed at all
    counts = rolling.cohort_schedule(enrolled_monthly, C, as_of=on)[0]
    assert (counts.wave, counts.measured, counts.owed, counts.not_yet_due) == ("m12", 0, int(everyone.sum()),
                                                                               int((~everyone).sum()))
    # the rows of people due are taken; the schedule then shows them measured
    outcomes.iloc[np.flatnonzero(due <= on)].drop(columns="enrolment_date").to_csv(tmp_path / "due.csv", index=False)
    assert ev.import_outcomes(enrolled_monthly, C, "m12", tmp_path / "due.csv", settings=SETTINGS, as_of=on).rows == int((due <= on).sum())
    after = rolling.cohort_schedule(enrolled_monthly, C, as_of=on)
    assert after[0].measured == int((due <= on).sum()) and after[0].not_yet_due == int((~everyone).sum())
    assert after[0].due + after[0].overdue == int(everyone.sum()) - int((due <= on).sum())
    assert after[1].wave == "m24" and after[1].owed == 0 and after[1].not_yet_due == counts.owed + counts.not_yet_due


def test_an_evaluation_at_a_date_uses_only_those_due_and_says_how_many_are_not(enrolled_monthly: Engine,
                                                                              tmp_path: Path) -> None:
    path, _ = _wave_file(enrolled_monthly, tmp_path, "m12")
    ev.import_outcomes(enrolled_monthly, C, "m12", path, settings=SETTINGS, as_of=dt.date(2027, 6, 30))
    on = dt.date(2026, 6, 30)
    results = ev.evaluate_contract(enrolled_monthly, C, as_of=on)
    with session_scope(enrolled_monthly) as s:
        frame = ev.participants_frame(s, C)
        diagnostics = ev.latest_diagnostics(s, C)
    sample = frame[frame["arm"].notna()]
    due = np.array([due_date(d, 12) <= on for d in sample["enrolment_date"]])
    d = diagnostics["placement_days__m12"]
    assert d["schedule"] == {"due_by": "2026-06-30", "due": int(due.sum()), "not_yet_due": int((~due).sum())}
    # attrition counts only the people due
    assert d["attrition"]["randomised_treated"] + d["attrition"]["randomised_control"] == int(due.sum())
    r = next(r for r in results if (r.indicator, r.wave) == ("placement_days", "m12"))
    said = [EN.render(n) for n in r.effect.notes]
    assert f"{int((~due).sum())} participant(s) not yet due at wave m12 on 30 June 2026: left out" in said
    measured = sample["placement_days__m12"].notna().to_numpy()
    treated = sample["arm"].to_numpy() == 1
    assert r.n_treated_followed == int((due & measured & treated).sum()) < int((measured & treated).sum())
    # the estimate's own count leaves out, besides, the people alone in their batch × stratum block
    assert r.effect.n_treated + r.effect.n_control <= int((due & measured).sum())


def test_a_payment_period_settles_on_the_people_due_by_its_end_date() -> None:
    from temoin.contract.loading import parse_contract

    c = parse_contract(rolling_yaml())
    # p1 (wave m12) ends on 2027-06-30; p2 (m24) on 2028-06-30
    assert ev.due_dates(c, dt.date(2027, 1, 1)) == {"m12": dt.date(2027, 1, 1), "m24": dt.date(2027, 1, 1)}
    assert ev.due_dates(c, dt.date(2027, 9, 1)) == {"m12": dt.date(2027, 6, 30), "m24": dt.date(2027, 9, 1)}
    assert ev.due_dates(c, dt.date(2029, 1, 1)) == {"m12": dt.date(2027, 6, 30), "m24": dt.date(2028, 6, 30)}
    from temoin.contract.loading import load_contract
    from temoin.examples import example_path

    assert ev.due_dates(load_contract(example_path(C)), dt.date(2029, 1, 1)) is None  # not rolling: everyone counts
