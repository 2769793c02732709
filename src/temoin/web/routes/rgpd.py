"""The people behind the data, in the browser: the operator records a consent withdrawal, logs a
person's request (access, rectification, erasure, objection) with its one-month deadline, answers it
(an access export to download, a correction, an erasure) and sees the open requests by deadline;
the payer and the operator read the record of processing and its impact assessment (HTML, PDF).

The person's identifier travels only in a form's body (never in an address, so never in a log) and
is turned into the contract's pseudonym as at import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from temoin.contract.data_protection import RequestKind, RequestOutcome
from temoin.errors import InvalidInputError, NotFoundError, TemoinError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports.rgpd import access_text, register_html, register_pdf
from temoin.services.contracts import get_contract
from temoin.services.registre import processing_record
from temoin.services.requests import (
    access_export,
    answer_request,
    list_requests,
    receive_request,
    rectify,
)
from temoin.services.rights import record_withdrawal
from temoin.web.access import MANAGE_ROLES, UPLOAD_PARTICIPANTS
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.layout import contract_page

router = APIRouter(include_in_schema=False)


async def _form(ctx: Ctx, request: Request) -> dict[str, str]:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return {k: str(v).strip() for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("rgpd.date", Msg("A date is expected (YYYY-MM-DD): '{value}'.", value=value), path=field,
                                hint=Msg("Choose the date in the calendar.")) from None


def _page(ctx: Ctx, contract_id: str, *, status: int = 200, error: TemoinError | None = None,
          done: Msg | None = None, form: dict[str, str] | None = None) -> Response:
    contract = get_contract(ctx.engine, contract_id).contract
    today = dt.date.today()
    reqs = list_requests(ctx.engine, contract_id)
    return contract_page(ctx, contract_id, "rgpd.html", status=status, w=Translator(ctx.lang), error=error, done=done,
                         form=form or {}, requests=reqs, open=[r for r in reqs if r.answered_on is None], today=today,
                         kinds=list(RequestKind), outcomes=list(RequestOutcome),
                         attributes=[(a.name, a.label.get(ctx.lang)) for a in contract.population.attributes],
                         row_errors=[ctx.t.render(e.message) + f" ({e.column})" for e in error.errors]
                         if isinstance(error, CohortFileError) else [])


@router.get("/contracts/{contract_id}/rgpd")
def rgpd_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    return _page(ctx, contract_id)


async def _act(ctx: Ctx, contract_id: str, form: dict[str, str], action: Any, *args: Any,
               **kwargs: Any) -> tuple[Any, Response | None]:
    try:
        return await run_in_threadpool(action, *args, **kwargs), None
    except TemoinError as exc:
        return None, _page(ctx, contract_id, status=status_of(exc), error=exc, form=form)


def _required(form: dict[str, str], *names: str) -> None:
    for name in names:
        if not form.get(name):
            raise InvalidInputError("rgpd.missing", Msg("Fill in every field of the form."), path=name)


@router.post("/contracts/{contract_id}/rgpd/withdrawals")
async def new_withdrawal(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    form = await _form(ctx, request)

    def act() -> Any:
        _required(form, "identifier", "withdrawn_on")
        return record_withdrawal(ctx.engine, contract_id, form["identifier"], _date(form["withdrawn_on"], "withdrawn_on"),
                                 settings=ctx.settings, actor=ctx.actor)

    done, page = await _act(ctx, contract_id, form, act)
    if page is not None:
        return page
    return _page(ctx, contract_id, done=Msg("Withdrawal recorded on {date}: no outcome will be collected for this person, "
                                            "and research extracts leave them out.", date=done.withdrawn_on))


@router.post("/contracts/{contract_id}/rgpd/requests")
async def new_request(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    form = await _form(ctx, request)

    def act() -> Any:
        _required(form, "identifier", "kind", "received_on")
        try:
            kind = RequestKind(form["kind"])
        except ValueError:
            raise InvalidInputError("rgpd.kind", Msg("Choose the kind of request."), path="kind") from None
        return receive_request(ctx.engine, contract_id, form["identifier"], kind, _date(form["received_on"], "received_on"),
                               settings=ctx.settings, actor=ctx.actor)

    done, page = await _act(ctx, contract_id, form, act)
    if page is not None:
        return page
    return _page(ctx, contract_id, done=Msg("Request {id} recorded: answer due by {date}.", id=done.id, date=done.due_on))


@router.post("/contracts/{contract_id}/rgpd/requests/{request_id}/answer")
async def answer(ctx: CtxDep, contract_id: str, request_id: int, request: Request) -> Response:
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    form = await _form(ctx, request)

    def act() -> Any:
        if not any(r.id == request_id for r in list_requests(ctx.engine, contract_id)):
            raise NotFoundError("rgpd.unknown_request", Msg("No request number {id}.", id=request_id), path="request")
        _required(form, "outcome")
        try:
            outcome = RequestOutcome(form["outcome"])
        except ValueError:
            raise InvalidInputError("rgpd.outcome", Msg("Choose the answer."), path="outcome") from None
        return answer_request(ctx.engine, request_id, outcome, answer=form.get("answer", ""), actor=ctx.actor)

    done, page = await _act(ctx, contract_id, form, act)
    if page is not None:
        return page
    said = Msg("Request {id} answered on {date}.", id=request_id, date=done.answered_on)
    if done.person_erased:
        said = Msg("Request {id} answered on {date}: the person's data were erased.", id=request_id, date=done.answered_on)
    return _page(ctx, contract_id, done=said)


@router.post("/contracts/{contract_id}/rgpd/access")
async def access(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    """The access export of one person, as a text file to hand over."""
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    form = await _form(ctx, request)

    def act() -> Any:
        _required(form, "identifier")
        export = access_export(ctx.engine, contract_id, form["identifier"], settings=ctx.settings)
        return access_text(export, ctx.t, get_contract(ctx.engine, contract_id).contract)

    text, page = await _act(ctx, contract_id, form, act)
    if page is not None:
        return page
    name = f"{contract_id}-donnees-personne.txt" if ctx.lang == "fr" else f"{contract_id}-personal-data.txt"
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@router.post("/contracts/{contract_id}/rgpd/rectifications")
async def rectification(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    form = await _form(ctx, request)

    def act() -> Any:
        _required(form, "identifier", "attribute", "value", "reason")
        return rectify(ctx.engine, contract_id, form["identifier"], {form["attribute"]: form["value"]},
                       reason=form["reason"], settings=ctx.settings, actor=ctx.actor)

    _, page = await _act(ctx, contract_id, form, act)
    if page is not None:
        return page
    return _page(ctx, contract_id, done=Msg("Correction recorded as a new version; the previous one is kept."))


def _register_reader(ctx: Ctx, contract_id: str) -> None:
    ctx.require(UPLOAD_PARTICIPANTS if ctx.can(UPLOAD_PARTICIPANTS, contract_id) else MANAGE_ROLES, contract_id)


@router.get("/contracts/{contract_id}/rgpd/registre")
def register_page(ctx: CtxDep, contract_id: str) -> Response:
    _register_reader(ctx, contract_id)
    return Response(register_html(processing_record(ctx.engine, contract_id, settings=ctx.settings), ctx.lang),
                    media_type="text/html; charset=utf-8")


@router.get("/contracts/{contract_id}/rgpd/registre.pdf")
def register_file(ctx: CtxDep, contract_id: str) -> Response:
    _register_reader(ctx, contract_id)
    pdf = register_pdf(processing_record(ctx.engine, contract_id, settings=ctx.settings), ctx.lang)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{contract_id}-registre.pdf"'})


__all__ = ["router"]
