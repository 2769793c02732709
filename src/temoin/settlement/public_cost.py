"""Does the CIS cost the public more than funding the programme directly?

The payer's total cost of the CIS = outcome payments + the transaction costs the contract lists
as paid by an outcome payer (structuring, evaluation, intermediation, legal, other). It is set
against ``direct_delivery_cost``: what the same programme would cost the payer if funded
directly. The comparison gives the extra cost of the CIS (negative: the CIS cost less, because
impact fell short and the investors bore the loss), the cost per verified outcome unit, and the
*break-even effect size*: the smallest verified effect (in the first priced indicator's unit,
per treated participant) at which the payer's CIS cost reaches the direct cost. Below it, the
CIS costs the payer less than direct funding; above it, more.

Break-even assumptions (stated in the output): the same verified effect at every wave, the
evidence standard met, and the planned number of treated participants followed
(``population.expected_size`` × the allocation ratio for a randomised design × (1 − expected
attrition)). Caps apply as in a real settlement; when they keep the CIS cost below the direct
cost whatever the effect, there is no break-even (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from temoin.contract.model import Contract, Role
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.money import Money

__all__ = ["PublicCostComparison", "break_even_effect", "break_even_results", "compare_public_cost", "payer_transaction_costs",
           "planned_participants"]


@dataclass(frozen=True)
class PublicCostComparison:
    outcome_payments: Money
    transaction_costs: tuple[tuple[str, Money], ...]
    cis_total: Money
    direct_cost: Money | None
    extra_cost: Money | None
    extra_cost_share: float | None
    realised_savings: Money
    verified_units: Decimal
    cost_per_verified_outcome: Money | None
    break_even_effect: float | None
    break_even_unit: str | None

    def to_dict(self) -> dict[str, object]:
        def m(x: Money | None) -> str | None:
            return None if x is None else str(x.amount)

        return {
            "outcome_payments": m(self.outcome_payments),
            "transaction_costs": [{"kind": k, "amount": m(v)} for k, v in self.transaction_costs],
            "cis_total": m(self.cis_total), "direct_cost": m(self.direct_cost), "extra_cost": m(self.extra_cost),
            "extra_cost_share": self.extra_cost_share, "realised_savings": m(self.realised_savings),
            "verified_units": str(self.verified_units),
            "cost_per_verified_outcome": m(self.cost_per_verified_outcome),
            "break_even_effect": self.break_even_effect, "break_even_unit": self.break_even_unit,
        }


def payer_transaction_costs(contract: Contract) -> list[tuple[str, Money]]:
    payers = {p.id for p in contract.parties_with(Role.OUTCOME_PAYER)}
    by_kind: dict[str, Money] = {}
    for cost in contract.costs:
        if cost.paid_by in payers:
            by_kind[cost.kind] = by_kind.get(cost.kind, Money.zero(contract.currency)) + Money(cost.amount, contract.currency)
    return sorted(by_kind.items())


def planned_participants(contract: Contract) -> int:
    ev = contract.evaluation
    share = ev.allocation_ratio if ev.design.randomised else 1.0
    return math.floor(contract.population.expected_size * share * (1.0 - ev.expected_attrition))


def compare_public_cost(contract: Contract, outcome_payments: Money, realised_savings: Money,
                        verified_units: Decimal, *, break_even: float | None) -> PublicCostComparison:
    """The comparison with direct funding; ``break_even`` is :func:`break_even_effect`'s answer
    (None when not searched)."""
    cur = contract.currency
    costs = payer_transaction_costs(contract)
    total = outcome_payments + sum((v for _, v in costs), Money.zero(cur))
    direct = Money(contract.direct_delivery_cost, cur) if contract.direct_delivery_cost is not None else None
    extra = total - direct if direct is not None else None
    share = float(extra.amount / direct.amount) if extra is not None and direct is not None and direct.amount > 0 else None
    per_unit = Money(total.amount / verified_units, cur) if verified_units > 0 else None
    be = break_even if direct is not None else None
    unit = None
    if contract.payments.indicators:
        ind = contract.indicator(contract.payments.indicators[0].indicator)
        unit = ind.unit if ind else None
    return PublicCostComparison(outcome_payments, tuple(costs), total, direct, extra, share, realised_savings,
                                verified_units, per_unit, be, unit)


def break_even_results(contract: Contract, effect: float, n: int) -> list[ImpactResult]:
    """The results the break-even search settles: ``effect`` verified at every paid wave on ``n``
    treated participants, the evidence standard met."""
    indicator = contract.payments.indicators[0].indicator
    est = EffectEstimate(effect, 0.0, effect, effect, 0.0, float(max(n - 2, 1)), n, n, "none", "break_even")
    waves = {p.wave for p in contract.payments.periods if p.wave}
    return [ImpactResult(contract.id, 0, indicator, w, est, effect, effect, n, EvidenceGrade.MEETS) for w in sorted(waves)]


def break_even_effect(contract: Contract, payer_cost: Callable[[float], Decimal], *,
                      rel_tol: float = 1e-7) -> float | None:
    """Smallest verified effect at which the payer's CIS cost reaches the direct delivery cost.

    ``payer_cost(effect)`` is the payer's CIS cost when ``effect`` is verified (the settlement of
    :func:`break_even_results`): the search bisects on it, as the payment rule is monotone in the
    effect."""
    if contract.direct_delivery_cost is None or not contract.payments.indicators:
        return None
    target = contract.direct_delivery_cost
    if payer_cost(0.0) >= target:
        return 0.0
    hi = max(abs(contract.payments.indicators[0].threshold), 1e-6)
    for _ in range(80):
        if payer_cost(hi) >= target:
            break
        hi *= 2.0
    else:
        return None
    lo = 0.0
    while hi - lo > rel_tol * max(hi, 1e-12):
        mid = 0.5 * (lo + hi)
        if payer_cost(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi

