"""Governance services: the demo a new user sees, and recorded settlements feeding the budget watch."""

from __future__ import annotations

import sys
import types
from decimal import Decimal

import pytest
from rich.console import Console
from sqlalchemy import Engine

from temoin.services.contracts import import_contract
from temoin.services.governance import (
    EXAMPLE_BUDGET,
    check_budget,
    demo,
    import_budget,
    verify_ledger,
)


def test_demo_shows_committee_record_ledger_and_budget_watch(sqlite_engine: Engine) -> None:
    console = Console(record=True, width=160)
    demo(sqlite_engine, console)
    demo(sqlite_engine, console)  # idempotent: a second run adds nothing and still works
    out = console.export_text()
    assert "Karim Benali / horizon" in out  # his declared interest in the applicant recuses him
    assert "7,90" in out  # Horizon's weighted total: (3*25/3 + 3*26/3 + 2*20/3 + 2*22/3) / 10
    assert "Chaîne intègre" in out and verify_ledger(sqlite_engine).head in out
    assert "Aide éducative en milieu ouvert (AEMO)" in out and "baisse de 1,5 %" in out


def test_recorded_settlement_payments_replace_planned_commitments(engine: Engine, example_path,  # type: ignore[no-untyped-def]
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import_contract(engine, example_path("aemo-renforcee"), actor="test")
    import_budget(engine, EXAMPLE_BUDGET, actor="test")
    planned = check_budget(engine, "aemo-renforcee")
    assert planned.basis == "commitments" and any("planned commitments" in n[1] for n in planned.notes)
    # The settlement store's hook: outcome payments actually made, by year.
    fake = types.ModuleType("temoin.store.settlements")
    fake.payments_by_year = lambda session, contract_id: {2027: "400000.00", 2028: "350000.00"}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "temoin.store.settlements", fake)
    watch = check_budget(engine, "aemo-renforcee")
    assert watch.basis == "payments"
    y2027 = next(y for y in watch.years if y.year == 2027)
    assert y2027.cis_payments == Decimal("400000.00") and y2027.cis_commitments == Decimal("1000000.00")
    # 2026 → 2027: payments rise from 0 while AEMO falls in real terms; 2028: payments fall, no flag.
    assert {(f.year, f.code, f.basis) for f in watch.flags} == {(2027, "ASE-AEMO", "payments")}
