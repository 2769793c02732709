"""Settlement records: stored with their inputs and ledger entry, approvals, supersession, append-only.

Runs on SQLite and on the throwaway PostgreSQL cluster (``engine`` fixture).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.i18n import Translator
from temoin.services.contracts import get_contract, import_contract
from temoin.services.settlements import (
    approve,
    get_settlement,
    list_settlements,
    run_settlement,
    supersede,
)
from temoin.settlement.inputs import results_from_data
from temoin.store import downgrade, ledger, migrate, session_scope
from temoin.store.models.ledger import LedgerRow
from temoin.store.models.settlements import SettlementRow

EXAMPLE = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
ROWS = [{"indicator": "placement_days", "wave": "m12", "improvement": 30, "improvement_lower": 18,
         "n_treated_followed": 368, "grade": "meets_without_reservations"},
        {"indicator": "placement_days", "wave": "m24", "improvement": 52, "improvement_lower": 35,
         "n_treated_followed": 368, "grade": "meets_without_reservations"}]


def _setup(engine: Engine, rows: list[dict[str, object]] = ROWS, version: int | None = None):  # type: ignore[no-untyped-def]
    import_contract(engine, EXAMPLE, actor="test")
    stored = get_contract(engine, "aemo-renforcee")
    return results_from_data(stored.contract, version or stored.version, rows)


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        return (s.execute(select(func.count()).select_from(SettlementRow)).scalar_one(),
                s.execute(select(func.count()).select_from(LedgerRow)).scalar_one())


def test_settlement_is_recorded_with_inputs_outputs_and_ledger_entry(engine: Engine) -> None:
    results = _setup(engine)
    rec, _ = run_settlement(engine, "aemo-renforcee", actor="alice", results=results)
    assert str(rec.total_paid.amount) == "1379672.38" and rec.final and rec.status == "current"
    assert rec.contract_version == 1 and len(rec.contract_hash) == 64
    assert [r["result_hash"] for r in rec.inputs["results"]] == [r.result_hash for r in results]
    caps = {c["name"]: c for c in rec.outputs["periods"][1]["caps"]}
    assert caps["investor_return"]["reduction"] == "552327.62"
    with session_scope(engine) as ses:
        entry = ledger.entries(ses, contract_id="aemo-renforcee", limit=1)[0]
        assert entry.event == "settlement.recorded" and entry.actor == "alice"
        assert rec.outputs_hash in entry.payload
        assert ledger.verify(ses).whole


def test_result_from_another_version_records_nothing(engine: Engine) -> None:
    results = _setup(engine, version=7)
    before = _counts(engine)
    with pytest.raises(InvalidInputError) as e:
        run_settlement(engine, "aemo-renforcee", actor="alice", results=results)
    assert e.value.code == "settlement.result_other_version"
    assert _counts(engine) == before


def test_settlement_date_before_start_records_nothing(engine: Engine) -> None:
    results = _setup(engine)
    before = _counts(engine)
    with pytest.raises(InvalidInputError):
        run_settlement(engine, "aemo-renforcee", actor="alice", results=results, as_of=dt.date(2020, 1, 1))
    assert _counts(engine) == before


def test_without_results_it_says_what_to_do(engine: Engine) -> None:
    _setup(engine)
    with pytest.raises(NotFoundError) as e:
        run_settlement(engine, "aemo-renforcee", actor="alice")
    assert "Run the evaluation first" in (e.value.hint() or "")


def test_approvals_in_order_by_the_right_parties(engine: Engine) -> None:
    rec, _ = run_settlement(engine, "aemo-renforcee", actor="a", results=_setup(engine))
    with pytest.raises(ConflictError):  # the payer cannot approve before the evaluator certifies
        approve(engine, rec.id, kind="payer_approval", party_id="dept-nord", person="Claire Martin", actor="a")
    with pytest.raises(InvalidInputError) as e:  # an investor cannot certify
        approve(engine, rec.id, kind="evaluator_certification", party_id="banque-solidaire", person="X", actor="a")
    assert "labo-eval" in e.value.render()
    approve(engine, rec.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="a")
    with pytest.raises(ConflictError):
        approve(engine, rec.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="a")
    approve(engine, rec.id, kind="payer_approval", party_id="dept-nord", person="Claire Martin", actor="a")
    done = approve(engine, rec.id, kind="observer_acknowledgement", party_id="union-assos", person="Karim Benali", actor="a")
    assert [a.kind for a in done.approvals] == ["evaluator_certification", "payer_approval", "observer_acknowledgement"]


def test_a_correction_supersedes_with_a_reason_and_both_stay(engine: Engine) -> None:
    results = _setup(engine)
    first, _ = run_settlement(engine, "aemo-renforcee", actor="a", results=results, as_of=dt.date(2027, 12, 31))
    with pytest.raises(InvalidInputError):
        supersede(engine, first.id, reason="  ", actor="a", results=results)
    corrected_rows = [dict(ROWS[0], improvement_lower=16)]
    second, s = supersede(engine, first.id, reason="Extraction ASE corrigée", actor="a", as_of=dt.date(2027, 12, 31),
                          results=results_from_data(get_contract(engine, "aemo-renforcee").contract, 1, corrected_rows))
    assert str(s.total_paid.amount) == "883200.00"  # 16 × 368 × 150
    old = get_settlement(engine, first.id)
    assert old.status == "superseded" and old.superseded_by == second.id and str(old.total_paid.amount) == "993600.00"
    assert second.supersedes_id == first.id and second.reason == "Extraction ASE corrigée"
    assert [r.id for r in list_settlements(engine, "aemo-renforcee")] == [first.id, second.id]
    with pytest.raises(ConflictError):
        supersede(engine, first.id, reason="encore", actor="a", results=results)
    with pytest.raises(ConflictError):
        approve(engine, first.id, kind="evaluator_certification", party_id="labo-eval", person="J", actor="a")


def test_records_cannot_be_edited_or_deleted(engine: Engine) -> None:
    rec, _ = run_settlement(engine, "aemo-renforcee", actor="a", results=_setup(engine))
    for sql in ("UPDATE settlements SET total_paid = 0 WHERE id = :i", "DELETE FROM settlements WHERE id = :i"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql), {"i": rec.id})
    assert str(get_settlement(engine, rec.id).total_paid.amount) == "1379672.38"


def test_migration_branch_downgrades_and_upgrades(engine: Engine) -> None:
    downgrade(engine, "settlements@0001_foundation")
    names = set(inspect(engine).get_table_names())
    assert not {"settlements", "settlement_approvals"} & names and "contracts" in names
    migrate(engine)
    assert {"settlements", "settlement_approvals"} <= set(inspect(engine).get_table_names())


def test_a_second_settlement_for_the_same_periods_replaces_the_first_never_stands_beside_it(engine: Engine) -> None:
    """Issue 16, item 6: two settlements in force for the same period would pay it twice."""
    results = _setup(engine)
    first, _ = run_settlement(engine, "aemo-renforcee", actor="a", results=results, as_of=dt.date(2027, 12, 31))
    corrected = results_from_data(get_contract(engine, "aemo-renforcee").contract, 1, [dict(ROWS[0], improvement_lower=16)])
    before = _counts(engine)
    with pytest.raises(ConflictError) as e:  # other results, same period: refused beside the first
        run_settlement(engine, "aemo-renforcee", actor="a", results=corrected, as_of=dt.date(2027, 12, 31))
    fr = Translator("fr")
    assert e.value.code == "settlement.in_force"
    assert fr.error_message(e.value).startswith(f"Le règlement n° {first.id} est en vigueur pour les mêmes périodes (p1)")
    assert fr.error_hint(e.value) == (f"Remplacez plutôt le règlement n° {first.id} : enregistrez le nouveau à sa place, "
                                      "avec la raison de la correction.")
    with pytest.raises(ConflictError):  # a later settlement covers the first's period too
        run_settlement(engine, "aemo-renforcee", actor="a", results=results)
    assert _counts(engine) == before
    second, _ = supersede(engine, first.id, reason="Extraction corrigée", actor="a", results=corrected,
                          as_of=dt.date(2027, 12, 31))
    in_force = [r.id for r in list_settlements(engine, "aemo-renforcee") if r.superseded_by is None]
    assert in_force == [second.id] and get_settlement(engine, first.id).superseded_by == second.id
