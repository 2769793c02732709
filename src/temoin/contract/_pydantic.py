"""Pydantic's validation errors as Témoin's: the field path, the value written, and what to do, as
messages of the catalogue (pydantic's own English never reaches a reader).

An unknown key names the nearest known key of its section when one is close (``covariate`` →
``covariates``); a value outside a closed set lists the allowed ones; a validator of the model
says its own message (:class:`~temoin.contract.model.InvalidValue`).
"""

from __future__ import annotations

import difflib
import json
import re
import types
import unicodedata
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from temoin.contract.model import Contract, InvalidValue
from temoin.errors import TemoinError
from temoin.messages import Msg

__all__ = ["clean_loc", "loc_to_path", "problem_of"]

IDENTIFIER = r"^[a-z0-9][a-z0-9_\-]*$"


def clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location without pydantic's validator and union tags (``function-before[…]``)."""
    return tuple(p for p in loc if not str(p).startswith(("function-", "tagged-union")))


def loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _shown(value: Any) -> str:
    """A value as it was written (YAML's words for booleans and null), cut when long."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _number(x: Any) -> Decimal | Any:
    """A limit from pydantic's context as an exact number (``0.5`` stays ``0,5``, not ``0,50``)."""
    if isinstance(x, float | int | Decimal) and not isinstance(x, bool):
        return Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    return x


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the mapping at ``loc`` (list indices stay on the item's model)."""
    model: type[BaseModel] = Contract
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = _inner_model(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return model


def _slug(value: str) -> str:
    """An identifier made from a text: ``Aide à domicile`` → ``aide-a-domicile``."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9_\-]+", "-", plain).strip("-_") or "my-id"


def _choices(ctx: dict[str, Any]) -> list[str]:
    return re.findall(r"'([^']*)'", str(ctx.get("expected", "")))


def _nearest(value: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(value, known, n=1)
    return close[0] if close else None


_WHOLE = (Msg("'{value}' is not a whole number."), Msg("Write a whole number, for example 400."))
_NUMBER = (Msg("'{value}' is not a number."), Msg("Write a number with a dot for decimals, for example 0.05."))
_AMOUNT = (Msg("'{value}' is not an amount."), Msg("Write a number, for example 1500000.00."))
_BOOL = (Msg("'{value}' is not true or false."), Msg("Write true or false."))
_DATE = (Msg("'{value}' is not a date."), Msg("Write the date as YYYY-MM-DD, for example 2025-01-31."))
_MAPPING = (Msg("A mapping (keys with their values) is expected here, not '{value}'."),
            Msg("Write the keys below it, indented, each as 'key: value'."))
_SIMPLE: dict[str, tuple[Msg, Msg]] = {
    "int_type": _WHOLE, "int_parsing": _WHOLE, "int_from_float": _WHOLE,
    "float_type": _NUMBER, "float_parsing": _NUMBER,
    "finite_number": (Msg("'{value}' is not a finite number."), _NUMBER[1]),
    "decimal_type": _AMOUNT, "decimal_parsing": _AMOUNT,
    "bool_type": _BOOL, "bool_parsing": _BOOL,
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "string_type": (Msg("A text is expected here, not '{value}'."),
                    Msg("Write a text (between quotes if it looks like a number or a date).")),
    "list_type": (Msg("A list is expected here, not '{value}'."), Msg("Write one item per line, each after '- '.")),
    "dict_type": _MAPPING, "model_type": _MAPPING, "model_attributes_type": _MAPPING,
    "string_too_long": (Msg("This text is longer than {max_length} characters."), Msg("Shorten it.")),
    "greater_than": (Msg("'{value}' is too small: the value must be greater than {gt}."),
                     Msg("Write a value greater than {gt}.")),
    "greater_than_equal": (Msg("'{value}' is below the minimum, {ge}."), Msg("Write {ge} or more.")),
    "less_than": (Msg("'{value}' is too large: the value must be less than {lt}."), Msg("Write a value less than {lt}.")),
    "less_than_equal": (Msg("'{value}' is above the maximum, {le}."), Msg("Write {le} or less.")),
}


def _messages(kind: str, loc: tuple[Any, ...], value: Any, ctx: dict[str, Any]) -> tuple[Msg, Msg]:
    shown = _shown(value)
    key = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
    if kind == "missing":
        return Msg("Required field missing."), Msg("Add {key}.", key=key)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = sorted(model.model_fields) if model is not None else []
        near = _nearest(key, known)
        hint = (Msg("Did you mean '{suggestion}'?", suggestion=near) if near else
                Msg("Remove it or fix its spelling; the keys allowed here: {keys}.", keys=known))
        return Msg("Unknown key '{key}'.", key=key), hint
    if kind == "value_error" and isinstance(ctx.get("error"), InvalidValue):
        error: InvalidValue = ctx["error"]
        return error.msg, error.hint or Msg("Fix the value.")
    if kind in ("literal_error", "enum"):
        choices = _choices(ctx)
        near = _nearest(shown, choices)
        hint = (Msg("Did you mean '{suggestion}'? Choose one of {choices}.", suggestion=near, choices=choices) if near
                else Msg("Choose one of {choices}.", choices=choices))
        return Msg("'{value}' is not allowed here.", value=shown), hint
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == IDENTIFIER:
            return (Msg("'{value}' is not a valid identifier.", value=shown),
                    Msg("Use lower-case letters, digits, '_' and '-', starting with a letter or a digit, for example "
                        "{example}.", example=_slug(str(value))))
        return (Msg("'{value}' does not have the expected form.", value=shown),
                Msg("Write it in the form {pattern}.", pattern=str(ctx.get("pattern"))))
    if kind in ("too_short", "string_too_short"):
        if int(ctx.get("min_length", 1)) <= 1:
            return Msg("This is empty."), Msg("Fill it in.")
        return (Msg("At least {min_length} items are expected; there are {actual_length}.",
                    min_length=int(ctx["min_length"]), actual_length=int(ctx.get("actual_length", 0))),
                Msg("Add the missing items."))
    if kind == "too_long":
        return (Msg("At most {max_length} items are expected; there are {actual_length}.",
                    max_length=int(ctx.get("max_length", 0)), actual_length=int(ctx.get("actual_length", 0))),
                Msg("Remove the extra items."))
    if kind in _SIMPLE:
        message, hint = _SIMPLE[kind]
        values = {"value": shown, **{k: _number(v) for k, v in ctx.items()}}
        return Msg(message.id, **_wanted(message.id, values)), Msg(hint.id, **_wanted(hint.id, values))
    return Msg("Value refused: '{value}'.", value=shown), Msg("Fix the value.")


def _wanted(message_id: str, values: dict[str, Any]) -> dict[str, Any]:
    names = set(re.findall(r"\{(\w+)\}", message_id))
    return {k: v for k, v in values.items() if k in names}


def problem_of(err: ErrorDetails) -> tuple[TemoinError, tuple[Any, ...]]:
    """One pydantic error as a Témoin problem (with its path; the caller adds the line), and its
    cleaned location."""
    loc = clean_loc(tuple(err["loc"]))
    kind = err["type"]
    ctx = dict(err.get("ctx") or {})
    message, hint = _messages(kind, loc, err.get("input"), ctx)
    return TemoinError(f"contract.{kind}", message, path=loc_to_path(loc), hint=hint), loc
