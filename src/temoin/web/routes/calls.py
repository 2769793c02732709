"""Calls for projects in the browser: the payer drafts a call, the public and registered networks
comment on it during its consultation and the payer answers, operators apply with their documents,
committee members declare their interests and score, the payer decides, and the call's record is
public.

Who may do what (``docs/access-matrix.md``): anyone reads a published call, its comments and
answers, and, once decided, its record; anyone comments during the consultation (signed in: as a
registered network; otherwise with a name, rate-limited); a person who is an outcome payer in a
contract drafts calls for that payer, and only the call's author edits, publishes, answers, opens
and decides it; any signed-in account applies; a committee member (the account's person sits on the
committee) declares and scores for themself only; the author and the committee read the documents.

Every refusal answers on the page where the action was, in the reader's language.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from temoin.errors import ConflictError, ForbiddenError, InvalidInputError, TemoinError
from temoin.governance.call_stages import CallTerms
from temoin.governance.selection import SEATS, Application, Declaration, recusal_words
from temoin.messages import Msg
from temoin.services.call_forms import draft_from_form, form_of, parse_decimal
from temoin.services.calls import (
    MAX_DOCUMENTS,
    CallDraft,
    CallView,
    Document,
    answer_comment,
    call_document,
    call_view,
    comment_on_call,
    draft_call,
    drafting_organisations,
    edit_draft,
    list_calls_for,
    open_call,
    publish_call,
    sender_digest,
    submit_application,
)
from temoin.services.governance import decide_call, declare_interests, record_scores
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.render import render

router = APIRouter(include_in_schema=False)


async def _form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def _person(ctx: Ctx) -> str | None:
    return ctx.account.person_id if ctx.account else None


def _refused(message: Msg, hint: Msg) -> ForbiddenError:
    return ForbiddenError("call.access", message, hint=hint)


# --- list and draft --------------------------------------------------------------------------------


@router.get("/calls")
def calls_page(ctx: CtxDep) -> Response:
    person = _person(ctx)
    return render(ctx, "calls.html", calls=list_calls_for(ctx.engine, person),
                  may_draft=bool(drafting_organisations(ctx.engine, person)))


def _draft_page(ctx: Ctx, *, form: dict[str, str], editing: str | None = None, status: int = 200,
                error: TemoinError | None = None) -> Response:
    return render(ctx, "call_form.html", status=status, form=form, editing=editing, error=error,
                  payers=drafting_organisations(ctx.engine, _person(ctx)), seats=sorted(SEATS))


def _require_drafter(ctx: Ctx) -> None:
    ctx.signed_in()
    if not drafting_organisations(ctx.engine, _person(ctx)):
        raise _refused(Msg("Only a person of a payer organisation may draft a call for projects."),
                       Msg("A payer organisation is an outcome payer in a contract on Témoin."))


@router.get("/calls/new")
def new_call_page(ctx: CtxDep) -> Response:
    _require_drafter(ctx)
    payers = drafting_organisations(ctx.engine, _person(ctx))
    return _draft_page(ctx, form={"payer": payers[0], "currency": "EUR", "min_civil_society_seats": "2",
                                  "max_score": "10"})


@router.post("/calls")
async def new_call(ctx: CtxDep, request: Request) -> Response:
    _require_drafter(ctx)
    form = await _form(ctx, request)
    values = {k: str(form.get(k) or "") for k in form}
    try:
        draft = draft_from_form(values)
        await run_in_threadpool(draft_call, ctx.engine, draft, person_id=_person(ctx), actor=ctx.actor)
    except TemoinError as exc:
        return _draft_page(ctx, form=values, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{draft.call.id}", status_code=303)


def _view(ctx: Ctx, call_id: str) -> CallView:
    return call_view(ctx.engine, call_id, person_id=_person(ctx))


def _is_owner(ctx: Ctx, view: CallView) -> bool:
    person = _person(ctx)
    return bool(person) and view.owner == person


def _own_view(ctx: Ctx, call_id: str) -> CallView:
    """The call, for its author only (unknown call: 404; someone else's: 403)."""
    ctx.signed_in()
    view = _view(ctx, call_id)
    if not _is_owner(ctx, view):
        raise _refused(Msg("Only the payer who drafted call {id} may do this.", id=call_id),
                       Msg("Sign in with the account that drafted the call."))
    return view


@router.get("/calls/{call_id}/edit")
def edit_call_page(ctx: CtxDep, call_id: str) -> Response:
    view = _own_view(ctx, call_id)
    if view.timetable is None or view.budget is None or view.payer is None:  # a call made from a file
        raise ConflictError("call.stage", Msg("Call {id} is at the stage '{stage}': cannot {action}.", id=call_id,
                                              stage=view.stage, action=Msg("change it")))
    draft = CallDraft(view.state.call, CallTerms(view.payer, view.objectives, view.budget, view.currency,
                                                 view.timetable))
    return _draft_page(ctx, form=form_of(draft), editing=call_id)


@router.post("/calls/{call_id}/edit")
async def edit_call(ctx: CtxDep, call_id: str, request: Request) -> Response:
    form = await _form(ctx, request)
    _own_view(ctx, call_id)
    values = {k: str(form.get(k) or "") for k in form} | {"id": call_id}
    try:
        await run_in_threadpool(edit_draft, ctx.engine, draft_from_form(values), person_id=_person(ctx),
                                actor=ctx.actor)
    except TemoinError as exc:
        return _draft_page(ctx, form=values, editing=call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}", status_code=303)


# --- the call's page: consultation, answers, opening, decision ----------------------------------------


def _call_page(ctx: Ctx, call_id: str, *, status: int = 200, error: TemoinError | None = None,
               form: dict[str, str] | None = None, done: str | None = None) -> Response:
    view = _view(ctx, call_id)
    return render(ctx, "call.html", status=status, v=view, call=view.state.call, owner=_is_owner(ctx, view),
                  member=_member(ctx, view), error=error, form=form or {}, done=done,
                  titles={a.id: a.title for a in view.state.applications})


@router.get("/calls/{call_id}")
def call_page(ctx: CtxDep, call_id: str) -> Response:
    return _call_page(ctx, call_id, done=ctx.request.query_params.get("done"))


async def _owner_action(ctx: Ctx, call_id: str, request: Request, action: Any, *, done: str) -> Response:
    ctx.signed_in()
    await _form(ctx, request)
    try:
        await run_in_threadpool(action, ctx.engine, call_id, person_id=_person(ctx), actor=ctx.actor)
    except TemoinError as exc:
        return _call_page(ctx, call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}?done={done}", status_code=303)


@router.post("/calls/{call_id}/publish")
async def publish(ctx: CtxDep, call_id: str, request: Request) -> Response:
    return await _owner_action(ctx, call_id, request, publish_call, done="published")


@router.post("/calls/{call_id}/open")
async def open_applications(ctx: CtxDep, call_id: str, request: Request) -> Response:
    return await _owner_action(ctx, call_id, request, open_call, done="opened")


@router.post("/calls/{call_id}/comments/{comment_id}/answer")
async def answer(ctx: CtxDep, call_id: str, comment_id: int, request: Request) -> Response:
    ctx.signed_in()
    form = await _form(ctx, request)
    try:
        await run_in_threadpool(answer_comment, ctx.engine, call_id, comment_id, str(form.get("answer") or ""),
                                person_id=_person(ctx), actor=ctx.actor)
    except TemoinError as exc:
        return _call_page(ctx, call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}?done=answered#comment-{comment_id}", status_code=303)


@router.post("/calls/{call_id}/comments")
async def comment(ctx: CtxDep, call_id: str, request: Request) -> Response:
    form = await _form(ctx, request)
    values = {k: str(form.get(k) or "") for k in ("name", "body")}
    account = ctx.account.username if ctx.account else None
    name = (ctx.account.display_name or ctx.account.username) if ctx.account else values["name"]
    client = ctx.request.client.host if ctx.request.client else "?"
    sender = sender_digest(ctx.settings.secret_key, f"acct:{account}" if account else f"ip:{client}")
    try:
        await run_in_threadpool(comment_on_call, ctx.engine, call_id, name=name, body=values["body"],
                                account=account, sender=sender, actor=ctx.actor)
    except TemoinError as exc:
        return _call_page(ctx, call_id, status=status_of(exc), error=exc, form=values)
    return RedirectResponse(f"/calls/{call_id}?done=commented#comments", status_code=303)


@router.post("/calls/{call_id}/decision")
async def decision(ctx: CtxDep, call_id: str, request: Request) -> Response:
    ctx.signed_in()
    form = await _form(ctx, request)
    view = _view(ctx, call_id)
    try:
        if not _is_owner(ctx, view):
            raise _refused(Msg("Only the payer who drafted call {id} may do this.", id=call_id),
                           Msg("Sign in with the account that drafted the call."))
        selected = [str(s) for s in form.getlist("selected")]
        reasons = str(form.get("reasons") or "").strip()
        if not reasons:
            raise InvalidInputError("call.reasons", Msg("The decision states no reasons."), path="reasons",
                                    hint=Msg("Say why these applications are chosen (the reasons are published)."))
        reasons_en = str(form.get("reasons_en") or "").strip() or reasons
        await run_in_threadpool(decide_call, ctx.engine, call_id, selected, reasons, reasons_en, actor=ctx.actor)
    except TemoinError as exc:
        return _call_page(ctx, call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}/record", status_code=303)


@router.get("/calls/{call_id}/record")
def record_page(ctx: CtxDep, call_id: str) -> Response:
    view = _view(ctx, call_id)
    if view.record is None:
        raise ConflictError("call.not_decided", Msg("Call {id} is not decided yet: its full record becomes public "
                                                    "after the decision.", id=call_id),
                            hint=Msg("The call's page shows its progress meanwhile."))
    criteria = {k.id: (k.label_fr if ctx.lang == "fr" else k.label_en) for k in view.state.call.criteria}
    return render(ctx, "call_record.html", v=view, call=view.state.call, rec=view.record, criteria=criteria,
                  titles={a.id: a.title for a in view.state.applications})


# --- applications --------------------------------------------------------------------------------


def _apply_page(ctx: Ctx, call_id: str, *, status: int = 200, error: TemoinError | None = None,
                form: dict[str, str] | None = None) -> Response:
    view = _view(ctx, call_id)
    return render(ctx, "call_apply.html", status=status, v=view, call=view.state.call, error=error,
                  form=form or {}, max_documents=MAX_DOCUMENTS, max_mb=ctx.settings.max_upload_mb)


@router.get("/calls/{call_id}/apply")
def apply_page(ctx: CtxDep, call_id: str) -> Response:
    ctx.signed_in()
    return _apply_page(ctx, call_id)


@router.post("/calls/{call_id}/apply")
async def apply(ctx: CtxDep, call_id: str, request: Request) -> Response:
    ctx.signed_in()
    form = await _form(ctx, request)
    values = {k: str(form.get(k) or "").strip() for k in ("application", "organisation", "title", "summary")}
    try:
        documents = []
        for upload in form.getlist("documents"):
            if isinstance(upload, UploadFile) and upload.filename:
                documents.append(Document(upload.filename, await upload.read()))
        app = Application(values["application"], values["organisation"], values["title"])
        await run_in_threadpool(submit_application, ctx.engine, call_id, app, summary=values["summary"],
                                documents=documents, max_bytes=ctx.settings.max_upload_mb * 1024 * 1024,
                                actor=ctx.actor)
    except TemoinError as exc:
        return _apply_page(ctx, call_id, status=status_of(exc), error=exc, form=values)
    return RedirectResponse(f"/calls/{call_id}?done=applied", status_code=303)


@router.get("/calls/{call_id}/documents/{document_id}")
def document(ctx: CtxDep, call_id: str, document_id: int) -> Response:
    ctx.signed_in()
    view = _view(ctx, call_id)
    if not (_is_owner(ctx, view) or _member(ctx, view)):
        raise _refused(Msg("An application's documents are read by the payer and the committee only."),
                       Msg("The call's record is public after the decision."))
    name, media, content = call_document(ctx.engine, call_id, document_id)
    plain = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in name)
    return Response(content, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{plain}\"",
        "X-Content-Type-Options": "nosniff"})


# --- the committee: declarations and scores --------------------------------------------------------


def _member(ctx: Ctx, view: CallView) -> str | None:
    """The committee seat of the signed-in person, if they sit on the call's committee."""
    person = _person(ctx)
    if not person:
        return None
    return person if any(m.person == person for m in view.state.call.committee) else None


def _committee_page(ctx: Ctx, call_id: str, *, status: int = 200, error: TemoinError | None = None) -> Response:
    view = _view(ctx, call_id)
    me = _member(ctx, view)
    if me is None:
        raise _refused(Msg("You do not sit on the committee of call {id}.", id=call_id),
                       Msg("Committee members are named in the call."))
    state = view.state
    rows = []
    for app in state.applications:
        recusal = state.recusal(me, app.id)
        scored = {s.criterion: s.value for s in state.scores if s.person == me and s.application == app.id}
        rows.append({"app": app, "declaration": state.declaration(me, app.id), "recusal": recusal, "scored": scored,
                     "why": recusal_words(recusal) if recusal else None})
    return render(ctx, "call_committee.html", status=status, v=view, call=state.call, me=me, rows=rows, error=error,
                  docs=view.documents)


@router.get("/calls/{call_id}/committee")
def committee_page(ctx: CtxDep, call_id: str) -> Response:
    ctx.signed_in()
    return _committee_page(ctx, call_id)


@router.post("/calls/{call_id}/declarations")
async def declare(ctx: CtxDep, call_id: str, request: Request) -> Response:
    ctx.signed_in()
    form = await _form(ctx, request)
    me = _member(ctx, _view(ctx, call_id))
    try:
        if me is None:
            raise _refused(Msg("You do not sit on the committee of call {id}.", id=call_id),
                           Msg("Committee members are named in the call."))
        conflict = str(form.get("conflict") or "") == "yes"
        decl = Declaration(me, str(form.get("application") or ""), conflict, str(form.get("nature") or "").strip())
        await run_in_threadpool(declare_interests, ctx.engine, call_id, decl, actor=ctx.actor)
    except TemoinError as exc:
        return _committee_page(ctx, call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}/committee", status_code=303)


@router.post("/calls/{call_id}/scores")
async def score(ctx: CtxDep, call_id: str, request: Request) -> Response:
    ctx.signed_in()
    form = await _form(ctx, request)
    view = _view(ctx, call_id)
    me = _member(ctx, view)
    try:
        if me is None:
            raise _refused(Msg("You do not sit on the committee of call {id}.", id=call_id),
                           Msg("Committee members are named in the call."))
        values = {c.id: parse_decimal(str(form.get(f"score_{c.id}") or ""), c.id) for c in view.state.call.criteria}
        await run_in_threadpool(record_scores, ctx.engine, call_id, me, str(form.get("application") or ""), values,
                                actor=ctx.actor)
    except TemoinError as exc:
        return _committee_page(ctx, call_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/calls/{call_id}/committee", status_code=303)
