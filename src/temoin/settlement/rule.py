"""The payment rule, written once and run on many scenarios at once.

``run_rule(contract, inputs, arith)`` takes, for every scenario, the evaluation's results (the
verified impact of each indicator at each wave, the participants followed, whether the evidence
grade allows payment) and returns, period by period, what the contract pays and why:

1. **Entitlement** of each priced indicator (:mod:`temoin.settlement.payments` says it in words):
   not estimable, evidence insufficient, a required indicator not reached, no improvement, below
   the threshold, or paid: ``verified impact × participants followed × price`` (the count itself
   for an absolute target) plus the highest bonus tier passed, or the amount of the highest step
   of a grid. With ``accumulation: cumulative`` a period's entitlement is cumulative since
   enrolment and an indicator without a result keeps its last one (*pending*); with ``by_cohort``
   each period's wave is a separate cohort, entitlements add up, and a pooled result over every
   cohort pays its own entitlement when that is more (Peterborough's fallback), judged at the
   last period (before it, not every cohort has been measured).
2. **Rate card**: each participant's outcomes at their prices (given per period, cumulative).
3. **Realised savings**: verified units × unit cost per savings item (the pooled result when there
   is one), plus the rate card's outcomes × their unit saving.
4. **Caps**, each a limit on cumulative payments, in this order: the contract's total cap, the
   outcome payers' commitments (``max_commitment`` of each, divided by its share), the realised
   savings, the investors' return cap (IRR on real dates or a multiple), the cap per participant.
   ``gross = max(cumulative entitlement − paid before, 0)``; each cap takes what exceeds its room.
5. **Who pays and who receives**: each amount due is shared between the outcome payers by their
   ``payment_share``; then, for the investors, debt principal by seniority (senior, junior,
   first-loss), then equity principal, then returns pro rata to capital; grants are not repaid.
   When the last period is settled with no result pending, guarantees cover the principal not
   repaid (a share of it, or a fixed amount).

It runs on exact ``Decimal`` amounts (``settle``, one scenario) or on floats (the risk simulation
and the design diagnosis, many scenarios): :mod:`temoin.settlement.arith`. Amounts are rounded
to the cent at the same steps in both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from temoin.contract.model import Contract, Design, IndicatorPrice, Investment, Period, Role
from temoin.settlement.arith import Arith, Num
from temoin.settlement.caps import CAP_ORDER
from temoin.settlement.payments import EntitlementStatus

__all__ = ["CAP_ORDER", "STATUSES", "CardArrays", "PeriodOut", "ResultArrays", "RuleInputs", "RuleOutput", "payment_threshold", "run_rule"]

Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int8]
STATUSES: tuple[EntitlementStatus, ...] = tuple(EntitlementStatus)
_CODE = {st: np.int8(k) for k, st in enumerate(STATUSES)}
PAID_CODES = (_CODE[EntitlementStatus.PAID], _CODE[EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD])
_CLASSES = (("debt", "senior"), ("debt", "junior"), ("debt", "first_loss"),
            ("equity", "senior"), ("equity", "junior"), ("equity", "first_loss"))


@dataclass(frozen=True)
class ResultArrays:
    """One indicator's result at one wave, in every scenario."""

    verified: npt.NDArray[np.float64]
    """The verified impact (point estimate or lower bound, as the contract pays); NaN: not estimable."""
    participants: npt.NDArray[np.float64]
    """Treated participants followed (the count the impact is multiplied by)."""
    gate: Bools
    """The evidence grade allows payment."""
    present: Bools | None = None
    """Scenarios where the result exists (None: all)."""
    result_hash: str | None = None


@dataclass(frozen=True)
class CardArrays:
    """A rate card's cumulative figures through one period, in every scenario."""

    total: Num
    """The rate-card entitlement (each participant's outcomes at their prices)."""
    within_person_cap: Num
    """The same, each participant's amount cut to the cap per participant (the total when no cap)."""
    savings: Num
    """Outcomes achieved × their unit saving."""


@dataclass(frozen=True)
class RuleInputs:
    scenarios: int
    results: dict[tuple[str, str], ResultArrays]
    card: dict[str, CardArrays] = field(default_factory=dict)
    """By period id, for rate-card contracts."""


@dataclass
class LineOut:
    """One priced indicator at one period (the period's cohort, or the pooled result)."""

    indicator: str
    wave: str | None
    status: Codes
    verified: npt.NDArray[np.float64]
    participants: npt.NDArray[np.float64]
    units: Num
    bonus: Num
    amount: Num
    result_hash: str | None = None
    pooled: bool = False

    def statuses(self, k: int = 0) -> EntitlementStatus:
        return STATUSES[int(self.status[k])]


@dataclass
class SavingsOut:
    indicator: str
    wave: str | None
    avoided_units: Num
    unit_cost: Decimal
    amount: Num
    counted: Bools
    unit: str
    source: str


@dataclass
class CapOut:
    name: str
    limit: Num
    room: Num
    reduction: Num


@dataclass
class PeriodOut:
    period: Period
    lines: list[LineOut]
    card_total: Num
    cumulative_entitlement: Num
    savings: list[SavingsOut]
    savings_total: Num
    paid_before: Num
    gross: Num
    caps: list[CapOut]
    due: Num
    cumulative_paid: Num
    payer_shares: list[tuple[str, Num]] = field(default_factory=list)
    investor_shares: list[Num] = field(default_factory=list)
    above_savings: Bools | None = None
    """Cumulative payments above the realised savings (only when the contract does not cap them)."""


@dataclass
class InvestorOut:
    investment: Investment
    invested: Num
    repaid_principal: Num
    returns: Num
    guarantee: Num
    payments: list[tuple[dt.date, Num]]


@dataclass
class RuleOutput:
    periods: list[PeriodOut]
    investors: list[InvestorOut]
    final: Bools
    """The last period is settled and no result is pending: guarantees are called, figures are final."""
    paid: Num
    savings_total: Num


def payers(contract: Contract) -> list[tuple[str, Decimal]]:
    """The outcome payers and their share of every payment (one payer: all of it)."""
    ps = contract.parties_with(Role.OUTCOME_PAYER)
    if len(ps) == 1:
        return [(ps[0].id, Decimal(1))]
    return [(p.id, Decimal(repr(p.payment_share or 0.0))) for p in ps]


def payer_commitment(contract: Contract, a: Arith) -> Num | None:
    """The most the payers' commitments allow in all: min over payers of max_commitment ÷ share."""
    limits = []
    for pid, share in payers(contract):
        party = contract.party(pid)
        if party is not None and party.max_commitment is not None and share > 0:
            limits.append(party.max_commitment / share)
    if not limits:
        return None
    return a.cents(a.array([min(limits)]))


def _growth(a: Arith, rate: float, start: dt.date, end: dt.date) -> Decimal | float:
    growth: Decimal | float = a.const((1.0 + rate) ** ((end - start).days / 365.0))
    return growth


def _repayable(contract: Contract) -> list[Investment]:
    return [inv for inv in contract.investments if inv.instrument != "grant"]


def return_limit(contract: Contract, a: Arith, when: dt.date, earlier: Sequence[tuple[dt.date, Num]],
                 paid: Num) -> Num | None:
    """Cumulative payments the investor return cap allows at ``when`` (None: no such cap).

    IRR cap ``r``: the investors' account accrues at ``r`` from each tranche's date; earlier payments
    are taken off it (also accrued); what remains at ``when`` may still be paid, so the limit is the
    earlier payments plus that balance. Multiple cap ``m``: ``m`` × capital disbursed by ``when``.
    Grants are not repaid and do not count."""
    cap = contract.caps.investor_return
    if cap is None:
        return None
    tranches = [(t.date, t.amount) for inv in _repayable(contract) for t in inv.tranches if t.date <= when]
    if cap.kind == "multiple":
        return a.cents(a.array([a.const(cap.value) * a.const(sum((x for _, x in tranches), Decimal(0)))]) + 0 * paid)
    balance = sum((a.const(x) * _growth(a, cap.value, d, when) for d, x in tranches), a.const(0)) + 0 * paid
    for d, p in earlier:
        balance = balance - p * _growth(a, cap.value, d, when)
    return a.cents(paid + np.maximum(balance, a.const(0)))


def _bonus(price: IndicatorPrice, v: npt.NDArray[np.float64], a: Arith, s: int) -> Num:
    bonus = a.zeros(s)
    for tier in price.bonus_tiers:  # increasing: the last one passed wins
        bonus = np.where(v > tier.above, a.const(tier.bonus), bonus)
    return bonus


def _grid(price: IndicatorPrice, v: npt.NDArray[np.float64], a: Arith, s: int) -> Num:
    amount = a.zeros(s)
    for step in price.grid:  # increasing: the highest step reached wins
        amount = np.where(v >= step.at_least, a.const(step.amount), amount)
    return amount


def payment_threshold(price: IndicatorPrice) -> float:
    """The value the verified impact must reach for ``price`` to pay: its threshold, or the first step of its grid."""
    return max(price.threshold, price.grid[0].at_least) if price.grid else price.threshold


def entitlement(contract: Contract, price: IndicatorPrice, r: ResultArrays, wave: str | None, a: Arith,
                results: dict[tuple[str, str], ResultArrays], *, threshold: float | None = None) -> LineOut:
    """The entitlement of one priced indicator from one result, in every scenario."""
    s = len(r.verified)
    vf = np.asarray(r.verified, dtype=np.float64)
    estimable = np.isfinite(vf)
    v_safe = np.where(estimable, vf, 0.0)
    n = np.asarray(r.participants, dtype=np.float64)
    v = a.of_floats(v_safe)
    units = v if contract.evaluation.design == Design.ABSOLUTE_TARGET else v * a.of_counts(n)
    gate = np.asarray(r.gate, dtype=bool)
    pay_anyway = contract.payments.pay_without_evidence_standard
    required = np.ones(s, dtype=bool)
    for g in price.requires:
        other = results.get((g.indicator, wave)) if wave else None
        if other is None:
            required[:] = False
            continue
        ov = np.asarray(other.verified, dtype=np.float64)
        ok = np.isfinite(ov) & (np.nan_to_num(ov, nan=-np.inf) >= g.at_least)
        if other.present is not None:
            ok &= other.present
        required &= ok
    limit = payment_threshold(price) if threshold is None else threshold
    status = np.full(s, _CODE[EntitlementStatus.PAID], dtype=np.int8)
    status[~gate] = _CODE[EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD]
    # the checks in reverse order of precedence: the first that fails is the one shown
    status[v_safe < limit] = _CODE[EntitlementStatus.BELOW_THRESHOLD]
    status[v_safe <= 0] = _CODE[EntitlementStatus.NO_IMPROVEMENT]
    status[~required] = _CODE[EntitlementStatus.REQUIREMENT_NOT_MET]
    if not pay_anyway:
        status[~gate] = _CODE[EntitlementStatus.EVIDENCE_INSUFFICIENT]
    status[~estimable] = _CODE[EntitlementStatus.NOT_ESTIMABLE]
    paid = np.isin(status, PAID_CODES)
    zero = a.zeros(s)
    if price.grid:
        bonus, amount = zero, _grid(price, v_safe, a, s)
    else:
        bonus = _bonus(price, v_safe, a, s)
        absolute = contract.evaluation.design == Design.ABSOLUTE_TARGET
        priced = a.priced(np.where(paid, v_safe, 0.0), None if absolute else n, price.price_per_unit)
        amount = np.where(paid, priced, zero) + bonus  # only what is paid
    return LineOut(price.indicator, wave, status, vf, n, units, np.where(paid, bonus, zero), np.where(paid, amount, zero),
                   r.result_hash)


def _pending(price: IndicatorPrice, wave: str | None, prev: LineOut | None, a: Arith, s: int) -> LineOut:
    code = np.full(s, _CODE[EntitlementStatus.PENDING], dtype=np.int8)
    if prev is None:
        z = a.zeros(s)
        return LineOut(price.indicator, wave, code, np.full(s, np.nan), np.zeros(s), z, z, z)
    return LineOut(price.indicator, wave, code, prev.verified, prev.participants, prev.units, prev.bonus, prev.amount,
                   prev.result_hash)


def _merge(present: Bools, now: LineOut, before: LineOut) -> LineOut:
    """Scenario by scenario: the result's line where it exists, the pending line elsewhere."""
    return LineOut(now.indicator, now.wave, np.where(present, now.status, before.status),
                   np.where(present, now.verified, before.verified), np.where(present, now.participants, before.participants),
                   np.where(present, now.units, before.units), np.where(present, now.bonus, before.bonus),
                   np.where(present, now.amount, before.amount), now.result_hash)


def _savings(contract: Contract, r: ResultArrays, a: Arith, unit_cost: Decimal) -> tuple[Num, Num, Bools]:
    """(avoided units, amount, counted) of one savings item from one result: the verified impact (at
    least zero) × participants followed, and its value at ``unit_cost``, counted when the evidence
    standard allows payment."""
    vf = np.asarray(r.verified, dtype=np.float64)
    counted = np.isfinite(vf) & (np.asarray(r.gate, dtype=bool) | contract.payments.pay_without_evidence_standard)
    v_float = np.maximum(np.where(np.isfinite(vf), vf, 0.0), 0.0)
    n_float = np.asarray(r.participants, dtype=np.float64)
    v = a.of_floats(v_float)
    absolute = contract.evaluation.design == Design.ABSOLUTE_TARGET
    units = np.where(counted, v if absolute else v * a.of_counts(n_float), a.zeros(len(vf)))
    return units, a.priced(np.where(counted, v_float, 0.0), None if absolute else n_float, unit_cost), counted


def run_rule(contract: Contract, inputs: RuleInputs, a: Arith, *, as_of: dt.date | None = None,
             savings_cap: bool = True, investors: bool = True) -> RuleOutput:
    """The contract's payments in every scenario of ``inputs``, up to ``as_of`` (every period if None).

    ``savings_cap=False`` leaves out the realised-savings cap (to see what would have happened
    without it); ``investors=False`` leaves out who receives the payments (when only the payer's
    side is wanted)."""
    s = inputs.scenarios
    results = inputs.results
    caps = contract.caps
    pay = contract.payments
    by_cohort = pay.accumulation == "by_cohort"
    all_periods = list(pay.periods)
    periods = [p for p in all_periods if as_of is None or p.payment_date <= as_of]
    zero = a.zeros(s)
    total_cap = None if caps.total_outcome_payments is None else a.const(caps.total_outcome_payments)
    commitment = payer_commitment(contract, a)
    cap_pp = None if caps.per_participant is None else a.const(caps.per_participant)
    shares = payers(contract)
    repayable = _repayable(contract)
    state = _Investors(contract, repayable, a, s)

    last: dict[str, LineOut] = {}
    cohort_sum: dict[str, Num] = {}
    last_sav: dict[int, SavingsOut] = {}
    cohort_sav: dict[int, Num] = {}
    max_n = np.zeros(s)
    paid = zero
    payments: list[tuple[dt.date, Num]] = []
    out: list[PeriodOut] = []
    for period in periods:
        lines: list[LineOut] = []
        cum_ent = zero
        # a pooled result covers every cohort: it is judged (and paid) at the last period only
        pooled_now = by_cohort and period.id == all_periods[-1].id
        for price in pay.indicators:
            r = results.get((price.indicator, period.wave)) if period.wave else None
            before = _pending(price, period.wave, None if by_cohort else last.get(price.indicator), a, s)
            if r is None:
                line = before
            else:
                line = entitlement(contract, price, r, period.wave, a, results)
                if r.present is not None:
                    line = _merge(r.present, line, before)
            if not by_cohort:
                last[price.indicator] = line
                ind_total = line.amount
            else:
                ind_total = cohort_sum[price.indicator] = cohort_sum.get(price.indicator, zero) + line.amount
            np.maximum(max_n, line.participants, out=max_n)
            lines.append(line)
            if pooled_now and price.pooled is not None:
                pr = results.get((price.indicator, price.pooled.wave))
                if pr is not None:
                    pooled = entitlement(contract, price, pr, price.pooled.wave, a, results,
                                         threshold=price.pooled.threshold)
                    if pr.present is not None:
                        pooled = _merge(pr.present, pooled, _pending(price, price.pooled.wave, None, a, s))
                    pooled.pooled = True  # after the merge, which makes a new line
                    lines.append(pooled)
                    ind_total = np.maximum(ind_total, pooled.amount)
            cum_ent = cum_ent + ind_total
        card = inputs.card.get(period.id)
        card_total = card.total if card is not None else zero
        cum_ent = cum_ent + card_total

        sav: list[SavingsOut] = []
        savings_total = zero
        for k, item in enumerate(contract.savings):
            unit_cost = item.unit_cost
            r = results.get((item.indicator, period.wave)) if period.wave else None
            pooled_r = next((results.get((item.indicator, pr.pooled.wave)) for pr in pay.indicators
                             if pooled_now and pr.indicator == item.indicator and pr.pooled is not None), None)
            if r is not None:
                units, amount, counted = _savings(contract, r, a, unit_cost)
                if r.present is not None and k in last_sav and not by_cohort:
                    prev = last_sav[k]
                    units = np.where(r.present, units, prev.avoided_units)
                    amount = np.where(r.present, amount, prev.amount)
                    counted = np.where(r.present, counted, prev.counted)
                elif r.present is not None:
                    units, amount = np.where(r.present, units, zero), np.where(r.present, amount, zero)
                    counted = counted & r.present
            elif k in last_sav and not by_cohort:
                prev = last_sav[k]
                units, amount, counted = prev.avoided_units, prev.amount, prev.counted
            else:
                units, amount, counted = zero, zero, np.zeros(s, dtype=bool)
            if by_cohort:
                amount = cohort_sav[k] = cohort_sav.get(k, zero) + amount
                if pooled_r is not None:
                    p_units, p_amount, p_counted = _savings(contract, pooled_r, a, unit_cost)
                    present = pooled_r.present if pooled_r.present is not None else np.ones(s, dtype=bool)
                    units = np.where(present, p_units, units)
                    amount = np.where(present, p_amount, amount)
                    counted = np.where(present, p_counted, counted)
            line_s = SavingsOut(item.indicator, period.wave, units, unit_cost, amount, counted, item.unit, item.source)
            last_sav[k] = line_s
            sav.append(line_s)
            savings_total = savings_total + amount
        if card is not None:
            savings_total = savings_total + card.savings

        gross = np.maximum(cum_ent - paid, a.const(0))
        limits: list[tuple[str, Num]] = []
        if total_cap is not None:
            limits.append(("total_outcome_payments", zero + total_cap))
        if commitment is not None:
            limits.append(("payer_commitment", zero + commitment))
        if caps.payments_within_realised_savings and savings_cap:
            limits.append(("realised_savings", savings_total))
        ret = return_limit(contract, a, period.payment_date, payments, paid)
        if ret is not None:
            limits.append(("investor_return", ret))
        if cap_pp is not None:
            within = card.within_person_cap if card is not None else zero
            limits.append(("per_participant", a.cents(a.of_counts(max_n) * cap_pp) + within))
        amount = gross
        cap_lines = []
        for name, limit in limits:
            room = np.maximum(limit - paid, a.const(0))
            reduction = np.maximum(amount - room, a.const(0))
            amount = amount - reduction
            cap_lines.append(CapOut(name, limit, room, reduction))
        due = amount
        paid_before = paid
        paid = paid + due
        payments.append((period.payment_date, due))
        shares_by_payer = list(zip([pid for pid, _ in shares], a.pro_rata(due, [w for _, w in shares]), strict=True))
        above = None if caps.payments_within_realised_savings else paid > savings_total
        out.append(PeriodOut(period, lines, card_total, cum_ent, sav, savings_total, paid_before, gross, cap_lines, due, paid,
                             shares_by_payer, state.pay(due, period.payment_date) if investors else [], above))

    last_period = all_periods[-1]
    final = np.zeros(s, dtype=bool)
    if out and out[-1].period.id == last_period.id:
        final = np.all([np.asarray(ln.status) != _CODE[EntitlementStatus.PENDING] for ln in out[-1].lines], axis=0) \
            if out[-1].lines else np.ones(s, dtype=bool)
    if investors:
        state.call_guarantees(final)
    savings_total = out[-1].savings_total if out else zero
    return RuleOutput(out, state.positions() if investors else [], final, paid, savings_total)


class _Investors:
    """The investors' side of each payment: principal by class (debt by seniority, then equity),
    then returns pro rata to capital; grants are not repaid."""

    def __init__(self, contract: Contract, repayable: list[Investment], a: Arith, s: int) -> None:
        self.a = a
        self.s = s
        self.all = list(contract.investments)
        self.idx = [self.all.index(inv) for inv in repayable]
        self.repaid = [a.zeros(s) for _ in self.all]
        self.returns = [a.zeros(s) for _ in self.all]
        self.guarantee = [a.zeros(s) for _ in self.all]
        self.payments: list[list[tuple[dt.date, Num]]] = [[] for _ in self.all]

    def _disbursed(self, k: int, when: dt.date) -> Decimal:
        return sum((t.amount for t in self.all[k].tranches if t.date <= when), Decimal(0))

    def pay(self, due: Num, when: dt.date) -> list[Num]:
        a = self.a
        shares = [a.zeros(self.s) for _ in self.all]
        left = a.cents(due)
        for instrument, seniority in _CLASSES:
            members = [k for k in self.idx if self.all[k].instrument == instrument and self.all[k].seniority == seniority]
            if not members:
                continue
            outstanding = [np.maximum(a.const(self._disbursed(k, when)) - self.repaid[k], a.const(0)) for k in members]
            need = sum(outstanding[1:], outstanding[0])
            part = np.minimum(left, need)
            for k, piece in zip(members, _split(a, part, outstanding), strict=True):
                shares[k] = shares[k] + piece
                self.repaid[k] = self.repaid[k] + piece
            left = left - part
        if self.idx:
            capital = [self._disbursed(k, when) for k in self.idx]
            if sum(capital, Decimal(0)) > 0:
                for k, piece in zip(self.idx, a.pro_rata(left, capital), strict=True):
                    shares[k] = shares[k] + piece
                    self.returns[k] = self.returns[k] + piece
        for k in self.idx:
            self.payments[k].append((when, shares[k]))
        return shares

    def call_guarantees(self, final: Bools) -> None:
        a = self.a
        for k in self.idx:
            inv = self.all[k]
            if inv.guarantee is None:
                continue
            invested = sum((t.amount for t in inv.tranches), Decimal(0))
            shortfall = np.maximum(a.const(invested) - self.repaid[k], a.const(0))
            if inv.guarantee.amount is not None:
                cover = a.const(inv.guarantee.amount)
            else:
                cover = a.cents(a.array([a.const(invested) * a.const(inv.guarantee.share_of_principal or 0.0)]))[0]
            self.guarantee[k] = np.where(final, np.minimum(shortfall, cover), a.zeros(self.s))

    def positions(self) -> list[InvestorOut]:
        a = self.a
        return [InvestorOut(inv, a.zeros(self.s) + a.const(sum((t.amount for t in inv.tranches), Decimal(0))),
                            self.repaid[k], self.returns[k], self.guarantee[k], self.payments[k])
                for k, inv in enumerate(self.all)]


def _split(a: Arith, total: Num, weights: list[Num]) -> list[Num]:
    """``total`` split in proportion to ``weights`` that differ by scenario (exact: largest remainder)."""
    if a.exact:
        out = [a.zeros(len(total)) for _ in weights]
        for j in range(len(total)):
            parts = a.pro_rata(a.array([total[j]]), [w[j] for w in weights])
            for i, p in enumerate(parts):
                out[i][j] = p[0]
        return out
    wsum = sum(weights[1:], weights[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return [np.where(wsum > 0, total * w / wsum, 0.0) for w in weights]
