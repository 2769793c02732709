"""Public pages, no account needed: the registry of contracts and the observatory.

They show only public terms and, for counts of people, figures passed through small-cell
suppression by the open-data services; and the audit ledger's head, so that anyone can keep it and
check later that the ledger was not truncated or rewritten.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from temoin.services import opendata
from temoin.services.governance import ledger_head
from temoin.web.context import CtxDep
from temoin.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/public")
def registry_page(ctx: CtxDep) -> Response:
    entries = [e.to_dict() for e in opendata.registry(ctx.engine)]
    return render(ctx, "registry.html", entries=entries)


@router.get("/public/contracts/{contract_id}")
def observatory_page(ctx: CtxDep, contract_id: str) -> Response:
    comparison = opendata.observe(ctx.engine, contract_id).to_dict()
    entry = next(e.to_dict() for e in opendata.registry(ctx.engine) if e.source == "temoin" and e.id == contract_id)
    return render(ctx, "observatory.html", cmp=comparison, entry=entry, ledger=ledger_head(ctx.engine))
