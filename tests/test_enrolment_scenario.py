"""Issue 17's opening scenario, whole: a child referred and not enrolled, enrolled months later, after
outcomes exist, joins the next batch, is randomised and followed on its own clock — through the
services and through the web (the operator's upload, the evaluator's "Randomiser" button)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from tests.test_enrolment_rolling import SETTINGS, C, monthly_files, referred, rolling_yaml

from temoin.contract.loading import load_contract
from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.schedule import due_date
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.store import ledger, session_scope
from temoin.store.audit import verify_records
from temoin.store.cohorts import CohortRepository
from test_web_support import Site, csrf_of, make_site

EN, FR = Translator("en"), Translator("fr")
LATER = dt.date(2026, 4, 15)
"""The day the child, referred in early 2025, is enrolled: after the first batches' 12-month outcomes."""


def _files(tmp: Path) -> tuple[list[Path], pd.Series, Path]:
    """The first months' participant files, the first of which refers one child without enrolling it,
    and the file that enrols that child on ``LATER``."""
    frame = referred(tmp)
    files = monthly_files(tmp, frame)[:3]
    first = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    child = first[first["enrolled"] == "True"].iloc[0].copy()
    referred_row = child.copy()
    referred_row[["consent", "enrolled", "enrolment_date"]] = ["False", "False", ""]
    pd.concat([first[first["participant_id"] != child["participant_id"]], pd.DataFrame([referred_row])]).to_csv(files[0], index=False)
    enrolled_row = child.copy()
    enrolled_row[["consent", "enrolled", "enrolment_date"]] = ["True", "True", LATER.isoformat()]
    later = tmp / "later.csv"
    pd.DataFrame([enrolled_row]).to_csv(later, index=False)
    return files, child, later


def _due_outcomes(engine: Engine, tmp: Path, on: dt.date, only: str | None = None) -> Path:
    """The 12-month outcomes of the people due on ``on`` (or of the one ``only``)."""
    path = tmp / "m12-all.csv"
    ev.generate_synthetic(engine, C, path, wave="m12", seed=11, settings=SETTINGS)
    out = pd.read_csv(path, dtype=str, keep_default_na=False)
    with session_scope(engine) as s:
        frame = ev.participants_frame(s, C)
    if only is None:
        dates = dict(zip(referred(tmp)["participant_id"], referred(tmp)["enrolment_date"], strict=True))
        out = out[[bool(dates.get(p)) and due_date(dt.date.fromisoformat(dates[p]), 12) <= on for p in out["participant_id"]]]
    else:
        out = out[out["participant_id"] == only]
    assert len(out) and len(frame)
    path = tmp / f"m12-{on.isoformat()}-{only or 'due'}.csv"
    out.to_csv(path, index=False)
    return path


def test_a_child_referred_then_enrolled_after_outcomes_joins_the_next_batch(engine: Engine, tmp_path: Path) -> None:
    sqlite_engine = engine  # on SQLite and on PostgreSQL (the guard of 0012 on both)
    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    files, child, later = _files(tmp_path)
    for i, f in enumerate(files):
        ev.import_participants(sqlite_engine, C, f, settings=SETTINGS, actor="op")
        ev.randomise_cohort(sqlite_engine, C, seed=50 + i, actor="eval")
    first_outcomes = dt.date(2026, 4, 1)
    n_out = ev.import_outcomes(sqlite_engine, C, "m12", _due_outcomes(sqlite_engine, tmp_path, first_outcomes),
                               settings=SETTINGS, as_of=first_outcomes).rows
    assert n_out > 0
    with session_scope(sqlite_engine) as s:
        before = {p.pkey: (p.arm, p.batch) for p in CohortRepository(s).participants(C)}
    # the operator uploads the child, now enrolled: the row updates the referral, and says the batch it waits for
    summary = ev.import_participants(sqlite_engine, C, later, settings=SETTINGS, actor="op")
    assert (summary.rows, summary.updated, summary.enrolled, summary.batch, summary.waiting) == (1, 1, 1, len(files) + 1, 1)
    with session_scope(sqlite_engine) as s:
        people = CohortRepository(s).participants(C)
        assert len(people) == len(before)  # updated, not added
        mine = [p for p in people if p.arm is None and p.enrolled]
        assert len(mine) == 1 and mine[0].enrolment_date == LATER and mine[0].consent
        assert mine[0].referral_date == dt.date.fromisoformat(child["referral_date"])  # the first referral's date kept
        entry = ledger.entries(s, contract_id=C)[0]  # the latest
        assert entry.event == "cohort.participants_imported" and '"updated":1' in entry.payload.replace(" ", "")
    # the same row again: now enrolled, it is a person enrolled twice
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(sqlite_engine, C, later, settings=SETTINGS)
    assert EN.render(exc.value.errors[0].message) == "participant already registered for this contract"
    # randomising the new batch works though outcomes exist; earlier assignments untouched
    out = ev.randomise_cohort(sqlite_engine, C, seed=99, actor="eval")
    assert (out["batch"], out["batch_n"]) == (len(files) + 1, 1)
    with session_scope(sqlite_engine) as s:
        after = {p.pkey: (p.arm, p.batch) for p in CohortRepository(s).participants(C)}
        assert {k: after[k] for k, v in before.items() if v[0] is not None} == {k: v for k, v in before.items() if v[0] is not None}
        assert not verify_records(s).problems and ledger.verify(s).whole
    assert rolling.replay_batches(sqlite_engine, C).ok
    # its wave row: refused while not yet due, accepted once due
    row = _due_outcomes(sqlite_engine, tmp_path, LATER, only=str(child["participant_id"]))
    with pytest.raises(CohortFileError) as exc:
        ev.import_outcomes(sqlite_engine, C, "m12", row, settings=SETTINGS, as_of=dt.date(2027, 4, 14))
    assert EN.render(exc.value.errors[0].message) == "wave m12 not yet due for this participant (due on 15 April 2027)"
    assert ev.import_outcomes(sqlite_engine, C, "m12", row, settings=SETTINGS, as_of=dt.date(2027, 4, 15)).rows == 1


def test_a_referral_row_that_changes_nothing_is_still_registered_twice(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    files, _, _ = _files(tmp_path)
    ev.import_participants(sqlite_engine, C, files[0], settings=SETTINGS)
    first = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    first[first["enrolled"] == "False"].to_csv(tmp_path / "again.csv", index=False)
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(sqlite_engine, C, tmp_path / "again.csv", settings=SETTINGS)
    assert {EN.render(e.message) for e in exc.value.errors} == {"participant already registered for this contract"}
    assert "déjà enregistré" in FR.error(exc.value)


def test_without_rolling_enrolment_people_enrolled_after_the_draw_are_named_as_left_out(sqlite_engine: Engine,
                                                                                       tmp_path: Path) -> None:
    import_contract(sqlite_engine, example_path(C), actor="test")
    assert not load_contract(example_path(C)).evaluation.analysis_plan.rolling
    files = monthly_files(tmp_path, referred(tmp_path))
    assert ev.import_participants(sqlite_engine, C, files[0], settings=SETTINGS).left_out is None  # nothing drawn yet
    ev.randomise_cohort(sqlite_engine, C, seed=5)
    summary = ev.import_participants(sqlite_engine, C, files[1], settings=SETTINGS)
    assert summary.enrolled > 0 and summary.left_out == summary.enrolled and summary.batch is None


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    s = make_site(sqlite_engine)
    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    return s


def test_the_scenario_through_the_web_upload_and_the_randomise_button(site: Site, tmp_path: Path) -> None:
    files, child, later = _files(tmp_path)
    op, evaluator = site.signed_in("operator", lang="fr"), site.signed_in("evaluator", lang="fr")

    def upload(path: Path) -> str:
        token = csrf_of(op, f"/contracts/{C}/data")
        r = op.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                    files={"file": (path.name, path.read_bytes(), "text/csv")}, headers={"hx-request": "true"})
        assert r.status_code == 200, r.text
        return html.unescape(" ".join(r.text.split()))

    def randomise() -> None:
        token = csrf_of(evaluator, f"/contracts/{C}/evaluation")
        r = evaluator.post(f"/contracts/{C}/evaluation/randomise", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text

    for f in files:
        upload(f)
        randomise()
    on = dt.date(2026, 4, 1)
    assert ev.import_outcomes(site.engine, C, "m12", _due_outcomes(site.engine, tmp_path, on), settings=SETTINGS, as_of=on).rows
    said = upload(later)
    assert "1 personne(s) déjà orientée(s) mise(s) à jour" in said
    assert f"Qui rejoint la vague d'inclusion {len(files) + 1} (1)</summary><p translate=\"no\">{child['participant_id']}</p>" in said
    assert f"les 1 nouveaux inclus rejoignent la vague d'inclusion {len(files) + 1}, qu'attendent 1 personne(s)" in said
    randomise()
    with session_scope(site.engine) as s:
        last = rolling.batches(s, C)[-1]
        assert (last.number, last.n, last.first_enrolment) == (len(files) + 1, 1, LATER)


def test_the_database_lets_only_an_unenrolled_unassigned_referral_change(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, rolling_yaml(), actor="test")
    files, _, _ = _files(tmp_path)
    ev.import_participants(engine, C, files[0], settings=SETTINGS)
    ev.randomise_cohort(engine, C, seed=1)
    waiting = "(SELECT MIN(id) FROM cohort_participants WHERE NOT enrolled)"
    assigned = "(SELECT MIN(id) FROM cohort_participants WHERE arm IS NOT NULL)"
    with engine.begin() as c:  # a referral not enrolled: its enrolment may be recorded (by an import, which the ledger vouches)
        c.execute(text(f"UPDATE cohort_participants SET consent = TRUE, enrolled = TRUE, enrolment_date = '2025-06-01' "
                       f"WHERE id = {waiting}"))
    with session_scope(engine) as s:  # done behind Témoin's back, the audit names it
        assert [p.kind.value for p in verify_records(s).problems] == ["participants"]
    for sql in (f"UPDATE cohort_participants SET enrolment_date = '2025-06-02' WHERE id = {assigned}",
                f"UPDATE cohort_participants SET attributes = '{{}}' WHERE id = {assigned}",
                f"UPDATE cohort_participants SET pkey = 'x' WHERE id = {waiting}",
                f"UPDATE cohort_participants SET synthetic = NOT synthetic WHERE id = {waiting}"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text(sql))
