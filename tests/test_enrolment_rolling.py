"""Rolling enrolment (issue 17): batches randomised as people join, stored, vouched and replayed; refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from temoin.contract.loading import load_contract, parse_contract
from temoin.errors import ConflictError, TemoinError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.plan import plan_document, plan_hash
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.audit import verify_records
from temoin.store.cohorts import CohortRepository, batch_members

FR, EN = Translator("fr"), Translator("en")
SETTINGS = Settings()
C = "aemo-renforcee"
CLOSES = dt.date(2026, 6, 30)
PLAN_LINE = "    multiplicity: holm\n"


def rolling_yaml(closes: dt.date = CLOSES) -> str:
    source = example_path(C).read_text(encoding="utf-8")
    assert PLAN_LINE in source
    return source.replace(PLAN_LINE, PLAN_LINE + f"    enrolment: {{rolling: true, closes: {closes.isoformat()}}}\n")


def referred(tmp: Path, seed: int = 11) -> pd.DataFrame:
    path = tmp / "all.csv"
    ev.generate_synthetic(None, C, path, seed=seed, settings=SETTINGS)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def monthly_files(tmp: Path, frame: pd.DataFrame) -> list[Path]:
    """One participant file per month of enrolment (the referred-but-not-enrolled with their referral month)."""
    month = frame["enrolment_date"].where(frame["enrolment_date"] != "", frame["referral_date"]).str[:7]
    out = []
    for m in sorted(month.unique()):
        p = tmp / f"participants-{m}.csv"
        frame[month == m].to_csv(p, index=False)
        out.append(p)
    return out


@pytest.fixture
def rolling_engine(sqlite_engine: Engine) -> Engine:
    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    return sqlite_engine


def test_a_plan_without_enrolment_keeps_its_hash_and_rolling_needs_a_closing_date() -> None:
    plain = load_contract(example_path(C))
    assert plain.evaluation.analysis_plan.enrolment is None and not plain.evaluation.analysis_plan.rolling
    assert "enrolment" not in plan_document(plain)["analysis_plan"]
    roll = parse_contract(rolling_yaml())
    assert roll.evaluation.analysis_plan.rolling and roll.evaluation.analysis_plan.enrolment.closes == CLOSES  # type: ignore[union-attr]
    assert plan_document(roll)["analysis_plan"]["enrolment"] == {"rolling": True, "closes": "2026-06-30"}
    assert plan_hash(plan_document(roll)) != plan_hash(plan_document(plain))
    with pytest.raises(TemoinError) as exc:
        parse_contract(example_path(C).read_text(encoding="utf-8").replace(PLAN_LINE, PLAN_LINE + "    enrolment: {rolling: true}\n"))
    assert "closing date" in EN.error(exc.value) and "date de clôture" in FR.error(exc.value)


def test_monthly_batches_are_randomised_as_people_join_and_replay_exactly(rolling_engine: Engine, tmp_path: Path) -> None:
    files = monthly_files(tmp_path, referred(tmp_path))
    assert len(files) >= 10
    numbers = []
    for i, f in enumerate(files):
        imp = ev.import_participants(rolling_engine, C, f, settings=SETTINGS, actor="op")
        assert imp.batch == len(numbers) + 1 and imp.waiting == imp.enrolled  # who joins which batch
        if imp.enrolled:
            out = ev.randomise_cohort(rolling_engine, C, seed=1000 + i, actor="eval")
            numbers.append(out["batch"])
            assert out["batch_n"] == imp.enrolled
    assert numbers == list(range(1, len(numbers) + 1))
    with session_scope(rolling_engine) as s:
        people = [p for p in CohortRepository(s).participants(C) if p.enrolled]
        assert all(p.arm is not None and p.batch is not None for p in people)
        entries = [e for e in ledger.entries(s, contract_id=C) if e.event == "cohort.randomised"]
        assert sorted(json.loads(e.payload)["batch"] for e in entries) == numbers
        assert ledger.verify(s).whole and not verify_records(s).problems
        # within every stratum, the arms never differ by more than one block (4 for a ratio of 1/2)
        frame = ev.participants_frame(s, C)
    enrolled = frame[frame["enrolled"].astype(bool)]
    for _, g in enrolled.groupby(["territory", "risk_level"]):
        assert abs(int((g["arm"] == 1).sum()) - int((g["arm"] == 0).sum())) <= 2  # half a block at most, by construction
    check = rolling.replay_batches(rolling_engine, C)
    assert check.ok and check.batches == len(numbers) and check.reproduced == len(people)


def test_a_stored_assignment_never_changes(rolling_engine: Engine, tmp_path: Path) -> None:
    files = monthly_files(tmp_path, referred(tmp_path))
    ev.import_participants(rolling_engine, C, files[0], settings=SETTINGS)
    ev.randomise_cohort(rolling_engine, C, seed=1)
    for sql in ("UPDATE cohort_participants SET arm = 1 - arm WHERE batch IS NOT NULL",
                "UPDATE cohort_participants SET batch = 7 WHERE batch IS NOT NULL",
                "UPDATE cohort_batches SET seed = '2'", "DELETE FROM cohort_batches"):
        with pytest.raises(DBAPIError), rolling_engine.begin() as conn:
            conn.execute(text(sql))
    # a second batch leaves the first alone, even after outcomes exist
    ev.import_participants(rolling_engine, C, files[1], settings=SETTINGS)
    with session_scope(rolling_engine) as s:
        before = {p.pkey: p.arm for p in CohortRepository(s).participants(C) if p.arm is not None}
    ev.randomise_cohort(rolling_engine, C, seed=2)
    with session_scope(rolling_engine) as s:
        after = {p.pkey: p.arm for p in CohortRepository(s).participants(C) if p.arm is not None}
    assert {k: after[k] for k in before} == before and len(after) > len(before)
    with pytest.raises(ConflictError) as exc:
        ev.randomise_cohort(rolling_engine, C, seed=3)
    assert exc.value.code == "enrolment.nobody_waiting" and "attend" in FR.error(exc.value)


def test_refusals_name_the_row_and_the_reason_and_write_nothing(rolling_engine: Engine, tmp_path: Path) -> None:
    frame = referred(tmp_path)
    files = monthly_files(tmp_path, frame)
    ev.import_participants(rolling_engine, C, files[0], settings=SETTINGS)
    ev.randomise_cohort(rolling_engine, C, seed=1)
    with session_scope(rolling_engine) as s:
        n_events = len(ledger.entries(s, contract_id=C))
    first = pd.read_csv(files[0], dtype=str, keep_default_na=False)
    # a person enrolled twice: already registered
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(rolling_engine, C, files[0], settings=SETTINGS)
    assert exc.value.errors[0].row == 2 and "already registered" in EN.render(exc.value.errors[0].message)
    # enrolment after the closing date, and an enrolled person without a date
    late = pd.read_csv(files[1], dtype=str, keep_default_na=False)
    rows = late.index[late["enrolled"] == "True"][:2]
    late.loc[rows[0], "enrolment_date"] = "2026-07-01"
    late.loc[rows[1], "enrolment_date"] = ""
    late.to_csv(tmp_path / "late.csv", index=False)
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(rolling_engine, C, tmp_path / "late.csv", settings=SETTINGS)
    said = {(e.row, e.column): EN.render(e.message) for e in exc.value.errors}
    assert said == {(int(rows[0]) + 2, "enrolment_date"): "enrolment after the closing date (30 June 2026)",
                    (int(rows[1]) + 2, "enrolment_date"):
                        "enrolment date required: enrolment is rolling, each person is followed from their own date"}
    assert "après la date de clôture (30 juin 2026)" in FR.error(exc.value)
    # a batch naming people already assigned, or twice
    ev.import_participants(rolling_engine, C, files[1], settings=SETTINGS)
    new = late.loc[late["enrolled"] == "True", "participant_id"].tolist()
    old = first.loc[first["enrolled"] == "True", "participant_id"].tolist()
    with pytest.raises(CohortFileError) as exc:
        rolling.randomise_next_batch(rolling_engine, C, seed=2, members=[new[2], old[0], new[2]], settings=SETTINGS)
    said = {(e.row, e.value): EN.render(e.message) for e in exc.value.errors}
    assert said == {(2, old[0]): "already assigned in an earlier batch (an assignment never changes)",
                    (3, new[2]): "listed twice in the batch"}
    with session_scope(rolling_engine) as s:
        assert len(ledger.entries(s, contract_id=C)) == n_events + 1  # the second file's import only
        assert len(CohortRepository(s).batches(C)) == 1
    out = rolling.randomise_next_batch(rolling_engine, C, seed=2, members=new[:3], settings=SETTINGS)
    assert out["batch"] == 2 and out["batch_n"] == 3


def test_a_contract_without_rolling_enrolment_randomises_as_before(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contract(sqlite_engine, example_path(C), actor="test")
    files = monthly_files(tmp_path, referred(tmp_path))
    imp = ev.import_participants(sqlite_engine, C, files[0], settings=SETTINGS)
    assert imp.batch is None and imp.waiting is None
    out = ev.randomise_cohort(sqlite_engine, C, seed=5)
    assert "batch" not in out
    with session_scope(sqlite_engine) as s:
        assert all(p.batch is None for p in CohortRepository(s).participants(C))
    with pytest.raises(TemoinError) as exc:
        rolling.randomise_next_batch(sqlite_engine, C)
    assert exc.value.code == "enrolment.not_rolling"


def test_the_batch_rows_hold_members_and_the_state_left(rolling_engine: Engine, tmp_path: Path) -> None:
    files = monthly_files(tmp_path, referred(tmp_path))
    ev.import_participants(rolling_engine, C, files[0], settings=SETTINGS)
    out = ev.randomise_cohort(rolling_engine, C, seed=7)
    with session_scope(rolling_engine) as s:
        row = CohortRepository(s).batches(C)[0]
        labels = json.loads(row.labels)
        state = json.loads(row.state)
        listed = rolling.batches(s, C)
        members = batch_members(s, C, 1)
    assert row.seed == out["seed"] == "7" and row.block_size == 4 and len(labels) == len(members) == out["batch_n"]
    assert all("|" in lab for lab in labels)  # territory|risk_level: each place's stratum, no key
    keys = [members[i].key for i in range(len(labels))]
    assert keys == sorted(keys)  # places in the draw's order
    lines = [json.dumps([k, lab], separators=(",", ":"), ensure_ascii=False) for k, lab in zip(keys, labels, strict=True)]
    assert row.members_sha256 == out["members_sha256"] == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    assert state["assigned_count"] == len(labels)
    assert all(0 <= t <= 2 and 0 <= c <= 2 for t, c in state["open_blocks"].values())
    assert listed[0].number == 1 and listed[0].first_enrolment is not None


def _literal_ids(path: Path) -> set[str]:
    import ast

    return {node.args[0].value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Msg", "t", "tr")
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_of_rolling_enrolment_is_in_both_catalogues(lang: str) -> None:
    from temoin.evaluation.schedule import WaveStatus
    from temoin.i18n import catalogue

    src = Path(__file__).resolve().parents[1] / "src" / "temoin"
    files = [src / "evaluation" / "enrolment.py", src / "evaluation" / "schedule.py", src / "services" / "enrolment.py"]
    ids = set().union(*(_literal_ids(p) for p in files))
    assert len(ids) >= 15
    words = catalogue(lang)
    assert sorted(i for i in ids if i not in words) == []
    assert all(f"label:wave_status:{s.value}" in words for s in WaveStatus)


def test_the_audit_names_a_batch_changed_behind_the_triggers(rolling_engine: Engine, tmp_path: Path) -> None:
    files = monthly_files(tmp_path, referred(tmp_path))
    for f in files[:2]:
        ev.import_participants(rolling_engine, C, f, settings=SETTINGS)
        ev.randomise_cohort(rolling_engine, C, seed=3)
    with session_scope(rolling_engine) as s:
        assert not verify_records(s).problems
    with rolling_engine.begin() as conn:  # someone with the database's keys, going around Témoin
        conn.execute(text("DROP TRIGGER cohort_batches_no_update"))
        conn.execute(text("UPDATE cohort_batches SET seed = '4' WHERE number = 2"))
    with session_scope(rolling_engine) as s:
        problems = verify_records(s).problems
    assert [(p.ref, p.detail.params.get("name")) for p in problems] == [(f"{C} batch 2", "seed")]
    with rolling_engine.begin() as conn:
        conn.execute(text("UPDATE cohort_batches SET seed = '3' WHERE number = 2"))
        conn.execute(text("DROP TRIGGER cohort_participants_batch_guard"))
        conn.execute(text("UPDATE cohort_participants SET arm = 1 - arm WHERE id = "
                          "(SELECT MIN(id) FROM cohort_participants WHERE batch = 1)"))
    with session_scope(rolling_engine) as s:
        named = {(p.ref, p.detail.params.get("name")) for p in verify_records(s).problems}
    assert (f"{C} batch 1", "arms") in named
