"""Server-side HTML: Jinja2 templates from the package, autoescaped, with the reader's translator.

Templates say every word through ``_`` (a :class:`temoin.i18n.Translator`), and every number,
amount, share, date and code through its filters: ``|number``, ``|number(1)``, ``money(x, cur)``,
``|share``, ``|points``, ``|date``, ``|datetime``, ``label(kind, code)`` and ``msg(m)`` for a message
another part of Témoin made (a safeguard finding, a notice, a verdict).
"""

from __future__ import annotations

import datetime as dt
import weakref
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import Engine

from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.web.context import Ctx

TEMPLATES = Path(__file__).parent / "templates"
DASH = "—"


def _t(context: Context) -> Translator:
    words = context.get("_")
    return words if isinstance(words, Translator) else Translator(str(context.get("lang") or "fr"))


@pass_context
def number(context: Context, value: Any, digits: int | None = None) -> str:
    """``1 234`` / ``1,234``; ``number(1)``: one digit after the decimal point."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return str(value)
    return _t(context).number(value, digits)


@pass_context
def share(context: Context, value: Any, digits: int = 1) -> str:
    """0.048: ``4,8 %`` / ``4.8%``."""
    return DASH if value is None else _t(context).share(float(value), digits)


@pass_context
def points(context: Context, value: Any, digits: int = 1) -> str:
    """A difference of shares: ``+3,2 points``."""
    return DASH if value is None else _t(context).points(float(value), digits)


@pass_context
def date(context: Context, value: Any) -> str:
    """A date or a time the reader's way (times in Europe/Paris): ``3 décembre 2026 à 09:42``."""
    if value is None or value == "":
        return DASH
    t = _t(context)
    if isinstance(value, dt.datetime):
        return t.datetime(value)
    if isinstance(value, dt.date):
        return t.date(value)
    text = str(value)
    try:
        if len(text) == 10:
            return t.date(dt.date.fromisoformat(text))
        return t.datetime(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


@pass_context
def label_of(context: Context, code: Any, kind: str) -> str:
    """A code by its label: ``roles|map("label_of", "role")``."""
    return _t(context).label(kind, str(code))


def own_of(t: Translator) -> Any:
    def own(text: Any) -> str:
        """A text given in both languages by the people who wrote it (a contract's title, a committee's
        reasons): the reader's half."""
        if text is None:
            return ""
        if isinstance(text, dict):
            return str(text.get(t.lang) or text.get("fr") or "")
        return str(getattr(text, t.lang, None) or getattr(text, "fr", ""))
    return own


@pass_context
def month(context: Context, value: Any) -> str:
    """A month (``2018-10``) or a date of a published record: ``octobre 2018`` / ``October 2018``."""
    if value is None or value == "":
        return DASH
    text = str(value)
    t = _t(context)
    try:
        if len(text) == 7:
            return str(format_date(dt.date.fromisoformat(text + "-01"), "MMMM y", locale=t.locale))
        return t.date(dt.date.fromisoformat(text[:10]))
    except ValueError:
        return text


@pass_context
def country(context: Context, code: Any) -> str:
    """A country by its name in the reader's language (Babel's territories): ``GB``: Royaume-Uni."""
    if not code:
        return DASH
    return str(_t(context).locale.territories.get(str(code).upper(), str(code)))


@pass_context
def yes_no(context: Context, value: Any) -> str:
    """A published yes or no (a boolean, or INDIGO's ``Yes``/``No``) in the reader's words."""
    if value is None or value == "":
        return DASH
    word = str(value).strip().lower()
    if isinstance(value, bool) or word in ("yes", "no", "true", "false"):
        return _t(context)("yes") if word in ("yes", "true") else _t(context)("no")
    return str(value)


def money_of(t: Translator) -> Any:
    def money(value: Any, currency: str | None = "EUR", cents: bool = True) -> str:
        if value is None or value == "":
            return DASH
        return t.money(Decimal(str(value)), currency or "EUR", cents=cents)
    return money


def msg_of(t: Translator) -> Any:
    def msg(value: Any) -> str:
        """A message made elsewhere (a ``Msg``, its stored dict, or a French/English pair of the older form)."""
        if value is None:
            return ""
        if isinstance(value, Msg):
            return t.render(value)
        if isinstance(value, dict):
            if "id" in value:
                return t.render(Msg.from_dict(value))
            if t.lang in value:
                return str(value[t.lang])
        return t.render(str(value))
    return msg


@lru_cache(maxsize=1)
def environment() -> Environment:
    # auto_reload off: the templates are files of the installed package, so no stat() per render
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "svg"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(number=number, share=share, points=points, date=date, label_of=label_of, month=month,
                       country=country, yes_no=yes_no)
    env.globals["svg"] = lambda text: Markup(text)  # charts drawn on the server by temoin.reports
    return env


def words(t: Translator) -> dict[str, Any]:
    """What every template uses to speak: the translator and its formats."""
    return {"_": t, "lang": t.lang, "money": money_of(t), "label": t.label, "msg": msg_of(t), "own": own_of(t)}


def render(ctx: Ctx, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    page = environment().get_template(template).render(
        ctx=ctx, user=ctx.account, csrf=ctx.csrf, path=ctx.request.url.path, **words(ctx.t), **values)
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
        found = Markup(environment().get_template(template).render(**words(Translator(lang)), **values))
        if len(kept) > 256:
            kept.clear()
        kept[full] = found
    return found
