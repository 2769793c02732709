"""What every page of a contract shares: its heading and its tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import Response

from temoin.i18n import Translator as Words
from temoin.i18n.contract_labels import wave_label
from temoin.services.contracts import get_contract
from temoin.web.access import DECIDE_EXTRACT, MANAGE_ROLES, UPLOAD_PARTICIPANTS
from temoin.web.context import Ctx
from temoin.web.render import render
from temoin.web.views import overview

# (path under /contracts/{id}, label in the message catalogue), in reading order.
CONTRACT_TABS: tuple[tuple[str, str], ...] = (
    ("", "Overview"), ("/versions", "Versions"), ("/evaluation", "Evaluation"), ("/diagnosis", "Design diagnosis"),
    ("/power", "Power"), ("/simulation", "Risk simulation"), ("/settlement", "Settlement"), ("/reports", "Reports"),
    ("/committee", "Committee"), ("/budget", "Budget watch"), ("/ledger", "Audit ledger"),
)


def tabs(ctx: Ctx, contract_id: str) -> list[tuple[str, str]]:
    """(path, label) of each page of a contract the reader may open."""
    out = [(f"/contracts/{contract_id}{suffix}", ctx.t(label)) for suffix, label in CONTRACT_TABS]
    if ctx.contract_permissions(contract_id) & {"data.participants", "data.waves"}:
        out.append((f"/contracts/{contract_id}/data", ctx.t("Data entry")))
    if ctx.can(MANAGE_ROLES, contract_id):
        out.append((f"/contracts/{contract_id}/people", Words(ctx.lang)("People and roles")))
    if ctx.can(DECIDE_EXTRACT, contract_id):
        out.append((f"/contracts/{contract_id}/extracts", ctx.t("Research extracts")))
    if ctx.can(UPLOAD_PARTICIPANTS, contract_id):
        out.append((f"/contracts/{contract_id}/rgpd", Words(ctx.lang)("Personal data")))
    return out


def contract_page(ctx: Ctx, contract_id: str, template: str, **values: Any) -> Response:
    head = overview(ctx.engine, contract_id, ctx.lang)
    return render(ctx, template, c=head, tabs=tabs(ctx, contract_id), wave=waves_of(ctx, contract_id), **values)


def waves_of(ctx: Ctx, contract_id: str) -> Callable[[str], str]:
    """A follow-up wave's code in the reader's words ("à 12 mois"), the contract read only when a page asks."""
    known: dict[str, str] = {}

    def wave(code: str) -> str:
        if not known:
            contract = get_contract(ctx.engine, contract_id).contract
            known.update({w.id: wave_label(contract, w.id, ctx.t) for w in contract.evaluation.follow_up_waves} or {"": ""})
        return known.get(str(code), str(code))

    return wave
