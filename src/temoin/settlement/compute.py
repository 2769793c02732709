"""``settle``: from a contract and its evaluation results to amounts due, period by period.

For each payment period whose payment date is on or before ``as_of`` (all periods when
``as_of`` is None), in date order:

1. cumulative entitlement = impact-priced entitlements at the period's wave
   (:mod:`temoin.settlement.payments`) + rate-card entitlements to date;
2. cumulative realised savings (:mod:`temoin.settlement.savings`);
3. gross = max(cumulative entitlement − cumulative paid before, 0): what earlier caps held back
   becomes payable later if the caps then leave room (e.g. once more savings are realised);
4. the caps waterfall (:mod:`temoin.settlement.caps`) gives the amount due;
5. the payment is split between investors (:mod:`temoin.settlement.investors`).

When the last period is settled (the settlement is *final*), guarantees are called and every
investor's IRR, multiple and loss are final. Nothing here touches a database: the same inputs
always give the same settlement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from temoin.contract._consistency import consistency_problems
from temoin.contract.model import Contract
from temoin.errors import ContractValidationError, InvalidInputError
from temoin.evaluation.result import ImpactResult
from temoin.money import Money
from temoin.settlement.caps import CapLine, apply_caps, return_cap_limit
from temoin.settlement.investors import InvestorPosition, investor_positions
from temoin.settlement.payments import (
    EntitlementStatus,
    IndicatorEntitlement,
    OutcomeClaim,
    impact_entitlement,
    rate_card_entitlements,
)
from temoin.settlement.public_cost import (
    PublicCostComparison,
    break_even_effect,
    break_even_results,
    compare_public_cost,
    planned_participants,
)
from temoin.settlement.savings import SavingsLine, savings_line
from temoin.settlement.xirr import xirr

__all__ = ["Notice", "PeriodSettlement", "Settlement", "settle"]


@dataclass(frozen=True)
class Notice:
    """A message the settlement must show (``level`` "alert" is shown loudly)."""

    code: str
    level: str
    fr: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "level": self.level, "fr": self.fr, "en": self.en}


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
        flows = [(d, m.amount) for p in self.investors for d, m in p.flows]
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


def _check_inputs(contract: Contract, results: Sequence[ImpactResult], contract_version: int | None,
                  as_of: dt.date | None, claims: Sequence[OutcomeClaim]) -> dict[tuple[str, str], ImpactResult]:
    problems = consistency_problems(contract)
    if problems:
        raise ContractValidationError(problems)
    if as_of is not None and as_of < contract.start_date:
        raise InvalidInputError(
            "settlement.as_of_before_start", f"La date de règlement ({as_of}) précède le début du contrat ({contract.start_date}).",
            f"The settlement date ({as_of}) is before the contract starts ({contract.start_date}).", path="as_of",
            hint_fr="Choisissez une date après start_date.", hint_en="Choose a date after start_date.")
    by_key: dict[tuple[str, str], ImpactResult] = {}
    for k, r in enumerate(results):
        path = f"results[{k}]"
        if r.contract_id != contract.id:
            raise InvalidInputError(
                "settlement.result_other_contract",
                f"Le résultat {r.indicator}/{r.wave} vient du contrat « {r.contract_id} », pas de « {contract.id} ».",
                f"Result {r.indicator}/{r.wave} comes from contract '{r.contract_id}', not '{contract.id}'.", path=path,
                hint_fr="Réglez avec les résultats de ce contrat.", hint_en="Settle with this contract's results.")
        if contract_version is not None and r.contract_version != contract_version:
            raise InvalidInputError(
                "settlement.result_other_version",
                f"Le résultat {r.indicator}/{r.wave} a été évalué sur la version {r.contract_version} du contrat, "
                f"pas sur la version {contract_version}.",
                f"Result {r.indicator}/{r.wave} was evaluated on contract version {r.contract_version}, "
                f"not version {contract_version}.", path=f"{path}.contract_version",
                hint_fr="Relancez l'évaluation sur la version en vigueur, ou réglez la version évaluée.",
                hint_en="Re-run the evaluation on the current version, or settle the version evaluated.")
        key = (r.indicator, r.wave)
        if key in by_key:
            raise InvalidInputError(
                "settlement.duplicate_result", f"Deux résultats pour {r.indicator} à la vague {r.wave}.",
                f"Two results for {r.indicator} at wave {r.wave}.", path=path,
                hint_fr="Ne gardez que le résultat certifié.", hint_en="Keep only the certified result.")
        by_key[key] = r
    outcomes = {i.outcome for i in contract.payments.rate_card}
    period_ids = {p.id for p in contract.payments.periods}
    for k, c in enumerate(claims):
        if c.outcome not in outcomes:
            raise InvalidInputError("settlement.unknown_outcome", f"Résultat individuel inconnu : « {c.outcome} ».",
                                    f"Unknown individual outcome: '{c.outcome}'.", path=f"claims[{k}].outcome",
                                    hint_fr=f"Choisissez parmi {sorted(outcomes)}.", hint_en=f"Choose one of {sorted(outcomes)}.")
        if c.period not in period_ids:
            raise InvalidInputError("settlement.unknown_period", f"Période inconnue : « {c.period} ».",
                                    f"Unknown period: '{c.period}'.", path=f"claims[{k}].period",
                                    hint_fr=f"Choisissez parmi {sorted(period_ids)}.", hint_en=f"Choose one of {sorted(period_ids)}.")
    return by_key


def settle(contract: Contract, results: Iterable[ImpactResult], *, contract_version: int | None = None,
           as_of: dt.date | None = None, claims: Sequence[OutcomeClaim] = (), break_even: bool = True) -> Settlement:
    """Settle ``contract`` with its evaluation ``results`` up to ``as_of`` (every period if None).

    ``contract_version``: when given, every result must have been evaluated on that version.
    ``claims``: verified individual outcomes, for rate-card contracts. ``break_even``: also
    search the break-even effect size for the public-cost comparison (a few dozen dry runs).
    """
    results = list(results)
    by_key = _check_inputs(contract, results, contract_version, as_of, claims)
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


def _settle(contract: Contract, by_key: dict[tuple[str, str], ImpactResult], *, contract_version: int | None,
            as_of: dt.date | None, claims: Sequence[OutcomeClaim], break_even: float | None) -> Settlement:
    """The settlement of checked inputs; ``break_even`` is the break-even effect already searched."""
    cur = contract.currency
    zero = Money.zero(cur)
    caps = contract.caps
    all_periods = list(contract.payments.periods)
    periods = [p for p in all_periods if as_of is None or p.payment_date <= as_of]
    rate_card = rate_card_entitlements(contract, list(claims), [p.id for p in all_periods]) if contract.payments.rate_card else {}

    notices: list[Notice] = []
    out: list[PeriodSettlement] = []
    last_ent: dict[str, IndicatorEntitlement] = {}
    last_sav: dict[int, SavingsLine] = {}
    payments: list[tuple[dt.date, Money]] = []
    paid = zero
    max_n = 0
    used_hashes: list[str] = []
    for period in periods:
        lines = []
        for price in contract.payments.indicators:
            result = by_key.get((price.indicator, period.wave)) if period.wave else None
            line = impact_entitlement(contract, price, result, period.wave)
            if result is None and price.indicator in last_ent:
                prev = last_ent[price.indicator]
                line = IndicatorEntitlement(price.indicator, period.wave, EntitlementStatus.PENDING, prev.basis, prev.verified_impact,
                                            prev.participants, prev.priced_units, prev.price_per_unit, prev.bonus,
                                            prev.amount, prev.grade, prev.result_hash)
            elif result is not None:
                last_ent[price.indicator] = line
                used_hashes.append(result.result_hash)
            max_n = max(max_n, line.participants)
            lines.append(line)
        sav = []
        for k, item in enumerate(contract.savings):
            result = by_key.get((item.indicator, period.wave)) if period.wave else None
            s_line = savings_line(contract, item, result, period.wave, last_sav.get(k))
            last_sav[k] = s_line
            sav.append(s_line)
        card = rate_card.get(period.id, {})
        card_total = sum((m for m in card.values()), zero)
        cum_ent = sum((ln.amount for ln in lines), zero) + card_total
        savings_total = sum((s.amount for s in sav), zero)
        gross = (cum_ent - paid).max(zero)

        limits: list[tuple[str, Money]] = []
        if caps.total_outcome_payments is not None:
            limits.append(("total_outcome_payments", Money(caps.total_outcome_payments, cur)))
        if caps.payments_within_realised_savings:
            limits.append(("realised_savings", savings_total))
        ret = return_cap_limit(contract, period.payment_date, payments)
        if ret is not None:
            limits.append(("investor_return", ret))
        if caps.per_participant is not None:
            cap_pp = Money(caps.per_participant, cur)
            per_person = sum((m.min(cap_pp) for m in card.values()), zero)
            limits.append(("per_participant", cap_pp * max_n + per_person))
        cap_lines, due = apply_caps(gross, paid, limits)
        paid_before = paid
        paid = paid + due
        payments.append((period.payment_date, due))
        out.append(PeriodSettlement(
            period.id, period.label.fr, period.label.en, period.end_date, period.payment_date, period.wave,
            tuple(lines), card_total, cum_ent, savings_total, tuple(sav), paid_before, gross, tuple(cap_lines), due, paid))
        notices.extend(_period_notices(period.id, lines))
        if not caps.payments_within_realised_savings and paid > savings_total:
            notices.append(Notice("payments_above_savings", "alert",
                                  f"{period.id} : les paiements cumulés ({paid}) dépassent les économies publiques réalisées "
                                  f"({savings_total}) ; le contrat ne les plafonne pas.",
                                  f"{period.id}: cumulative payments ({paid}) exceed realised public savings "
                                  f"({savings_total}); the contract does not cap them."))

    last = all_periods[-1]
    final = bool(out) and out[-1].period == last.id and all(e.status is not EntitlementStatus.PENDING for e in out[-1].entitlements)
    positions, shares = investor_positions(contract, payments, final=final, final_date=last.payment_date)
    ids = [inv.investor for inv in contract.investments]
    out = [PeriodSettlement(**{**p.__dict__, "investor_shares": tuple(zip(ids, sh, strict=True))})
           for p, sh in zip(out, shares, strict=True)]
    if contract.payments.rate_card:
        notices.append(Notice("rate_card_outcomes", "info",
                              "La grille tarifaire paie des résultats individuels, pas un impact mesuré contre un groupe témoin.",
                              "The rate card pays individual outcomes, not impact measured against a control group."))
    for p in positions:
        if p.guarantee.amount > 0:
            notices.append(Notice("guarantee_called", "alert",
                                  f"Garantie appelée : {p.guarantor} verse {p.guarantee} à {p.investor}.",
                                  f"Guarantee called: {p.guarantor} pays {p.guarantee} to {p.investor}."))
    paid_without = any(e.status is EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD for p in out for e in p.entitlements)
    verified_units = sum((e.priced_units for e in (out[-1].entitlements if out else ()) if e.amount.amount > 0),
                         Decimal(0))
    if contract.payments.rate_card:
        settled = {p.period for p in out}
        verified_units += Decimal(len({(c.participant, c.outcome) for c in claims if c.period in settled}))
    savings_total = out[-1].realised_savings if out else zero
    comparison = compare_public_cost(contract, paid, savings_total, verified_units, break_even=break_even)
    return Settlement(contract.id, contract_version, cur, as_of, contract.payments.basis, tuple(out), tuple(positions),
                      paid, savings_total, final, paid_without, tuple(_dedupe(notices)), comparison,
                      tuple(dict.fromkeys(used_hashes)))


def _period_notices(period_id: str, lines: Sequence[IndicatorEntitlement]) -> list[Notice]:
    out = []
    for e in lines:
        if e.status is EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD:
            out.append(Notice("paid_without_evidence_standard", "alert",
                              f"ATTENTION — {period_id}/{e.indicator} : payé alors que l'évaluation NE SATISFAIT PAS aux "
                              "standards de preuve, parce que le contrat le prévoit (pay_without_evidence_standard). "
                              "Ce paiement ne prouve aucun impact.",
                              f"WARNING — {period_id}/{e.indicator}: paid although the evaluation DOES NOT MEET evidence "
                              "standards, because the contract says so (pay_without_evidence_standard). "
                              "This payment proves no impact."))
        elif e.status is EntitlementStatus.EVIDENCE_INSUFFICIENT:
            out.append(Notice("evidence_insufficient", "alert",
                              f"{period_id}/{e.indicator} : aucun paiement, l'évaluation ne satisfait pas aux standards de preuve.",
                              f"{period_id}/{e.indicator}: no payment, the evaluation does not meet evidence standards."))
        elif e.status is EntitlementStatus.PENDING:
            out.append(Notice("pending_result", "info",
                              f"{period_id}/{e.indicator} : pas encore de résultat pour la vague {e.wave}.",
                              f"{period_id}/{e.indicator}: no result yet for wave {e.wave}."))
    return out


def _dedupe(notices: list[Notice]) -> list[Notice]:
    seen: set[tuple[str, str]] = set()
    out = []
    for n in notices:
        if (n.code, n.en) not in seen:
            seen.add((n.code, n.en))
            out.append(n)
    return out
