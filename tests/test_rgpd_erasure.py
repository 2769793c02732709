"""Erasure keeps the audit trail honest: a person's rows leave every table in one transaction, the
ledger names the erasure, and `audit verify` still passes (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from tests.test_rgpd_consent import SETTINGS, C, _cohort, _randomised_id
from typer.testing import CliRunner

from temoin.contract.data_protection import ErasureRule, Retention, RetentionEnd, retention_end
from temoin.evaluation.pseudonym import pseudonymise
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.services.erasure import PERSONAL_TABLES, apply_retention, erase_person
from temoin.services.governance import verify_audit
from temoin.services.rights import record_withdrawal
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.models.cohorts import ParticipantRow

FR = Translator("fr")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: int(c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in PERSONAL_TABLES}


def _person_rows(engine: Engine, pkey: str) -> dict[str, int]:
    """Rows that still hold this pseudonym or its participant id, per table."""
    with engine.connect() as c:
        pid = c.execute(text("SELECT id FROM cohort_participants WHERE pkey = :k"), {"k": pkey}).scalar_one_or_none()
        out = {"cohort_participants": 0 if pid is None else 1}
        for t in PERSONAL_TABLES[1:]:
            out[t] = 0 if pid is None else int(c.execute(text(f"SELECT count(*) FROM {t} WHERE participant_id = :p"),
                                                         {"p": pid}).scalar_one())
    return out


def test_an_erasure_removes_the_person_from_every_table_and_the_audit_still_passes(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path, n=200)
    for wave in ("m12", "m24"):
        ev.generate_synthetic(engine, C, tmp_path / f"{wave}.csv", wave=wave, seed=11, settings=SETTINGS)
        ev.import_outcomes(engine, C, wave, tmp_path / f"{wave}.csv", actor="eval", settings=SETTINGS)
    who = _randomised_id(engine, frame)
    pkey = pseudonymise(who, C, master=SETTINGS.pseudonym_master)
    record_withdrawal(engine, C, who, dt.date(2026, 9, 1), settings=SETTINGS)
    ev.evaluate_contract(engine, C, actor="eval")
    before, mine = _counts(engine), _person_rows(engine, pkey)
    assert mine == {"cohort_participants": 1, "cohort_outcomes": 2, "rgpd_withdrawals": 1, "rgpd_rectifications": 0,
                    "cohort_batch_members": 0}
    assert verify_audit(engine).whole

    done = erase_person(engine, C, who, rule=ErasureRule.ERASURE_REQUEST, settings=SETTINGS, actor="dpo",
                        today=dt.date(2026, 10, 2))
    after = _counts(engine)
    assert {t: before[t] - after[t] for t in PERSONAL_TABLES} == mine == done.rows
    assert _person_rows(engine, pkey) == {t: 0 for t in PERSONAL_TABLES}
    status = verify_audit(engine)
    assert status.whole, [FR.render(p.describe()) for p in status.problems]
    assert [FR.render(m) for m in status.erasures] == [
        f"Entrée {done.ledger_seq} : données personnelles de 1 personne(s) de {C} effacées le 2 octobre 2026 selon la "
        "règle « demande d'effacement de la personne » ; les enregistrements sont vérifiés sur ce qui reste."]
    with session_scope(engine) as s:
        entry = ledger.entries(s, contract_id=C, limit=1)[0]
        assert ledger.verify(s).whole
    assert entry.event == "rgpd.erased" and pkey not in entry.payload and who not in entry.payload
    payload = json.loads(entry.payload)
    assert payload["erasure_rule"] == "erasure_request" and payload["people"] == 1 and set(payload["waves"]) == {"m12", "m24"}


def test_an_erased_row_restored_by_hand_or_a_row_deleted_without_erasure_is_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    frame = _cohort(engine, tmp_path, n=120)
    who = _randomised_id(engine, frame)
    erase_person(engine, C, who, rule=ErasureRule.OBJECTION, settings=SETTINGS)
    assert verify_audit(engine).whole
    # the guards still refuse a delete that no erasure permits
    with pytest.raises(Exception, match="append-only"), engine.begin() as c:
        c.execute(text("DELETE FROM cohort_participants WHERE id = (SELECT min(id) FROM cohort_participants)"))
    # and a row taken out behind Témoin's back (guards dropped) is seen by the audit
    with engine.begin() as c:
        c.execute(text("DROP TRIGGER cohort_participants_no_delete"))
        c.execute(text("DELETE FROM cohort_participants WHERE id = (SELECT max(id) FROM cohort_participants WHERE arm IS NULL)"))
    status = verify_audit(engine)
    assert not status.whole and status.problems[0].kind.value == "participants"


@pytest.mark.parametrize("at_end", [RetentionEnd.ERASE, RetentionEnd.REVIEW])
def test_retention_erases_everyone_once_the_period_has_ended(sqlite_engine: Engine, tmp_path: Path, at_end: RetentionEnd) -> None:
    engine = sqlite_engine
    _cohort(engine, tmp_path, n=80)
    ev.generate_synthetic(engine, C, tmp_path / "m12.csv", wave="m12", seed=11, settings=SETTINGS)
    ev.import_outcomes(engine, C, "m12", tmp_path / "m12.csv", actor="eval", settings=SETTINGS)
    from temoin.services.contracts import import_contract
    from temoin.store.contracts import ContractRepository

    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(C).contract
    from temoin.contract.data_protection import DataProtection
    from temoin.contract.loading import dump_contract

    changed = contract.model_copy(update={"data_protection": DataProtection(
        participants=Retention(months_after_end=24, at_end=at_end), outcomes=Retention(months_after_end=12, at_end=at_end))})
    path = tmp_path / "c.yaml"
    path.write_text(dump_contract(changed), encoding="utf-8")
    import_contract(engine, path, actor="test")
    outcomes_end = retention_end(contract.end_date, Retention(months_after_end=12))
    before = _counts(engine)
    assert apply_retention(engine, C, as_of=outcomes_end)[0].erased is None  # the last day: still kept
    middle = apply_retention(engine, C, as_of=outcomes_end + dt.timedelta(days=1))
    if at_end is RetentionEnd.REVIEW:
        assert [d.to_review for d in middle[:2]] == [before["cohort_outcomes"], 0] and _counts(engine) == before
        return
    assert _counts(engine)["cohort_outcomes"] == 0 and _counts(engine)["cohort_participants"] == before["cohort_participants"]
    assert verify_audit(engine).whole
    late = apply_retention(engine, C, as_of=retention_end(contract.end_date, Retention(months_after_end=24)) + dt.timedelta(days=1))
    assert late[1].erased is not None and late[1].erased.people == before["cohort_participants"]
    assert _counts(engine) == {t: 0 for t in PERSONAL_TABLES}
    status = verify_audit(engine)
    assert status.whole and len(status.erasures) == 2
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(ParticipantRow)).scalar_one() == 0


def test_retention_end_counts_months_from_the_contracts_end() -> None:
    assert retention_end(dt.date(2030, 6, 30), Retention(months_after_end=0)) == dt.date(2030, 6, 30)
    assert retention_end(dt.date(2030, 6, 30), Retention(months_after_end=60)) == dt.date(2035, 6, 30)
    assert retention_end(dt.date(2031, 8, 31), Retention(months_after_end=6)) == dt.date(2032, 2, 29)  # leap year
    assert retention_end(dt.date(2030, 3, 15), Retention(months_after_end=14)) == dt.date(2031, 5, 15)


def test_the_audit_command_names_the_erasure(cli_env: Engine, tmp_path: Path) -> None:
    from temoin.cli import app

    frame = _cohort(cli_env, tmp_path, n=60)
    erase_person(cli_env, C, _randomised_id(cli_env, frame), rule=ErasureRule.ERASURE_REQUEST, settings=Settings())
    out = CliRunner().invoke(app, ["--lang", "fr", "audit", "verify"])
    assert out.exit_code == 0, out.output
    assert "effacées le" in out.output and "demande d'effacement de la personne" in out.output


def test_the_report_says_when_data_were_erased_and_keeps_the_published_results(sqlite_engine: Engine, tmp_path: Path) -> None:
    from temoin.reports.report import render_html
    from temoin.services.reports import build_report

    engine = sqlite_engine
    frame = _cohort(engine, tmp_path, n=200)
    for wave in ("m12", "m24"):
        ev.generate_synthetic(engine, C, tmp_path / f"{wave}.csv", wave=wave, seed=11, settings=SETTINGS)
        ev.import_outcomes(engine, C, wave, tmp_path / f"{wave}.csv", actor="eval", settings=SETTINGS)
    results = ev.evaluate_contract(engine, C, actor="eval")
    erase_person(engine, C, _randomised_id(engine, frame), rule=ErasureRule.ERASURE_REQUEST, settings=SETTINGS,
                 today=dt.date(2026, 11, 5))
    with session_scope(engine) as s:
        assert [r.result_hash for r in ev.latest_results(s, C)] == [r.result_hash for r in results]  # not recomputed
    html = render_html(build_report(engine, C, settings=SETTINGS, lang="fr"))
    assert ("Données personnelles effacées le 5 novembre 2026 (1 personne(s), règle « demande d'effacement de la "
            "personne ») : les résultats publiés avant cette date") in html.replace("&#39;", "'")


def test_erasing_a_member_of_a_rolling_batch_keeps_the_audit_whole(sqlite_engine: Engine, tmp_path: Path) -> None:
    from temoin.services.contracts import import_contract
    from test_enrolment_rolling import monthly_files, referred, rolling_yaml

    import_contract(sqlite_engine, rolling_yaml(), actor="test")
    frame = referred(tmp_path)
    for f in monthly_files(tmp_path, frame)[:2]:
        ev.import_participants(sqlite_engine, C, f, settings=SETTINGS)
        ev.randomise_cohort(sqlite_engine, C, seed=3)
    with sqlite_engine.connect() as c:
        pkey = c.execute(text("SELECT pkey FROM cohort_participants WHERE batch = 1 ORDER BY id LIMIT 1")).scalar_one()
    who = next(i for i in frame["participant_id"] if pseudonymise(i, C, master=SETTINGS.pseudonym_master) == pkey)
    done = erase_person(sqlite_engine, C, who, rule=ErasureRule.ERASURE_REQUEST, settings=SETTINGS)
    assert done.rows["cohort_participants"] == 1
    status = verify_audit(sqlite_engine)
    assert status.whole, [FR.render(p.describe()) for p in status.problems]
    with session_scope(sqlite_engine) as s:
        entry = json.loads(ledger.entries(s, contract_id=C, limit=1)[0].payload)
    assert set(entry["batches"]) == {"1"} and "list_hash" in entry
