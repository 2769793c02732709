"""Data entry: participants (the operator) and follow-up waves (the evaluator), CSV or XLSX.

The file is checked first (size, type, rows, columns, unpacked size, formulas), then handed to
the evaluation service, which checks every row and saves all rows or none. Both run in a worker
thread (at most the settings' ``upload_workers`` at once), never on the event loop. Refused files
come back with the row-level report (row, column, value, message: the first ``max_listed_errors``,
and how many more) and nothing saved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from starlette.datastructures import UploadFile as FormFile

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError, NotFoundError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.i18n.contract_labels import category_label
from temoin.messages import Msg
from temoin.services import evaluations
from temoin.services.cohort_templates import FileKind, columns_of, template_csv, template_xlsx
from temoin.services.contracts import get_contract
from temoin.web.access import READ, SCOPE, UPLOAD_PARTICIPANTS, UPLOAD_WAVES
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.layout import contract_page
from temoin.web.render import render
from temoin.web.upload_checks import UploadLimits, discard, save_upload
from temoin.web.workers import uploading

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _present(upload: object) -> FormFile:
    if not isinstance(upload, FormFile) or not upload.filename:
        raise InvalidInputError("upload.missing", Msg('No file chosen.'), path="file",
                                hint=Msg('Choose a CSV or XLSX file.'))
    return upload


def _import(ctx: Ctx, contract_id: str, upload: FormFile, wave: str | None) -> dict[str, Any]:
    path = save_upload(upload.file, upload.filename or "", UploadLimits.of(ctx.settings))
    try:
        if wave is None:
            summary = evaluations.import_participants(ctx.engine, contract_id, path, settings=ctx.settings, actor=ctx.actor)
        else:
            summary = evaluations.import_outcomes(ctx.engine, contract_id, wave, path, settings=ctx.settings,
                                                  actor=ctx.actor)
    finally:
        discard(path)
    return summary.to_dict()


def _data_page(ctx: Ctx, contract_id: str, *, status: int = 200, **values: Any) -> Response:
    c = get_contract(ctx.engine, contract_id).contract
    waves = [w.id for w in c.evaluation.follow_up_waves]
    template = "data_result.html" if ctx.request.headers.get("hx-request") else "data.html"
    base: dict[str, Any] = {"waves": waves, "result": None, "error": None, "kind": None}
    base.update(values)
    if template == "data_result.html":
        return render(ctx, template, status=status, **base)
    return contract_page(ctx, contract_id, template, status=status, **base)


@router.get("/contracts/{contract_id}/data", include_in_schema=False)
def data_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return _data_page(ctx, contract_id)


@router.post("/contracts/{contract_id}/data/{kind}", include_in_schema=False)
async def upload_page(ctx: CtxDep, contract_id: str, kind: str, request: Request) -> Response:
    permission = UPLOAD_PARTICIPANTS if kind == "participants" else UPLOAD_WAVES
    ctx.require(permission, contract_id)
    form = await request.form()  # the file is spooled to disk as it arrives, within the body limit
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    upload = form.get("file")
    wave = None if kind == "participants" else str(form.get("wave") or "")
    if kind not in ("participants", "wave"):
        raise NotFoundError("data.kind", Msg("Unknown data kind: '{kind}'.", kind=kind))
    return await uploading(request, _upload_answer, ctx, contract_id, kind, _present(upload), wave)


def _upload_answer(ctx: Ctx, contract_id: str, kind: str, upload: FormFile, wave: str | None) -> Response:
    """Check and import the file, and the page that says how it went (in a worker thread)."""
    try:
        result = _import(ctx, contract_id, upload, wave)
    except CohortFileError as exc:
        words = ctx.t
        listed = ctx.settings.max_listed_errors
        contract = get_contract(ctx.engine, contract_id).contract
        names = {c.name: c.label(ctx.lang) for c in columns_of(contract, "participants" if kind == "participants" else "wave")}
        rows = [{"row": e.row, "column": names.get(e.column, e.column), "value": e.value,
                 "message": words.render(e.message)} for e in exc.errors[:listed]]
        return _data_page(ctx, contract_id, status=422, error=exc, message=words.error_message(exc),
                          hint=words.error_hint(exc), rows=rows, more=max(0, len(exc.errors) - listed), kind=kind)
    contract = get_contract(ctx.engine, contract_id).contract
    names = {c.name: c.label(ctx.lang) for c in columns_of(contract, "participants" if kind == "participants" else "wave")}
    read_as = [n | {"label": names.get(str(n["column"]), n["column"]), "read_as": _read_as(ctx, contract, n)}
               for n in result.get("normalised") or []]
    read_as = [n for n in read_as if n["read_as"] != n["written"]]  # written as the reader's own label: nothing to say
    return _data_page(ctx, contract_id, result=result, kind=kind, read_as=read_as)


def _read_as(ctx: Ctx, contract: Contract, n: dict[str, object]) -> str:
    """What a value was read as, in the reader's words: the category's label (« DUNKERQUE » as
    « Dunkerque », « Very high » as « très élevé »), or its code when it has none."""
    return category_label(contract, str(n["read_as"]), ctx.t, str(n["column"]))


@router.get("/contracts/{contract_id}/data/template/{kind}.{fmt}", include_in_schema=False)
def template_file(ctx: CtxDep, contract_id: str, kind: str, fmt: str) -> Response:
    ctx.require(READ, contract_id)
    if kind not in ("participants", "wave") or fmt not in ("csv", "xlsx"):
        raise NotFoundError("data.template", Msg('Unknown template.'),
                            hint=Msg('participants.csv, participants.xlsx, wave.csv or wave.xlsx.'))
    contract = get_contract(ctx.engine, contract_id).contract
    name = f"{contract_id}-{kind}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    which: FileKind = "participants" if kind == "participants" else "wave"
    if fmt == "csv":
        return Response(template_csv(contract, which, ctx.t), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(template_xlsx(contract, which, ctx.t), media_type=XLSX, headers=headers)


# --- API -----------------------------------------------------------------------------------------

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"}, 403: {"description": "Refused"}, 404: {"description": "Unknown"},
    413: {"description": "File too large"}, 422: {"description": "File refused, with the row-level report"},
}


@router.post("/api/v1/contracts/{contract_id}/participants", tags=["v1"], responses=ERRORS, status_code=201,
             openapi_extra={SCOPE: UPLOAD_PARTICIPANTS.value})
async def api_participants(ctx: CtxDep, contract_id: str,
                           file: Annotated[UploadFile | None, File()] = None) -> dict[str, Any]:
    """Import referred people (CSV or XLSX): all rows or none; refused rows are listed (the first
    ones, with how many more)."""
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    ctx.check_csrf(ctx.request.headers.get(CSRF_HEADER))
    return await uploading(ctx.request, _import, ctx, contract_id, _present(file), None)


@router.post("/api/v1/contracts/{contract_id}/waves/{wave}", tags=["v1"], responses=ERRORS, status_code=201,
             openapi_extra={SCOPE: UPLOAD_WAVES.value})
async def api_wave(ctx: CtxDep, contract_id: str, wave: str,
                   file: Annotated[UploadFile | None, File()] = None) -> dict[str, Any]:
    """Import one follow-up wave (CSV or XLSX): all rows or none; refused rows are listed (the first
    ones, with how many more)."""
    ctx.require(UPLOAD_WAVES, contract_id)
    ctx.check_csrf(ctx.request.headers.get(CSRF_HEADER))
    return await uploading(ctx.request, _import, ctx, contract_id, _present(file), wave)
