"""What an import says on the page, whether it ran within the request or as a background job: the
problems of a refused file row by row (columns by their labels, allowed values by their labels in
the reader's language), or what was saved and the values read as allowed ones."""

from __future__ import annotations

from typing import Any

from temoin.contract.model import Contract
from temoin.evaluation.cohort_file import CohortFileError
from temoin.i18n.contract_labels import category_label
from temoin.services import import_jobs
from temoin.services.cohort_templates import column_labels
from temoin.services.contracts import get_contract
from temoin.services.jobs import JobView
from temoin.web.access import UPLOAD_PARTICIPANTS, UPLOAD_WAVES, Permission
from temoin.web.context import Ctx


def permission_of(kind: str) -> Permission:
    """Who may send, and follow, an import of this kind (``participants`` or ``wave``, or a job's kind)."""
    return UPLOAD_PARTICIPANTS if kind in ("participants", import_jobs.PARTICIPANTS) else UPLOAD_WAVES


def _names(ctx: Ctx, contract: Contract, kind: str) -> dict[str, str]:
    return column_labels(contract, "wave" if kind == "wave" else "participants", ctx.lang)


def refused(ctx: Ctx, contract_id: str, kind: str, exc: CohortFileError) -> dict[str, Any]:
    """The page's values for a refused file (the first ``max_listed_errors`` problems, and how many more)."""
    words, listed = ctx.t, ctx.settings.max_listed_errors
    contract = get_contract(ctx.engine, contract_id).contract
    names = _names(ctx, contract, kind)
    rows = [{"row": e.row, "column": names.get(e.column, e.column), "value": e.value,
             "message": words.render(e.message)} for e in exc.errors[:listed]]
    return {"error": exc, "message": words.error_message(exc), "hint": words.error_hint(exc), "rows": rows,
            "more": max(0, exc.count - min(listed, len(exc.errors))), "kind": kind}


def imported(ctx: Ctx, contract_id: str, kind: str, result: dict[str, Any]) -> dict[str, Any]:
    """The page's values for a file imported: its summary, and the values read as allowed ones."""
    contract = get_contract(ctx.engine, contract_id).contract
    names = _names(ctx, contract, kind)
    read_as = [n | {"label": names.get(str(n["column"]), n["column"]), "read_as": _read_as(ctx, contract, n)}
               for n in result.get("normalised") or []]
    read_as = [n for n in read_as if n["read_as"] != n["written"]]  # written as the reader's own label: nothing to say
    return {"result": result, "kind": kind, "read_as": read_as}


def of_job(ctx: Ctx, job: JobView) -> dict[str, Any]:
    """The page's values for an import job: once it ends, the same as the import within a request."""
    kind = "participants" if job.kind == import_jobs.PARTICIPANTS else "wave"
    values: dict[str, Any] = {"imported": True, "kind": kind, "error": None, "result": None}
    if job.status.value == "done" and job.result is not None:
        values.update(imported(ctx, str(job.contract_id), kind, job.result))
    elif job.status.value == "failed" and isinstance(job.error, CohortFileError):
        values.update(refused(ctx, str(job.contract_id), kind, job.error))
    return values


def _read_as(ctx: Ctx, contract: Contract, n: dict[str, object]) -> str:
    """What a value was read as, in the reader's words: the category's label (« DUNKERQUE » as
    « Dunkerque », « Very high » as « très élevé »), or its code when it has none."""
    return category_label(contract, str(n["read_as"]), ctx.t, str(n["column"]))
