"""Open data under ``/api/v1/public`` (no account needed): the registry and each contract's public
figures as CSV with their Table Schemas, INDIGO JSON, the Data Package and data.gouv.fr metadata
(``/open-data/<file>``: the same names as in a folder written by ``temoin export opendata``), an
imported project's sheet, and the registry's safeguard counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from temoin.services import opendata, publication
from temoin.web.context import Ctx, CtxDep

router = APIRouter(prefix="/api/v1/public", tags=["open data / données ouvertes"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown contract or project / inconnu"}}
CSV = "text/csv; charset=utf-8"
JSON = "application/json"


def _file(ctx: Ctx, request: Request, name: str, media_type: str) -> Response:
    base = str(request.base_url).rstrip("/") + "/api/v1/public/open-data/"
    text = publication.open_data_file(ctx.engine, name, settings=ctx.settings, base_url=base)
    headers = {"Content-Disposition": f'inline; filename="{name}"'} if media_type == CSV else {}
    return Response(text, media_type=media_type, headers=headers)


@router.get("/open-data/registre-contrats.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The registry as CSV (UTF-8, comma)"}})
def registry_csv(ctx: CtxDep, request: Request) -> Response:
    """The public registry as CSV (Table Schema: registre-contrats.schema.json)."""
    return _file(ctx, request, publication.REGISTRY_FILE, CSV)


@router.get("/open-data/registre-contrats.schema.json")
def registry_schema(ctx: CtxDep, request: Request) -> Response:
    """The registry's Table Schema (frictionless)."""
    return _file(ctx, request, publication.REGISTRY_SCHEMA_FILE, JSON)


@router.get("/open-data/chiffres-contrat.schema.json")
def figures_schema(ctx: CtxDep, request: Request) -> Response:
    """The Table Schema of every contract's public figures."""
    return _file(ctx, request, publication.FIGURES_SCHEMA_FILE, JSON)


@router.get("/open-data/chiffres-{contract_id}.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "The contract's public figures as CSV"}, **NOT_FOUND})
def figures_csv(ctx: CtxDep, request: Request, contract_id: str) -> Response:
    """A contract's public figures: terms, cohort after small-cell suppression, impact, settlement."""
    return _file(ctx, request, publication.figures_file(contract_id), CSV)


@router.get("/open-data/indigo.json")
def indigo_all(ctx: CtxDep, request: Request) -> Response:
    """Every contract of the registry as INDIGO projects (public fields only, valid against the INDIGO schema)."""
    return _file(ctx, request, "indigo.json", JSON)


@router.get("/open-data/datapackage.json")
def data_package(ctx: CtxDep, request: Request) -> Response:
    """The frictionless Data Package: every CSV with its schema, the licence, the producer."""
    return _file(ctx, request, "datapackage.json", JSON)


@router.get("/open-data/data.gouv.fr.json")
def datagouv(ctx: CtxDep, request: Request) -> Response:
    """What a data.gouv.fr publisher fills in: title, description, licence, producer, frequency, coverage."""
    return _file(ctx, request, "data.gouv.fr.json", JSON)


@router.get("/contracts/{contract_id}/indigo.json", responses=NOT_FOUND)
def contract_indigo(ctx: CtxDep, contract_id: str) -> dict[str, Any]:
    """One contract as an INDIGO project (public fields only)."""
    return opendata.export_indigo(ctx.engine, contract_id)


@router.get("/projects/{project_id}", responses=NOT_FOUND)
def project(ctx: CtxDep, project_id: str) -> dict[str, Any]:
    """An imported INDIGO project's sheet: parties, outcome metrics, prices, payments, results, sources."""
    return opendata.public_project(ctx.engine, project_id).to_dict()


@router.get("/observatory")
def counts(ctx: CtxDep) -> dict[str, Any]:
    """Across the registry: how many have a real counterfactual, a cap at realised savings, published results."""
    return {k: v.to_dict() for k, v in opendata.registry_counts(ctx.engine).items()}
