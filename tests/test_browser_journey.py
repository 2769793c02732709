"""The whole chain in Debian's Chromium through Playwright, from an EMPTY database (migrated, no
example loaded) holding only the administrator account that installation makes: the call for
projects, its public consultation, the applications, the declarations of interests, the scoring
with a recusal and the decision, the contract made from the selected application and signed, its
people invited and accepting (``tests/journey/calls.py``); then participants, randomisation, the
plan locked, the waves, the evaluation, the settlement, its certification, approval and
acknowledgement, and the public report (``tests/journey/running.py``). Every step is a person
signing in as themself and clicking; no command line after the installation. A screenshot of each
page, per role, is kept in the test's folder (``shots/``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from journey.calls import ADMIN, INVITED, PEOPLE, call_to_signed_contract
from journey.running import running_to_public_report
from temoin.services.accounts import create_account, set_hash_cost
from temoin.settings import Settings
from temoin.store import make_engine, migrate, session_scope
from temoin.store.models.contracts import ContractRow
from temoin.store.models.governance import RoleAssignmentRow
from temoin.web import create_app
from test_browser_web import page, serving  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def empty_platform(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database; installation's one step: the administrator, by the server command's function."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    migrate(engine)
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(ContractRow)).scalar_one() == 0
    set_hash_cost(time_cost=1, memory_cost_kib=8192)  # still argon2id, cheaper for tests
    create_account(engine, ADMIN[0], ADMIN[1], actor="cli:install", display_name="Administratrice", is_admin=True)
    with serving(create_app(Settings(), engine=engine)) as base:
        yield base, engine
    engine.dispose()


def test_from_an_empty_platform_through_the_call_and_the_contract_to_its_public_report(
        empty_platform: tuple[str, Engine], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixture)
    base, engine = empty_platform
    shots = tmp_path / "shots"
    state = call_to_signed_contract(page, base, shots)

    # part 1 ends with a signed contract whose every role accepted its invitation
    assert state.contract_id == "aemo-nord-2027"
    assert {"admin", "payer", "operator", "evaluator", "investor", "observer"} <= set(state.accounts)
    with session_scope(engine) as s:
        held = {(r.person_id, r.role, r.organisation) for r in s.execute(select(RoleAssignmentRow).where(
            RoleAssignmentRow.contract_id == state.contract_id, RoleAssignmentRow.revoked_at.is_(None))).scalars()}
    assert {role for _, role, _ in held} == {"outcome_payer"} | {r for r, _ in INVITED.values()}
    assert len(held) == 1 + len(INVITED)
    assert PEOPLE["payer"][0] == state.accounts["payer"][0]

    # part 2: the same contract run to its public report, by the same people
    running_to_public_report(page, base, shots, state)

    taken = sorted(p.name for p in shots.glob("*.png"))
    assert taken[0].startswith("01-admin-")
    for role in ("admin", "payer", "operator", "evaluator", "investor", "observer", "public", "member-families"):
        assert any(f"-{role}-" in name for name in taken), role
