"""``settle``: from a contract and its evaluation results to amounts due, period by period.

``settle`` checks its inputs (:func:`temoin.settlement.inputs.check_inputs`), runs the payment
rule of :mod:`temoin.settlement.rule` on exact ``Decimal`` amounts for this one scenario, and
reports it: for each payment period whose payment date is on or before ``as_of`` (all periods
when ``as_of`` is None), in date order, the entitlement of each priced indicator and its status,
the rate card, the realised savings, ``gross = max(cumulative entitlement − paid before, 0)``
(what earlier caps held back becomes payable later if they then leave room), the caps
waterfall, the amount due and how it is shared between the outcome payers and the investors.

When the last period is settled with no result pending (the settlement is *final*), guarantees
are called and every investor's IRR, multiple and loss are final; before, the investors'
figures are *to date* and no loss or IRR is stated. Nothing here touches a database: the same
inputs always give the same settlement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from temoin.contract.model import Contract
from temoin.evaluation.result import EvidenceGrade, ImpactResult, design_ceiling
from temoin.messages import Amount, Msg
from temoin.money import Money
from temoin.settlement.arith import EXACT
from temoin.settlement.caps import CapLine
from temoin.settlement.inputs import check_inputs
from temoin.settlement.investors import InvestorPosition, positions_from
from temoin.settlement.payments import (
    EntitlementStatus,
    IndicatorEntitlement,
    OutcomeClaim,
    rate_card_entitlements,
    verified_impact,
)
from temoin.settlement.public_cost import (
    PublicCostComparison,
    break_even_effect,
    break_even_results,
    compare_public_cost,
    planned_participants,
)
from temoin.settlement.rule import (
    CardArrays,
    PeriodOut,
    ResultArrays,
    RuleInputs,
    RuleOutput,
    run_rule,
)
from temoin.settlement.savings import SavingsLine
from temoin.settlement.xirr import xirr

__all__ = ["Notice", "PeriodSettlement", "Settlement", "exact_inputs", "payer_cost_at", "settle"]


@dataclass(frozen=True)
class Notice:
    """A message the settlement must show (``level`` "alert" is shown loudly).

    Stored as ``{"code", "level", "message"}`` with the message as data (:meth:`Msg.to_dict`);
    settlements recorded before kept ``"fr"`` and ``"en"`` texts instead: :meth:`from_dict` reads
    both, and :attr:`texts` keeps the older pair for the entry points to pick from."""

    code: str
    level: str
    message: Msg | None
    texts: tuple[str, str] | None = None
    """The French and English texts of a notice recorded before notices were messages."""

    def to_dict(self) -> dict[str, object]:
        if self.message is None and self.texts is not None:
            return {"code": self.code, "level": self.level, "fr": self.texts[0], "en": self.texts[1]}
        return {"code": self.code, "level": self.level, "message": None if self.message is None else self.message.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notice:
        if "message" in data:
            return cls(str(data["code"]), str(data["level"]), Msg.from_dict(data["message"]))
        return cls(str(data["code"]), str(data["level"]), None, (str(data.get("fr", "")), str(data.get("en", ""))))


@dataclass(frozen=True)
class PeriodSettlement:
    period: str
    label_fr: str
    label_en: str
    end_date: dt.date
    payment_date: dt.date
    wave: str | None
    entitlements: tuple[IndicatorEntitlement, ...]
    rate_card_entitlement: Money
    cumulative_entitlement: Money
    realised_savings: Money
    """Cumulative realised public savings at this period."""
    savings: tuple[SavingsLine, ...]
    paid_before: Money
    gross: Money
    caps: tuple[CapLine, ...]
    amount_due: Money
    cumulative_paid: Money
    investor_shares: tuple[tuple[str, Money], ...] = ()
    payer_shares: tuple[tuple[str, Money], ...] = ()
    """How the amount due is shared between the outcome payers."""

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period, "label_fr": self.label_fr, "label_en": self.label_en,
            "end_date": self.end_date.isoformat(), "payment_date": self.payment_date.isoformat(), "wave": self.wave,
            "entitlements": [e.to_dict() for e in self.entitlements],
            "rate_card_entitlement": str(self.rate_card_entitlement.amount),
            "cumulative_entitlement": str(self.cumulative_entitlement.amount),
            "realised_savings": str(self.realised_savings.amount), "savings": [s.to_dict() for s in self.savings],
            "paid_before": str(self.paid_before.amount), "gross": str(self.gross.amount),
            "caps": [c.to_dict() for c in self.caps], "amount_due": str(self.amount_due.amount),
            "cumulative_paid": str(self.cumulative_paid.amount),
            "investor_shares": [{"investor": i, "amount": str(m.amount)} for i, m in self.investor_shares],
            "payer_shares": [{"payer": p, "amount": str(m.amount)} for p, m in self.payer_shares],
        }


@dataclass(frozen=True)
class Settlement:
    contract_id: str
    contract_version: int | None
    currency: str
    as_of: dt.date | None
    basis: str
    periods: tuple[PeriodSettlement, ...]
    investors: tuple[InvestorPosition, ...]
    total_paid: Money
    realised_savings: Money
    final: bool
    paid_without_evidence_standard: bool
    notices: tuple[Notice, ...]
    public_cost: PublicCostComparison
    result_hashes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pool_irr(self) -> float | None:
        """The IRR of every repayable investor's flows together, once final (None before)."""
        if not self.final:
            return None
        flows = [(d, m.amount) for p in self.investors if p.instrument != "grant" for d, m in p.flows]
        return xirr(sorted(flows)) if flows else None

    def to_dict(self) -> dict[str, object]:
        return {
            "contract_id": self.contract_id, "contract_version": self.contract_version, "currency": self.currency,
            "as_of": self.as_of.isoformat() if self.as_of else None, "basis": self.basis, "final": self.final,
            "paid_without_evidence_standard": self.paid_without_evidence_standard,
            "periods": [p.to_dict() for p in self.periods], "investors": [i.to_dict() for i in self.investors],
            "pool_irr": self.pool_irr, "total_paid": str(self.total_paid.amount),
            "realised_savings": str(self.realised_savings.amount),
            "notices": [n.to_dict() for n in self.notices], "public_cost": self.public_cost.to_dict(),
            "result_hashes": list(self.result_hashes),
        }


def settle(contract: Contract, results: Iterable[ImpactResult], *, contract_version: int | None = None,
           as_of: dt.date | None = None, claims: Sequence[OutcomeClaim] = (), break_even: bool = True) -> Settlement:
    """Settle ``contract`` with its evaluation ``results`` up to ``as_of`` (every period if None).

    ``contract_version``: when given, every result must have been evaluated on that version.
    ``claims``: verified individual outcomes, for rate-card contracts. ``break_even``: also
    search the break-even effect size for the public-cost comparison (a few dozen dry runs).
    A result's evidence grade is never taken above what the design allows (a design without a
    counterfactual does not meet the standards, whatever a certificate says).
    """
    by_key = check_inputs(contract, list(results), contract_version, as_of, claims)
    effect = break_even_effect(contract, payer_cost_at(contract)) if break_even else None
    return _settle(contract, by_key, contract_version=contract_version, as_of=as_of, claims=claims, break_even=effect)


def payer_cost_at(contract: Contract) -> Callable[[float], Decimal]:
    """The payer's CIS cost (outcome payments and transaction costs) as a function of the effect
    verified at every paid wave on the planned participants: what the break-even search bisects on."""
    n = planned_participants(contract)

    def cost(effect: float) -> Decimal:
        by_key = {(r.indicator, r.wave): r for r in break_even_results(contract, effect, n)}
        return _settle(contract, by_key, contract_version=None, as_of=None, claims=(), break_even=None).public_cost.cis_total.amount

    return cost


def exact_inputs(contract: Contract, by_key: dict[tuple[str, str], ImpactResult],
                 claims: Sequence[OutcomeClaim] = ()) -> RuleInputs:
    """The rule's inputs for one scenario, in exact amounts: each result's verified impact, the
    participants followed, and whether its grade (capped by the design) allows payment; the rate
    card's figures per period from the claims."""
    ceiling = design_ceiling(contract.evaluation.design)
    results = {key: ResultArrays(np.array([verified_impact(contract, r)]), np.array([float(r.n_treated_followed)]),
                                 np.array([r.grade.at_most(ceiling).allows_payment]), result_hash=r.result_hash)
               for key, r in by_key.items()}
    card: dict[str, CardArrays] = {}
    if contract.payments.rate_card:
        period_ids = [p.id for p in contract.payments.periods]
        running = rate_card_entitlements(contract, list(claims), period_ids)
        cap = contract.caps.per_participant
        saving = {i.outcome: i.unit_saving or Decimal(0) for i in contract.payments.rate_card}
        seen: set[tuple[str, str]] = set()
        savings = Decimal(0)
        for pid in period_ids:
            for c in sorted((c for c in claims if c.period == pid), key=lambda c: (c.participant, c.outcome)):
                if (c.participant, c.outcome) not in seen:
                    seen.add((c.participant, c.outcome))
                    savings += saving[c.outcome]
            amounts = [m.amount for m in running[pid].values()]
            total = sum(amounts, Decimal(0))
            within = sum((min(x, cap) for x in amounts), Decimal(0)) if cap is not None else total
            card[pid] = CardArrays(EXACT.array([total]), EXACT.array([within]), EXACT.cents(EXACT.array([savings])))
    return RuleInputs(1, results, card)


def _money(x: object, cur: str) -> Money:
    return Money(x[0], cur)  # type: ignore[index]


def _period(contract: Contract, p: PeriodOut, grades: dict[str, EvidenceGrade], investor_ids: list[str]) -> PeriodSettlement:
    cur = contract.currency
    basis = contract.payments.basis
    lines = []
    for ln in p.lines:
        v = float(ln.verified[0])
        status = ln.statuses()
        lines.append(IndicatorEntitlement(
            ln.indicator, ln.wave, status, basis, None if v != v else v, int(ln.participants[0]),
            ln.units[0], Money(_price(contract, ln.indicator), cur), _money(ln.bonus, cur), _money(ln.amount, cur),
            grades.get(ln.result_hash or ""), ln.result_hash))
    savings = tuple(SavingsLine(s.indicator, s.wave, s.avoided_units[0], s.unit, Money(s.unit_cost, cur), _money(s.amount, cur),
                                bool(s.counted[0]), s.source) for s in p.savings)
    caps = tuple(CapLine(c.name, _money(c.limit, cur), _money(c.room, cur), _money(c.reduction, cur)) for c in p.caps)
    return PeriodSettlement(
        p.period.id, p.period.label.fr, p.period.label.en, p.period.end_date, p.period.payment_date, p.period.wave,
        tuple(lines), _money(p.card_total, cur), _money(p.cumulative_entitlement, cur), _money(p.savings_total, cur),
        savings, _money(p.paid_before, cur), _money(p.gross, cur), caps, _money(p.due, cur), _money(p.cumulative_paid, cur),
        tuple(zip(investor_ids, (_money(x, cur) for x in p.investor_shares), strict=True)),
        tuple((pid, _money(x, cur)) for pid, x in p.payer_shares))


def _price(contract: Contract, indicator: str) -> Decimal:
    return next((ip.price_per_unit for ip in contract.payments.indicators if ip.indicator == indicator), Decimal(0))


def _settle(contract: Contract, by_key: dict[tuple[str, str], ImpactResult], *, contract_version: int | None,
            as_of: dt.date | None, claims: Sequence[OutcomeClaim], break_even: float | None) -> Settlement:
    """The settlement of checked inputs; ``break_even`` is the break-even effect already searched."""
    cur = contract.currency
    out: RuleOutput = run_rule(contract, exact_inputs(contract, by_key, claims), EXACT, as_of=as_of)
    ceiling = design_ceiling(contract.evaluation.design)
    grades = {r.result_hash: r.grade.at_most(ceiling) for r in by_key.values()}
    ids = [inv.investor for inv in contract.investments]
    periods = [_period(contract, p, grades, ids) for p in out.periods]
    final = bool(out.final[0])
    last = contract.payments.periods[-1]
    positions = positions_from(contract, out.investors, final=final, final_date=last.payment_date)

    notices: list[Notice] = []
    for p, raw in zip(periods, out.periods, strict=True):
        notices.extend(_period_notices(p.period, p.entitlements))
        if raw.above_savings is not None and bool(raw.above_savings[0]):
            notices.append(Notice("payments_above_savings", "alert", Msg(
                "{period}: cumulative payments ({paid}) exceed realised public savings ({savings}); the contract does not "
                "cap them.", period=p.period, paid=_amount(p.cumulative_paid), savings=_amount(p.realised_savings))))
    if contract.payments.rate_card:
        notices.append(Notice("rate_card_outcomes", "info",
                              Msg("The rate card pays individual outcomes, not impact measured against a control group.")))
    for pos in positions:
        if pos.guarantee.amount > 0:
            notices.append(Notice("guarantee_called", "alert", Msg(
                "Guarantee called: {guarantor} pays {amount} to {investor}.", guarantor=pos.guarantor,
                amount=_amount(pos.guarantee), investor=pos.investor)))
    if not final and contract.investments:
        notices.append(Notice("figures_to_date", "info",
                              Msg("Not a final settlement: the investors' figures are to date; no loss or IRR is final yet.")))
    paid = Money(out.paid[0], cur)
    savings_total = Money(out.savings_total[0], cur)
    paid_without = any(e.status is EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD for p in periods for e in p.entitlements)
    verified_units = sum((e.priced_units for e in (periods[-1].entitlements if periods else ()) if e.amount.amount > 0),
                         Decimal(0))
    if contract.payments.rate_card:
        settled = {p.period for p in periods}
        verified_units += Decimal(len({(c.participant, c.outcome) for c in claims if c.period in settled}))
    comparison = compare_public_cost(contract, paid, savings_total, verified_units, break_even=break_even)
    used = [e.result_hash for p in periods for e in p.entitlements
            if e.result_hash and e.status is not EntitlementStatus.PENDING]
    return Settlement(contract.id, contract_version, cur, as_of, contract.payments.basis, tuple(periods), tuple(positions),
                      paid, savings_total, final, paid_without, tuple(_dedupe(notices)), comparison,
                      tuple(dict.fromkeys(used)))


_PERIOD_NOTICES: dict[EntitlementStatus, tuple[str, str, Msg]] = {
    EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD: ("paid_without_evidence_standard", "alert", Msg(
        "WARNING — {period}/{indicator}: paid although the evaluation DOES NOT MEET evidence standards, because the "
        "contract says so (pay_without_evidence_standard). This payment proves no impact.")),
    EntitlementStatus.EVIDENCE_INSUFFICIENT: ("evidence_insufficient", "alert", Msg(
        "{period}/{indicator}: no payment, the evaluation does not meet evidence standards.")),
    EntitlementStatus.NOT_ESTIMABLE: ("not_estimable", "alert", Msg(
        "{period}/{indicator}: no payment, the effect could not be estimated (degenerate variance).")),
    EntitlementStatus.REQUIREMENT_NOT_MET: ("requirement_not_met", "info", Msg(
        "{period}/{indicator}: no payment, a required indicator does not reach its value.")),
    EntitlementStatus.PENDING: ("pending_result", "info", Msg("{period}/{indicator}: no result yet for wave {wave}.")),
}


def _period_notices(period_id: str, lines: Sequence[IndicatorEntitlement]) -> list[Notice]:
    out = []
    for e in lines:
        if e.status in _PERIOD_NOTICES:
            code, level, template = _PERIOD_NOTICES[e.status]
            values: dict[str, Any] = {"period": period_id, "indicator": e.indicator}
            if e.status is EntitlementStatus.PENDING:
                values["wave"] = e.wave
            out.append(Notice(code, level, Msg(template.id, **values)))
    return out


def _amount(m: Money) -> Amount:
    return Amount(m.amount, m.currency)


def _dedupe(notices: list[Notice]) -> list[Notice]:
    seen: set[tuple[str, Msg | None]] = set()
    out = []
    for n in notices:
        if (n.code, n.message) not in seen:
            seen.add((n.code, n.message))
            out.append(n)
    return out
