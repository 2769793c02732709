"""People and roles in the browser: the payer of a contract invites people to a role, lists and
revokes the contract's roles; an invitee opens the link and accepts (signed in, or making an account).

Every refusal answers on the page where the action was, in the reader's language, with what to
do. The invitation's link is shown to the payer once (only its digest is stored) and, when an SMTP
server is configured, sent by e-mail in the language the payer chose for the invitee.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from temoin.contract.model import Contract
from temoin.errors import TemoinError
from temoin.i18n import LANGUAGES, Translator
from temoin.services.accounts import SESSION_LIFETIME, open_session
from temoin.services.contracts import get_contract
from temoin.services.invitations import (
    Accepted,
    InvitationView,
    Invited,
    NewAccount,
    accept_invitation,
    invitable_roles,
    invitation_for,
    invite,
    list_invitations,
    list_people,
    revoke_person_role,
    withdraw_invitation,
)
from temoin.services.mail import MailNotSent, mail_configured, send_mail
from temoin.web.access import MANAGE_ROLES
from temoin.web.context import CSRF_HEADER, LANG_COOKIE, SESSION_COOKIE, Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.render import render
from temoin.web.workers import hashing

log = logging.getLogger("temoin.web")
router = APIRouter(include_in_schema=False)


async def _form(ctx: Ctx, request: Request) -> Any:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return form


def _party_names(contract: Contract) -> dict[str, str]:
    return {p.id: p.name for p in contract.parties}


def _people_page(ctx: Ctx, contract_id: str, *, status: int = 200, error: TemoinError | None = None,
                 invited: Invited | None = None, link: str | None = None, mailed: bool | None = None,
                 mail_error: TemoinError | None = None, form: dict[str, str] | None = None) -> Response:
    w = Translator(ctx.lang)
    contract = get_contract(ctx.engine, contract_id).contract
    people = list_people(ctx.engine, contract_id)
    payers = sum(1 for p in people if p.role.value == "outcome_payer")
    return contract_page(
        ctx, contract_id, "people.html", status=status, w=w, people=people, payers=payers,
        invitations=list_invitations(ctx.engine, contract_id), roles=invitable_roles(contract),
        parties=_party_names(contract), error=error, invited=invited, link=link, mailed=mailed,
        mail_error=mail_error, form=form or {"language": ctx.lang}, days=ctx.settings.invitation_days,
        mail_on=mail_configured(ctx.settings))


@router.get("/contracts/{contract_id}/people")
def people_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(MANAGE_ROLES, contract_id)
    return _people_page(ctx, contract_id)


def _link(ctx: Ctx, request: Request, invited: Invited) -> str:
    base = ctx.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/invitations/{invited.token}?lang={invited.invitation.language}"


def _send(ctx: Ctx, invited: Invited, link: str, contract: Contract) -> bool:
    """The invitation by e-mail, in the invitee's language (a worker thread: SMTP may be slow)."""
    inv = invited.invitation
    w = Translator(inv.language)
    inviter = ctx.account.display_name if ctx.account else ""
    subject = w("Invitation to the contract '{title}'", title=contract.title.get(w.lang))
    body = "\n\n".join([
        w("Hello {name},", name=inv.name),
        w("{inviter} invites you to the social impact contract '{title}' on Témoin, as {role} for {party}.",
          inviter=inviter, title=contract.title.get(w.lang), role=inv.role,
          party=_party_names(contract).get(inv.organisation, inv.organisation)),
        w("To accept, open this link (it works once, until {when}):", when=inv.expires_at),
        link,
        w("If you did not expect this message, ignore it: nothing happens without the link."),
    ])
    return send_mail(ctx.settings, to=inv.email, subject=subject, body=body + "\n")


@router.post("/contracts/{contract_id}/invitations")
async def new_invitation(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(MANAGE_ROLES, contract_id)
    form = await _form(ctx, request)
    values = {k: str(form.get(k) or "").strip() for k in ("email", "name", "role", "organisation", "language")}
    try:
        invited = await run_in_threadpool(
            invite, ctx.engine, contract_id, email=values["email"], role=values["role"],
            organisation=values["organisation"] or None, name=values["name"],
            language=values["language"] if values["language"] in LANGUAGES else ctx.lang,
            days=ctx.settings.invitation_days, actor=ctx.actor)
    except TemoinError as exc:
        return _people_page(ctx, contract_id, status=status_of(exc), error=exc, form=values)
    link = _link(ctx, request, invited)
    mailed: bool | None = None
    mail_error = None
    try:
        mailed = await run_in_threadpool(_send, ctx, invited, link, get_contract(ctx.engine, contract_id).contract)
    except MailNotSent as exc:
        log.warning("invitation %s: %s", invited.invitation.id, exc)
        mail_error = exc
    return _people_page(ctx, contract_id, invited=invited, link=link, mailed=mailed, mail_error=mail_error)


@router.post("/contracts/{contract_id}/roles/{assignment_id}/revoke")
async def revoke(ctx: CtxDep, contract_id: str, assignment_id: int, request: Request) -> Response:
    ctx.require(MANAGE_ROLES, contract_id)
    await _form(ctx, request)
    own = assignment_id in _own_assignments(ctx, contract_id)
    try:
        await run_in_threadpool(revoke_person_role, ctx.engine, contract_id, assignment_id, actor=ctx.actor)
    except TemoinError as exc:
        return _people_page(ctx, contract_id, status=status_of(exc), error=exc)
    # a payer who gave up their own role may no longer manage the contract's people
    return RedirectResponse("/contracts" if own else f"/contracts/{contract_id}/people", status_code=303)


@router.post("/contracts/{contract_id}/invitations/{invitation_id}/withdraw")
async def withdraw(ctx: CtxDep, contract_id: str, invitation_id: int, request: Request) -> Response:
    ctx.require(MANAGE_ROLES, contract_id)
    await _form(ctx, request)
    try:
        await run_in_threadpool(withdraw_invitation, ctx.engine, contract_id, invitation_id, actor=ctx.actor)
    except TemoinError as exc:
        return _people_page(ctx, contract_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/contracts/{contract_id}/people", status_code=303)


def _own_assignments(ctx: Ctx, contract_id: str) -> set[int]:
    person = ctx.account.person_id if ctx.account else None
    return {p.id for p in list_people(ctx.engine, contract_id) if p.person == person}


# --- the invitee's side -------------------------------------------------------------------------------


def _accept_page(ctx: Ctx, token: str, *, status: int = 200, error: TemoinError | None = None,
                 invitation: InvitationView | None = None, username: str = "", display_name: str = "") -> Response:
    w = Translator(ctx.lang)
    title = party = None
    if invitation is not None:
        contract = get_contract(ctx.engine, invitation.contract_id).contract
        title = contract.title.get(ctx.lang)
        party = _party_names(contract).get(invitation.organisation, invitation.organisation)
    return render(ctx, "invitation.html", status=status, w=w, token=token, invitation=invitation, error=error,
                  title=title, party=party, username=username,
                  display_name=display_name or (invitation.name if invitation and "@" not in invitation.name else ""))


@router.get("/invitations/{token}")
def invitation_page(ctx: CtxDep, token: str) -> Response:
    try:
        invitation = invitation_for(ctx.engine, token)
    except TemoinError as exc:
        return _accept_page(ctx, token, status=status_of(exc), error=exc)
    return _accept_page(ctx, token, invitation=invitation)


@router.post("/invitations/{token}/accept")
async def accept(ctx: CtxDep, token: str, request: Request) -> Response:
    form = await _form(ctx, request)
    username = str(form.get("username") or "").strip()
    display_name = str(form.get("display_name") or "").strip()
    try:
        if ctx.account is not None:
            done: Accepted = await run_in_threadpool(accept_invitation, ctx.engine, token, account_id=ctx.account.id,
                                                     actor=ctx.actor, language=ctx.lang)
        else:
            new = NewAccount(username, str(form.get("password") or ""), display_name)
            done = await hashing(request, accept_invitation, ctx.engine, token, new_account=new,
                                 actor=f"web:{username.lower()}", language=ctx.lang)
    except TemoinError as exc:
        try:
            invitation: InvitationView | None = invitation_for(ctx.engine, token)
        except TemoinError:
            invitation = None
        return _accept_page(ctx, token, status=status_of(exc), error=exc, invitation=invitation, username=username,
                            display_name=display_name)
    response = RedirectResponse(f"/contracts/{done.invitation.contract_id}", status_code=303)
    if done.new_account:
        session = await run_in_threadpool(open_session, ctx.engine, done.account.id)
        secure = request.url.scheme == "https"
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax", secure=secure,
                            max_age=int(SESSION_LIFETIME.total_seconds()))
        response.set_cookie(LANG_COOKIE, done.account.language, samesite="lax", secure=secure)
    return response
