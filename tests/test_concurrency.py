"""Issue 14, findings 11 and 12: concurrent writers on SQLite and PostgreSQL. The ledger's appends
are serialised (no two entries take one number), and a check-then-write that loses a race is told
so with a 409 (one certification of ten succeeds, nine are refused), never a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from temoin.errors import ConflictError
from temoin.governance.ledger import LedgerEvent
from temoin.services.contracts import get_contract
from temoin.services.settlements import approve, run_settlement
from temoin.settlement.inputs import results_from_data
from temoin.store import ledger, make_engine, session_scope
from temoin.store.models.ledger import LedgerRow
from temoin.store.models.settlements import SettlementApprovalRow
from test_web_support import csrf_of, make_site

C = "aemo-renforcee"
ROWS = [{"indicator": "placement_days", "wave": "m12", "improvement": 30, "improvement_lower": 18,
         "n_treated_followed": 368, "grade": "meets_without_reservations"}]


def _together(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for i < n in n threads released at the same moment; each result or exception."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return out


def test_concurrent_appends_never_share_a_number(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=10)
    from temoin.store import migrate

    migrate(engine)

    def work(i: int) -> int:
        for k in range(10):
            with session_scope(engine) as s:
                ledger.append(s, actor=f"writer-{i}", event=LedgerEvent.BUDGET_IMPORTED, payload={"k": k})
        return 10

    results = _together(8, work)
    assert results == [10] * 8, results
    with session_scope(engine) as s:
        status = ledger.verify(s)
    assert status.whole and status.entries == 80
    engine.dispose()


def test_ten_concurrent_certifications_give_one_success_and_nine_409(engine: Engine) -> None:
    site = make_site(engine)
    stored = get_contract(engine, C)
    record, _ = run_settlement(engine, C, actor="test", results=results_from_data(stored.contract, stored.version, ROWS))
    clients = [site.signed_in("evaluator") for _ in range(10)]
    tokens = [csrf_of(c, f"/contracts/{C}/settlement") for c in clients]
    answers = _together(10, lambda i: clients[i].post(f"/contracts/{C}/settlement/certify", follow_redirects=False,
                                                      data={"csrf_token": tokens[i], "settlement_id": str(record.id)}))
    codes = sorted(a.status_code for a in answers)
    assert codes == [303] + [409] * 9, [(a.status_code, a.text[:200]) for a in answers]
    assert all("déjà enregistrée" in a.text.lower() for a in answers if a.status_code == 409)
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(SettlementApprovalRow)).scalar_one() == 1
        assert ledger.verify(s).whole


def test_the_same_settlement_recorded_twice_at_once_is_recorded_once(engine: Engine) -> None:
    make_site(engine)
    stored = get_contract(engine, C)
    results = results_from_data(stored.contract, stored.version, ROWS)
    outcomes = _together(4, lambda i: run_settlement(engine, C, actor=f"payer-{i}", results=results))
    recorded = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(recorded) == 1 and len(refused) == 3, outcomes
    assert all(o.code == "settlement.duplicate" for o in refused)
    with pytest.raises(ConflictError, match="already recorded"):  # and afterwards too
        run_settlement(engine, C, actor="payer", results=results)
    with session_scope(engine) as s:
        events = s.execute(select(LedgerRow.event)).scalars().all()
    assert events.count("settlement.recorded") == 1


def test_concurrent_services_approvals_on_both_databases(engine: Engine) -> None:
    make_site(engine)
    stored = get_contract(engine, C)
    record, _ = run_settlement(engine, C, actor="test", results=results_from_data(stored.contract, stored.version, ROWS))
    outcomes = _together(10, lambda i: approve(engine, record.id, kind="evaluator_certification", party_id="labo-eval",
                                               person=f"Évaluatrice {i}", actor="test"))
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, ConflictError) for o in outcomes if isinstance(o, Exception)), outcomes


@pytest.mark.postgres
def test_the_postgresql_pool_is_sized_from_the_settings(pg_url: str) -> None:
    from temoin.settings import Settings
    from temoin.web import create_app

    engine = make_engine(pg_url, pool_size=20)
    assert engine.pool.size() == 20  # type: ignore[attr-defined]
    engine.dispose()
    app = create_app(Settings(database_url=pg_url, db_pool_size=12))
    assert app.state.engine.pool.size() == 12
    app.state.engine.dispose()
