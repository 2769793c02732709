"""The application factory: ``create_app(settings=None, engine=None)``.

Pages (Jinja2, htmx served from the package) and the JSON API under ``/api/v1`` call the same
service functions. Every error is answered in the user's language: JSON for the API, a page for
people, never a traceback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from temoin.errors import TemoinError
from temoin.i18n import Translator as Catalogue
from temoin.settings import Settings
from temoin.store import make_engine, migrate
from temoin.store.db import POOL_SIZE
from temoin.web.context import (
    ANON_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    Ctx,
    context_of,
    negotiate_language,
)
from temoin.web.errors import NotSignedIn, TooLarge, status_of
from temoin.web.i18n import Translator
from temoin.web.render import render
from temoin.web.routes import api, auth, extra, open_data, pages, public, uploads

log = logging.getLogger("temoin.web")
STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
SECURITY_HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"))


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The web application on ``engine`` (else the settings' database, migrated). Without
    ``settings``, they are read from the environment: the web application is an entry point, as
    for ``uvicorn temoin.web:create_app --factory``."""
    settings = settings or Settings()
    if engine is None:
        engine = make_engine(settings.database_url)
        migrate(engine)
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Route functions run on a thread pool (40 threads by default). On a process that has one
        # core, more threads than pooled database connections only queue for a connection or open
        # new ones: at most POOL_SIZE requests run at once, the others wait their turn.
        anyio.to_thread.current_default_thread_limiter().total_tokens = POOL_SIZE
        yield

    app = FastAPI(title="Témoin", version="0.1.0", lifespan=lifespan,
                  description="Contrats à impact social avec garde-fous / Social impact contracts with safeguards. "
                              "API: /api/v1 (Authorization: Bearer <token>).",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.engine = engine
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    for module in (auth, pages, extra, public, uploads, api, open_data):
        app.include_router(module.router)

    app.add_middleware(SiteMiddleware, settings=settings)

    @app.exception_handler(TemoinError)
    async def _temoin_error(request: Request, exc: TemoinError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        err = TemoinError("request.invalid", f"Requête invalide : {first.get('msg', '')}.",
                          f"Invalid request: {first.get('msg', '')}.", path=where or None)
        return _error_response(request, err, status=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = TemoinError("http.not_found", "Page introuvable.", "Page not found.",
                              hint_fr="Vérifiez l'adresse.", hint_en="Check the address.")
        elif exc.status_code == 405:
            err = TemoinError("http.method", "Méthode non permise ici.", "Method not allowed here.")
        else:
            err = TemoinError(f"http.{exc.status_code}", str(exc.detail), str(exc.detail))
        return _error_response(request, err, status=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        err = TemoinError("server.error", "Erreur inattendue du serveur ; elle a été journalisée.",
                          "Unexpected server error; it has been logged.")
        return _error_response(request, err, status=500)

    return app


class SiteMiddleware:
    """Every HTTP request: the language, an anonymous cookie (it binds the CSRF token before sign-in),
    the upload size limit, and the security headers. A plain ASGI middleware: it adds headers as
    the response starts, without buffering the response or spawning a task per request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        lang = negotiate_language(request, self.settings.language)
        request.state.lang = lang
        new_anon = None
        if not request.cookies.get(SESSION_COOKIE) and not request.cookies.get(ANON_COOKIE):
            new_anon = secrets.token_urlsafe(24)
            request.state.anon = new_anon
        secure = scope.get("scheme") == "https"
        asked = request.query_params.get("lang")
        set_lang = asked if asked in ("fr", "en") and request.cookies.get(LANG_COOKIE) != asked else None

        async def send_with_headers(message: Message) -> None:
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
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                headers["Content-Language"] = lang
            await send(message)

        length = request.headers.get("content-length")
        limit = self.settings.max_upload_mb * 1024 * 1024
        if request.method in ("POST", "PUT", "PATCH") and length and length.isdigit() and int(length) > limit + 65536:
            await _error_response(request, TooLarge(self.settings.max_upload_mb))(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _error_response(request: Request, exc: TemoinError, *, status: int | None = None) -> Response:
    status = status or status_of(exc)
    ctx: Ctx | None = getattr(request.state, "ctx", None)
    lang = ctx.lang if ctx else getattr(request.state, "lang", "fr")
    words = Catalogue(lang)
    legacy = exc.msg is None  # an error of the older French and English form keeps its own rendering
    if request.url.path.startswith("/api/"):
        body = exc.to_dict(lang) if legacy else words.error_dict(exc)  # type: ignore[arg-type]
        return JSONResponse({"error": body}, status_code=status)
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if ctx is None:
        try:
            ctx = context_of(request)
        except Exception:  # the database itself may be the problem
            text = exc.render(lang) if legacy else words.error(exc)  # type: ignore[arg-type]
            return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
    words = Catalogue(ctx.lang)
    return render(ctx, "error.html", status=status, error=exc, message=words.error_message(exc),
                  hint=words.error_hint(exc), t=Translator(ctx.lang))
