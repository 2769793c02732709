"""A contract written as YAML in the browser: a new one (uploaded, pasted, or from an example), or a
new version of an unsigned one. The safeguard report shows before saving and, with htmx, as the
person types (``…/check`` answers the report alone). Refusals answer on the same page, with the
text kept as it was typed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from temoin.contract import Role
from temoin.errors import TemoinError
from temoin.examples import BLANK_CONTRACT, EXAMPLES, example_path
from temoin.i18n import Translator, catalogue
from temoin.messages import Msg
from temoin.services.contract_edit import (
    Preview,
    create_contract,
    draft_from_application,
    preview,
    save_version,
    selected_applications,
    signature_of,
)
from temoin.services.contracts import get_contract
from temoin.web.access import EDIT_CONTRACT
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.contract_form import from_yaml, to_yaml
from temoin.web.errors import AccessDenied, status_of
from temoin.web.layout import contract_page
from temoin.web.render import render

router = APIRouter(include_in_schema=False)
MAX_FILE = 200_000


async def read_form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def may_create(ctx: Ctx) -> None:
    """A signed-in person who acts for a party (an administrator acts for none)."""
    account = ctx.signed_in()
    if account.is_admin or ctx.via_token:
        raise AccessDenied("access.create_contract",
                           Msg("An administrator's account cannot create a contract: it would make them a party's "
                               "outcome payer."),
                           hint=Msg("Sign in with the account of the person who acts for the payer."))


def starting_text(example: str | None) -> str:
    """A bundled example's text, or the blank contract's."""
    if example and example in EXAMPLES:
        return example_path(example).read_text(encoding="utf-8")
    return BLANK_CONTRACT.read_text(encoding="utf-8")


def starting_data(ctx: Ctx, example: str | None, call: str | None, application: str | None) -> dict[str, Any]:
    """Where a new contract starts: a selected application of a decided call (parties and programme
    filled in), a bundled example, or the blank contract."""
    if call and application:
        return draft_from_application(ctx.engine, call, application, from_yaml(starting_text(None)))
    return from_yaml(starting_text(example))


async def _document(form: Any) -> str:
    """The text typed, or the file chosen (which then replaces it)."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise TemoinError("contract_edit.file_too_large", Msg("The file is larger than {n} kB.", n=MAX_FILE // 1000),
                              path="file", hint=Msg("A contract's YAML file is a few dozen kB: check the file."))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemoinError("contract_edit.encoding", Msg("The file is not UTF-8 text."), path="file",
                              hint=Msg("Save the file as UTF-8 text (YAML).")) from None
    return str(form.get("document") or "").replace("\r\n", "\n")


def where_words(t: Translator, path: str | None) -> str:
    """Where a problem is, in words: each key by its label, each item by its number
    (``parties[1].name``: Parties › élément 2 › Nom)."""
    steps: list[str] = []
    for chunk in (path or "").replace("]", "").split("."):
        key, *indexes = chunk.split("[")
        if key:
            label = f"label:contract_field:{key}"
            steps.append(t(label) if catalogue(t.lang).get(label) else key)
        steps += [t("item {n}", n=int(i) + 1) for i in indexes if i.isdigit()]
    return " › ".join(steps)


def hint_words(t: Translator, problem: TemoinError) -> str:
    """A problem's hint, unless it sends the reader to the command line (the page's fields say it)."""
    hint = t.error_hint(problem) or ""
    return "" if "temoin " in hint else hint


def report_values(ctx: Ctx, report: Preview, *, hints: bool = True) -> dict[str, Any]:
    """What the report's template needs: the report, and how to say where each problem is."""
    return {"report": report, "where": lambda p: where_words(ctx.t, p.path),
            "hint": (lambda p: hint_words(ctx.t, p)) if hints else (lambda p: "")}


def report_fragment(ctx: Ctx, document: str, *, hints: bool = True) -> Response:
    """The report alone (htmx, as the person types): 422 while the text is not a valid contract."""
    report = preview(document)
    return render(ctx, "contract_edit_report.html", status=422 if report.problems else 200,
                  **report_values(ctx, report, hints=hints))


def _new_page(ctx: Ctx, document: str, *, status: int = 200, error: TemoinError | None = None,
              payer: str = "", posted: bool = False) -> Response:
    report = preview(document)
    if posted and report.problems and status == 200:
        status = 422
    payers = report.contract.parties_with(Role.OUTCOME_PAYER) if report.contract else []
    return render(ctx, "contract_edit_new.html", status=status, document=document, payers=payers,
                  error=error, payer=payer, examples=EXAMPLES, form_link="/contracts/new/form",
                  applications=selected_applications(ctx.engine),
                  **report_values(ctx, report))


@router.get("/contracts/new")
def new_contract(ctx: CtxDep, example: str | None = None, call: str | None = None,
                 application: str | None = None) -> Response:
    may_create(ctx)
    if call and application:
        return _new_page(ctx, to_yaml(starting_data(ctx, example, call, application)))
    return _new_page(ctx, starting_text(example))


@router.post("/contracts/new")
async def new_contract_post(ctx: CtxDep, request: Request) -> Response:
    may_create(ctx)
    form = await read_form(ctx, request)
    payer = str(form.get("payer") or "").strip()
    try:
        document = await _document(form)
    except TemoinError as exc:
        return _new_page(ctx, str(form.get("document") or ""), status=status_of(exc), error=exc, payer=payer)
    if form.get("action") != "save":
        return _new_page(ctx, document, payer=payer, posted=True)
    account = ctx.signed_in()
    try:
        saved = await run_in_threadpool(create_contract, ctx.engine, document, account_id=account.id,
                                        payer=payer or None, actor=ctx.actor)
    except TemoinError as exc:
        return _new_page(ctx, document, status=status_of(exc), error=exc, payer=payer)
    return RedirectResponse(f"/contracts/{saved.contract_id}/versions?saved={saved.version}", status_code=303)


@router.post("/contracts/new/check")
async def new_contract_check(ctx: CtxDep, request: Request) -> Response:
    may_create(ctx)
    form = await read_form(ctx, request)
    return report_fragment(ctx, str(form.get("document") or ""))


def _edit_page(ctx: Ctx, contract_id: str, document: str | None = None, *, status: int = 200,
               error: TemoinError | None = None) -> Response:
    stored = get_contract(ctx.engine, contract_id)
    text = stored.yaml_text if document is None else document
    report = preview(text)
    if document is not None and report.problems and status == 200:
        status = 422
    return contract_page(ctx, contract_id, "contract_edit_yaml.html", status=status, document=text,
                         error=error, version=stored.version, **report_values(ctx, report),
                         signed=signature_of(ctx.engine, contract_id))


@router.get("/contracts/{contract_id}/edit")
def edit_contract(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    return _edit_page(ctx, contract_id)


@router.post("/contracts/{contract_id}/edit")
async def edit_contract_post(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    form = await read_form(ctx, request)
    try:
        document = await _document(form)
    except TemoinError as exc:
        return _edit_page(ctx, contract_id, str(form.get("document") or ""), status=status_of(exc), error=exc)
    if form.get("action") != "save":
        return _edit_page(ctx, contract_id, document)
    try:
        saved = await run_in_threadpool(save_version, ctx.engine, contract_id, document, actor=ctx.actor)
    except TemoinError as exc:
        return _edit_page(ctx, contract_id, document, status=status_of(exc), error=exc)
    return RedirectResponse(f"/contracts/{contract_id}/versions?saved={saved.version}"
                            + ("" if saved.created else "&unchanged=1"), status_code=303)


@router.post("/contracts/{contract_id}/edit/check")
async def edit_contract_check(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(EDIT_CONTRACT, contract_id)
    form = await read_form(ctx, request)
    return report_fragment(ctx, str(form.get("document") or ""))
