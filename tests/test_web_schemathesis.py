"""Schemathesis against the OpenAPI description: generated requests never get a server error, sent
with API tokens that hold every scope of their role (the evaluator's, the operator's, the payer's)
and anonymously; then stateful sequences (links inferred by Schemathesis from the responses and
path parameters: a contract listed, then read, its ledger, budget…; a token made, then revoked).
Every JSON route the application serves (under /api/) is in the description."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from temoin.services.accounts import create_api_token, list_accounts
from temoin.store import make_engine, migrate
from test_web_matrix import served_routes
from test_web_support import make_site

EXAMPLES = 60
"""Generated requests per operation (each sent with one of the tokens, and anonymously)."""
SCOPES = {"evaluateur": ["data.waves", "evaluation.run", "evaluation.certify", "plan.amend"],
          "operateur": ["data.participants"],
          "payeur": ["payment.approve", "settlement.run", "roles.manage", "budget.import", "plan.amend",
                     "extract.decide", "contract.edit"]}
"""Each role's every scope (``temoin.web.access.ROLE_PERMISSIONS``), so that requests run past access control."""
NOT_IN_SCHEMA = {("GET", "/api/docs"), ("GET", "/api/v1/openapi.json")}
"""The description itself and its page (HTML)."""

_state: dict[str, Any] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('st') / 'st.db'}")
    migrate(engine)
    # a file of more than ten rows goes to an import job: the 202 answer is generated for too
    site = make_site(engine, import_job_rows=10)
    accounts = {a.username: a for a in list_accounts(engine)}
    _state["headers"] = [{"Authorization": f"Bearer {create_api_token(engine, accounts[u].id, 'schemathesis', actor='test', scopes=s)}"}
                         for u, s in SCOPES.items()]
    _state["app"] = site.app
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", site.app)
    engine.dispose()


def test_every_json_route_is_described(api_schema: Any) -> None:
    described = {(r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()}
    api_routes = {(m, r.path) for m, r in served_routes(_state["app"]) if r.path.startswith("/api/")}
    assert ("GET", "/api/v1/jobs/{job_id}") in described
    assert api_routes - NOT_IN_SCHEMA == described, sorted((api_routes - NOT_IN_SCHEMA) ^ described)


def test_no_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for op in operations:

        @given(case=op.as_strategy(), headers=st.sampled_from(_state["headers"]))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any, headers: dict[str, str]) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])
            response = case.call()  # anonymous
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"

        run()


def test_no_server_error_in_sequences(api_schema: Any) -> None:
    machine = api_schema.as_state_machine()
    assert machine.bundles, "Schemathesis inferred no links: nothing would run statefully"

    class Sequences(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": _state["headers"][0]}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    Sequences.run(settings=settings(max_examples=40, stateful_step_count=8, deadline=None,
                                    suppress_health_check=list(HealthCheck)))
