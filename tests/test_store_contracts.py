"""Contracts in the database: YAML → database → YAML, versions, nothing written on bad input, migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from temoin.contract import load_contract, parse_contract
from temoin.errors import ContractValidationError, NotFoundError
from temoin.services.contracts import get_contract, import_contract, list_contracts
from temoin.store import downgrade, ledger, make_engine, migrate, session_scope
from temoin.store.models.contracts import ContractVersionRow

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts"


@pytest.mark.parametrize("name", ["aemo-renforcee", "relais-familial", "cravate-solidaire"])
def test_yaml_database_yaml_round_trip(engine: Engine, name: str) -> None:
    original = load_contract(EXAMPLES / f"{name}.yaml")
    res = import_contract(engine, EXAMPLES / f"{name}.yaml", actor="tester")
    assert (res.version, res.created) == (1, True)
    stored = get_contract(engine, name)
    assert parse_contract(stored.yaml_text) == original
    assert stored.contract == original


def test_a_change_makes_a_new_version_and_the_old_one_stays(engine: Engine) -> None:
    path = EXAMPLES / "aemo-renforcee.yaml"
    import_contract(engine, path)
    again = import_contract(engine, path)
    assert (again.version, again.created) == (1, False)
    changed = path.read_text().replace('price_per_unit: "150.00"', 'price_per_unit: "140.00"')
    v2 = import_contract(engine, changed)
    assert (v2.version, v2.created) == (2, True)
    assert str(get_contract(engine, "aemo-renforcee").contract.payments.indicators[0].price_per_unit) == "140.00"
    assert str(get_contract(engine, "aemo-renforcee", 1).contract.payments.indicators[0].price_per_unit) == "150.00"
    with session_scope(engine) as s:
        events = [(r.event, r.payload) for r in sorted(ledger.entries(s), key=lambda r: r.seq)]
        assert ledger.verify(s).whole
    assert [e for e, _ in events] == ["contract.version_created"] * 2
    assert [c.contract.id for c in list_contracts(engine)] == ["aemo-renforcee"]


def test_bad_contract_writes_nothing(engine: Engine) -> None:
    bad = (EXAMPLES / "aemo-renforcee.yaml").read_text().replace("currency: EUR", "currency: EUR\nmystery: 1")
    with pytest.raises(ContractValidationError):
        import_contract(engine, bad)
    with session_scope(engine) as s:
        assert s.execute(select(ContractVersionRow)).first() is None
        assert ledger.verify(s).entries == 0


def test_unknown_contract_is_a_clear_error(engine: Engine) -> None:
    with pytest.raises(NotFoundError) as info:
        get_contract(engine, "nope")
    assert "find it in the list of contracts" in info.value.render()


def test_migrations_up_and_down(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate(eng)
    tables = set(inspect(eng).get_table_names())
    assert {"contracts", "contract_versions", "audit_ledger", "alembic_version"} <= tables
    downgrade(eng, "base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    migrate(eng)
    import_contract(eng, EXAMPLES / "cravate-solidaire.yaml")
    assert get_contract(eng, "cravate-solidaire").version == 1
    eng.dispose()


def test_sqlite_uses_wal(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
