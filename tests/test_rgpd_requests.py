"""Rights requests: the person found by their identifier, an access export of everything held on the
pseudonym and nothing of others, rectification as a new version, erasure on request, deadlines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.test_rgpd_consent import SETTINGS, C, _cohort, _randomised_id

from temoin.contract.data_protection import RequestKind, RequestOutcome, answer_due
from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.pseudonym import pseudonymise
from temoin.i18n import Translator
from temoin.reports.rgpd import access_text
from temoin.services import evaluations as ev
from temoin.services.governance import verify_audit
from temoin.services.requests import (
    access_export,
    answer_request,
    list_requests,
    receive_request,
    rectify,
)
from temoin.services.rights import record_withdrawal
from temoin.store import session_scope
from temoin.store.contracts import ContractRepository

FR = Translator("fr")


def test_the_deadline_is_one_month_after_receipt() -> None:
    assert answer_due(dt.date(2026, 3, 15)) == dt.date(2026, 4, 15)
    assert answer_due(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert answer_due(dt.date(2026, 12, 3)) == dt.date(2027, 1, 3)


def test_access_export_holds_every_stored_field_of_the_person_and_nothing_of_others(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path, n=150)
    ev.generate_synthetic(engine, C, tmp_path / "m12.csv", wave="m12", seed=11, settings=SETTINGS)
    ev.import_outcomes(engine, C, "m12", tmp_path / "m12.csv", actor="eval", settings=SETTINGS)
    who = _randomised_id(engine, frame)
    pkey = pseudonymise(who, C, master=SETTINGS.pseudonym_master)
    record_withdrawal(engine, C, who, dt.date(2026, 5, 4), settings=SETTINGS)
    req = receive_request(engine, C, f"  {who} ", RequestKind.ACCESS, dt.date(2026, 5, 6), settings=SETTINGS)
    assert req.due_on == dt.date(2026, 6, 6)
    export = access_export(engine, C, who, settings=SETTINGS)
    # every stored column of the person's rows, read straight from the database
    with engine.connect() as c:
        row = c.execute(text("SELECT * FROM cohort_participants WHERE pkey = :k"), {"k": pkey}).mappings().one()
        outcomes = c.execute(text("SELECT wave, \"values\" FROM cohort_outcomes WHERE participant_id = :p"),
                             {"p": row["id"]}).all()
        others = c.execute(text("SELECT pkey FROM cohort_participants WHERE pkey <> :k"), {"k": pkey}).scalars().all()
    assert export.pseudonym == pkey and export.attributes == json.loads(row["attributes"])
    for column, value in row.items():
        if column in ("id", "contract_id", "pkey", "attributes"):
            continue
        assert column in export.participant, column
        assert _same(export.participant[column], value), (column, export.participant[column], value)
    assert [(o["wave"], o["values"]) for o in export.outcomes] == [(w, json.loads(v)) for w, v in outcomes]
    assert export.withdrawal == dt.date(2026, 5, 4) and [r.id for r in export.requests] == [req.id]
    page = access_text(export, FR, ContractRepository_contract(engine))
    assert who not in page  # the identifier is never stored, so never shown back
    assert pkey in page and "Retrait du consentement : 4 mai 2026" in page
    assert not any(k in page for k in others)
    contract = ContractRepository_contract(engine)
    for a in contract.population.attributes:  # by their labels
        assert f"{a.label.fr} : " in page
    with pytest.raises(NotFoundError):
        access_export(engine, C, "ASE-0000-unknown", settings=SETTINGS)


def _same(exported: object, raw: object) -> bool:
    """A value of the export against the database's raw value (SQLite gives dates as text, booleans as 0/1)."""
    if isinstance(exported, bool) or raw is None or exported is None:
        return exported == (bool(raw) if isinstance(raw, int) and raw is not None else raw)
    if isinstance(exported, dt.datetime):
        raw_text = raw.isoformat(sep=" ") if isinstance(raw, dt.datetime) else str(raw)
        return exported.isoformat(sep=" ")[:19] == raw_text[:19]
    if isinstance(exported, dt.date):
        return exported.isoformat() == str(raw)[:10]
    return exported == raw


def ContractRepository_contract(engine: Engine):
    with session_scope(engine) as s:
        return ContractRepository(s).latest(C).contract


def test_rectification_is_a_new_version_and_the_old_one_stays(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path, n=100)
    who = _randomised_id(engine, frame)
    before = access_export(engine, C, who, settings=SETTINGS).attributes
    new_age = 3 if before["age"] != 3 else 4
    with pytest.raises(CohortFileError):
        rectify(engine, C, who, {"age": "200"}, reason="erreur de saisie", settings=SETTINGS)
    with pytest.raises(InvalidInputError):
        rectify(engine, C, who, {"nom": "Dupont"}, reason="x", settings=SETTINGS)
    with pytest.raises(InvalidInputError):
        rectify(engine, C, who, {"age": str(new_age)}, reason=" ", settings=SETTINGS)
    after = rectify(engine, C, who, {"age": str(new_age)}, reason="erreur de saisie", settings=SETTINGS)
    assert after["age"] == new_age and {k: v for k, v in after.items() if k != "age"} == \
        {k: v for k, v in before.items() if k != "age"}
    export = access_export(engine, C, who, settings=SETTINGS)
    assert export.attributes == before  # the first version stays
    assert [r["attributes"]["age"] for r in export.rectifications] == [new_age]
    with session_scope(engine) as s:
        people = ev.participants_frame(s, C)
    pkey = pseudonymise(who, C, master=SETTINGS.pseudonym_master)
    assert int(people.loc[people["pkey"] == pkey, "age"].iloc[0]) == new_age  # the evaluation reads the correction
    assert verify_audit(engine).whole
    with engine.begin() as c:  # a version changed behind Témoin's back is seen
        c.execute(text("DROP TRIGGER rgpd_rectifications_guard ON rgpd_rectifications")
                  if engine.dialect.name == "postgresql" else text("DROP TRIGGER rgpd_rectifications_no_update"))
        c.execute(text("UPDATE rgpd_rectifications SET reason = 'autre'"))
    status = verify_audit(engine)
    assert not status.whole and status.problems[0].kind.value == "rectifications"


def test_erasure_request_answered_erases_and_the_request_log_stays(engine: Engine, tmp_path: Path) -> None:
    frame = _cohort(engine, tmp_path, n=100)
    who = _randomised_id(engine, frame)
    req = receive_request(engine, C, who, RequestKind.ERASURE, dt.date(2026, 3, 1), settings=SETTINGS,
                          today=dt.date(2026, 3, 2))
    objection = receive_request(engine, C, who, RequestKind.OBJECTION, dt.date(2026, 3, 2), settings=SETTINGS,
                                today=dt.date(2026, 3, 2))
    assert [r.id for r in list_requests(engine, C)] == [req.id, objection.id]
    with pytest.raises(InvalidInputError):
        answer_request(engine, objection.id, RequestOutcome.REFUSED, answer="  ")
    answer_request(engine, objection.id, RequestOutcome.REFUSED, answer="Art. 21-6 : mission d'intérêt public",
                   today=dt.date(2026, 3, 10))
    done = answer_request(engine, req.id, RequestOutcome.DONE, today=dt.date(2026, 4, 3))
    assert done.person_erased and done.late(dt.date(2026, 4, 3)) and done.answered_on == dt.date(2026, 4, 3)
    with pytest.raises(ConflictError):
        answer_request(engine, req.id, RequestOutcome.DONE)
    with pytest.raises(NotFoundError):
        access_export(engine, C, who, settings=SETTINGS)
    views = list_requests(engine, C)
    assert {v.id: (v.outcome, v.person_erased) for v in views} == {
        req.id: (RequestOutcome.DONE, True), objection.id: (RequestOutcome.REFUSED, True)}
    status = verify_audit(engine)
    assert status.whole and len(status.erasures) == 1
