"""Outcome payments: what the verified impact entitles the investors to, before any cap.

Impact-priced indicators (``payments.indicators``)
    The evaluation measures, at each follow-up wave, the improvement *cumulated since enrolment*
    per treated participant (e.g. placement days avoided per child). The *verified impact* is the
    point estimate or the lower confidence bound, as ``payments.basis`` says. The cumulative
    entitlement at a wave is::

        verified impact × treated participants followed × price per unit  (+ the highest bonus tier passed)

    and nothing when the verified impact is below the indicator's threshold or not positive.
    For an ``absolute_target`` design the evaluation reports a count for the whole cohort
    (e.g. 58 families without placement), so the count itself is priced (not × participants).

    Evidence gate: when the result's evidence grade does not meet standards, nothing is due,
    unless the contract says ``pay_without_evidence_standard: true``; then it is paid and the
    settlement carries a loud warning.

Rate cards (``payments.rate_card``)
    Priced per individual outcome: each participant earns each listed outcome at most once, at
    its price; claims come as :class:`OutcomeClaim`. The per-participant cap applies person by
    person (see :mod:`temoin.settlement.caps`).

How periods relate: a period settles the wave it names; its entitlement is cumulative since
enrolment. An indicator without a result at that wave keeps its previous entitlement (the
period is *pending* for it). Each period's gross amount is ``cumulative entitlement −
cumulative already paid`` (never negative: an estimate that falls is not clawed back).

The rule itself, with grids, required indicators, cohorts and pooled results, the caps and the
investors, is :mod:`temoin.settlement.rule`; this module holds its records and the rate card.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from temoin.contract.model import Contract
from temoin.evaluation.result import EvidenceGrade, ImpactResult
from temoin.money import Money

__all__ = ["EntitlementStatus", "IndicatorEntitlement", "OutcomeClaim", "rate_card_entitlements", "verified_impact"]

class EntitlementStatus(StrEnum):
    """What the verified impact entitles to, for one priced indicator at one wave."""

    PAID = "paid"
    BELOW_THRESHOLD = "below_threshold"
    NO_IMPROVEMENT = "no_improvement"
    EVIDENCE_INSUFFICIENT = "evidence_insufficient"
    PAID_WITHOUT_EVIDENCE_STANDARD = "paid_without_evidence_standard"
    PENDING = "pending"
    NOT_ESTIMABLE = "not_estimable"
    """The evaluation could not estimate the effect (a degenerate variance): never paid."""
    REQUIREMENT_NOT_MET = "requirement_not_met"
    """Another indicator the payment requires did not reach its value."""


@dataclass(frozen=True)
class OutcomeClaim:
    """One verified individual outcome for a rate-card contract."""

    participant: str
    outcome: str
    period: str


@dataclass(frozen=True)
class IndicatorEntitlement:
    indicator: str
    wave: str | None
    status: EntitlementStatus
    basis: str
    verified_impact: float | None
    participants: int
    priced_units: Decimal
    price_per_unit: Money
    bonus: Money
    amount: Money
    """Cumulative entitlement for this indicator (units × price + bonus)."""
    grade: EvidenceGrade | None
    result_hash: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "indicator": self.indicator, "wave": self.wave, "status": self.status, "basis": self.basis,
            "verified_impact": self.verified_impact, "participants": self.participants,
            "priced_units": str(self.priced_units), "price_per_unit": str(self.price_per_unit.amount),
            "bonus": str(self.bonus.amount), "amount": str(self.amount.amount), "grade": self.grade,
            "result_hash": self.result_hash,
        }


def verified_impact(contract: Contract, result: ImpactResult) -> float:
    """The improvement the contract pays on: point estimate or lower confidence bound."""
    if contract.payments.basis == "point_estimate":
        return float(result.improvement)
    return float(result.improvement_lower)


def rate_card_entitlements(contract: Contract, claims: list[OutcomeClaim],
                           period_ids: list[str]) -> dict[str, dict[str, Money]]:
    """Per participant, the cumulative rate-card entitlement through each period (before caps).

    Returns ``{period_id: {participant: cumulative amount}}``. A participant is paid once per
    outcome even when the same outcome is claimed twice.
    """
    prices = {item.outcome: item.price for item in contract.payments.rate_card}
    order = {p: k for k, p in enumerate(period_ids)}
    seen: set[tuple[str, str]] = set()
    running: dict[str, Decimal] = {}
    out: dict[str, dict[str, Money]] = {}
    by_period: dict[str, list[OutcomeClaim]] = {p: [] for p in period_ids}
    for claim in claims:
        by_period[claim.period].append(claim)
    for pid in sorted(period_ids, key=order.__getitem__):
        for claim in sorted(by_period[pid], key=lambda c: (c.participant, c.outcome)):
            key = (claim.participant, claim.outcome)
            if key in seen:
                continue
            seen.add(key)
            running[claim.participant] = running.get(claim.participant, Decimal(0)) + prices[claim.outcome]
        out[pid] = {p: Money(v, contract.currency) for p, v in running.items()}
    return out


