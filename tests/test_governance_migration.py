"""Migration 0004_governance: its own branch off 0001, with a working downgrade (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from temoin.store import downgrade, migrate

TABLES = {"gov_people", "gov_role_assignments", "gov_calls", "gov_call_criteria", "gov_call_members",
          "gov_applications", "gov_declarations", "gov_scores", "gov_budget_lines"}


def test_governance_branch_downgrades_and_upgrades_again(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    downgrade(engine, "governance@0001_foundation")
    names = set(inspect(engine).get_table_names())
    assert not TABLES & names
    assert "audit_ledger" in names  # the foundation stays
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
