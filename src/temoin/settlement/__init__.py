"""Settlement and financial risk: outcome payments, realised savings, caps, investors, public cost, risk.

The Python API:

- :func:`settle` (contract, evaluation results, ``as_of``) → :class:`Settlement`: per period the
  gross payment, realised savings, the caps waterfall and the amount due; per investor the flows,
  IRR, multiple, guarantee and loss; the comparison with direct public funding.
- :func:`simulate` (contract, scenarios, seed) → :class:`RiskReport`: Monte Carlo over the true
  effect, enrolment and attrition.
- :func:`xirr` / :func:`xirr_vec`: IRR on real dates, one schedule or many at once.

Pure Python/numpy: no database, no web, no CLI here.
"""

from temoin.money import allocate_pro_rata
from temoin.settlement.caps import CAP_ORDER, CapLine
from temoin.settlement.compute import Notice, PeriodSettlement, Settlement, payer_cost_at, settle
from temoin.settlement.investors import InvestorPosition
from temoin.settlement.payments import IndicatorEntitlement, OutcomeClaim
from temoin.settlement.public_cost import (
    PublicCostComparison,
    break_even_effect,
    compare_public_cost,
)
from temoin.settlement.risk import RiskAssumptions, RiskReport, simulate
from temoin.settlement.savings import SavingsLine
from temoin.settlement.xirr import xirr, xirr_times, xirr_vec

__all__ = [
    "CAP_ORDER",
    "CapLine",
    "IndicatorEntitlement",
    "InvestorPosition",
    "Notice",
    "OutcomeClaim",
    "PeriodSettlement",
    "PublicCostComparison",
    "RiskAssumptions",
    "RiskReport",
    "SavingsLine",
    "Settlement",
    "allocate_pro_rata",
    "break_even_effect",
    "compare_public_cost",
    "payer_cost_at",
    "settle",
    "simulate",
    "xirr",
    "xirr_times",
    "xirr_vec",
]
