"""Public pages, no account needed: the registry of contracts, each contract's observatory, each
imported INDIGO project's sheet, and the open-data files.

They show only public terms and, for counts of people, figures passed through small-cell
suppression by the open-data services; and the audit ledger's head, so that anyone can keep it and
check later that the ledger was not truncated or rewritten.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import Engine

from temoin.opendata.observatory import counts_by_source
from temoin.services import opendata, publication
from temoin.services.contracts import get_contract
from temoin.services.governance import ledger_head
from temoin.store import ledger, read_scope
from temoin.web.context import Ctx, CtxDep
from temoin.web.kept import Kept
from temoin.web.render import render
from temoin.web.views import explained_settlement, key_figures

router = APIRouter(include_in_schema=False)


# The registry and each contract's comparison with its peers, kept per process for a ledger head and
# a day (a contract's status in the registry reads the date): every change to the contracts, their
# results or the imported projects appends to the audit ledger. Always current: a reader waits for
# figures gathered anew (temoin.web.kept).
_REGISTRY: Kept[tuple[list[dict[str, Any]], dict[str, Any]]] = Kept(limit=8)
_OBSERVED: Kept[tuple[dict[str, Any], dict[str, Any]]] = Kept(limit=64)


def _state(ctx: Ctx) -> tuple[int, dt.date]:
    with read_scope(ctx.engine) as db:
        return ledger.head_seq(db), dt.date.today()


def _registry(engine: Engine) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    entries = opendata.registry(engine)
    return [e.to_dict() for e in entries], {k: v.to_dict() for k, v in counts_by_source(entries).items()}


def _observed(engine: Engine, contract_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    comparison = opendata.observe(engine, contract_id)
    entry = next(e.to_dict() for e in opendata.registry(engine) if e.source == "temoin" and e.id == contract_id)
    return comparison.to_dict(), entry


@router.get("/public")
def registry_page(ctx: CtxDep) -> Response:
    head, today = _state(ctx)
    (entries, counts), _ = _REGISTRY.get(ctx.engine, today, head, lambda: _registry(ctx.engine))
    return render(ctx, "registry.html", entries=entries, counts=counts)


@router.get("/public/contracts/{contract_id}")
def observatory_page(ctx: CtxDep, contract_id: str) -> Response:
    head, today = _state(ctx)
    (comparison, entry), _ = _OBSERVED.get(ctx.engine, (contract_id, today), head, lambda: _observed(ctx.engine, contract_id))
    title = get_contract(ctx.engine, contract_id).contract.title
    # what was decided and paid, in words: published once the payer approved the settlement
    settled = key_figures(ctx.engine, contract_id, ctx.lang)["settlement"]
    figures = {"settlement": settled}
    explained = explained_settlement(ctx.engine, contract_id, figures, ctx.lang) if settled and settled["payer_approved"] else []
    return render(ctx, "observatory.html", cmp=comparison, entry=entry, title=title.fr if ctx.lang == "fr" else title.en,
                  figures_file=publication.figures_file(contract_id), ledger=ledger_head(ctx.engine), settled=settled,
                  explained=explained)


@router.get("/public/projects/{project_id}")
def project_page(ctx: CtxDep, project_id: str) -> Response:
    sheet = opendata.public_project(ctx.engine, project_id)
    return render(ctx, "project.html", p=sheet.to_dict())


@router.get("/public/open-data")
def open_data_page(ctx: CtxDep) -> Response:
    return render(ctx, "open_data.html", files=publication.file_names(ctx.engine))
