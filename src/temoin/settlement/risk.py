"""Risk simulation: what a contract may cost the payer and return to the investors (seeded, vectorised).

Scenarios run in chunks of 65,536, each drawn by its own generator spawned from
``numpy.random.SeedSequence(seed)``, on up to two threads (numpy releases the GIL): the same seed
gives the same report whatever the number of cores. Each scenario is drawn by
:mod:`temoin.settlement.scenarios` (true effect, enrolment, attrition, the evaluation's estimate;
or a rate card's outcomes) and paid by the contract's own rule, :mod:`temoin.settlement.rule`, the
one ``settle`` runs, here on floats: these are statistics, not sums to pay.

The report answers a payer's questions first: the probability of paying although the programme
has no real effect (the same scenarios with a true effect of zero), the expected cost against
funding the programme directly, the cost's percentiles; and an investor's: the median IRR and the
probability of a loss (not a mean IRR, which averages in −100 %). Means and percentiles (5th, 50th,
95th) are numpy's (``numpy.percentile``, linear interpolation). The investors' pool receives the
payments (and guarantees, at the last payment date); its IRR on real dates comes from
:func:`temoin.settlement.xirr.xirr_columns`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from temoin.contract.model import Contract, Period
from temoin.errors import InvalidInputError
from temoin.messages import Msg
from temoin.money import Money, to_decimal
from temoin.settlement.arith import FLOAT
from temoin.settlement.public_cost import payer_transaction_costs
from temoin.settlement.rule import run_rule
from temoin.settlement.scenarios import RiskAssumptions, draw_inputs
from temoin.settlement.xirr import xirr_columns, year_fractions

__all__ = ["RiskAssumptions", "RiskReport", "default_assumptions", "simulate"]

F = npt.NDArray[np.float64]
_CHUNK = 1 << 16  # scenarios per chunk (and per child seed)
_THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True)
class Distribution:
    mean: float
    p5: float
    p50: float
    p95: float

    @classmethod
    def of(cls, x: F) -> Distribution:
        """The mean and the 5th, 50th and 95th percentiles of the finite values of ``x`` (numpy's)."""
        x = x[np.isfinite(x)]
        if x.size == 0:
            return cls(math.nan, math.nan, math.nan, math.nan)
        p5, p50, p95 = np.percentile(x, [5, 50, 95]).tolist()
        return cls(float(x.mean()), p5, p50, p95)

    def money(self, currency: str) -> dict[str, Money]:
        return {k: Money(to_decimal(repr(round(v, 2))), currency) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class RiskReport:
    contract_id: str
    scenarios: int
    seed: int
    currency: str
    assumptions: RiskAssumptions
    payer_cost: Distribution
    outcome_payments: Distribution
    realised_savings: Distribution
    investor_irr: Distribution
    prob_investor_loss: float
    prob_loss_by_investor: dict[str, float]
    prob_guarantee_called: float
    prob_no_payment: float
    prob_payments_exceed_savings_without_cap: float
    prob_cis_costs_more_than_direct: float | None
    prob_paid_without_effect: float | None = None
    """Probability that something is paid when the programme has no real effect (None: not asked
    for, or meaningless for a rate card, which pays outcomes rather than an effect)."""
    direct_cost: float | None = None
    """What funding the programme directly would cost the payer (the contract's figure)."""
    notes: tuple[Msg, ...] = ()
    """What the simulation assumed or left out, as messages."""

    @property
    def expected_extra_cost(self) -> float | None:
        """The payer's expected cost of the CIS minus the cost of direct funding (negative: cheaper)."""
        return None if self.direct_cost is None else self.payer_cost.mean - self.direct_cost

    def to_dict(self) -> dict[str, object]:
        def money(d: Distribution) -> dict[str, str]:
            return {k: str(v.amount) for k, v in d.money(self.currency).items()}

        extra = self.expected_extra_cost
        return {
            "contract_id": self.contract_id, "scenarios": self.scenarios, "seed": self.seed, "currency": self.currency,
            "assumptions": self.assumptions.to_dict(),
            "prob_paid_without_effect": self.prob_paid_without_effect,
            "direct_cost": None if self.direct_cost is None else str(Money(to_decimal(repr(self.direct_cost)), self.currency).amount),
            "expected_extra_cost": None if extra is None else str(Money(to_decimal(repr(round(extra, 2))), self.currency).amount),
            "payer_cost": money(self.payer_cost),
            "outcome_payments": money(self.outcome_payments), "realised_savings": money(self.realised_savings),
            "investor_irr": asdict(self.investor_irr), "prob_investor_loss": self.prob_investor_loss,
            "prob_loss_by_investor": self.prob_loss_by_investor, "prob_guarantee_called": self.prob_guarantee_called,
            "prob_no_payment": self.prob_no_payment,
            "prob_payments_exceed_savings_without_cap": self.prob_payments_exceed_savings_without_cap,
            "prob_cis_costs_more_than_direct": self.prob_cis_costs_more_than_direct,
            "notes": [n.to_dict() for n in self.notes],
        }


def _err(code: str, message: Msg, path: str, hint: Msg) -> InvalidInputError:
    return InvalidInputError(f"simulation.{code}", message, path=path, hint=hint)


def default_assumptions(contract: Contract) -> RiskAssumptions:
    ev = contract.evaluation
    if contract.payments.rate_card:
        return RiskAssumptions(effect_mean=0.0, effect_sd=0.0, attrition_mean=ev.expected_attrition)
    mean = ev.expected_effect if ev.expected_effect is not None else ev.analysis_plan.minimum_effect
    if mean is None:
        raise _err("no_expected_effect", Msg("The contract gives no expected effect."), "evaluation.expected_effect",
                   Msg("Fill in evaluation.expected_effect or pass the assumed effect."))
    return RiskAssumptions(effect_mean=float(mean), effect_sd=abs(float(mean)) / 2.0, attrition_mean=ev.expected_attrition)


def _check(contract: Contract, scenarios: int, seed: int, a: RiskAssumptions) -> list[Msg]:
    if scenarios < 1 or scenarios > 20_000_000:
        raise _err("scenarios", Msg("Number of scenarios out of range: {scenarios}.", scenarios=scenarios), "scenarios",
                   Msg("Between {low} and {high}.", low=1, high=20_000_000))
    if seed < 0:
        raise _err("seed", Msg("Negative seed: {seed}.", seed=seed), "seed", Msg("A seed is an integer ≥ 0."))
    if not (0 < a.enrolment_low <= 1 and 0 <= a.attrition_mean < 1 and a.attrition_concentration > 0):
        raise _err("assumptions", Msg(
            "Assumptions out of range: lowest enrolment in (0, 1], mean attrition in [0, 1), concentration > 0 (got "
            "{enrolment_low}, {attrition_mean}, {concentration}).", enrolment_low=_exact(a.enrolment_low),
            attrition_mean=_exact(a.attrition_mean), concentration=_exact(a.attrition_concentration)), "assumptions",
            Msg("They are shares of the expected size and of the people followed."))
    if contract.payments.rate_card:
        if contract.payments.indicators:
            raise _err("unsupported_pricing", Msg("The simulation covers a rate card or one impact indicator, not both."),
                       "payments", Msg("Settle this contract from its observed results instead."))
        return [Msg("Rate card: each participant achieves each outcome independently, at the contract's expected rate.")]
    if len(contract.payments.indicators) != 1 or any(p.requires for p in contract.payments.indicators) \
            or contract.payments.accumulation != "cumulative":
        raise _err("unsupported_pricing",
                   Msg("The simulation covers contracts paid on one impact indicator, cumulative over time."), "payments",
                   Msg("Settle this contract from its observed results instead."))
    ev = contract.evaluation
    if not ev.design.has_counterfactual:
        if contract.payments.pay_without_evidence_standard:
            raise _err("unsupported_design", Msg(
                "This design cannot meet evidence standards and the contract pays anyway: the simulation does not model it."),
                "evaluation.design", Msg("Settle it from observed results instead."))
        return [Msg("Design without a counterfactual: the evaluation cannot meet standards, no payment.")]
    if ev.benchmark is None and ev.outcome_sd is None:
        raise _err("no_outcome_sd", Msg("The contract gives no standard deviation for the primary outcome."),
                   "evaluation.outcome_sd", Msg("Fill in evaluation.outcome_sd."))
    if ev.design.value == "historical_comparison":
        return [Msg("Historical comparison: a past cohort of the same size, followed the same way (its uncertainty adds to "
                    "the programme's).")]
    return []


def _exact(x: float) -> Decimal:
    """A float to six significant digits as an exact number, for a message (``0.5`` reads ``0,5``, not ``0,50``)."""
    return Decimal(f"{x:g}")


@dataclass(frozen=True)
class _Outcomes:
    """Per scenario, what the report's distributions and probabilities are made of."""

    paid: F  # cumulative outcome payments
    savings: F  # realised savings at the last period
    irr: F  # the investors' pool IRR on real dates
    guaranteed: F  # guarantees called
    exceed: npt.NDArray[np.bool_]  # payments would have exceeded savings without the savings cap
    losses: dict[str, F]  # per repayable investor, after guarantees

    @classmethod
    def empty(cls, s: int, investors: list[str]) -> _Outcomes:
        return cls(np.empty(s), np.empty(s), np.empty(s), np.empty(s), np.empty(s, dtype=bool),
                   {name: np.zeros(s) for name in investors})

    def part(self, lo: int, hi: int) -> _Outcomes:
        """Views on scenarios ``lo`` to ``hi``: a chunk writes its results in place."""
        return _Outcomes(self.paid[lo:hi], self.savings[lo:hi], self.irr[lo:hi], self.guaranteed[lo:hi],
                         self.exceed[lo:hi], {k: v[lo:hi] for k, v in self.losses.items()})


def simulate(contract: Contract, scenarios: int, seed: int, assumptions: RiskAssumptions | None = None, *,
             zero_effect: bool = True, progress: Callable[[float], None] | None = None) -> RiskReport:
    """Simulate ``scenarios`` futures of ``contract``; reproducible for a given ``seed``.

    ``zero_effect``: also run the same scenarios with no real effect, for the probability of paying
    for nothing (impact contracts with a counterfactual). ``progress`` is told the share of chunks
    done (0 to 1) as each chunk ends, from the thread that ran it; it changes nothing drawn."""
    a = assumptions or default_assumptions(contract)
    notes = _check(contract, scenarios, seed, a)
    cur = contract.currency
    repayable = [inv for inv in contract.investments if inv.instrument != "grant"]
    invested = sum(float(t.amount) for inv in repayable for t in inv.tranches)
    sizes = [min(_CHUNK, scenarios - start) for start in range(0, scenarios, _CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    impact_with_counterfactual = not contract.payments.rate_card and contract.evaluation.design.has_counterfactual
    runs = 2 if zero_effect and impact_with_counterfactual else 1
    done = [0]
    lock = threading.Lock()

    def chunk_done() -> None:
        if progress is not None:
            with lock:
                done[0] += 1
                share = done[0] / (runs * len(sizes))
            progress(share)

    def run_all(assume: RiskAssumptions, *, payer_only: bool = False) -> _Outcomes:
        out = _Outcomes.empty(scenarios, [inv.investor for inv in repayable])

        def run(k: int) -> None:
            lo = k * _CHUNK
            _chunk(contract, assume, np.random.default_rng(seeds[k]), sizes[k], out.part(lo, lo + sizes[k]),
                   payer_only=payer_only)
            chunk_done()

        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(run, range(len(sizes))))
        return out

    out = run_all(a)
    wrongful = None
    if zero_effect and impact_with_counterfactual:
        nothing = run_all(dataclasses.replace(a, effect_mean=0.0, effect_sd=0.0), payer_only=True)
        wrongful = float(np.count_nonzero(nothing.paid > 0.005)) / scenarios
    costs = sum((float(v.amount) for _, v in payer_transaction_costs(contract)), 0.0)
    direct = float(contract.direct_delivery_cost) if contract.direct_delivery_cost is not None else None
    payer = out.paid + costs
    with ThreadPoolExecutor(_THREADS) as pool:
        dist_irr, dist_payer, dist_paid, dist_savings = pool.map(Distribution.of, (out.irr, payer, out.paid, out.savings))
    received = out.paid + out.guaranteed

    def share(event: npt.NDArray[np.bool_]) -> float:
        return np.count_nonzero(event) / scenarios

    return RiskReport(
        contract_id=contract.id, scenarios=scenarios, seed=seed, currency=cur, assumptions=a,
        payer_cost=dist_payer, outcome_payments=dist_paid, realised_savings=dist_savings, investor_irr=dist_irr,
        prob_investor_loss=share(received < invested - 0.005) if repayable else 0.0,
        prob_loss_by_investor={k: share(v > 0.005) for k, v in out.losses.items()},
        prob_guarantee_called=share(out.guaranteed > 0.005),
        prob_no_payment=share(out.paid <= 0.005),
        prob_payments_exceed_savings_without_cap=share(out.exceed),
        prob_cis_costs_more_than_direct=share(payer > direct) if direct is not None else None,
        prob_paid_without_effect=wrongful, direct_cost=direct, notes=tuple(notes))


def _chunk(contract: Contract, a: RiskAssumptions, rng: np.random.Generator, s: int, out: _Outcomes, *,
           payer_only: bool = False) -> None:
    """Draw ``s`` scenarios with ``rng``, pay them by the contract's rule, and write the outcomes
    (with ``payer_only``, only what the payer pays)."""
    inputs = draw_inputs(contract, a, rng, s)
    result = run_rule(contract, inputs, FLOAT, investors=not payer_only)
    out.paid[:] = result.paid
    if payer_only:
        return
    capped = contract.caps.payments_within_realised_savings
    if capped:  # what would have happened without the savings cap
        exceed = np.zeros(s, dtype=bool)
        for p in run_rule(contract, inputs, FLOAT, savings_cap=False, investors=False).periods:
            exceed |= p.cumulative_paid > p.savings_total + 0.005
    else:
        exceed = np.any([p.above_savings for p in result.periods if p.above_savings is not None], axis=0) \
            if result.periods else np.zeros(s, dtype=bool)
    repayable = [io for io in result.investors if io.investment.instrument != "grant"]
    guaranteed = sum((io.guarantee for io in repayable), np.zeros(s))
    out.savings[:] = result.savings_total
    out.guaranteed[:] = guaranteed
    out.exceed[:] = exceed
    for io in repayable:
        received = io.repaid_principal + io.returns + io.guarantee
        out.losses[io.investment.investor][:] += np.maximum(io.invested - received, 0.0)
    if repayable:
        tranches = [(t.date, float(t.amount)) for io in repayable for t in io.investment.tranches]
        to_pool = [sum(p.investor_shares, np.zeros(s)) for p in result.periods]
        out.irr[:] = _pool_irr(tranches, [p.period for p in result.periods], to_pool, guaranteed, result.paid)
    else:
        out.irr[:] = np.nan


def _pool_irr(tranches: list[tuple[dt.date, float]], periods: list[Period], dues: list[F], guaranteed: F,
              paid: F) -> F:
    """The investors' pool IRR of each scenario, on real dates: ``tranches`` out, each period's
    payments to the pool (``dues``) and the guarantees called at the last payment date back.

    The scenarios where nothing is paid all have the same flows (the tranches out, then the
    guarantees called on a principal not repaid at all), so their IRR is solved once."""
    nothing = paid <= 0.0
    some = np.flatnonzero(~nothing)
    cols = np.append(some, np.argmax(nothing)) if nothing.any() else some
    dates = sorted({d for d, _ in tranches} | {p.payment_date for p in periods})
    row = {d: k for k, d in enumerate(dates)}
    flows = np.zeros((len(dates), len(cols)))  # one row per date: the fast layout for xirr_columns
    for d, amount in tranches:
        flows[row[d]] -= amount
    for period, due in zip(periods, dues, strict=True):
        flows[row[period.payment_date]] += due[cols]
    if periods:
        flows[row[periods[-1].payment_date]] += guaranteed[cols]
    solved = xirr_columns(year_fractions(dates), flows)
    irr = np.empty(len(paid))
    irr[some] = solved[:len(some)]
    if nothing.any():
        irr[nothing] = solved[-1]
    return irr
