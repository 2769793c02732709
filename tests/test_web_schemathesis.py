"""Schemathesis against the OpenAPI description: generated requests (as a signed-in program with an
API token, and anonymously) never get a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from temoin.services.accounts import create_api_token
from temoin.store import make_engine, migrate
from test_web_support import make_site

_state: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('st') / 'st.db'}")
    migrate(engine)
    site = make_site(engine)
    # the evaluator's token: it may upload waves, so the upload endpoints run past access control
    from temoin.services.accounts import list_accounts

    evaluator = next(a for a in list_accounts(engine) if a.username == "evaluateur")
    _state["token"] = create_api_token(engine, evaluator.id, "schemathesis", actor="test", scopes=["data.waves"])
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", site.app)
    engine.dispose()


def test_no_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    headers = {"Authorization": f"Bearer {_state['token']}"}
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
            response = case.call()  # anonymous
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

        run()
