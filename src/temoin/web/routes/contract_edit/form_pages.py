"""The guided form of a contract: section by section, from a bundled example, the blank contract
or the latest version; it makes the same YAML the text pages take, with the safeguard report live
beside it (``…/form/check`` answers the report alone, as htmx asks while the person types)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from temoin.contract import Role
from temoin.errors import TemoinError
from temoin.examples import EXAMPLES
from temoin.services.contract_edit import (
    create_contract,
    preview,
    save_version,
    selected_applications,
    signature_of,
)
from temoin.services.contracts import get_contract
from temoin.web.access import EDIT_CONTRACT
from temoin.web.context import Ctx, CtxDep
from temoin.web.contract_form import apply, document, from_yaml, sections, to_yaml
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.render import render
from temoin.web.routes.contract_edit.yaml_pages import (
    may_create,
    read_form,
    report_fragment,
    report_values,
    starting_data,
)

router = APIRouter(include_in_schema=False)


def _from_form(form: Any) -> tuple[dict[str, Any], str]:
    """The data the form makes (the base it was built from, with its fields written over), and
    the action asked (``check``, ``save``, ``add:<path>``, ``remove:<path>``)."""
    action = str(form.get("action") or "check")
    return apply(from_yaml(str(form.get("base") or "")), form, action), action


def _values(ctx: Ctx, data: dict[str, Any], status: int, posted: bool) -> dict[str, Any]:
    report = preview(document(data))
    if posted and report.problems and status == 200:
        status = 422
    payers = report.contract.parties_with(Role.OUTCOME_PAYER) if report.contract else []
    return {"status": status, "base": to_yaml(data), "sections": sections(ctx.t, data), "payers": payers,
            **report_values(ctx, report, hints=False)}


def _new_form(ctx: Ctx, data: dict[str, Any], *, status: int = 200, error: TemoinError | None = None, payer: str = "",
              posted: bool = False) -> Response:
    values = _values(ctx, data, status, posted)
    return render(ctx, "contract_edit_form_new.html", error=error, payer=payer, examples=EXAMPLES,
                  applications=selected_applications(ctx.engine),
                  action="/contracts/new/form", editing=None, signed=None, **values)


@router.get("/contracts/new/form")
def new_form(ctx: CtxDep, example: str | None = None, call: str | None = None,
             application: str | None = None) -> Response:
    may_create(ctx)
    return _new_form(ctx, starting_data(ctx, example, call, application))


@router.post("/contracts/new/form")
async def new_form_post(ctx: CtxDep, request: Request) -> Response:
    may_create(ctx)
    form = await read_form(ctx, request)
    data, action = _from_form(form)
    payer = str(form.get("payer") or "").strip()
    if action != "save":
        return _new_form(ctx, data, payer=payer, posted=action == "check")
    account = ctx.signed_in()
    try:
        saved = await run_in_threadpool(create_contract, ctx.engine, document(data), account_id=account.id,
                                        payer=payer or None, actor=ctx.actor)
    except TemoinError as exc:
        return _new_form(ctx, data, status=status_of(exc), error=exc, payer=payer)
    return RedirectResponse(f"/contracts/{saved.contract_id}/versions?saved={saved.version}", status_code=303)


@router.post("/contracts/new/form/check")
async def new_form_check(ctx: CtxDep, request: Request) -> Response:
    may_create(ctx)
    form = await read_form(ctx, request)
    return report_fragment(ctx, document(_from_form(form)[0]), hints=False)


def _edit_form(ctx: Ctx, contract_id: str, data: dict[str, Any] | None = None, *, status: int = 200,
               error: TemoinError | None = None, posted: bool = False) -> Response:
    stored = get_contract(ctx.engine, contract_id)
    values = _values(ctx, from_yaml(stored.yaml_text) if data is None else data, status, posted)
    return contract_page(ctx, contract_id, "contract_edit_form.html", error=error, payer="", examples=(),
                         action=f"/contracts/{contract_id}/form", editing=contract_id,
                         signed=signature_of(ctx.engine, contract_id), version=stored.version, **values)


@router.get("/contracts/{contract_id}/form")
def edit_form(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    return _edit_form(ctx, contract_id)


@router.post("/contracts/{contract_id}/form")
async def edit_form_post(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    form = await read_form(ctx, request)
    data, action = _from_form(form)
    if action != "save":
        return _edit_form(ctx, contract_id, data, posted=action == "check")
    try:
        saved = await run_in_threadpool(save_version, ctx.engine, contract_id, document(data), actor=ctx.actor)
    except TemoinError as exc:
        return _edit_form(ctx, contract_id, data, status=status_of(exc), error=exc)
    return RedirectResponse(f"/contracts/{contract_id}/versions?saved={saved.version}"
                            + ("" if saved.created else "&unchanged=1"), status_code=303)


@router.post("/contracts/{contract_id}/form/check")
async def edit_form_check(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    form = await read_form(ctx, request)
    return report_fragment(ctx, document(_from_form(form)[0]), hints=False)
