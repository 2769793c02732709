"""The design-diagnosis page (issue 16, item 8): the contract's evaluation and payment rule simulated
as a background job. The form queues the job and the page follows it (progress, then the result);
the page shows the latest diagnosis kept, with when it was made and whether the data changed since.
Everyone who reads the contract may ask for one (reading is all it does)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from temoin.errors import TemoinError
from temoin.services import job_kinds, jobs
from temoin.services.diagnosis import DIAGNOSIS_SIMS
from temoin.web.access import READ
from temoin.web.context import Ctx, CtxDep
from temoin.web.diagnosis_view import diagnosis_values
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.routes.jobs import _form as checked_form
from temoin.web.routes.jobs import _queued as queued

router = APIRouter(include_in_schema=False)


@router.get("/contracts/{contract_id}/diagnosis")
def diagnosis_page(ctx: CtxDep, contract_id: str, job: int | None = None) -> Response:
    ctx.require(READ, contract_id)
    return _diagnosis(ctx, contract_id, job=job)


def _diagnosis(ctx: Ctx, contract_id: str, *, job: int | None = None, form: dict[str, Any] | None = None,
               error: TemoinError | None = None) -> Response:
    listed = jobs.list_jobs(ctx.engine, contract_id, (job_kinds.DIAGNOSIS,), limit=10)
    shown = jobs.get_job(ctx.engine, job, contract_id=contract_id, kind=job_kinds.DIAGNOSIS) if job is not None else \
        (listed[0] if listed else None)
    values = form if form is not None else (shown.arguments if shown is not None else {"sims": DIAGNOSIS_SIMS[0]})
    return contract_page(ctx, contract_id, "diagnosis.html", status=status_of(error) if error is not None else 200,
                         form=values, choices=DIAGNOSIS_SIMS, jobs=listed, job=shown, error=error,
                         **diagnosis_values(ctx, shown))


@router.post("/contracts/{contract_id}/diagnosis")
async def diagnosis_submit(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(READ, contract_id)
    form = await checked_form(ctx, request)
    try:
        job = job_kinds.submit_diagnosis(ctx.engine, contract_id, form, actor=ctx.actor)
    except TemoinError as exc:  # answered on the page, the form as it was filled in
        return _diagnosis(ctx, contract_id, form=form, error=exc)
    return queued(ctx, job, "diagnosis")
