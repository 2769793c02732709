"""The API's documentation as a page of the site (``/api/docs``), in the reader's language: each
operation of the OpenAPI schema (method, path, what it does, its parameters, what it needs, its
answers), its words from the catalogue. Programs read the schema itself at ``/api/v1/openapi.json``.

An operation's summary is ``label:api:<route name>``; its description is its docstring (the schema's
description) as a message; a parameter is ``label:api_parameter:<name>``; what it needs is the
schema's ``x-temoin-scope`` (:data:`temoin.web.access.SCOPE`): a permission by its label, else
``label:api_scope:<account|session|public>``; an answer is ``label:api_status:<code>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from temoin.i18n import Translator
from temoin.web.access import SCOPE, Permission
from temoin.web.context import CtxDep
from temoin.web.render import render

__all__ = ["Operation", "operations", "route_name", "router"]

router = APIRouter(include_in_schema=False)
PUBLIC = "/api/v1/public"
METHODS = ("get", "post", "put", "patch", "delete")
PERMISSIONS = frozenset(p.value for p in Permission)


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    what: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    summary: str
    description: str
    scope: str
    needs: str
    parameters: list[Parameter] = field(default_factory=list)
    body: list[Parameter] = field(default_factory=list)
    answers: list[tuple[str, str]] = field(default_factory=list)


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _scope(op: dict[str, Any], path: str) -> str:
    return "public" if path.startswith(PUBLIC) else str(op.get(SCOPE, ""))


def _needs(scope: str, t: Translator) -> str:
    return t.label("permission", scope) if scope in PERMISSIONS else t.label("api_scope", scope)


def _body(op: dict[str, Any], schema: dict[str, Any], t: Translator) -> list[Parameter]:
    content = (op.get("requestBody") or {}).get("content") or {}
    out: list[Parameter] = []
    for media, spec in content.items():
        ref = str((spec.get("schema") or {}).get("$ref", "")).rsplit("/", 1)[-1]
        model = schema.get("components", {}).get("schemas", {}).get(ref, {})
        required = set(model.get("required", []))
        for name, prop in (model.get("properties") or {}).items():
            what = t.label("api_parameter", name) if media.startswith("multipart/") else t(_words(prop.get("description")))
            out.append(Parameter(name, t.label("api_where", "file" if media.startswith("multipart/") else "json"),
                                 name in required, what))
    return out


def operations(schema: dict[str, Any], t: Translator) -> list[Operation]:
    """Every operation of ``schema`` in the reader's words."""
    out: list[Operation] = []
    for path, ops in schema.get("paths", {}).items():
        for method in METHODS:
            op = ops.get(method)
            if op is None:
                continue
            name = route_name(op, method, path)
            scope = _scope(op, path)
            params = [Parameter(p["name"], t.label("api_where", p.get("in", "")), bool(p.get("required")),
                                t.label("api_parameter", p["name"])) for p in op.get("parameters", [])]
            answers = [(code, t.label("api_status", code)) for code in sorted(op.get("responses", {}))]
            out.append(Operation(method.upper(), path, name, t.label("api", name), t(_words(op.get("description"))),
                                 scope, _needs(scope, t), params, _body(op, schema, t), answers))
    return out


def route_name(op: dict[str, Any], method: str, path: str) -> str:
    """The route function's name behind an operation, from its operation id (FastAPI makes it of the
    name, the path and the method, every other character as ``_``)."""
    ident = str(op.get("operationId", ""))
    suffix = re.sub(r"\W", "_", path) + "_" + method
    return ident[: -len(suffix)] if ident.endswith(suffix) else ident


@router.get("/api/docs")
def api_docs(ctx: CtxDep) -> Response:
    app = ctx.request.app
    ops = operations(app.openapi(), ctx.t)
    groups = [(ctx.t.label("api_group", key), [o for o in ops if (o.path.startswith(PUBLIC)) == (key == "public")])
              for key in ("account", "public")]
    return render(ctx, "api_docs.html", groups=groups)
