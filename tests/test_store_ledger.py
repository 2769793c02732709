"""The audit ledger: hash chain, append-only triggers, tamper detection (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from temoin.governance.ledger import GENESIS, LedgerEvent, canonical_json, entry_hash
from temoin.i18n import Translator
from temoin.store import ledger, session_scope


def _fill(engine: Engine, n: int = 4) -> None:
    for i in range(n):
        with session_scope(engine) as s:
            ledger.append(s, actor="tester", event=LedgerEvent.CONTRACT_VERSION_CREATED, payload={"i": i, "amount": "10.50"},
                          contract_id="c1")


def test_chain_is_whole_and_links_each_entry_to_the_previous(engine: Engine) -> None:
    _fill(engine)
    with session_scope(engine) as s:
        status = ledger.verify(s)
        rows = sorted(ledger.entries(s), key=lambda r: r.seq)
    assert status.whole and status.entries == 4
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert status.head == rows[-1].hash
    # The hash is SHA-256 over the canonical JSON of the fields, recomputed independently here.
    import hashlib
    import json

    r = rows[1]
    body = json.dumps({"seq": r.seq, "at": r.at, "actor": r.actor, "event": r.event, "contract_id": r.contract_id,
                       "payload": json.loads(r.payload), "prev_hash": r.prev_hash},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(body.encode()).hexdigest() == r.hash


@pytest.mark.parametrize("statement", ["UPDATE audit_ledger SET actor = 'mallory' WHERE seq = 2",
                                       "DELETE FROM audit_ledger WHERE seq = 2"])
def test_database_refuses_update_and_delete(engine: Engine, statement: str) -> None:
    _fill(engine, 3)
    with pytest.raises((DBAPIError, IntegrityError)) as info, engine.begin() as c:
        c.execute(text(statement))
    assert "append-only" in str(info.value)
    with session_scope(engine) as s:
        assert ledger.verify(s).whole


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("DROP TRIGGER audit_ledger_no_update ON audit_ledger"))
        else:
            c.execute(text("DROP TRIGGER audit_ledger_no_update"))
            c.execute(text("DROP TRIGGER audit_ledger_no_delete"))


def test_verify_names_an_altered_entry(engine: Engine) -> None:
    _fill(engine, 5)
    _drop_triggers(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_ledger SET payload = :p WHERE seq = 3"), {"p": '{"amount":"99999.00","i":2}'})
    with session_scope(engine) as s:
        status = ledger.verify(s)
    assert not status.whole
    assert status.first_bad_seq == 3 and status.problem == "altered"
    assert "entry #3 was altered" in Translator("en").render(status.describe())
    assert "l'entrée n° 3 a été modifiée" in Translator("fr").render(status.describe())


def test_verify_names_a_deleted_entry(engine: Engine) -> None:
    _fill(engine, 5)
    _drop_triggers(engine)
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_ledger WHERE seq = 4"))
    with session_scope(engine) as s:
        status = ledger.verify(s)
    assert (status.whole, status.first_bad_seq, status.problem) == (False, 4, "deleted")


def test_verify_names_reordered_entries(engine: Engine) -> None:
    _fill(engine, 5)
    _drop_triggers(engine)
    with engine.begin() as c:  # swap the contents of entries 2 and 3, keeping their numbers
        c.execute(text("UPDATE audit_ledger SET seq = 100 WHERE seq = 2"))
        c.execute(text("UPDATE audit_ledger SET seq = 2 WHERE seq = 3"))
        c.execute(text("UPDATE audit_ledger SET seq = 3 WHERE seq = 100"))
    with session_scope(engine) as s:
        status = ledger.verify(s)
    assert not status.whole and status.first_bad_seq == 2


def test_an_entry_is_saved_with_its_transaction_or_not_at_all(engine: Engine) -> None:
    _fill(engine, 1)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        ledger.append(s, actor="a", event=LedgerEvent.BUDGET_IMPORTED, payload={})
        raise RuntimeError("the state change failed")
    with session_scope(engine) as s:
        assert ledger.verify(s).entries == 1


def test_canonical_json_is_stable() -> None:
    assert canonical_json({"b": 1, "a": {"d": "é", "c": None}}) == '{"a":{"c":null,"d":"é"},"b":1}'
    h1 = entry_hash(seq=1, at="t", actor="x", event="e", contract_id=None, payload={"a": 1, "b": 2}, prev_hash=GENESIS)
    h2 = entry_hash(seq=1, at="t", actor="x", event="e", contract_id=None, payload={"b": 2, "a": 1}, prev_hash=GENESIS)
    assert h1 == h2 and len(h1) == 64


def test_an_unknown_event_kind_is_refused_and_nothing_is_written(engine: Engine) -> None:
    """Event kinds are a closed set: a misspelt one never reaches the chain."""
    with pytest.raises(ValueError, match=r"settlement\.aproved"), session_scope(engine) as s:
        ledger.append(s, actor="tester", event="settlement.aproved", payload={})  # type: ignore[arg-type]
    with session_scope(engine) as s:
        assert list(ledger.entries(s)) == []
