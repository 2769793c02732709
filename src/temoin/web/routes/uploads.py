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
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as FormFile

from temoin.errors import InvalidInputError, NotFoundError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.messages import Msg
from temoin.services import evaluations, import_jobs, jobs
from temoin.services.cohort_templates import FileKind, template_csv, template_xlsx
from temoin.services.contracts import get_contract
from temoin.services.jobs import JobView
from temoin.web import import_views
from temoin.web.access import READ, SCOPE, UPLOAD_PARTICIPANTS, UPLOAD_WAVES
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.layout import contract_page
from temoin.web.render import render
from temoin.web.routes.api_jobs import url_of
from temoin.web.upload_checks import UploadLimits, discard, save_counted
from temoin.web.workers import uploading

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _present(upload: object) -> FormFile:
    if not isinstance(upload, FormFile) or not upload.filename:
        raise InvalidInputError("upload.missing", Msg('No file chosen.'), path="file",
                                hint=Msg('Choose a CSV or XLSX file.'))
    return upload


def _import(ctx: Ctx, contract_id: str, upload: FormFile, wave: str | None) -> dict[str, Any] | JobView:
    """Check the file, then import it; a file of more rows than ``import_job_rows`` is given to a job instead."""
    path, rows = save_counted(upload.file, upload.filename or "", UploadLimits.of(ctx.settings))
    try:
        if import_jobs.by_job(rows, ctx.settings):
            job = import_jobs.submit_import(ctx.engine, contract_id, path, name=upload.filename or "", rows=rows,
                                            wave=wave, actor=ctx.actor)
            workers = getattr(ctx.request.app.state, "job_workers", None)
            if workers is not None:
                workers.wake()
            return job
        import_jobs.check_idle(ctx.engine, contract_id)
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
    base: dict[str, Any] = {"waves": waves, "result": None, "error": None, "kind": None, "job": None,
                            "randomised": c.evaluation.design.randomised}
    base.update(values)
    if template == "data_result.html":
        return render(ctx, template, status=status, **base)
    return contract_page(ctx, contract_id, template, status=status, **base)


@router.get("/contracts/{contract_id}/data", include_in_schema=False)
def data_page(ctx: CtxDep, contract_id: str, job: int | None = None) -> Response:
    """The data entry page; with ``job``, an import job followed until it ends, then its result."""
    ctx.require(READ, contract_id)
    if job is None:
        return _data_page(ctx, contract_id)
    found = jobs.get_job(ctx.engine, job, contract_id=contract_id)
    if found.kind not in import_jobs.IMPORTS:
        raise jobs.unknown_job(job)
    ctx.require(import_views.permission_of(found.kind), contract_id)
    return _data_page(ctx, contract_id, job=found, **import_views.of_job(ctx, found))


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
    """Check and import the file, and the page that says how it went (in a worker thread); a large
    file's job, followed on the page."""
    try:
        result = _import(ctx, contract_id, upload, wave)
    except CohortFileError as exc:
        return refused_page(ctx, contract_id, kind, exc)
    if isinstance(result, JobView):
        if not ctx.request.headers.get("hx-request"):  # without htmx: the page that follows the job
            return RedirectResponse(f"/contracts/{contract_id}/data?job={result.id}", status_code=303)
        return _data_page(ctx, contract_id, status=202, job=result, **import_views.of_job(ctx, result))
    return _data_page(ctx, contract_id, **import_views.imported(ctx, contract_id, kind, result))


def refused_page(ctx: Ctx, contract_id: str, kind: str, exc: CohortFileError) -> Response:
    """The data page with a refused file's problems, row by row, in the reader's words (422)."""
    return _data_page(ctx, contract_id, status=422, **import_views.refused(ctx, contract_id, kind, exc))


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

class JobAccepted(BaseModel):
    job: int = Field(description="The job's number.")
    status: str = Field(description="queued")
    url: str = Field(description="Where the job's state is read: GET /api/v1/jobs/{job}.")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"}, 403: {"description": "Refused"}, 404: {"description": "Unknown"},
    413: {"description": "File too large"}, 422: {"description": "File refused, with the row-level report"},
}


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "A large file (more rows than the platform's import_job_rows): imported by a background "
                         "job; its state at the URL given (also in Location)", "model": JobAccepted},
}


def _api_answer(out: dict[str, Any] | JobView) -> Any:
    if isinstance(out, JobView):
        url = url_of(out.id)
        return JSONResponse({"job": out.id, "status": out.status.value, "url": url}, status_code=202,
                            headers={"Location": url})
    return out


@router.post("/api/v1/contracts/{contract_id}/participants", tags=["v1"], responses=ERRORS | ACCEPTED, status_code=201,
             response_model=None, openapi_extra={SCOPE: UPLOAD_PARTICIPANTS.value})
async def api_participants(ctx: CtxDep, contract_id: str,
                           file: Annotated[UploadFile | None, File()] = None) -> Any:
    """Import referred people (CSV or XLSX): all rows or none; refused rows are listed (the first
    ones, with how many more). A large file is imported by a job: 202 and the job's URL."""
    ctx.require(UPLOAD_PARTICIPANTS, contract_id)
    ctx.check_csrf(ctx.request.headers.get(CSRF_HEADER))
    return _api_answer(await uploading(ctx.request, _import, ctx, contract_id, _present(file), None))


@router.post("/api/v1/contracts/{contract_id}/waves/{wave}", tags=["v1"], responses=ERRORS | ACCEPTED, status_code=201,
             response_model=None, openapi_extra={SCOPE: UPLOAD_WAVES.value})
async def api_wave(ctx: CtxDep, contract_id: str, wave: str,
                   file: Annotated[UploadFile | None, File()] = None) -> Any:
    """Import one follow-up wave (CSV or XLSX): all rows or none; refused rows are listed (the first
    ones, with how many more). A large file is imported by a job: 202 and the job's URL."""
    ctx.require(UPLOAD_WAVES, contract_id)
    ctx.check_csrf(ctx.request.headers.get(CSRF_HEADER))
    return _api_answer(await uploading(ctx.request, _import, ctx, contract_id, _present(file), wave))
