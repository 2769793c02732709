"""Realised public savings: avoided units × unit cost, from the same verified impact as payments
(computed by the payment rule, :mod:`temoin.settlement.rule`; this module holds the record).

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

from temoin.money import Money

__all__ = ["SavingsLine"]


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
