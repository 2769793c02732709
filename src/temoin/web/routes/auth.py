"""Sign in and out, the account page (API tokens), and account administration.

Password hashing (sign-in, new accounts) runs in worker threads, a few at a time, never on the
event loop. An administrator creates and disables accounts but never links one to a party's
person (that would give the administrator the party's role): the payer of a contract invites its
people (``web/routes/invitations.py``).
"""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg
from temoin.services.accounts import (
    SESSION_LIFETIME,
    AuthenticationError,
    RateLimitedError,
    authenticate,
    close_session,
    create_account,
    create_api_token,
    disable_account,
    list_accounts,
    list_api_tokens,
    open_session,
    revoke_api_token,
)
from temoin.services.payer_organisations import (
    PayerOrganisation,
    list_payer_organisations,
    state_payer_organisation,
    withdraw_payer_organisation,
)
from temoin.web.access import Permission
from temoin.web.context import SESSION_COOKIE, Ctx, CtxDep
from temoin.web.errors import AccessDenied, status_of
from temoin.web.render import render
from temoin.web.workers import hashing

router = APIRouter(include_in_schema=False)
TOKEN_DAYS = (7, 30, 90, 365)


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect somewhere else after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or urlparse(value).netloc:
        return "/contracts"
    return value


def _client(request: Request) -> str:
    """The client's address: the connection's peer, or what a trusted proxy said (see SiteMiddleware)."""
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(ctx: CtxDep, request: Request, next: str | None = None) -> Response:
    response = render(ctx, "login.html", next=_safe_next(next), username="", error=None)
    if ctx.account is None and request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE)  # a stale session: the form's token is bound to the anonymous cookie
    return response


def _sign_in(ctx: Ctx, username: str, password: str, client: str) -> tuple[str, str]:
    """Check the password and open a session (a worker thread: argon2 takes tens of milliseconds):
    the session token and the account's language."""
    account = authenticate(ctx.engine, username, password, client=client)
    return open_session(ctx.engine, account.id), account.language


@router.post("/login")
async def login(ctx: CtxDep, request: Request) -> Response:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    username = str(form.get("username") or "")
    target = _safe_next(str(form.get("next") or ""))
    try:
        token, language = await hashing(request, _sign_in, ctx, username, str(form.get("password") or ""), _client(request))
    except (AuthenticationError, RateLimitedError) as exc:
        message = " ".join(filter(None, (ctx.t.error_message(exc), ctx.t.error_hint(exc))))
        return render(ctx, "login.html", status=status_of(exc), next=target, username=username, error=message)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    if language in ("fr", "en") and "temoin_lang" not in request.cookies:
        response.set_cookie("temoin_lang", language, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(ctx: CtxDep, request: Request) -> Response:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(ctx.engine, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account_page(ctx: Ctx, *, new_token: str | None = None, status: int = 200, error: str | None = None) -> Response:
    account = ctx.require_session()
    return render(ctx, "account.html", status=status, new_token=new_token, error=error,
                  tokens=list_api_tokens(ctx.engine, account.id), scopes=[p for p in Permission if p != Permission.READ],
                  days=TOKEN_DAYS, default_days=ctx.settings.api_token_days)


@router.get("/account")
def account_page(ctx: CtxDep) -> Response:
    return _account_page(ctx)


def token_scopes(values: list[str]) -> list[str]:
    """The actions asked for a token, each a known permission."""
    known = {p.value for p in Permission}
    for v in values:
        if v not in known:
            raise InvalidInputError("token.scope", Msg("Unknown scope: '{scope}'.", scope=v), path="scopes",
                                    hint=Msg("Choose among {scopes}.", scopes=sorted(known)))
    return values


def token_days(ctx: Ctx, raw: object) -> int:
    text = str(raw or "").strip()
    if not text:
        return ctx.settings.api_token_days
    if not text.isdigit():
        raise InvalidInputError("token.days", Msg("Lifetime refused: '{text}'.", text=text),
                                path="days", hint=Msg('A number of days.'))
    return int(text)


@router.post("/account/tokens")
async def new_token(ctx: CtxDep, request: Request) -> Response:
    account = ctx.require_session()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    try:
        token = create_api_token(ctx.engine, account.id, str(form.get("name") or ""), actor=ctx.actor,
                                 scopes=token_scopes([str(v) for v in form.getlist("scopes")]),
                                 days=token_days(ctx, form.get("days")))
    except InvalidInputError as exc:
        return _account_page(ctx, status=422, error=ctx.t.error(exc))
    return _account_page(ctx, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(ctx: CtxDep, token_id: int, request: Request) -> Response:
    account = ctx.require_session()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    revoke_api_token(ctx.engine, account.id, token_id, actor=ctx.actor)
    return RedirectResponse("/account", status_code=303)


def _accounts_page(ctx: Ctx, *, status: int = 200, error: str | None = None, created: object = None,
                   stated: object = None) -> Response:
    payers: dict[str, list[PayerOrganisation]] = {}
    for p in list_payer_organisations(ctx.engine):
        payers.setdefault(p.username, []).append(p)
    return render(ctx, "accounts.html", status=status, accounts=list_accounts(ctx.engine), error=error, created=created,
                  payers=payers, stated=stated)


@router.get("/admin/accounts")
def accounts_page(ctx: CtxDep) -> Response:
    ctx.require_admin()
    return _accounts_page(ctx)


@router.post("/admin/accounts")
async def add_account(ctx: CtxDep, request: Request) -> Response:
    ctx.require_admin()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    if str(form.get("person_id") or "").strip():
        raise AccessDenied("admin.person", Msg("Administrators do not link an account to a person: that would give "
                                               "them that party's roles."), path="person_id",
                           hint=Msg("The payer of a contract invites each party's people to it (the contract's 'People and roles' tab)."))
    try:
        created = await hashing(request, create_account, ctx.engine, str(form.get("username") or ""),
                                str(form.get("password") or ""), actor=ctx.actor,
                                display_name=str(form.get("display_name") or "") or None)
    except TemoinError as exc:
        return _accounts_page(ctx, status=status_of(exc), error=ctx.t.error(exc))
    return _accounts_page(ctx, created=created)


@router.post("/admin/accounts/payer-organisations")
async def add_payer_organisation(ctx: CtxDep, request: Request) -> Response:
    """The administrator states that an account acts for a public payer organisation (an identity
    fact: it lets the account draft calls for projects for it, and gives no role in any contract)."""
    ctx.require_admin()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    try:
        stated = state_payer_organisation(ctx.engine, str(form.get("username") or ""),
                                          str(form.get("organisation") or ""),
                                          str(form.get("organisation_name") or ""), actor=ctx.actor)
    except TemoinError as exc:
        return _accounts_page(ctx, status=status_of(exc), error=ctx.t.error(exc))
    return _accounts_page(ctx, stated=stated)


@router.post("/admin/accounts/payer-organisations/withdraw")
async def withdraw_payer(ctx: CtxDep, request: Request) -> Response:
    ctx.require_admin()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    try:
        withdraw_payer_organisation(ctx.engine, str(form.get("username") or ""), str(form.get("organisation") or ""),
                                    actor=ctx.actor)
    except TemoinError as exc:
        return _accounts_page(ctx, status=status_of(exc), error=ctx.t.error(exc))
    return RedirectResponse("/admin/accounts", status_code=303)


@router.post("/admin/accounts/{username}/disable")
async def disable(ctx: CtxDep, username: str, request: Request) -> Response:
    admin = ctx.require_admin()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    if username.strip().lower() == admin.username:
        return _accounts_page(ctx, status=409, error=ctx.t("You cannot disable your own account."))
    disable_account(ctx.engine, username, actor=ctx.actor)
    return RedirectResponse("/admin/accounts", status_code=303)
