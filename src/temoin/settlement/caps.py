"""The caps waterfall: how a period's gross amount becomes the amount due (computed by the
payment rule, :mod:`temoin.settlement.rule`; this module holds its record).

Every cap is a limit on *cumulative* payments to date. For a period, with ``paid`` the total
already paid in earlier periods, the room left under a cap is ``max(limit − paid, 0)``. Caps
apply in this one documented order, each reducing what is left after the previous ones:

1. ``total_outcome_payments``: the contract's ceiling on all outcome payments;
2. ``payer_commitment``: what the outcome payers committed at most (``max_commitment`` of each,
   divided by its share of every payment; the smallest binds);
3. ``realised_savings`` (when ``payments_within_realised_savings``): cumulative payments at
   most the cumulative realised public savings (Uniopss's demand);
4. ``investor_return``: payments at most what gives the investors, on their real dates, the
   capped IRR (limit = value at the payment date of the tranches compounded at the capped rate,
   less earlier payments compounded the same way) or the capped multiple of invested capital;
5. ``per_participant``: at most the cap × treated participants followed (rate cards: person by
   person, each participant's cumulative entitlement cut to the cap).

The amount due is the gross amount after all reductions. Because each step is a minimum, the
amount due does not depend on the order; the order only decides which cap a reduction is
attributed to. The amount due is never negative and never above any cap's room.
"""

from __future__ import annotations

from dataclasses import dataclass

from temoin.money import Money

__all__ = ["CAP_ORDER", "CapLine"]

CAP_ORDER = ("total_outcome_payments", "payer_commitment", "realised_savings", "investor_return", "per_participant")
"""The caps in the order they apply; each is shown by its label (``label:cap:<name>`` in the catalogue)."""


@dataclass(frozen=True)
class CapLine:
    name: str
    """One of :data:`CAP_ORDER`."""
    limit: Money
    """The cap's limit on cumulative payments, as of this period."""
    room: Money
    """What the cap still allowed this period: max(limit − paid before, 0)."""
    reduction: Money

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "limit": str(self.limit.amount), "room": str(self.room.amount),
                "reduction": str(self.reduction.amount)}
