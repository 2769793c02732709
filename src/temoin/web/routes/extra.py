"""Contract pages built on the evaluation, settlement and report services: evaluation (cohort flow,
balance, attrition, impact next to the locked plan), settlement (waterfall, investors, approvals), and the PDF report.
The charts are the reports' own SVG (``temoin.reports.charts``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from temoin.contract.model import Role
from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg
from temoin.reports.explain import bound_name
from temoin.reports.flow_steps import flow_steps
from temoin.reports.report import ReportData, render_pdf
from temoin.services import enrolment as rolling
from temoin.services import evaluations, settlements
from temoin.services.contracts import get_contract
from temoin.services.governance import list_roles
from temoin.services.reports import build_report
from temoin.services.todo import WAITING_FOR_CERTIFICATION
from temoin.settlement.approvals import ApprovalKind
from temoin.store import ledger, read_scope
from temoin.web.access import (
    APPROVE_PAYMENT,
    CERTIFY,
    READ,
    RUN_EVALUATION,
    RUN_SETTLEMENT,
    UPLOAD_PARTICIPANTS,
    UPLOAD_WAVES,
)
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.kept import Kept
from temoin.web.layout import contract_page, waves_of
from temoin.web.render import shared_fragment

router = APIRouter(include_in_schema=False)


def _report(ctx: Ctx, contract_id: str, *, public: bool = False) -> ReportData:
    return build_report(ctx.engine, contract_id, settings=ctx.settings, lang=ctx.lang, public=public)


_PAGE_REPORTS: Kept[tuple[int, ReportData]] = Kept(limit=64)


def _page_report(ctx: Ctx, contract_id: str) -> tuple[ReportData, dt.datetime | None, int]:
    """The internal report a contract's evaluation and settlement pages show, gathered once per data
    state: every change to what it reads (a contract version, the cohort, an evaluation run, the plan,
    a settlement or a sign-off, the budget) appends to the audit ledger in the same transaction, so
    the ledger's head names the state. After a change it is gathered in the background
    (:mod:`temoin.web.kept`); meanwhile the previous one is shown, with when it was gathered (None:
    current) and the ledger head it was gathered at. The PDF is always gathered afresh (it prints when
    it was made)."""
    with read_scope(ctx.engine) as db:
        head = ledger.head_seq(db)
    key = (contract_id, ctx.lang, ctx.settings.small_cell_threshold)
    (state, report), stale_since = _PAGE_REPORTS.get(ctx.engine, key, head, lambda: (head, _report(ctx, contract_id)),
                                                     wait=ctx.settings.figures_wait_seconds)
    return report, stale_since, state


def _explained(report: ReportData) -> list[dict[str, Any]]:
    """Each period's payment decision in words, as the report says it (none before a settlement)."""
    return list((report.settlement or {}).get("explained") or [])


async def _checked_form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


@router.get("/contracts/{contract_id}/evaluation")
def evaluation_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return evaluation_response(ctx, contract_id)


def evaluation_response(ctx: Ctx, contract_id: str, *, status: int = 200, **extra: Any) -> Response:
    """The evaluation page (``extra``: how an action on it went, e.g. a refused plan amendment)."""
    report, stale_since, state = _page_report(ctx, contract_id)
    plan = evaluations.plan_status(ctx.engine, contract_id)
    contract = get_contract(ctx.engine, contract_id).contract
    # the batches and each wave's schedule, for those who enrol, follow up or evaluate
    parties = {RUN_EVALUATION, UPLOAD_PARTICIPANTS, UPLOAD_WAVES} & ctx.contract_permissions(contract_id)
    view = rolling.rolling_view(ctx.engine, contract_id) if parties else None
    point_estimate, bound = contract.payments.basis == "point_estimate", bound_name(contract, ctx.t)
    body = shared_fragment(  # the report's part, the same for every reader: rendered once per data state
        ctx.engine, ("evaluation", contract_id, ctx.settings.small_cell_threshold, state), "evaluation_report.html",
        ctx.lang, r=report, ev=report.evaluation, charts=report.charts, point_estimate=point_estimate, bound=bound,
        steps=flow_steps((report.evaluation or {}).get("flow"), ctx.t, contract), wave=waves_of(ctx, contract_id))
    return contract_page(ctx, contract_id, "evaluation.html", status=status, stale_since=stale_since, r=report,
                         ev=report.evaluation, plan=plan, charts=report.charts, explained=_explained(report),
                         report_body=body, bound=bound, point_estimate=point_estimate, rolling=view, **extra)


@router.post("/contracts/{contract_id}/evaluation/{action}")
async def evaluation_action(ctx: CtxDep, contract_id: str, action: str, request: Request) -> Response:
    ctx.require(RUN_EVALUATION, contract_id)
    await _checked_form(ctx, request)
    steps: dict[str, Callable[..., object]] = {"randomise": evaluations.randomise_cohort, "lock-plan": evaluations.lock_plan,
                                               "evaluate": evaluations.evaluate_contract}
    if action not in steps:
        raise _unknown_action(action)
    # an evaluation reads the whole cohort and fits every model: a worker thread, never the event loop
    try:
        await run_in_threadpool(steps[action], ctx.engine, contract_id, actor=ctx.actor)
    except TemoinError as exc:  # answered on the evaluation page, where the action was
        return evaluation_response(ctx, contract_id, status=status_of(exc), action_error=exc)
    return _back(f"/contracts/{contract_id}/evaluation")


def _unknown_action(action: str) -> InvalidInputError:
    return InvalidInputError("web.action", Msg("Unknown action: '{action}'.", action=action),
                             path="action")


@router.get("/contracts/{contract_id}/settlement")
def settlement_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return settlement_response(ctx, contract_id)


def settlement_response(ctx: Ctx, contract_id: str, *, status: int = 200, **extra: Any) -> Response:
    """The settlement page (``extra``: how an action on it went, e.g. a refused correction)."""
    report, stale_since, _ = _page_report(ctx, contract_id)
    records = settlements.list_settlements(ctx.engine, contract_id)
    return contract_page(ctx, contract_id, "settlement.html", status=status, stale_since=stale_since, r=report, st=report.settlement,
                         records=records, charts=report.charts, kinds=ApprovalKind, explained=_explained(report),
                         waiting=WAITING_FOR_CERTIFICATION, **extra)


def _organisation(ctx: Ctx, contract_id: str, role: Role) -> str:
    account = ctx.signed_in()
    for r in list_roles(ctx.engine, contract_id=contract_id, person=account.person_id):
        if r["role"] == role:
            return str(r["organisation"])
    raise _unknown_action(role)  # unreachable: require() checked the role


@router.post("/contracts/{contract_id}/settlement/{action}")
async def settlement_action(ctx: CtxDep, contract_id: str, action: str, request: Request) -> Response:
    needs = {"run": RUN_SETTLEMENT, "certify": CERTIFY, "approve": APPROVE_PAYMENT}
    if action not in needs:
        raise _unknown_action(action)
    account = ctx.require(needs[action], contract_id)
    form = await _checked_form(ctx, request)
    try:
        await run_in_threadpool(_settlement_step, ctx, contract_id, action, account, form)
    except TemoinError as exc:  # answered on the settlement page, where the action was
        return settlement_response(ctx, contract_id, status=status_of(exc), action_error=exc)
    return _back(f"/contracts/{contract_id}/settlement")


def _settlement_step(ctx: Ctx, contract_id: str, action: str, account: Any, form: Any) -> None:
    """Record a settlement or a sign-off (in a worker thread: a settlement computes every period)."""
    if action == "run":
        settlements.run_settlement(ctx.engine, contract_id, actor=ctx.actor)
    else:
        raw = str(form.get("settlement_id") or "")
        if not raw.isdigit():
            raise InvalidInputError("web.settlement_id", Msg('Settlement number missing.'),
                                    path="settlement_id")
        record = settlements.get_settlement(ctx.engine, int(raw))
        if record.contract_id != contract_id:
            raise InvalidInputError("web.settlement_other_contract",
                                    Msg("Settlement #{raw} is not for '{contract_id}'.", raw=raw, contract_id=contract_id), path="settlement_id")
        kind = ApprovalKind.EVALUATOR_CERTIFICATION if action == "certify" else ApprovalKind.PAYER_APPROVAL
        settlements.approve(ctx.engine, record.id, kind=kind, party_id=_organisation(ctx, contract_id, kind.role),
                            person=account.display_name, actor=ctx.actor,
                            comment=str(form.get("comment") or "") or None)


def _pdf(ctx: Ctx, contract_id: str, public: bool) -> Response:
    pdf = render_pdf(_report(ctx, contract_id, public=public))
    name = f"temoin-{contract_id}-{'public-' if public else ''}{ctx.lang}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/contracts/{contract_id}/report.pdf")
def report_pdf(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return _pdf(ctx, contract_id, public=False)


@router.get("/public/contracts/{contract_id}/report.pdf")
def public_report_pdf(ctx: CtxDep, contract_id: str) -> Response:
    return _pdf(ctx, contract_id, public=True)
