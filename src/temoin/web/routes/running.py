"""A running contract's steps in the browser: the payer's budget lines (CSV or XLSX, with a file to
start from), an amendment of the locked analysis plan with its reason, a settlement corrected by a
new one (superseded, with a reason), and the civil-society observer's acknowledgement.

Each change goes through the service that owns its transaction and writes its ledger entry. A
refusal answers on the page where the action was, in the reader's language, with what to do, and
keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from temoin.errors import InvalidInputError, NotFoundError, TemoinError
from temoin.governance.budget import BudgetFileError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports import charts
from temoin.reports.notices import rendered_watch
from temoin.services import evaluations, governance, settlements
from temoin.services.budget import budget_template_csv, budget_template_xlsx, import_budget_file
from temoin.services.contracts import get_contract
from temoin.settlement.approvals import ApprovalKind
from temoin.store import ledger, read_scope
from temoin.web.access import ACKNOWLEDGE, AMEND_PLAN, IMPORT_BUDGET, READ, RUN_SETTLEMENT
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.kept import Kept
from temoin.web.layout import contract_page
from temoin.web.routes.extra import evaluation_response, settlement_response
from temoin.web.upload_checks import UploadLimits, discard, save_upload
from temoin.web.workers import uploading

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def _back(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


# --- budget ----------------------------------------------------------------------------------------


# The budget watch and its chart, kept per process for a ledger head (budget lines, approved payments
# and contract versions are all recorded in the ledger); always current (temoin.web.kept).
_WATCHES: Kept[tuple[dict[str, Any] | None, str | None, NotFoundError | None]] = Kept(limit=64)


def _watch(engine: Engine, contract_id: str, lang: str) -> tuple[dict[str, Any] | None, str | None, NotFoundError | None]:
    try:
        watch = rendered_watch(Translator(lang), governance.check_budget(engine, contract_id).to_dict(lang))
    except NotFoundError as exc:
        if exc.code != "budget.no_budget":
            raise
        return None, None, exc
    return watch, charts.budget_watch(watch, lang=lang), None


def budget_response(ctx: Ctx, contract_id: str, *, status: int = 200, upload_error: TemoinError | None = None,
                    imported: dict[str, Any] | None = None) -> Response:
    """The budget watch page, with the payer's upload form (and how the last upload went)."""
    words = Translator(ctx.lang)
    with read_scope(ctx.engine) as db:
        head = ledger.head_seq(db)
    (watch, chart, missing), _ = _WATCHES.get(ctx.engine, (contract_id, ctx.lang), head,
                                              lambda: _watch(ctx.engine, contract_id, ctx.lang))
    problems = []
    if isinstance(upload_error, BudgetFileError):
        problems = [{"line": p.line, "column": p.path, "message": words.error_message(p), "hint": words.error_hint(p)}
                    for p in upload_error.problems]
    return contract_page(ctx, contract_id, "budget.html", status=status, watch=watch, missing=missing, chart=chart,
                         can_import=ctx.can(IMPORT_BUDGET, contract_id), upload_error=upload_error, problems=problems,
                         imported=imported)


@router.post("/contracts/{contract_id}/budget/upload")
async def budget_upload(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(IMPORT_BUDGET, contract_id)
    form = await _form(ctx, request)
    upload = form.get("file")
    if not isinstance(upload, FormFile) or not upload.filename:
        missing = InvalidInputError("upload.missing", Msg("No file chosen."), path="file",
                                    hint=Msg("Choose a CSV or XLSX file."))
        return budget_response(ctx, contract_id, status=422, upload_error=missing)
    return await uploading(request, _budget_answer, ctx, contract_id, upload)


def _budget_answer(ctx: Ctx, contract_id: str, upload: FormFile) -> Response:
    """Check the file, import it, and the page that says how it went (in a worker thread)."""
    try:
        path = save_upload(upload.file, upload.filename or "", UploadLimits.of(ctx.settings))
        try:
            summary = import_budget_file(ctx.engine, contract_id, path, name=upload.filename or "", actor=ctx.actor)
        finally:
            discard(path)
    except TemoinError as exc:
        return budget_response(ctx, contract_id, status=status_of(exc), upload_error=exc)
    return budget_response(ctx, contract_id, imported=summary)


@router.get("/contracts/{contract_id}/budget/template.{fmt}")
def budget_template(ctx: CtxDep, contract_id: str, fmt: str) -> Response:
    ctx.require(READ, contract_id)
    if fmt not in ("csv", "xlsx"):
        raise NotFoundError("budget.template", Msg("Unknown template."), hint=Msg("template.csv or template.xlsx."))
    contract = get_contract(ctx.engine, contract_id).contract
    words = Translator(ctx.lang)
    headers = {"Content-Disposition": f'attachment; filename="{contract_id}-budget.{fmt}"'}
    if fmt == "csv":
        return Response(budget_template_csv(contract, words), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(budget_template_xlsx(contract, words), media_type=XLSX, headers=headers)


# --- plan amendment --------------------------------------------------------------------------------


@router.post("/contracts/{contract_id}/plan/amend")
async def amend_plan(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(AMEND_PLAN, contract_id)
    form = await _form(ctx, request)
    reason = str(form.get("reason") or "")
    try:
        await run_in_threadpool(evaluations.amend_plan, ctx.engine, contract_id, reason=reason, actor=ctx.actor)
    except TemoinError as exc:
        return evaluation_response(ctx, contract_id, status=status_of(exc), amend_error=exc, amend_reason=reason)
    return _back(f"/contracts/{contract_id}/evaluation#plan")


# --- settlement: correction and acknowledgement ----------------------------------------------------


def _settlement_number(form: Any, contract_id: str, engine: Any) -> int:
    raw = str(form.get("settlement_id") or "")
    if not raw.isdigit():
        raise InvalidInputError("web.settlement_id", Msg("Settlement number missing."), path="settlement_id")
    record = settlements.get_settlement(engine, int(raw))
    if record.contract_id != contract_id:
        raise InvalidInputError("web.settlement_other_contract",
                                Msg("Settlement #{raw} is not for '{contract_id}'.", raw=raw, contract_id=contract_id),
                                path="settlement_id")
    return record.id


@router.post("/contracts/{contract_id}/settlement/supersede")
async def supersede(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(RUN_SETTLEMENT, contract_id)
    form = await _form(ctx, request)
    reason = str(form.get("reason") or "")
    try:
        number = _settlement_number(form, contract_id, ctx.engine)
        await run_in_threadpool(settlements.supersede, ctx.engine, number, reason=reason, actor=ctx.actor)
    except TemoinError as exc:
        return _settlement_refused(ctx, contract_id, exc, reason=reason, form=form)
    return _back(f"/contracts/{contract_id}/settlement#settlements")


@router.post("/contracts/{contract_id}/settlement/acknowledge")
async def acknowledge(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    account = ctx.require(ACKNOWLEDGE, contract_id)
    form = await _form(ctx, request)
    try:
        number = _settlement_number(form, contract_id, ctx.engine)
        party = _party_of(ctx, contract_id, ApprovalKind.OBSERVER_ACKNOWLEDGEMENT)
        await run_in_threadpool(settlements.approve, ctx.engine, number, kind=ApprovalKind.OBSERVER_ACKNOWLEDGEMENT,
                                party_id=party, person=account.display_name, actor=ctx.actor,
                                comment=str(form.get("comment") or "").strip() or None)
    except TemoinError as exc:
        return _settlement_refused(ctx, contract_id, exc, reason="", form=form)
    return _back(f"/contracts/{contract_id}/settlement#settlements")


def _party_of(ctx: Ctx, contract_id: str, kind: ApprovalKind) -> str:
    account = ctx.signed_in()
    for r in governance.list_roles(ctx.engine, contract_id=contract_id, person=account.person_id):
        if r["role"] == kind.role:
            return str(r["organisation"])
    raise InvalidInputError("web.no_party", Msg("You hold no role of {role} in this contract.", role=kind.role))


def _settlement_refused(ctx: Ctx, contract_id: str, exc: TemoinError, *, reason: str, form: Any) -> Response:
    raw = str(form.get("settlement_id") or "")
    return settlement_response(ctx, contract_id, status=status_of(exc), action_error=exc, correct_reason=reason,
                               correct_id=int(raw) if raw.isdigit() else None)
