"""The application factory: ``create_app(settings=None, engine=None)``.

Pages (Jinja2, htmx served from the package) and the JSON API under ``/api/v1`` call the same
service functions. Every error is answered in the user's language: JSON for the API, a page for
people, never a traceback.

Every request first goes through :class:`SiteMiddleware`: the client's address (from
``X-Forwarded-For`` only when the peer is one of the settings' trusted proxies), the language, the
anonymous cookie that binds the CSRF token before sign-in, the body size limit (a body is refused
with 413 as soon as it passes the limit, chunked or not, before the route or any sign-in check
runs), and the security headers.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from temoin.contract._pydantic import problem_of
from temoin.errors import TemoinError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.settings import Settings, load_settings
from temoin.store import make_engine, migrate
from temoin.web.context import (
    ANON_COOKIE,
    LANG_COOKIE,
    Ctx,
    context_of,
    negotiate_language,
)
from temoin.web.errors import BodyTooLarge, NotSignedIn, TooLarge, error_payload, status_of
from temoin.web.job_workers import JobWorkers
from temoin.web.render import render
from temoin.web.routes import (
    api,
    api_docs,
    api_jobs,
    auth,
    calls,
    contract_edit,
    diagnosis,
    extra,
    extracts,
    groups,
    invitations,
    jobs,
    open_data,
    pages,
    power,
    public,
    rgpd,
    running,
    uploads,
)

log = logging.getLogger("temoin.web")
STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"))
SMALL_BODY = 256 * 1024
"""Largest body of a request that carries no file (a form, JSON): 256 KiB."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _settings_from_environment() -> Settings:
    """The settings of an application started as ``uvicorn temoin.web:create_app --factory``: refused
    settings are said in words on standard error, and the process stops (never a traceback)."""
    try:
        return load_settings()
    except TemoinError as exc:
        print("\n".join(f"Témoin : {Translator(lang).error(exc)}" for lang in ("fr", "en")), file=sys.stderr)
        raise SystemExit(2) from None


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The web application on ``engine`` (else the settings' database, migrated). Without
    ``settings``, they are read from the environment: the web application is an entry point, as
    for ``uvicorn temoin.web:create_app --factory``."""
    settings = settings or _settings_from_environment()
    if engine is None:
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        migrate(engine)
    workers = JobWorkers(engine, settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Route functions run on a thread pool (40 threads by default). On a process that has one
        # core, more threads than pooled database connections only queue for a connection or open
        # new ones: at most db_pool_size requests run at once, the others wait their turn.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        workers.start()  # background jobs (simulations, reports): temoin.web.job_workers
        try:
            yield
        finally:
            workers.stop()

    app = FastAPI(title="Témoin", version="0.1.0", lifespan=lifespan,
                  description="Contrats à impact social avec garde-fous / Social impact contracts with safeguards. "
                              "API: /api/v1 (Authorization: Bearer <token>).",
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.engine = engine
    app.state.settings = settings
    app.state.job_workers = workers
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # running before extra: /settlement/supersede before /settlement/{action}
    for module in (auth, api_docs, contract_edit, pages, running, extra, diagnosis, extracts, invitations, calls, jobs, power,
                   public, uploads, groups, api, api_jobs, open_data, rgpd):
        app.include_router(module.router)

    app.add_middleware(SiteMiddleware, settings=settings)

    @app.exception_handler(TemoinError)
    async def _temoin_error(request: Request, exc: TemoinError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [problem_of(e)[0] for e in exc.errors()]
        first = problems[0] if problems else None
        where = ".".join(p for p in (first.path or "").split(".") if p not in ("body", "query", "path", "header")) if first else ""
        err = TemoinError("request.invalid", Msg("Invalid request: {problem}.", problem=first.msg if first and first.msg
                                                 else Msg("nothing was done")), path=where or None,
                          hint=first.hint_msg if first else None)
        return _error_response(request, err, status=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = TemoinError("http.not_found", Msg('Page not found.'),
                              hint=Msg('Check the address.'))
        elif exc.status_code == 405:
            err = TemoinError("http.method", Msg('Method not allowed here.'))
        else:
            err = TemoinError(f"http.{exc.status_code}", Msg("The server refused the request ({status}).",
                                                             status=exc.status_code))
        return _error_response(request, err, status=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        err = TemoinError("server.error", Msg('Unexpected server error; it has been logged.'))
        return _error_response(request, err, status=500)

    return app


class SiteMiddleware:
    """Every HTTP request: the client's address and scheme (through trusted proxies only), the
    language, an anonymous cookie (it binds the CSRF token before sign-in), the body size limit,
    and the security headers. A plain ASGI middleware: it adds headers as the response starts,
    without buffering the response or spawning a task per request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.proxies = settings.proxy_networks()
        self.upload_limit = settings.max_upload_mb * 1024 * 1024 + 65536

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.proxies:
            forwarded(scope, self.proxies)
        request = Request(scope)
        lang = negotiate_language(request, self.settings.language)
        request.state.lang = lang
        new_anon = None
        if not request.cookies.get(ANON_COOKIE):
            # also beside a session cookie: a stale session must not leave the sign-in form without a token
            new_anon = secrets.token_urlsafe(24)
            request.state.anon = new_anon
        secure = scope.get("scheme") == "https"
        asked = request.query_params.get("lang")
        set_lang = asked if asked in ("fr", "en") and request.cookies.get(LANG_COOKIE) != asked else None
        csp = CSP
        refused = False  # set once the body passed the limit: whatever the route answers is replaced

        async def send_with_headers(message: Message) -> None:
            if refused:
                return
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if new_anon or set_lang:  # Starlette's cookie formatting, through an empty response
                    cookies = Response()
                    if new_anon:
                        cookies.set_cookie(ANON_COOKIE, new_anon, httponly=True, samesite="lax", secure=secure)
                    if set_lang:
                        cookies.set_cookie(LANG_COOKIE, set_lang, max_age=365 * 86400, samesite="lax", secure=secure)
                    for raw_name, raw_value in cookies.raw_headers:
                        if raw_name == b"set-cookie":
                            headers.append("set-cookie", raw_value.decode("latin-1"))
                headers.setdefault("Content-Security-Policy", csp)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                headers["Content-Language"] = getattr(request.state, "lang", lang)
            await send(message)

        if request.method not in BODY_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/form-data")
        limit = self.upload_limit if multipart else SMALL_BODY
        too_large: TemoinError = TooLarge(self.settings.max_upload_mb) if multipart else BodyTooLarge(SMALL_BODY // 1024)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(request, too_large, scope, receive, send_with_headers)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not refused:
                    # answer now, before the route or a sign-in check reads further; the route's
                    # own answer to the exception below is dropped by send_with_headers
                    await _refuse(request, too_large, scope, receive, send_with_headers)
                    refused = True
                    raise too_large
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except TemoinError:
            if not refused:
                raise


async def _refuse(request: Request, exc: TemoinError, scope: Scope, receive: Receive, send: Send) -> None:
    response = _error_response(request, exc, status=413, anonymous=True)
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)


def forwarded(scope: Scope, proxies: tuple[Any, ...]) -> None:
    """Through a trusted proxy, the client is the right-most address of ``X-Forwarded-For`` that is
    not itself a trusted proxy, and the scheme is ``X-Forwarded-Proto``; from any other peer, both
    headers are ignored (anyone can send them)."""
    peer = (scope.get("client") or ("", 0))[0]
    if not _trusted(peer, proxies):
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}
    chain = [a.strip() for a in headers.get("x-forwarded-for", "").split(",") if a.strip()]
    client = peer
    for address in reversed(chain):
        client = address
        if not _trusted(address, proxies):
            break
    if client != peer:
        scope["client"] = (client, 0)
    proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    if proto in ("http", "https"):
        scope["scheme"] = proto


def _trusted(address: str, proxies: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def _error_response(request: Request, exc: TemoinError, *, status: int | None = None,
                    anonymous: bool = False) -> Response:
    """The error in the user's language: JSON under /api/, else a page (``anonymous``: without
    looking up who is signed in, for refusals that must cost nothing)."""
    status = status or status_of(exc)
    ctx: Ctx | None = getattr(request.state, "ctx", None)
    lang = ctx.lang if ctx else getattr(request.state, "lang", "fr")
    words = Translator(lang)
    if request.url.path.startswith("/api/"):
        payload = error_payload(words, exc, request.app.state.settings.max_listed_errors)
        return JSONResponse({"error": payload}, status_code=status)
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if ctx is None and anonymous:
        state: Any = request.app.state
        ctx = Ctx(request, state.engine, state.settings, lang, words)
    if ctx is None:
        try:
            ctx = context_of(request)
        except Exception:  # the database itself may be the problem
            return Response(words.error(exc), status_code=status, media_type="text/plain; charset=utf-8")
    return render(ctx, "error.html", status=status, error=exc, message=ctx.t.error_message(exc),
                  hint=ctx.t.error_hint(exc))
