"""A contract's versions: the list, a comparison of two in words, the payer's signature, and the
exports (YAML, INDIGO JSON) of any version."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from temoin.contract import Contract
from temoin.contract.compare import Change, compare
from temoin.errors import InvalidInputError, TemoinError
from temoin.i18n import Translator, catalogue
from temoin.messages import Msg
from temoin.opendata.indigo_export import export_project
from temoin.services.contract_edit import sign_version, signature_of, versions_of
from temoin.services.contracts import get_contract
from temoin.web.access import EDIT_CONTRACT, READ
from temoin.web.context import Ctx, CtxDep
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.routes.contract_edit.yaml_pages import read_form

router = APIRouter(include_in_schema=False)

# A field whose values are codes of a closed set: the kind of their labels (label:<kind>:<code>).
VALUE_KINDS = {
    "design": "design", "estimator": "estimator", "se_type": "se_type", "sidedness": "sidedness",
    "policy_sector": "policy_sector", "roles": "role", "seat": "seat", "data_source": "data_source",
    "accumulation": "accumulation", "basis": "payment_basis", "direction": "indicator_direction",
    "instrument": "instrument", "seniority": "seniority", "multiplicity": "multiplicity",
    "missing_outcomes": "missing_outcomes", "df_method": "df_method", "attrition_boundary": "attrition_boundary",
}
# (list the field is in, field) -> kind, where the same key means different things.
KIND_IN = {"parties": "party_kind", "committees": "committee_kind", "costs": "cost_kind", "investor_return": "return_cap_kind"}
# Fields whose values name the contract's variables (attributes, indicators, columns): shown by their labels.
VARIABLES = frozenset({"covariates", "strata", "secondary_outcomes", "withheld", "primary_outcome"})
AMOUNTS = frozenset({"amount", "max_commitment", "price", "price_per_unit", "unit_saving", "unit_cost", "bonus",
                     "total_outcome_payments", "per_participant", "direct_delivery_cost"})


def _label(t: Translator, kind: str, code: str) -> str | None:
    key = f"label:{kind}:{code}"
    return t.label(kind, code) if catalogue(t.lang).get(key) else None


def value_text(t: Translator, change: Change, value: Any, currency: str,
               names: Mapping[str, str] | None = None) -> str:
    """A value of the contract as the reader reads it: a label, an amount, a date, yes or no; a
    variable by its label in ``names`` (the contract's attributes and indicators)."""
    if value is None:
        return "—"
    field = change.field
    if field in VARIABLES and names is not None and isinstance(value, str):
        return names.get(value) or t.label("column", value)
    kind = VALUE_KINDS.get(field)
    if field == "kind":
        parent = next((str(p) for p in reversed(change.path[:-1]) if isinstance(p, str) and p in KIND_IN), None)
        kind = KIND_IN.get(parent or "")
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return ", ".join(value_text(t, change, v, currency, names) for v in value) or "—"
        return t("{n} items", n=len(value))
    if isinstance(value, dict):
        if set(value) <= {"fr", "en"}:
            return str(value.get(t.lang) or value.get("fr") or value.get("en") or "")
        name = value.get("name") or value.get("id") or value.get("label")
        if isinstance(name, dict):
            name = name.get(t.lang) or name.get("fr")
        return str(name) if name else t("{n} fields", n=len(value))
    if kind:
        found = _label(t, kind, str(value))
        if found:
            return found
    if field in AMOUNTS:
        try:
            return t.money(Decimal(str(value)), currency)
        except InvalidOperation:
            return str(value)
    if isinstance(value, int | float):
        return t.number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return t.date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _variable_names(contract: Contract, lang: str) -> dict[str, str]:
    """The contract's attributes and indicators by their labels in ``lang``."""
    return {a.name: a.label.get(lang) for a in contract.population.attributes} | {
        i.id: i.label.get(lang) for i in contract.indicators}


def _where(t: Translator, change: Change) -> list[tuple[str, bool]]:
    """Each step of the path: (words, whether they are the contract's own: an item's name)."""
    return [(t.render(step), False) if isinstance(step, Msg) else (step, True) for step in change.where]


def _own_words(change: Change) -> bool:
    """The values are the contract's own words (a name, a text), not a label, number or date of Témoin's."""
    values = [v for v in (change.before, change.after) if v is not None]
    return change.field not in VALUE_KINDS and change.field not in AMOUNTS and change.field != "kind" \
        and any(isinstance(v, str | dict) for v in values)


def _version_number(raw: str | None, latest: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        number = int(str(raw))
    except ValueError:
        number = 0
    if not 1 <= number <= latest:
        raise InvalidInputError("contract_edit.version", Msg("There is no version {version}.", version=str(raw)),
                                path="version", hint=Msg("Versions go from 1 to {latest}.", latest=latest))
    return number


def _versions_page(ctx: Ctx, contract_id: str, *, status: int = 200, error: TemoinError | None = None,
                   saved: str | None = None, unchanged: bool = False, a: str | None = None,
                   b: str | None = None) -> Response:
    versions = versions_of(ctx.engine, contract_id)
    latest = len(versions)
    rows: list[dict[str, Any]] = []
    currency = versions[-1].contract.currency
    left = right = latest
    if error is None:
        try:
            right = _version_number(b, latest, latest)
            left = _version_number(a, latest, max(1, right - 1))
        except TemoinError as exc:
            error, status = exc, status_of(exc)
    if error is None or error.code != "contract_edit.version":
        before: Contract = versions[left - 1].contract
        after: Contract = versions[right - 1].contract
        names = _variable_names(before, ctx.lang) | _variable_names(after, ctx.lang)
        for change in compare(before, after):
            rows.append({"where": _where(ctx.t, change), "kind": change.kind,
                         "own": _own_words(change) and change.field not in VARIABLES,
                         "before": value_text(ctx.t, change, change.before, currency, names),
                         "after": value_text(ctx.t, change, change.after, currency, names)})
    return contract_page(ctx, contract_id, "contract_versions.html", status=status, versions=versions, rows=rows,
                         left=left, right=right, signed=signature_of(ctx.engine, contract_id), error=error,
                         saved=saved, unchanged=unchanged, may_edit=ctx.can(EDIT_CONTRACT, contract_id))


@router.get("/contracts/{contract_id}/versions")
def versions_page(ctx: CtxDep, contract_id: str, a: str | None = None, b: str | None = None,
                  saved: str | None = None, unchanged: str | None = None) -> Response:
    ctx.require(READ, contract_id)
    return _versions_page(ctx, contract_id, a=a, b=b, saved=saved, unchanged=bool(unchanged))


@router.post("/contracts/{contract_id}/sign")
async def sign(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    account = ctx.require(EDIT_CONTRACT, contract_id)
    form = await read_form(ctx, request)
    try:
        latest = len(versions_of(ctx.engine, contract_id))
        version = _version_number(str(form.get("version") or "x"), latest, latest)
        await run_in_threadpool(sign_version, ctx.engine, contract_id, version, person=account.person_id or "",
                                actor=ctx.actor)
    except TemoinError as exc:
        return _versions_page(ctx, contract_id, status=status_of(exc), error=exc)
    return RedirectResponse(f"/contracts/{contract_id}/versions", status_code=303)


def _stored(ctx: Ctx, contract_id: str, version: str | None) -> tuple[int, str, Contract]:
    latest = get_contract(ctx.engine, contract_id)
    number = _version_number(version, latest.version, latest.version)
    stored = latest if number == latest.version else get_contract(ctx.engine, contract_id, number)
    return number, stored.yaml_text, stored.contract


@router.get("/contracts/{contract_id}/export.yaml")
def export_yaml(ctx: CtxDep, contract_id: str, version: str | None = None) -> Response:
    ctx.require(READ, contract_id)
    number, text, _ = _stored(ctx, contract_id, version)
    return Response(text, media_type="application/yaml; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{contract_id}-v{number}.yaml"'})


@router.get("/contracts/{contract_id}/export-indigo.json")
def export_indigo(ctx: CtxDep, contract_id: str, version: str | None = None) -> Response:
    ctx.require(READ, contract_id)
    number, _, contract = _stored(ctx, contract_id, version)
    body = json.dumps(export_project(contract), ensure_ascii=False, indent=2, default=str)
    return Response(body, media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{contract_id}-v{number}.indigo.json"'})
