"""Who is in which group, for the operator (who serves the programme group) and the evaluator: they
send back their own case numbers (the participant file will do) and download each one's group.
Identifiers are never stored, so the list cannot be made without them. Only reads."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile as FormFile

from temoin.evaluation.cohort_file import CohortFileError
from temoin.services.cohort_columns import participant_columns
from temoin.services.cohort_groups import PROGRAMME, Group, groups_of
from temoin.services.contracts import get_contract
from temoin.web.access import UPLOAD_PARTICIPANTS, UPLOAD_WAVES
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.routes.uploads import _present, refused_page
from temoin.web.upload_checks import UploadLimits, discard, save_upload
from temoin.web.workers import uploading

router = APIRouter(include_in_schema=False)


@router.post("/contracts/{contract_id}/groups.csv")
async def groups_file(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    # the operator (participants) or the evaluator (waves); anyone else is refused by the first check
    ctx.require(UPLOAD_WAVES if ctx.can(UPLOAD_WAVES, contract_id) else UPLOAD_PARTICIPANTS, contract_id)
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return await uploading(request, _answer, ctx, contract_id, _present(form.get("file")))


def _answer(ctx: Ctx, contract_id: str, upload: FormFile) -> Response:
    """The groups as a CSV in the reader's language, or the data page with every problem (in a worker thread)."""
    path = save_upload(upload.file, upload.filename or "", UploadLimits.of(ctx.settings))
    try:
        found = groups_of(ctx.engine, contract_id, path, settings=ctx.settings)
    except CohortFileError as exc:
        return refused_page(ctx, contract_id, "groups", exc)
    finally:
        discard(path)
    headers = {"Content-Disposition": f'attachment; filename="{contract_id}-groupes.csv"'}
    return Response(groups_csv(ctx, contract_id, found), media_type="text/csv; charset=utf-8", headers=headers)


def groups_csv(ctx: Ctx, contract_id: str, found: list[Group]) -> bytes:
    """Header (the participant column's label, "group"), then one row per identifier; UTF-8 with a
    byte-order mark and the reader's delimiter, like the templates."""
    contract = get_contract(ctx.engine, contract_id).contract
    t = ctx.t
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if t.lang == "fr" else ",")
    w.writerow([participant_columns(contract)[0].label(t.lang), t("group")])
    words = {PROGRAMME: t("programme"), 1 - PROGRAMME: t("comparison")}
    w.writerows([g.identifier, words[g.arm] if g.arm is not None else t("not yet drawn") if g.enrolled
                 else t("not enrolled")] for g in found)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
