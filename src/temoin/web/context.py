"""The request context every route receives: who is asking, in which language, with which rights.

Sign-in state comes from the session cookie (browsers) or an ``Authorization: Bearer`` API token
(programs). The CSRF token is an HMAC of the session (or, before sign-in, of an anonymous cookie)
with the secret key: a form or an htmx request must send it back; API tokens need none, since a
browser never sends them by itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine

from temoin.i18n import LANGUAGES, Translator
from temoin.messages import Msg
from temoin.services.accounts import AccountView, signed_in
from temoin.settings import Settings
from temoin.web.access import READ, Permission, permissions
from temoin.web.errors import AccessDenied, CsrfError, NotSignedIn

SESSION_COOKIE = "temoin_session"
ANON_COOKIE = "temoin_anon"
LANG_COOKIE = "temoin_lang"
CSRF_HEADER = "x-csrf-token"


@dataclass
class Ctx:
    request: Request
    engine: Engine
    settings: Settings
    lang: str
    t: Translator
    account: AccountView | None = None
    via_token: bool = False
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    csrf: str = ""
    scopes: frozenset[str] | None = None
    """An API token's scopes (None for a browser session)."""

    def contract_permissions(self, contract_id: str) -> frozenset[str]:
        if self.account is None:
            return frozenset()
        return permissions(self.roles.get(contract_id, frozenset()), is_admin=self.account.is_admin, scopes=self.scopes)

    def can(self, permission: str, contract_id: str) -> bool:
        return permission in self.contract_permissions(contract_id)

    def signed_in(self) -> AccountView:
        if self.account is None:
            raise NotSignedIn()
        return self.account

    def require(self, permission: str, contract_id: str) -> AccountView:
        account = self.signed_in()
        if not self.can(READ, contract_id):
            raise AccessDenied("access.contract", Msg("You hold no role in contract '{contract}': access refused.",
                                                      contract=contract_id), path="contract_id",
                               hint=Msg("Ask the payer of this contract to invite you to it."))
        if not self.can(permission, contract_id):
            raise AccessDenied("access.role", Msg("Your role in '{contract}' does not allow this action ({action}).",
                                                  contract=contract_id, action=Permission(permission)),
                               hint=Msg("Only the party concerned may do it (see the access matrix)."))
        return account

    def require_admin(self) -> AccountView:
        account = self.signed_in()
        if not account.is_admin or self.via_token:
            raise AccessDenied("access.admin", Msg("For platform administrators only, signed in through the browser."))
        return account

    def require_session(self) -> AccountView:
        """A signed-in browser session, not an API token (a token cannot mint, list or revoke tokens)."""
        account = self.signed_in()
        if self.via_token:
            raise AccessDenied("access.session", Msg("An API token cannot manage tokens: sign in through the browser."),
                               hint=Msg("'My account' page."))
        return account

    @property
    def actor(self) -> str:
        return f"web:{self.account.username}" if self.account else "web:anonymous"

    def check_csrf(self, submitted: str | None) -> None:
        """Unsafe requests from a browser must carry the token; API-token requests need none."""
        if self.via_token:
            return
        if not submitted or not self.csrf or not hmac.compare_digest(submitted, self.csrf):
            raise CsrfError()


def csrf_token(secret: str, binding: str) -> str:
    return hmac.new(secret.encode(), b"csrf|" + binding.encode(), hashlib.sha256).hexdigest()


def negotiate_language(request: Request, default: str, account_language: str | None = None) -> str:
    """The reader's language: asked in the address (``?lang=en``, the page's language switch), else
    the ``temoin_lang`` cookie (set by that switch, or at sign-in from the account's choice), else
    the signed-in account's choice, else the browser's ``Accept-Language``, else the setting."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    if account_language in LANGUAGES:
        return str(account_language)
    return accepted_language(request.headers.get("accept-language", "")) or default


def accepted_language(header: str) -> str | None:
    """The first of Témoin's languages in an ``Accept-Language`` header, by the weights it gives
    (``en-GB,en;q=0.9,fr;q=0.8``: English); None when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, i, primary))
    return min(ranked)[2] if ranked else None


async def build_context(request: Request) -> Ctx:
    """The dependency every route takes. It runs on the event loop, not on a worker thread: its
    two small indexed reads cost less than the hop to a thread and back."""
    return context_of(request)


def context_of(request: Request) -> Ctx:
    state: Any = request.app.state
    engine: Engine = state.engine
    settings: Settings = state.settings
    lang = getattr(request.state, "lang", None) or negotiate_language(request, settings.language)
    ctx = Ctx(request, engine, settings, lang, Translator(lang))
    auth = request.headers.get("authorization", "")
    binding = ""
    if auth.lower().startswith("bearer "):
        ctx.account, ctx.roles, ctx.scopes = signed_in(engine, api_token=auth[7:].strip())
        ctx.via_token = ctx.account is not None
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            ctx.account, ctx.roles, _ = signed_in(engine, session_token=token)
            if ctx.account is not None:
                binding = "s:" + token
    if ctx.account is not None and "lang" not in request.query_params and request.cookies.get(LANG_COOKIE) is None:
        chosen = negotiate_language(request, settings.language, getattr(ctx.account, "language", None))
        if chosen != ctx.lang:  # the account's own choice, for a reader who made none on this browser
            ctx.lang, ctx.t = chosen, Translator(chosen)
            request.state.lang = chosen
    if not binding:
        anon = getattr(request.state, "anon", None) or request.cookies.get(ANON_COOKIE)
        binding = "a:" + anon if anon else ""
    ctx.csrf = csrf_token(settings.secret_key, binding) if binding else ""
    request.state.ctx = ctx
    return ctx


CtxDep = Annotated[Ctx, Depends(build_context)]
