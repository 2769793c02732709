"""A contract made leniently from a document that failed validation, for the cross-field rules.

Every part of the document that validates on its own is kept, typed as pydantic makes it (a model
whose own fields all validate is built even when a rule across them failed); every part that does
not is :data:`INVALID`, a value that refuses to be read, compared, counted or printed: a rule
touching it stops with :class:`Unknowable` (see :mod:`temoin.contract._consistency`). So a
document with a misspelt key, a wrong type and a date out of order reports all three at once.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, NoReturn, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = ["INVALID", "Unknowable", "lenient"]


class Unknowable(Exception):
    """A rule read a part of the document that did not validate: its answer cannot be known yet."""


class _Invalid:
    """A part of the document that did not validate (its problem is reported by pydantic)."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise Unknowable

    __getattr__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __hash__ = _refuse
    __bool__ = __len__ = __iter__ = __contains__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __neg__ = _refuse
    __int__ = __float__ = __index__ = __str__ = __format__ = _refuse

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()

_ADAPTERS: dict[tuple[type[BaseModel], str, bool], TypeAdapter[Any]] = {}


def _model(annotation: Any) -> type[BaseModel] | None:
    """The model class of a field typed ``Model`` or ``Model | None``, else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [a for a in get_args(annotation) if a is not type(None)]
        if len(models) == 1:
            return _model(models[0])
    return None


def _adapter(owner: type[BaseModel], name: str, item: bool) -> TypeAdapter[Any]:
    key = (owner, name, item)
    if key not in _ADAPTERS:
        field = owner.model_fields[name]
        if item:
            _ADAPTERS[key] = TypeAdapter(get_args(field.annotation)[0])
        else:
            annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            _ADAPTERS[key] = TypeAdapter(annotation)
    return _ADAPTERS[key]


def _checked(adapter: TypeAdapter[Any], value: Any, context: dict[str, Any]) -> Any:
    try:
        return adapter.validate_python(value, context=context)
    except ValidationError:
        return INVALID


def _field(owner: type[BaseModel], name: str, value: Any, context: dict[str, Any]) -> Any:
    annotation = owner.model_fields[name].annotation
    model = _model(annotation)
    if model is not None:
        return None if value is None else lenient(model, value, context)
    if get_origin(annotation) is list:
        if not isinstance(value, list):
            return INVALID
        (item,) = get_args(annotation)
        item_model = _model(item)
        if item_model is not None:
            return [lenient(item_model, v, context) for v in value]
        adapter = _adapter(owner, name, True)
        return [_checked(adapter, v, context) for v in value]
    return _checked(_adapter(owner, name, False), value, context)


def lenient(model: type[BaseModel], data: Any, context: dict[str, Any]) -> Any:
    """``model`` validated from ``data`` if it can be; else built field by field, each field that
    does not validate (or is required and missing) left :data:`INVALID`; :data:`INVALID` when
    ``data`` is not even a mapping."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError:
        pass
    if not isinstance(data, Mapping):
        return INVALID
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name in data:
            values[name] = _field(model, name, data[name], context)
        elif field.is_required():
            values[name] = INVALID
        else:
            values[name] = field.get_default(call_default_factory=True)
    return model.model_construct(**values)
