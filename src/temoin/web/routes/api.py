"""The JSON API (``/api/v1``): the same service functions as the pages.

Programs authenticate with ``Authorization: Bearer <token>`` (tokens made on the account page); a
browser session works too, with the CSRF token in ``X-CSRF-Token`` for any change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from temoin.i18n import Translator
from temoin.reports.notices import rendered_watch
from temoin.services import governance, opendata
from temoin.services.accounts import create_api_token, list_api_tokens, revoke_api_token
from temoin.services.contracts import get_contract, list_contracts
from temoin.web.access import READ, SCOPE, Permission
from temoin.web.context import CSRF_HEADER, CtxDep
from temoin.web.views import contract_ledger, key_figures, overview

router = APIRouter(prefix="/api/v1", tags=["v1"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in / non connecté"},
    403: {"description": "No role in this contract, or the role does not allow it / accès refusé"},
    404: {"description": "Unknown contract / contrat inconnu"},
}


class TokenRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    scopes: list[Permission] = Field(default_factory=list, description="Actions the token may take besides reading "
                                     "(within what the account's roles allow); none: read only.")
    days: int | None = Field(None, ge=1, le=3650, description="Lifetime in days (default: the platform's setting).")


@router.get("/me", responses=ERRORS, openapi_extra={SCOPE: "account"})
def me(ctx: CtxDep) -> dict[str, Any]:
    """The signed-in account and its roles in each contract."""
    a = ctx.signed_in()
    return {"username": a.username, "display_name": a.display_name, "is_admin": a.is_admin,
            "roles": {cid: sorted(r) for cid, r in ctx.roles.items()}}


@router.post("/tokens", responses=ERRORS, status_code=201, openapi_extra={SCOPE: "session"})
def new_token(ctx: CtxDep, body: TokenRequest,
              x_csrf_token: str | None = Header(None, alias=CSRF_HEADER)) -> dict[str, Any]:
    """Create an API token for the account signed in through the browser (shown once). A token
    cannot make tokens."""
    a = ctx.require_session()
    ctx.check_csrf(x_csrf_token)
    token = create_api_token(ctx.engine, a.id, body.name, actor=ctx.actor, scopes=[s.value for s in body.scopes],
                             days=body.days or ctx.settings.api_token_days)
    return {"token": token, "name": body.name, "scopes": sorted({READ.value, *(s.value for s in body.scopes)})}


@router.get("/tokens", responses=ERRORS, openapi_extra={SCOPE: "session"})
def tokens(ctx: CtxDep) -> list[dict[str, Any]]:
    """The signed-in account's tokens (never the tokens themselves): scopes, expiry, whether revoked."""
    a = ctx.require_session()
    return [t.to_dict() for t in list_api_tokens(ctx.engine, a.id)]


@router.delete("/tokens/{token_id}", responses=ERRORS, openapi_extra={SCOPE: "session"})
def revoke(ctx: CtxDep, token_id: int, x_csrf_token: str | None = Header(None, alias=CSRF_HEADER)) -> dict[str, Any]:
    """Revoke one of the signed-in account's tokens."""
    a = ctx.require_session()
    ctx.check_csrf(x_csrf_token)
    return revoke_api_token(ctx.engine, a.id, token_id, actor=ctx.actor).to_dict()


@router.get("/contracts", responses=ERRORS, openapi_extra={SCOPE: "account"})
def contracts(ctx: CtxDep) -> list[dict[str, Any]]:
    """Contracts in which the account holds a role (every contract for an administrator)."""
    ctx.signed_in()
    return [{"id": s.contract.id, "version": s.version, "title": {"fr": s.contract.title.fr, "en": s.contract.title.en},
             "design": s.contract.evaluation.design.value, "roles": sorted(ctx.roles.get(s.contract.id, ()))}
            for s in list_contracts(ctx.engine) if ctx.can(READ, s.contract.id)]


@router.get("/contracts/{contract_id}", responses=ERRORS, openapi_extra={SCOPE: READ.value})
def contract(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """Parties, terms, safeguard findings, and key figures (cohort, latest impact, latest settlement)."""
    ctx.require(READ, contract_id)
    figures = key_figures(ctx.engine, contract_id, ctx.lang)  # waited for: always current, as before
    return overview(ctx.engine, contract_id, ctx.lang) | {"key_figures": {k: v for k, v in figures.items() if k != "stale_since"}}


@router.get("/contracts/{contract_id}/ledger", responses=ERRORS, openapi_extra={SCOPE: READ.value})
def ledger(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """The contract's audit-ledger entries (newest first) and the whole chain's verification."""
    ctx.require(READ, contract_id)
    return contract_ledger(ctx.engine, contract_id, ctx.lang)


@router.get("/contracts/{contract_id}/budget", responses=ERRORS, openapi_extra={SCOPE: READ.value})
def budget(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """The budget watch: mandatory social spending next to the contract's money."""
    ctx.require(READ, contract_id)
    get_contract(ctx.engine, contract_id)
    return rendered_watch(Translator(ctx.lang), governance.check_budget(ctx.engine, contract_id).to_dict(ctx.lang))


@router.get("/contracts/{contract_id}/committee", responses=ERRORS, openapi_extra={SCOPE: READ.value})
def committee(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """People and roles, and the record of each call for projects."""
    ctx.require(READ, contract_id)
    get_contract(ctx.engine, contract_id)  # unknown contract: 404, for an administrator too
    calls = [c for c in governance.list_calls(ctx.engine) if c["contract"] == contract_id]
    return {"roles": governance.list_roles(ctx.engine, contract_id=contract_id),
            "calls": [governance.call_record(ctx.engine, str(c["id"])) for c in calls]}


@router.get("/public/registry")
def registry(ctx: CtxDep) -> list[dict[str, Any]]:
    """The public registry (no account needed)."""
    return [e.to_dict() for e in opendata.registry(ctx.engine)]


@router.get("/public/contracts/{contract_id}/observatory", responses={404: ERRORS[404]})
def observatory(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """How a contract's terms compare with the registry, and the audit ledger's head (no account needed)."""
    return opendata.observe(ctx.engine, contract_id).to_dict() | {"ledger": governance.ledger_head(ctx.engine)}


