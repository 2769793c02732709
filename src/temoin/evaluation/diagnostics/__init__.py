"""Quality diagnostics of an evaluation, each with a verdict a non-statistician can read."""

from temoin.evaluation.diagnostics._common import Verdict
from temoin.evaluation.diagnostics.attrition import AttritionReport, attrition, max_differential
from temoin.evaluation.diagnostics.balance import (
    BalanceReport,
    BalanceRow,
    baseline_balance,
    cox_index,
    hedges_g,
    wwc_band,
)
from temoin.evaluation.diagnostics.grade import Grade, evidence_grade
from temoin.evaluation.diagnostics.representativeness import (
    CreamingReport,
    MarginReport,
    creaming,
    representativeness,
)
from temoin.evaluation.diagnostics.volatility import (
    LeeBounds,
    Sensitivity,
    VolatilityReport,
    lee_bounds,
    missing_outcome_sensitivity,
    volatility,
)

__all__ = [
    "AttritionReport",
    "BalanceReport",
    "BalanceRow",
    "CreamingReport",
    "Grade",
    "LeeBounds",
    "MarginReport",
    "Sensitivity",
    "Verdict",
    "VolatilityReport",
    "attrition",
    "baseline_balance",
    "cox_index",
    "creaming",
    "evidence_grade",
    "hedges_g",
    "lee_bounds",
    "max_differential",
    "missing_outcome_sensitivity",
    "representativeness",
    "volatility",
    "wwc_band",
]
