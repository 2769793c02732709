"""What the design-diagnosis page shows of a kept diagnosis (a background job's result,
:data:`temoin.services.job_kinds.DIAGNOSIS`): the report read back from its JSON form, its chart and
words in the reader's language, when it was made, and whether the contract or its data changed since."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine

from temoin.errors import TemoinError
from temoin.evaluation.diagnosis import DiagnosisReport
from temoin.evaluation.enrolment_curve import period_samples
from temoin.i18n.contract_labels import unit_label
from temoin.reports.charts import power_curve
from temoin.services.contracts import get_contract
from temoin.services.diagnosis import expected_curve
from temoin.services.job_kinds import DIAGNOSIS
from temoin.services.jobs import JobView
from temoin.store import ledger, read_scope
from temoin.web.context import Ctx

__all__ = ["diagnosis_values"]


# per database (engine), then per (job, language, ledger head): a finished job's result never changes,
# the contract it is shown with (labels, enrolment periods) may
_SHOWN: weakref.WeakKeyDictionary[Engine, dict[tuple[int, str, int], dict[str, Any]]] = weakref.WeakKeyDictionary()


def diagnosis_values(ctx: Ctx, job: JobView | None) -> dict[str, Any]:
    """The values ``diagnosis_result.html`` reads, for a finished diagnosis job (``diag`` None otherwise).
    Read back and drawn once per job, language and ledger head."""
    if job is None or job.kind != DIAGNOSIS or job.result is None or job.contract_id is None:
        return {"diag": None}
    with read_scope(ctx.engine) as db:
        head = ledger.head_seq(db)
    kept = _SHOWN.setdefault(ctx.engine, {})
    shown = kept.get((job.id, ctx.lang, head))
    if shown is None:
        shown = _values(ctx, job, job.contract_id, job.result)
        if len(kept) > 64:
            kept.clear()
        kept[(job.id, ctx.lang, head)] = shown
    return shown | {"changed_since": job.result.get("ledger_head") != head}


def _values(ctx: Ctx, job: JobView, contract_id: str, result: dict[str, Any]) -> dict[str, Any]:
    contract = get_contract(ctx.engine, contract_id).contract
    report = DiagnosisReport.from_dict(result["report"])
    indicator = contract.indicator(report.indicator)
    unit = unit_label(contract, indicator.unit, ctx.t) if indicator else ""
    try:  # the expected enrolment as it was asked for, against the contract as it is now
        curve = expected_curve(contract, str(job.arguments.get("per_month", "")), str(job.arguments.get("closes", "")))
        periods = period_samples(contract, curve) if curve is not None else []
    except TemoinError:  # the contract changed since so that the curve no longer applies: the note says so
        periods = []
    return {"diag": True, "d": report, "currency": contract.currency, "unit": unit, "periods": periods,
            "chart": power_curve(report.effects, lang=ctx.lang, unit=unit or report.indicator),
            "assumptions": result["assumptions"][ctx.lang], "estimator": ctx.t.label("estimator", report.estimator),
            "indicator": (indicator.label.fr if ctx.lang == "fr" else indicator.label.en) if indicator else report.indicator,
            "made_at": job.finished_at}
