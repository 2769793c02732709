"""What the design-diagnosis page shows of a kept diagnosis (a background job's result,
:data:`temoin.services.job_kinds.DIAGNOSIS`): the report read back from its JSON form, its chart and
words in the reader's language, when it was made, and whether the contract or its data changed since."""

from __future__ import annotations

from typing import Any

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


def diagnosis_values(ctx: Ctx, job: JobView | None) -> dict[str, Any]:
    """The values ``diagnosis_result.html`` reads, for a finished diagnosis job (``diag`` None otherwise)."""
    if job is None or job.kind != DIAGNOSIS or job.result is None or job.contract_id is None:
        return {"diag": None}
    contract = get_contract(ctx.engine, job.contract_id).contract
    report = DiagnosisReport.from_dict(job.result["report"])
    indicator = contract.indicator(report.indicator)
    unit = unit_label(contract, indicator.unit, ctx.t) if indicator else ""
    try:  # the expected enrolment as it was asked for, against the contract as it is now
        curve = expected_curve(contract, str(job.arguments.get("per_month", "")), str(job.arguments.get("closes", "")))
        periods = period_samples(contract, curve) if curve is not None else []
    except TemoinError:  # the contract changed since so that the curve no longer applies: the note below says so
        periods = []
    with read_scope(ctx.engine) as db:
        head = ledger.head_seq(db)
    return {"diag": True, "d": report, "currency": contract.currency, "unit": unit, "periods": periods,
            "chart": power_curve(report.effects, lang=ctx.lang, unit=unit or report.indicator),
            "assumptions": job.result["assumptions"][ctx.lang],
            "estimator": ctx.t.label("estimator", report.estimator),
            "indicator": (indicator.label.fr if ctx.lang == "fr" else indicator.label.en) if indicator else report.indicator,
            "made_at": job.finished_at, "changed_since": job.result.get("ledger_head") != head}
