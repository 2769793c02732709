"""Research extracts in the browser: a researcher (any signed-in account) asks for an extract of a
contract's data, saying why and which fields; the contract's payer agrees or refuses with a reason;
the extract, made k-anonymous on agreement, is downloaded by its requester alone.

Refusals answer on the page where the action was, in the reader's language, keeping what was typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg
from temoin.services.contracts import get_contract, list_contracts
from temoin.services.extracts import (
    decide_extract,
    extract_fields,
    extract_file,
    list_requests,
    request_extract,
)
from temoin.web.access import DECIDE_EXTRACT
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.render import render

router = APIRouter(include_in_schema=False)


async def _form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def _fields(ctx: Ctx, contract_id: str) -> list[tuple[str, str]]:
    contract = get_contract(ctx.engine, contract_id).contract
    return [(name, label if isinstance(label, str) else ctx.t.render(label))
            for name, label in extract_fields(contract, ctx.lang)]


def _research_page(ctx: Ctx, *, contract: str | None = None, status: int = 200, error: TemoinError | None = None,
                   purpose: str = "", chosen: tuple[str, ...] = ()) -> Response:
    account = ctx.signed_in()
    contracts = [(s.contract.id, s.contract.title.get(ctx.lang)) for s in list_contracts(ctx.engine)]
    known = {cid for cid, _ in contracts}
    contract = contract if contract in known else None
    return render(ctx, "research_extracts.html", status=status, contracts=contracts, contract=contract,
                  fields=_fields(ctx, contract) if contract else [], error=error, purpose=purpose, chosen=set(chosen),
                  requests=list_requests(ctx.engine, account_id=account.id), titles=dict(contracts))


@router.get("/research/extracts")
def research_page(ctx: CtxDep, contract: str | None = None) -> Response:
    return _research_page(ctx, contract=contract)


@router.post("/research/extracts")
async def ask(ctx: CtxDep, request: Request) -> Response:
    account = ctx.signed_in()
    form = await _form(ctx, request)
    contract = str(form.get("contract") or "")
    purpose = str(form.get("purpose") or "")
    chosen = tuple(str(f) for f in form.getlist("fields"))
    try:
        if not contract:
            raise InvalidInputError("extract.contract", Msg("No contract chosen."), path="contract",
                                    hint=Msg("Choose the contract whose data you need."))
        await run_in_threadpool(request_extract, ctx.engine, contract, account_id=account.id,
                                requester=account.username, purpose=purpose, fields=list(chosen), actor=ctx.actor)
    except TemoinError as exc:
        return _research_page(ctx, contract=contract or None, status=status_of(exc), error=exc, purpose=purpose,
                              chosen=chosen)
    return RedirectResponse("/research/extracts", status_code=303)


@router.get("/research/extracts/{request_id}/{part}")
def download(ctx: CtxDep, request_id: int, part: str) -> Response:
    account = ctx.signed_in()
    name, text = extract_file(ctx.engine, request_id, part, account_id=account.id)
    media = "text/markdown; charset=utf-8" if name.endswith(".md") else "text/csv; charset=utf-8"
    return Response(text.encode("utf-8"), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _decisions_page(ctx: Ctx, contract_id: str, *, status: int = 200, error: TemoinError | None = None,
                    failed: int | None = None, reason: str = "") -> Response:
    labels = dict(_fields(ctx, contract_id))
    return contract_page(ctx, contract_id, "contract_extracts.html", status=status, error=error, failed=failed,
                         reason=reason, requests=list_requests(ctx.engine, contract_id=contract_id), labels=labels,
                         k=ctx.settings.k_anonymity)


@router.get("/contracts/{contract_id}/extracts")
def decisions_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(DECIDE_EXTRACT, contract_id)
    return _decisions_page(ctx, contract_id)


@router.post("/contracts/{contract_id}/extracts/{request_id}/decide")
async def decide(ctx: CtxDep, contract_id: str, request_id: int, request: Request) -> Response:
    ctx.require(DECIDE_EXTRACT, contract_id)
    form = await _form(ctx, request)
    decision = str(form.get("decision") or "")
    reason = str(form.get("reason") or "")
    try:
        if decision not in ("agree", "refuse"):
            raise InvalidInputError("extract.decision", Msg("Agree or refuse?"), path="decision",
                                    hint=Msg("Use one of the two buttons."))
        await run_in_threadpool(decide_extract, ctx.engine, request_id, contract_id=contract_id,
                                agree=decision == "agree", reason=reason, actor=ctx.actor, settings=ctx.settings)
    except TemoinError as exc:
        return _decisions_page(ctx, contract_id, status=status_of(exc), error=exc, failed=request_id, reason=reason)
    return RedirectResponse(f"/contracts/{contract_id}/extracts", status_code=303)
