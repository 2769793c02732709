"""Sign in and out, the account page (API tokens), and account administration."""

from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from temoin.errors import TemoinError
from temoin.services.accounts import (
    SESSION_LIFETIME,
    AuthenticationError,
    RateLimitedError,
    authenticate,
    close_session,
    create_account,
    create_api_token,
    list_accounts,
    open_session,
)
from temoin.web.context import SESSION_COOKIE, CtxDep
from temoin.web.errors import status_of
from temoin.web.render import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect somewhere else after sign-in."""
    if not value or not value.startswith("/") or value.startswith("//") or urlparse(value).netloc:
        return "/contracts"
    return value


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
def login_form(ctx: CtxDep, next: str | None = None) -> Response:
    return render(ctx, "login.html", next=_safe_next(next), username="", error=None)


@router.post("/login")
async def login(ctx: CtxDep, request: Request) -> Response:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    username = str(form.get("username") or "")
    target = _safe_next(str(form.get("next") or ""))
    try:
        account = authenticate(ctx.engine, username, str(form.get("password") or ""), client=_client(request))
    except (AuthenticationError, RateLimitedError) as exc:
        message = exc.message(ctx.lang) + " " + (exc.hint(ctx.lang) or "")  # type: ignore[arg-type]
        return render(ctx, "login.html", status=status_of(exc), next=target, username=username, error=message)
    token = open_session(ctx.engine, account.id)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    if account.language in ("fr", "en") and "temoin_lang" not in request.cookies:
        response.set_cookie("temoin_lang", account.language, samesite="lax", secure=request.url.scheme == "https")
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


@router.get("/account")
def account_page(ctx: CtxDep) -> Response:
    ctx.signed_in()
    return render(ctx, "account.html", new_token=None)


@router.post("/account/tokens")
async def new_token(ctx: CtxDep, request: Request) -> Response:
    account = ctx.signed_in()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    token = create_api_token(ctx.engine, account.id, str(form.get("name") or ""), actor=ctx.actor)
    return render(ctx, "account.html", new_token=token)


@router.get("/admin/accounts")
def accounts_page(ctx: CtxDep) -> Response:
    ctx.require_admin()
    return render(ctx, "accounts.html", accounts=list_accounts(ctx.engine), error=None, created=None)


@router.post("/admin/accounts")
async def add_account(ctx: CtxDep, request: Request) -> Response:
    ctx.require_admin()
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or ""))
    error = created = None
    status = 200
    try:
        created = create_account(ctx.engine, str(form.get("username") or ""), str(form.get("password") or ""),
                                 actor=ctx.actor, display_name=str(form.get("display_name") or "") or None,
                                 person_id=str(form.get("person_id") or "") or None)
    except TemoinError as exc:
        error, status = exc.render(ctx.lang), status_of(exc)  # type: ignore[arg-type]
    return render(ctx, "accounts.html", status=status, accounts=list_accounts(ctx.engine), error=error,
                  created=created)
