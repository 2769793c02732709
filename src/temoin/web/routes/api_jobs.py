"""A background job read through the API (``GET /api/v1/jobs/{id}``): its state, its progress, then
its result or its error in the reader's language, with the rights of whoever asks (the contract's
readers; an import's job, those who may send that kind of file). A large file sent to the import
endpoints is answered ``202`` with this job's address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from temoin.services import import_jobs, jobs
from temoin.services.jobs import JobView
from temoin.web.access import READ, SCOPE
from temoin.web.context import Ctx, CtxDep
from temoin.web.errors import error_payload
from temoin.web.import_views import permission_of

router = APIRouter(prefix="/api/v1", tags=["v1"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"}, 403: {"description": "Refused: the job's kind needs another right"},
    404: {"description": "No such job among the contracts this account reads"},
}
JOB_ID = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="The job's number.")]


def url_of(job_id: int) -> str:
    return f"/api/v1/jobs/{job_id}"


@router.get("/jobs/{job_id}", responses=ERRORS, openapi_extra={SCOPE: READ.value})
def api_job(ctx: CtxDep, job_id: JOB_ID) -> dict[str, Any]:
    """A job's state (queued, running, done, failed), its progress (for an import: the rows checked
    and saved so far), then its result, or its error (a refused file's problems row by row)."""
    ctx.signed_in()
    job = jobs.get_job(ctx.engine, job_id)
    if job.contract_id is None or not ctx.can(READ, job.contract_id):
        raise jobs.unknown_job(job_id)  # another contract's job is not said to exist
    if job.kind in import_jobs.IMPORTS:
        ctx.require(permission_of(job.kind), job.contract_id)
    return payload(ctx, job)


def payload(ctx: Ctx, job: JobView) -> dict[str, Any]:
    def when(t: Any) -> str | None:
        return None if t is None else t.isoformat()

    out: dict[str, Any] = {
        "id": job.id, "kind": job.kind, "contract_id": job.contract_id, "status": job.status.value,
        "progress": job.progress, "url": url_of(job.id), "created_at": when(job.created_at),
        "started_at": when(job.started_at), "finished_at": when(job.finished_at), "result": job.result,
        "error": None if job.error is None else error_payload(ctx.t, job.error, ctx.settings.max_listed_errors),
        "file": None, "input": None,
    }
    if job.file_name and job.status.value == "done":
        out["file"] = f"/contracts/{job.contract_id}/jobs/{job.id}/file"
    if job.input_name:
        out["input"] = {"name": job.input_name, "sha256": job.input_sha256}
    return out
