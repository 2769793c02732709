"""Drawing the futures of a contract for the risk simulation: what the evaluation would find.

Each scenario draws, for a contract paid on one impact indicator:

- the true effect at the last wave ~ Normal(``effect_mean``, ``effect_sd``); earlier waves reach
  ``months / last months`` of it (effects build up with follow-up, as placement days avoided do);
- enrolment ~ Uniform(``enrolment_low``, 1) × ``population.expected_size``; a randomised design
  assigns the allocation ratio to the programme; a matched, difference-in-differences or
  historical design compares with a group of the same size (a historical cohort is as large as
  the programme's, unless the contract gives a reference rate and its standard error); a benchmark
  design compares with its reference rate, whose own standard error adds to the estimate's;
- attrition ~ Beta with mean ``attrition_mean`` (concentration ``attrition_concentration``), then
  the number followed in each arm ~ Binomial (the same rate for both arms);
- the evaluation's estimate = true effect + standard error × one standard-normal draw shared by
  every wave (the same people are followed); the verified impact is the estimate or its lower
  bound (the plan's alpha and sidedness), as ``payments.basis`` says; no estimate when an arm has
  nobody followed. The evidence grade is the best the design allows.

For a rate card, each participant achieves each outcome independently with a rate drawn per
scenario ~ Beta(mean ``expected_rate``, concentration ``attrition_concentration``); the numbers of
people with each combination of outcomes are multinomial, and outcomes are spread over the
periods in proportion to the time elapsed since the contract started.

What is paid then is the contract's own rule, :mod:`temoin.settlement.rule`, on floats.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from temoin.contract.model import Contract, Design, Evaluation
from temoin.errors import InvalidInputError
from temoin.evaluation.result import design_ceiling
from temoin.messages import Msg
from temoin.settlement.arith import FLOAT
from temoin.settlement.rule import CardArrays, ResultArrays, RuleInputs, run_rule

__all__ = ["RiskAssumptions", "arms", "draw_inputs", "followed", "trial_payments"]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RiskAssumptions:
    """What the simulation assumes of the future (see the module's docstring)."""

    effect_mean: float
    effect_sd: float
    enrolment_low: float = 0.8
    attrition_mean: float = 0.0
    attrition_concentration: float = 50.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def arms(ev: Evaluation, enrolled: F) -> tuple[F, F]:
    """Participants in the programme arm and in the comparison group, for each enrolment."""
    if ev.design.randomised:
        n_t = np.rint(enrolled * ev.allocation_ratio)
        return n_t, enrolled - n_t
    if ev.design in (Design.MATCHED_COMPARISON, Design.DIFF_IN_DIFF) or (
            ev.design == Design.HISTORICAL and ev.benchmark is None):
        return enrolled, enrolled.copy()
    return enrolled, np.zeros_like(enrolled)


def followed(rng: np.random.Generator, n_t: F, n_c: F, attrition_mean: float, concentration: float) -> tuple[F, F]:
    """Participants followed in each arm: a scenario's attrition rate ~ Beta(mean, concentration),
    then each arm's number followed ~ Binomial(arm size, 1 − rate), the same rate for both arms."""
    if attrition_mean <= 0:
        return n_t.copy(), n_c.copy()
    kept = 1.0 - rng.beta(attrition_mean * concentration, (1.0 - attrition_mean) * concentration, len(n_t))
    return (rng.binomial(n_t.astype(np.int64), kept).astype(np.float64),
            rng.binomial(n_c.astype(np.int64), kept).astype(np.float64))


def draw_inputs(contract: Contract, a: RiskAssumptions, rng: np.random.Generator, s: int) -> RuleInputs:
    """``s`` scenarios of what the evaluation finds (or, for a rate card, of the outcomes achieved)."""
    if contract.payments.rate_card:
        return _rate_card(contract, a, rng, s)
    return _impact(contract, a, rng, s)


def _impact(contract: Contract, a: RiskAssumptions, rng: np.random.Generator, s: int) -> RuleInputs:
    ev = contract.evaluation
    plan = ev.analysis_plan
    price = contract.payments.indicators[0]
    true_effect = rng.normal(a.effect_mean, a.effect_sd, s)
    enrolled = np.rint(contract.population.expected_size * rng.uniform(a.enrolment_low, 1.0, s))
    n_t, n_c = arms(ev, enrolled)
    nt_f, nc_f = followed(rng, n_t, n_c, a.attrition_mean, a.attrition_concentration)
    z = rng.standard_normal(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ev.design in (Design.BENCHMARK, Design.HISTORICAL) and ev.benchmark is not None:
            p = np.clip(ev.benchmark.reference_rate + true_effect, 1e-3, 1 - 1e-3)
            se = np.sqrt(p * (1 - p) / nt_f + ev.benchmark.reference_std_error ** 2)
        else:
            se = float(ev.outcome_sd or 0.0) * np.sqrt(1.0 / nt_f + 1.0 / nc_f)
    se[~np.isfinite(se)] = np.nan  # an arm nobody was followed in: no estimate
    alpha = plan.alpha or 0.05
    zc = norm.ppf(1 - alpha) if plan.sidedness == "one_sided" else norm.ppf(1 - alpha / 2)
    gate = np.full(s, design_ceiling(ev.design).allows_payment)
    months = {w.id: w.months_after_enrolment for w in ev.follow_up_waves}
    waves = [p.wave for p in contract.payments.periods if p.wave]
    last_m = max((months[w] for w in waves), default=1)
    noise = se * z  # the same people followed at every wave: one draw of the estimation error
    results = {}
    for wave in waves:
        est = true_effect * (months[wave] / last_m) + noise
        verified = est if contract.payments.basis == "point_estimate" else est - zc * se
        results[(price.indicator, wave)] = ResultArrays(verified, nt_f, gate)
    return RuleInputs(s, results)


def _rate_card(contract: Contract, a: RiskAssumptions, rng: np.random.Generator, s: int) -> RuleInputs:
    items = contract.payments.rate_card
    missing = [i.outcome for i in items if i.expected_rate is None]
    if missing:
        raise InvalidInputError(
            "simulation.no_expected_rate", Msg('Expected success rate missing for: {missing}.', missing=missing), path="payments.rate_card",
            hint=Msg('Fill in expected_rate (the share of participants who achieve it) for each outcome.'))
    n = np.rint(contract.population.expected_size * rng.uniform(a.enrolment_low, 1.0, s)).astype(np.int64)
    c = a.attrition_concentration
    rates = np.column_stack([rng.beta(max(i.expected_rate or 0.0, 1e-9) * c, max(1 - (i.expected_rate or 0.0), 1e-9) * c, s)
                             for i in items])
    combos = np.array(list(itertools.product((0, 1), repeat=len(items))), dtype=np.float64)  # (C, K)
    p = np.prod(np.where(combos[None, :, :] == 1, rates[:, None, :], 1 - rates[:, None, :]), axis=2)  # (S, C)
    p /= p.sum(axis=1, keepdims=True)
    counts = rng.multinomial(n, p).astype(np.float64)
    prices = np.array([float(i.price) for i in items])
    savings = np.array([float(i.unit_saving or 0) for i in items])
    amount = combos @ prices
    cap = contract.caps.per_participant
    within = np.minimum(amount, float(cap)) if cap is not None else amount
    total_all, within_all, savings_all = counts @ amount, counts @ within, counts @ (combos @ savings)
    start = contract.start_date
    span = max((contract.payments.periods[-1].end_date - start).days, 1)
    card = {}
    for period in contract.payments.periods:
        f = min(max((period.end_date - start).days / span, 0.0), 1.0)
        card[period.id] = CardArrays(FLOAT.cents(total_all * f), FLOAT.cents(within_all * f), FLOAT.cents(savings_all * f))
    return RuleInputs(s, {}, card)


def trial_payments(contract: Contract) -> Callable[[F, F, F, npt.NDArray[np.bool_]], F]:
    """The contract's payment rule for the design diagnosis's simulated trials: each trial is a
    settlement with one result, the primary outcome at the last paid wave (improvement or its
    lower bound as ``payments.basis`` says, the programme participants followed, the evidence gate
    capped by the design), earlier periods pending; it returns what the payer pays in all."""
    indicator = contract.evaluation.analysis_plan.primary_outcome or ""
    wave = next((p.wave for p in reversed(contract.payments.periods) if p.wave), None)
    ceiling = design_ceiling(contract.evaluation.design).allows_payment

    def pay(improvement: F, lower: F, followed_t: F, gate: npt.NDArray[np.bool_]) -> F:
        s = len(improvement)
        if wave is None:
            return np.zeros(s)
        verified = improvement if contract.payments.basis == "point_estimate" else lower
        results = {(indicator, wave): ResultArrays(np.asarray(verified, dtype=np.float64), followed_t, gate & ceiling)}
        out = run_rule(contract, RuleInputs(s, results), FLOAT, investors=False)
        return np.asarray(out.paid, dtype=np.float64)

    return pay
