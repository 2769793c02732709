"""Realised public savings: avoided units × unit cost, from the same verified impact as payments.

For each savings item (``savings[*]``: an indicator, a unit cost, a source), the realised saving
at a wave is ``max(verified impact, 0) × treated participants followed × unit cost`` (for an
``absolute_target`` design, the count itself). Like the impact, it is cumulative since
enrolment; an item without a result at a wave keeps its previous value. A result whose evidence
grade does not meet standards verifies no saving, unless the contract pays without the evidence
standard (then the saving is counted and flagged like the payment).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from temoin.contract.model import Contract, SavingsItem
from temoin.evaluation.result import ImpactResult
from temoin.money import Money, to_decimal
from temoin.settlement.payments import priced_units, verified_impact

__all__ = ["SavingsLine", "savings_line"]


@dataclass(frozen=True)
class SavingsLine:
    indicator: str
    wave: str | None
    avoided_units: Decimal
    unit: str
    unit_cost: Money
    amount: Money
    """Cumulative realised saving for this item."""
    counted: bool
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"indicator": self.indicator, "wave": self.wave, "avoided_units": str(self.avoided_units),
                "unit": self.unit, "unit_cost": str(self.unit_cost.amount), "amount": str(self.amount.amount),
                "counted": self.counted, "source": self.source}


def savings_line(contract: Contract, item: SavingsItem, result: ImpactResult | None, wave: str | None,
                 previous: SavingsLine | None) -> SavingsLine:
    cur = contract.currency
    unit_cost = Money(item.unit_cost, cur)
    if result is None:
        if previous is not None:
            return previous
        return SavingsLine(item.indicator, wave, Decimal(0), item.unit, unit_cost, Money.zero(cur), False, item.source)
    counted = result.grade.allows_payment or contract.payments.pay_without_evidence_standard
    impact = max(verified_impact(contract, result), 0.0)
    units = priced_units(contract, impact, int(result.n_treated_followed)) if counted else to_decimal(0)
    return SavingsLine(item.indicator, wave, units, item.unit, unit_cost, Money(units * item.unit_cost, cur),
                       counted, item.source)
