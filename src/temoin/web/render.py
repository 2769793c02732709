"""Server-side HTML: Jinja2 templates from the package, autoescaped, with the user's translator."""

from __future__ import annotations

import datetime as dt
import weakref
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine

from temoin.i18n import Translator as Words
from temoin.web.context import Ctx
from temoin.web.i18n import Translator

TEMPLATES = Path(__file__).parent / "templates"


def money(value: Any, currency: str = "EUR", lang: str = "fr") -> str:
    """1234567.5 -> '1 234 567,50 €' (fr) or '€1,234,567.50' (en)."""
    if value is None:
        return "—"
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
        return f"{text}\u00a0{'€' if currency == 'EUR' else currency}"
    return f"€{text}" if currency == "EUR" else f"{text} {currency}"


def number(value: Any, lang: str = "fr", digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{float(value):,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "—" if value is None else str(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    # auto_reload off: the templates are files of the installed package, so no stat() per render
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "svg"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["number"] = number
    env.filters["date"] = date
    env.globals["svg"] = lambda text: Markup(text)  # charts drawn on the server by temoin.reports
    return env


def render(ctx: Ctx, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    def _money(value: Any, currency: str = "EUR") -> str:
        return money(value, currency, ctx.lang)

    page = environment().get_template(template).render(
        ctx=ctx, _=ctx.t, lang=ctx.lang, user=ctx.account, csrf=ctx.csrf, path=ctx.request.url.path,
        money=_money, pick=ctx.t.pick, tr=Words(ctx.lang), **values)
    return HTMLResponse(page, status_code=status)


_FRAGMENTS: weakref.WeakKeyDictionary[Engine, dict[tuple[Any, ...], Markup]] = weakref.WeakKeyDictionary()


def shared_fragment(engine: Engine, key: tuple[Any, ...], template: str, lang: str, **values: Any) -> Markup:
    """A part of a page that is the same for every reader (no account, no CSRF token in it),
    rendered once per ``key`` and language for a database. ``key`` must name everything the
    fragment shows (e.g. the contract version and the ledger head)."""
    kept = _FRAGMENTS.setdefault(engine, {})
    full = (template, lang, *key)
    found = kept.get(full)
    if found is None:
        t = Translator(lang)
        found = Markup(environment().get_template(template).render(
            _=t, lang=lang, pick=t.pick, money=lambda value, currency="EUR": money(value, currency, lang), **values))
        if len(kept) > 256:
            kept.clear()
        kept[full] = found
    return found
