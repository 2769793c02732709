"""Pages for signed-in people: the list of their contracts and each contract's pages."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from temoin.i18n import Translator
from temoin.reports.notices import said_in
from temoin.services import (
    governance,
    todo_running,  # noqa: F401 (registers the running steps' to-do items)
)
from temoin.services.contracts import get_contract, list_contracts
from temoin.services.todo import todo_list
from temoin.web.access import READ
from temoin.web.context import CtxDep
from temoin.web.layout import contract_page, tabs
from temoin.web.render import render, shared_fragment
from temoin.web.routes import running
from temoin.web.views import contract_ledger, explained_settlement, key_figures, overview

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(ctx: CtxDep) -> Response:
    """The home page; signed in, with what awaits the person (:mod:`temoin.services.todo`)."""
    account = ctx.account
    items = [] if account is None else todo_list(ctx.engine, account.person_id, ctx.roles)
    titles = {cid: get_contract(ctx.engine, cid).contract.title.get(ctx.lang) for cid in {i.contract_id for i in items}}
    return render(ctx, "home.html", todo=items, titles=titles)


@router.get("/contracts")
def contracts(ctx: CtxDep) -> Response:
    ctx.signed_in()
    visible = [s for s in list_contracts(ctx.engine) if ctx.can(READ, s.contract.id)]
    return render(ctx, "contracts.html", contracts=visible)


@router.get("/contracts/{contract_id}")
def contract_overview(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    head = overview(ctx.engine, contract_id, ctx.lang)
    figures = key_figures(ctx.engine, contract_id, ctx.lang, wait=ctx.settings.figures_wait_seconds)
    key = (head["content_hash"], figures["ledger_head"])
    body = shared_fragment(ctx.engine, key, "overview_body.html", ctx.lang, c=head, figures=figures,
                           explained=lambda: explained_settlement(ctx.engine, contract_id, figures, ctx.lang))
    return render(ctx, "overview.html", c=head, tabs=tabs(ctx, contract_id), body=body, stale_since=figures["stale_since"])


@router.get("/contracts/{contract_id}/ledger")
def ledger_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return contract_page(ctx, contract_id, "ledger.html", led=contract_ledger(ctx.engine, contract_id, ctx.lang))


@router.get("/contracts/{contract_id}/committee")
def committee_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    get_contract(ctx.engine, contract_id)  # an administrator reads every contract, but an unknown one is a 404
    calls = [c for c in governance.list_calls(ctx.engine) if c["contract"] == contract_id]
    records = [(c, governance.call_record(ctx.engine, str(c["id"]))) for c in calls]
    roles = governance.list_roles(ctx.engine, contract_id=contract_id)
    return contract_page(ctx, contract_id, "committee.html", records=records, roles=roles,
                         said=lambda m: said_in(Translator(ctx.lang), m))


@router.get("/contracts/{contract_id}/budget")
def budget_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return running.budget_response(ctx, contract_id)
