"""The investors' side: tranches out, outcome payments back, guarantees, and what each one gets.

How each payment is shared (the rule, :mod:`temoin.settlement.rule`): principal first, debt by
seniority (``senior``, then ``junior``, then ``first_loss``: a philanthropy's first-loss stake is
repaid last, so it bears losses first), then equity (the residual claimant after debt), each
class pro rata to the principal still outstanding; what is left after all principal disbursed
to date is repaid is the return, shared pro rata to capital. A ``grant`` is not repaid: it funds
the programme and bears no loss. Amounts are cut to the cent by the largest-remainder rule
(ties to the investor listed first), so shares always add up to the payment.

Guarantees: when the settlement is final, an investor whose principal is not fully repaid calls its
guarantee: the guarantor pays ``min(shortfall, cover)``, with ``cover`` a share of the principal
or a fixed amount, dated at the last payment date. What remains unpaid is the investor's loss.
Before the settlement is final, the figures are *to date*: no loss and no IRR is stated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from temoin.contract.model import Contract
from temoin.money import Money
from temoin.settlement.rule import InvestorOut
from temoin.settlement.xirr import xirr

__all__ = ["InvestorPosition", "positions_from"]


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
    loss: Money | None
    """Principal not repaid after guarantees, once final (None before: nothing is lost yet)."""
    multiple: float | None
    irr: float | None
    """On real dates, once final (None before, and for a grant)."""
    flows: tuple[tuple[dt.date, Money], ...]
    """Dated flows from the investor's side: tranches negative, payments and guarantee positive."""
    instrument: str = "debt"
    final: bool = True

    def to_dict(self) -> dict[str, object]:
        return {
            "investor": self.investor, "instrument": self.instrument, "seniority": self.seniority,
            "invested": str(self.invested.amount), "repaid_principal": str(self.repaid_principal.amount),
            "returns": str(self.returns.amount), "guarantee": str(self.guarantee.amount), "guarantor": self.guarantor,
            "received": str(self.received.amount), "loss": None if self.loss is None else str(self.loss.amount),
            "multiple": self.multiple, "irr": self.irr, "final": self.final,
            "flows": [{"date": d.isoformat(), "amount": str(m.amount)} for d, m in self.flows],
        }


def positions_from(contract: Contract, investors: Sequence[InvestorOut], *, final: bool,
                   final_date: dt.date) -> list[InvestorPosition]:
    """Each investor's position from the rule's output for one scenario (exact amounts)."""
    cur = contract.currency
    out = []
    for io in investors:
        inv = io.investment
        invested = Decimal(io.invested[0])
        repaid, returns, guarantee = Decimal(io.repaid_principal[0]), Decimal(io.returns[0]), Decimal(io.guarantee[0])
        flows: list[tuple[dt.date, Decimal]] = [(t.date, -t.amount) for t in inv.tranches]
        flows += [(d, Decimal(x[0])) for d, x in io.payments if Decimal(x[0])]
        if guarantee > 0:
            flows.append((final_date, guarantee))
        flows.sort(key=lambda f: f[0])
        received = repaid + returns + guarantee
        grant = inv.instrument == "grant"
        loss = None if (not final or grant) else Money(max(invested - received, Decimal(0)), cur)
        irr = xirr(flows) if final and not grant else None
        out.append(InvestorPosition(
            investor=inv.investor, seniority=inv.seniority, invested=Money(invested, cur),
            repaid_principal=Money(repaid, cur), returns=Money(returns, cur), guarantee=Money(guarantee, cur),
            guarantor=inv.guarantee.guarantor if inv.guarantee else None, received=Money(received, cur), loss=loss,
            multiple=float(received / invested) if invested > 0 and not grant else None, irr=irr,
            flows=tuple((d, Money(a, cur)) for d, a in flows), instrument=inv.instrument, final=final))
    return out
