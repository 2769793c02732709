"""Governance services: the demo a new user sees, and recorded settlements feeding the budget watch."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from sqlalchemy import Engine

from temoin.demo.governance import show
from temoin.examples import EXAMPLE_BUDGET
from temoin.i18n import Translator
from temoin.services.contracts import import_contract
from temoin.services.governance import check_budget, import_budget, verify_ledger


def test_demo_shows_committee_record_ledger_and_budget_watch(sqlite_engine: Engine) -> None:
    console = Console(record=True, width=160)
    show(sqlite_engine, console, Translator("fr"))
    show(sqlite_engine, console, Translator("fr"))  # idempotent: a second run adds nothing and still works
    out = console.export_text().replace("\u00a0", " ")
    assert "Karim Benali / horizon" in out  # his declared interest in the applicant recuses him
    assert "7,90" in out  # Horizon's weighted total: (3*25/3 + 3*26/3 + 2*20/3 + 2*22/3) / 10
    assert "Chaîne intègre" in out and verify_ledger(sqlite_engine).head in out
    assert "Aide éducative en milieu ouvert (AEMO)" in out and "baisse de 1,5 %" in out


def test_approved_settlement_payments_replace_planned_commitments(engine: Engine, example_path) -> None:  # type: ignore[no-untyped-def]
    from temoin.services.contracts import get_contract
    from temoin.services.settlements import approve, run_settlement, supersede
    from temoin.settlement.inputs import results_from_data

    import_contract(engine, example_path("aemo-renforcee"), actor="test")
    import_budget(engine, EXAMPLE_BUDGET, actor="test")
    planned = check_budget(engine, "aemo-renforcee")
    assert planned.basis == "commitments" and any("planned commitments" in Translator("en").render(n) for n in planned.notes)

    contract = get_contract(engine, "aemo-renforcee").contract
    rows = [{"indicator": "placement_days", "wave": w, "improvement": imp, "improvement_lower": low,
             "n_treated_followed": 368, "grade": "meets_without_reservations"}
            for w, imp, low in (("m12", 30, 18), ("m24", 52, 35))]
    record, settlement = run_settlement(engine, "aemo-renforcee", actor="t", results=results_from_data(contract, 1, rows))
    assert check_budget(engine, "aemo-renforcee").basis == "commitments"  # recorded, not yet approved
    approve(engine, record.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="t")
    approve(engine, record.id, kind="payer_approval", party_id="dept-nord", person="Claire Martin", actor="t")

    watch = check_budget(engine, "aemo-renforcee")
    assert watch.basis == "payments"
    due = {p.payment_date.year: p.amount_due.amount for p in settlement.periods}
    assert due[2027] > 0 and due[2028] > 0
    for y in watch.years:
        assert (y.cis_payments or Decimal("0")) == due.get(y.year, Decimal("0")), y.year
    assert next(y for y in watch.years if y.year == 2027).cis_commitments == Decimal("1000000.00")
    # 2026 → 2027: payments rise from 0 while AEMO falls in real terms
    assert (2027, "ASE-AEMO", "payments") in {(f.year, f.code, f.basis) for f in watch.flags}

    # a correction replaces the figures once the payer approves it
    rows[1]["improvement_lower"] = 20
    fixed, corrected = supersede(engine, record.id, reason="Extraction corrigée", actor="t",
                                 results=results_from_data(contract, 1, rows))
    assert check_budget(engine, "aemo-renforcee").basis == "commitments"  # the approved one is superseded
    approve(engine, fixed.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="t")
    approve(engine, fixed.id, kind="payer_approval", party_id="dept-nord", person="Claire Martin", actor="t")
    y2028 = next(y for y in check_budget(engine, "aemo-renforcee").years if y.year == 2028)
    assert y2028.cis_payments == corrected.periods[1].amount_due.amount != due[2028]

    # a correction to no verified impact, once approved, leaves the watch on commitments, and says so
    nothing = [dict(r, improvement=0, improvement_lower=-5) for r in rows]
    zero, _ = supersede(engine, fixed.id, reason="Résultats annulés", actor="t",
                        results=results_from_data(contract, 1, nothing))
    approve(engine, zero.id, kind="evaluator_certification", party_id="labo-eval", person="Jean Dubois", actor="t")
    approve(engine, zero.id, kind="payer_approval", party_id="dept-nord", person="Claire Martin", actor="t")
    unpaid = check_budget(engine, "aemo-renforcee")
    assert unpaid.basis == "commitments" and any("have paid nothing" in Translator("en").render(n) for n in unpaid.notes)
