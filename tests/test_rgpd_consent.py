"""Consent's date and scope, and its withdrawal: later wave rows refused with the reason, research
extracts without the person, the evaluation saying how many withdrew (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.opendata.research import build_extract
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.services.governance import verify_audit
from temoin.services.rights import record_withdrawal
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.models.cohorts import ParticipantRow

SETTINGS = Settings()
C = "aemo-renforcee"
FR = Translator("fr")


def _cohort(engine: Engine, tmp: Path, *, n: int = 300, research: bool = True) -> pd.DataFrame:
    """The synthetic cohort imported with the consent's date and scope filled in, locked, randomised."""
    import_contract(engine, example_path(C), actor="test")
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=SETTINGS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).head(n)
    consented = frame["consent"] == "True"
    frame["consent_date"] = ["2026-01-10" if c else "" for c in consented]
    if research:  # one in three consenting people refuses the research reuse
        frame["consent_research"] = ["" if not c else ("non" if i % 3 == 0 else "oui") for i, c in enumerate(consented)]
    frame.to_csv(path, index=False)
    ev.import_participants(engine, C, path, actor="op", settings=SETTINGS)
    ev.lock_plan(engine, C, actor="eval")
    ev.randomise_cohort(engine, C, seed=5, actor="eval")
    return frame


def _randomised_id(engine: Engine, frame: pd.DataFrame) -> str:
    """The identifier of an enrolled, randomised person whose research consent is 'oui'."""
    from temoin.evaluation.pseudonym import pseudonymise

    with session_scope(engine) as s:
        arms = dict(s.execute(select(ParticipantRow.pkey, ParticipantRow.arm).where(ParticipantRow.contract_id == C)).all())
    for ident, research in zip(frame["participant_id"], frame["consent_research"], strict=True):
        if research == "oui" and arms.get(pseudonymise(ident, C, master=SETTINGS.pseudonym_master)) is not None:
            return str(ident)
    raise AssertionError("no randomised person with research consent")


def test_the_consent_scope_is_stored_and_keeps_earlier_files_working(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path, n=120)
    with session_scope(engine) as s:
        rows = s.execute(select(ParticipantRow.consent, ParticipantRow.consent_date, ParticipantRow.consent_research)
                         .where(ParticipantRow.contract_id == C)).all()
    assert len(rows) == 120
    assert {d for c, d, _ in rows if c} == {dt.date(2026, 1, 10)} and {d for c, d, _ in rows if not c} == {None}
    expected_no = int((frame["consent_research"] == "non").sum())
    assert sum(1 for _, _, r in rows if r is False) == expected_no > 0
    assert verify_audit(engine).whole


def test_a_research_consent_without_consent_is_refused(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, example_path(C), actor="test")
    path = tmp_path / "p.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=SETTINGS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).head(40)
    row = int(frame.index[frame["consent"] == "False"][0])
    frame["consent_research"] = ""
    frame.loc[row, "consent_research"] = "oui"
    frame.to_csv(path, index=False)
    with pytest.raises(CohortFileError) as err:
        ev.import_participants(engine, C, path, actor="op", settings=SETTINGS)
    assert [(e.row, e.column) for e in err.value.errors] == [(row + 2, "consent_research")]
    assert "consentement n'est pas donné" in FR.render(err.value.errors[0].message)


def test_a_withdrawn_person_is_refused_at_later_waves_left_out_of_extracts_and_counted(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path)
    ev.generate_synthetic(engine, C, tmp_path / "m12.csv", wave="m12", seed=11, settings=SETTINGS)
    ev.import_outcomes(engine, C, "m12", tmp_path / "m12.csv", actor="eval", settings=SETTINGS)
    who = _randomised_id(engine, frame)
    done = record_withdrawal(engine, C, who, dt.date(2026, 6, 1), settings=SETTINGS, actor="operateur")
    assert done.withdrawals == 1
    with pytest.raises(ConflictError):
        record_withdrawal(engine, C, who, dt.date(2026, 6, 2), settings=SETTINGS)
    with pytest.raises(NotFoundError):
        record_withdrawal(engine, C, "nobody-0000", dt.date(2026, 6, 2), settings=SETTINGS)
    with pytest.raises(InvalidInputError):
        record_withdrawal(engine, C, who, dt.date.today() + dt.timedelta(days=3), settings=SETTINGS)

    # the ledger says when and how many, nothing about whom
    with session_scope(engine) as s:
        entry = next(e for e in ledger.entries(s, contract_id=C) if e.event == "rgpd.consent_withdrawn")
        pkey = s.execute(select(ParticipantRow.pkey).where(ParticipantRow.contract_id == C)).scalars().all()
    payload = json.loads(entry.payload)
    assert payload["withdrawn_on"] == "2026-06-01" and payload["withdrawals"] == 1
    assert who not in entry.payload and not any(k in entry.payload for k in pkey)

    # a later wave: the person's row is refused with the row and the reason; nothing is saved
    m24 = tmp_path / "m24.csv"
    ev.generate_synthetic(engine, C, m24, wave="m24", seed=11, settings=SETTINGS)
    wave = pd.read_csv(m24, dtype=str, keep_default_na=False)
    line = int(wave.index[wave["participant_id"] == who][0]) + 2
    with pytest.raises(CohortFileError) as err:
        ev.import_outcomes(engine, C, "m24", m24, actor="eval", settings=SETTINGS)
    assert [(e.row, e.column, e.value) for e in err.value.errors] == [(line, "participant_id", who)]
    assert FR.render(err.value.errors[0].message) == \
        "consentement retiré le 1 juin 2026 : aucun résultat n'est recueilli après un retrait"
    wave[wave["participant_id"] != who].to_csv(m24, index=False)
    saved = ev.import_outcomes(engine, C, "m24", m24, actor="eval", settings=SETTINGS)
    assert saved.rows == len(wave) - 1

    # the evaluation counts the withdrawal and treats the missing outcome as attrition
    results = ev.evaluate_contract(engine, C, actor="eval")
    with session_scope(engine) as s:
        diagnostics = ev.latest_diagnostics(s, C)
        people = ev.participants_frame(s, C)
        contract = ContractRepository(s).latest(C).contract
    m24_result = next(r for r in results if (r.indicator, r.wave) == ("placement_days", "m24"))
    notes = [FR.render(n) for n in m24_result.effect.notes]
    assert any(n.startswith("1 participant(s) ont retiré leur consentement (1 sans résultat") for n in notes), notes
    gone = diagnostics["placement_days__m24"]["withdrawn"]
    assert gone["withdrawn"] == 1 and gone["without_outcome"] == 1 and gone["treated"] + gone["control"] == 1
    m12 = diagnostics["placement_days__m12"]["withdrawn"]
    assert m12["without_outcome"] == 0  # followed at m12, before withdrawing
    # attrition at m24 counts the missing person: one fewer followed than randomised minus the m24 file's gaps
    assert diagnostics["placement_days__m24"]["attrition"] != diagnostics["placement_days__m12"]["attrition"]

    # research extracts leave out the withdrawn person and those who refused research reuse
    assert people["withdrawn_on"].notna().sum() == 1
    columns = ["pkey", "consent", "consent_research", "withdrawn_on", "arm", "territory"]  # few: no record is suppressed
    extract = build_extract(people[columns], contract, k=2, max_suppressed_share=1.0)
    refused = int((frame["consent_research"] == "non").sum())
    no_consent = int((people["consent"] == False).sum())  # noqa: E712 (a column of booleans)
    assert extract.withdrawn == 1
    assert extract.without_consent == no_consent + refused
    kept = len(people) - no_consent - refused - 1
    assert len(extract.frame) + extract.anonymised.suppressed_records == kept
    assert not {"withdrawn_on", "consent_research"} & set(extract.frame.columns)
    assert verify_audit(engine).whole


def test_without_research_scope_the_general_consent_applies_as_before(engine: Engine, tmp_path: Path) -> None:
    _cohort(engine, tmp_path, n=200, research=False)
    with session_scope(engine) as s:
        people = ev.participants_frame(s, C)
        contract = ContractRepository(s).latest(C).contract
    assert "consent_research" not in people.columns and "withdrawn_on" not in people.columns
    extract = build_extract(people[["pkey", "consent", "arm", "territory"]], contract, k=2, max_suppressed_share=1.0)
    assert extract.without_consent == int((people["consent"] == False).sum()) and extract.withdrawn == 0  # noqa: E712
