"""The investors' side: tranches out, outcome payments back through a waterfall, guarantees.

Waterfall for each payment the payer makes (to the cent, shares add up exactly):

1. principal, by seniority: ``senior`` investors first, then ``junior``, then ``first_loss``
   (a philanthropy's first-loss stake is repaid last, so it bears losses first); within a class,
   pro rata to the principal still outstanding;
2. what is left after all principal disbursed to date is repaid is the return: shared pro rata
   to capital invested.

Pro-rata shares are cut to the cent by the largest-remainder rule (ties to the investor listed
first), so per-investor amounts always add up to the payment.

Guarantees: when the last period is settled, an investor whose principal is not fully repaid
calls its guarantee: the guarantor pays ``min(shortfall, share_of_principal × principal)``,
dated at the last payment date. What remains unpaid is the investor's loss.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from temoin.contract.model import Contract, Investment
from temoin.money import CENT, Money, round_cents, to_decimal
from temoin.settlement.xirr import xirr

__all__ = ["InvestorPosition", "allocate_pro_rata", "investor_positions", "split_payment"]

SENIORITY = ("senior", "junior", "first_loss")


def allocate_pro_rata(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (a whole number of cents) by ``weights``, to the cent, adding up exactly.

    >>> allocate_pro_rata(Decimal("100.00"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('33.34'), Decimal('33.33'), Decimal('33.33')]
    """
    total = round_cents(total)
    wsum = sum(weights, Decimal(0))
    if not weights or wsum <= 0:
        return [Decimal(0) for _ in weights]
    cents = int(total / CENT)
    exact = [Decimal(cents) * w / wsum for w in weights]
    floors = [int(e) for e in exact]
    left = cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


@dataclass
class _State:
    inv: Investment
    repaid_principal: Decimal = Decimal(0)
    returns: Decimal = Decimal(0)
    guarantee: Decimal = Decimal(0)
    flows: list[tuple[dt.date, Decimal]] = field(default_factory=list)

    def disbursed(self, when: dt.date) -> Decimal:
        return sum((t.amount for t in self.inv.tranches if t.date <= when), Decimal(0))


def split_payment(states: Sequence[_State], amount: Decimal, when: dt.date) -> list[Decimal]:
    """Share one payment between investors (principal by seniority, then returns pro rata)."""
    shares = [Decimal(0) for _ in states]
    left = round_cents(amount)
    for cls in SENIORITY:
        members = [i for i, s in enumerate(states) if s.inv.seniority == cls]
        outstanding = [max(states[i].disbursed(when) - states[i].repaid_principal, Decimal(0)) for i in members]
        need = sum(outstanding, Decimal(0))
        if need <= 0 or left <= 0:
            continue
        pay = min(left, need)
        for i, part in zip(members, allocate_pro_rata(pay, outstanding), strict=True):
            shares[i] += part
            states[i].repaid_principal += part
        left -= pay
    if left > 0:
        capital = [s.disbursed(when) for s in states]
        for i, part in enumerate(allocate_pro_rata(left, capital)):
            shares[i] += part
            states[i].returns += part
    for s, part in zip(states, shares, strict=True):
        if part:
            s.flows.append((when, part))
    return shares


@dataclass(frozen=True)
class InvestorPosition:
    investor: str
    seniority: str
    invested: Money
    repaid_principal: Money
    returns: Money
    guarantee: Money
    guarantor: str | None
    received: Money
    loss: Money
    multiple: float | None
    irr: float | None
    flows: tuple[tuple[dt.date, Money], ...]
    """Dated flows from the investor's side: tranches negative, payments and guarantee positive."""

    def to_dict(self) -> dict[str, object]:
        return {
            "investor": self.investor, "seniority": self.seniority, "invested": str(self.invested.amount),
            "repaid_principal": str(self.repaid_principal.amount), "returns": str(self.returns.amount),
            "guarantee": str(self.guarantee.amount), "guarantor": self.guarantor,
            "received": str(self.received.amount), "loss": str(self.loss.amount), "multiple": self.multiple,
            "irr": self.irr, "flows": [{"date": d.isoformat(), "amount": str(m.amount)} for d, m in self.flows],
        }


def investor_positions(contract: Contract, payments: Sequence[tuple[dt.date, Money]], *, final: bool,
                       final_date: dt.date | None) -> tuple[list[InvestorPosition], list[list[Money]]]:
    """Run every payment through the waterfall; call guarantees when ``final``.

    Returns the positions and, for each payment, the per-investor shares (same order as
    ``contract.investments``).
    """
    cur = contract.currency
    states = [_State(inv) for inv in contract.investments]
    per_payment: list[list[Money]] = []
    for when, amount in payments:
        shares = split_payment(states, amount.amount, when)
        per_payment.append([Money(s, cur) for s in shares])
    positions = []
    for s in states:
        invested = sum((t.amount for t in s.inv.tranches), Decimal(0))
        if final and s.inv.guarantee is not None and final_date is not None:
            shortfall = max(invested - s.repaid_principal, Decimal(0))
            s.guarantee = min(shortfall, round_cents(invested * to_decimal(repr(s.inv.guarantee.share_of_principal))))
            if s.guarantee > 0:
                s.flows.append((final_date, s.guarantee))
        received = s.repaid_principal + s.returns + s.guarantee
        dated = [(t.date, -t.amount) for t in s.inv.tranches] + s.flows
        dated.sort(key=lambda f: f[0])
        irr = xirr([(d, a) for d, a in dated])
        positions.append(InvestorPosition(
            investor=s.inv.investor, seniority=s.inv.seniority, invested=Money(invested, cur),
            repaid_principal=Money(s.repaid_principal, cur), returns=Money(s.returns, cur),
            guarantee=Money(s.guarantee, cur), guarantor=s.inv.guarantee.guarantor if s.inv.guarantee else None,
            received=Money(received, cur), loss=Money(max(invested - received, Decimal(0)), cur),
            multiple=float(received / invested) if invested > 0 else None, irr=irr,
            flows=tuple((d, Money(a, cur)) for d, a in dated)))
    return positions, per_payment
