"""The caps waterfall: how a period's gross amount becomes the amount due.

Every cap is a limit on *cumulative* payments to date. For a period, with ``paid`` the total
already paid in earlier periods, the room left under a cap is ``max(limit − paid, 0)``. Caps
apply in this one documented order, each reducing what is left after the previous ones:

1. ``total_outcome_payments``: the contract's ceiling on all outcome payments;
2. ``realised_savings`` (when ``payments_within_realised_savings``): cumulative payments at
   most the cumulative realised public savings (Uniopss's demand);
3. ``investor_return``: payments at most what gives the investors, on their real dates, the
   capped IRR (limit = value at the payment date of the tranches compounded at the capped rate,
   less earlier payments compounded the same way) or the capped multiple of invested capital;
4. ``per_participant``: at most the cap × treated participants followed (rate cards: person by
   person, each participant's cumulative entitlement cut to the cap).

The amount due is the gross amount after all reductions. Because each step is a minimum, the
amount due does not depend on the order; the order only decides which cap a reduction is
attributed to. The amount due is never negative and never above any cap's room.

>>> from temoin.money import Money
>>> lines, due = apply_caps(Money.of(120), Money.of(0), [("total_outcome_payments", Money.of(100))])
>>> due, lines[0].reduction
(Money(amount=Decimal('100.00'), currency='EUR'), Money(amount=Decimal('20.00'), currency='EUR'))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from temoin.contract.model import Contract
from temoin.money import Money, to_decimal

__all__ = ["CAP_LABELS", "CAP_ORDER", "CapLine", "apply_caps", "return_cap_limit"]

CAP_ORDER = ("total_outcome_payments", "realised_savings", "investor_return", "per_participant")
CAP_LABELS = {
    "total_outcome_payments": ("Plafond total des paiements aux résultats", "Total outcome-payment cap"),
    "realised_savings": ("Économies publiques réalisées", "Realised public savings"),
    "investor_return": ("Plafond de rendement des investisseurs", "Investor return cap"),
    "per_participant": ("Plafond par participant", "Per-participant cap"),
}


@dataclass(frozen=True)
class CapLine:
    name: str
    limit: Money
    """The cap's limit on cumulative payments, as of this period."""
    room: Money
    """What the cap still allowed this period: max(limit − paid before, 0)."""
    reduction: Money

    @property
    def label_fr(self) -> str:
        return CAP_LABELS[self.name][0]

    @property
    def label_en(self) -> str:
        return CAP_LABELS[self.name][1]

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "label_fr": self.label_fr, "label_en": self.label_en,
                "limit": str(self.limit.amount), "room": str(self.room.amount),
                "reduction": str(self.reduction.amount)}


def apply_caps(gross: Money, paid_before: Money, limits: Sequence[tuple[str, Money]]) -> tuple[list[CapLine], Money]:
    """Run the waterfall: ``limits`` are (cap name, cumulative limit) in the order to apply."""
    zero = Money.zero(gross.currency)
    amount = gross.max(zero)
    lines = []
    for name, limit in limits:
        room = (limit - paid_before).max(zero)
        reduction = (amount - room).max(zero)
        amount = amount - reduction
        lines.append(CapLine(name, limit, room, reduction))
    return lines, amount


def _growth(rate: float, start: dt.date, end: dt.date) -> Decimal:
    return to_decimal(repr((1.0 + rate) ** ((end - start).days / 365.0)))


def return_cap_limit(contract: Contract, when: dt.date, earlier_payments: Sequence[tuple[dt.date, Money]]) -> Money | None:
    """Cumulative payments allowed by the investor return cap at ``when`` (None: no such cap).

    IRR cap ``r``: the investors' account accrues at ``r`` from each tranche's date; earlier
    payments are taken off it (also accrued); what remains at ``when`` may still be paid, so the
    limit is earlier payments + that balance. Multiple cap ``m``: ``m`` × capital disbursed by ``when``.
    """
    cap = contract.caps.investor_return
    if cap is None:
        return None
    cur = contract.currency
    tranches = [(t.date, t.amount) for inv in contract.investments for t in inv.tranches if t.date <= when]
    paid = sum((p.amount for _, p in earlier_payments), Decimal(0))
    if cap.kind == "multiple":
        return Money(to_decimal(repr(cap.value)) * sum((a for _, a in tranches), Decimal(0)), cur)
    balance = sum((a * _growth(cap.value, d, when) for d, a in tranches), Decimal(0))
    balance -= sum((p.amount * _growth(cap.value, d, when) for d, p in earlier_payments), Decimal(0))
    return Money(paid + max(balance, Decimal(0)), cur)
