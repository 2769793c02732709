"""Risk simulation: Monte Carlo over the true effect, enrolment and attrition (vectorised, seeded).

Scenarios run in chunks of 65,536, each drawn by its own generator spawned from
``numpy.random.SeedSequence(seed)``, on up to two threads (numpy releases the GIL): the same seed
gives the same report whatever the number of cores. Means and percentiles (5th, 50th, 95th) are
numpy's (``numpy.percentile``, linear interpolation). Each scenario draws:

- the true effect at the last wave ~ Normal(``effect_mean``, ``effect_sd``) (defaults: the
  contract's ``expected_effect`` and half of it); earlier waves reach ``months / last months``
  of it (effects build up with follow-up, as placement days avoided do);
- enrolment ~ Uniform(``enrolment_low``, 1) × ``population.expected_size``; a randomised
  design assigns the allocation ratio to the programme, a matched or difference-in-differences
  design follows a comparison group of the same size, a benchmark design has none;
- attrition ~ Beta with mean ``expected_attrition`` (concentration 50), then the number followed
  in each arm ~ Binomial (the same attrition rate for both arms), drawn as stated with numpy;
- the evaluation's estimate = true effect + standard error × one standard-normal draw shared by
  every wave (the same people are followed); the verified impact is the estimate or its lower
  bound (the plan's alpha and sidedness), as ``payments.basis`` says. The evidence standard is
  assumed met (a design that cannot meet it pays nothing, unless the contract pays anyway,
  which this simulation does not model and refuses).

Payments then follow the settlement rules (threshold, bonus tier, the four caps in the same
order, cumulative entitlement less cumulative paid), in floats: these are statistics, not sums
to pay. The investors' pool receives the payments (and guarantees, at the last payment date);
its IRR on real dates comes from :func:`temoin.settlement.xirr.xirr_columns`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from temoin.contract.model import Contract, Design, Evaluation, Period
from temoin.errors import InvalidInputError
from temoin.money import Money, to_decimal
SENIORITY = ("senior", "junior", "first_loss")
from temoin.settlement.public_cost import payer_transaction_costs
from temoin.settlement.xirr import xirr_columns, year_fractions

__all__ = ["RiskAssumptions", "RiskReport", "default_assumptions", "simulate"]

F = npt.NDArray[np.float64]
_CHUNK = 1 << 16  # scenarios per chunk (and per child seed)
_THREADS = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True)
class RiskAssumptions:
    effect_mean: float
    effect_sd: float
    enrolment_low: float = 0.8
    attrition_mean: float = 0.0
    attrition_concentration: float = 50.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


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
    notes: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, object]:
        def money(d: Distribution) -> dict[str, str]:
            return {k: str(v.amount) for k, v in d.money(self.currency).items()}

        return {
            "contract_id": self.contract_id, "scenarios": self.scenarios, "seed": self.seed, "currency": self.currency,
            "assumptions": self.assumptions.to_dict(), "payer_cost": money(self.payer_cost),
            "outcome_payments": money(self.outcome_payments), "realised_savings": money(self.realised_savings),
            "investor_irr": asdict(self.investor_irr), "prob_investor_loss": self.prob_investor_loss,
            "prob_loss_by_investor": self.prob_loss_by_investor, "prob_guarantee_called": self.prob_guarantee_called,
            "prob_no_payment": self.prob_no_payment,
            "prob_payments_exceed_savings_without_cap": self.prob_payments_exceed_savings_without_cap,
            "prob_cis_costs_more_than_direct": self.prob_cis_costs_more_than_direct,
            "notes": [{"fr": fr, "en": en} for fr, en in self.notes],
        }


def _err(code: str, fr: str, en: str, path: str, hint_fr: str, hint_en: str) -> InvalidInputError:
    return InvalidInputError(f"simulation.{code}", fr, en, path=path, hint_fr=hint_fr, hint_en=hint_en)


def default_assumptions(contract: Contract) -> RiskAssumptions:
    ev = contract.evaluation
    mean = ev.expected_effect if ev.expected_effect is not None else ev.analysis_plan.minimum_effect
    if mean is None:
        raise _err("no_expected_effect", "Le contrat ne donne pas d'effet attendu.", "The contract gives no expected effect.",
                   "evaluation.expected_effect", "Renseignez evaluation.expected_effect ou donnez l'effet supposé.",
                   "Fill in evaluation.expected_effect or pass the assumed effect.")
    return RiskAssumptions(effect_mean=float(mean), effect_sd=abs(float(mean)) / 2.0, attrition_mean=ev.expected_attrition)


def _f(d: Decimal) -> float:
    return float(d)


def simulate(contract: Contract, scenarios: int, seed: int, assumptions: RiskAssumptions | None = None) -> RiskReport:
    """Simulate ``scenarios`` futures of ``contract``; reproducible for a given ``seed``."""
    if scenarios < 1 or scenarios > 20_000_000:
        raise _err("scenarios", f"Nombre de scénarios hors limites : {scenarios}.", f"Number of scenarios out of range: {scenarios}.",
                   "scenarios", "Entre 1 et 20 000 000.", "Between 1 and 20,000,000.")
    if seed < 0:
        raise _err("seed", f"Graine négative : {seed}.", f"Negative seed: {seed}.", "seed", "Une graine est un entier ≥ 0.",
                   "A seed is an integer ≥ 0.")
    if contract.payments.rate_card or len(contract.payments.indicators) != 1:
        raise _err("unsupported_pricing", "La simulation couvre les contrats payés sur un seul indicateur d'impact.",
                   "The simulation covers contracts paid on one impact indicator.", "payments",
                   "Réglez ce contrat avec `temoin settle` ; la simulation de grilles tarifaires n'est pas disponible.",
                   "Settle this contract with `temoin settle`; rate-card simulation is not available.")
    a = assumptions or default_assumptions(contract)
    if not (0 < a.enrolment_low <= 1 and 0 <= a.attrition_mean < 1 and a.attrition_concentration > 0):
        raise _err("assumptions", "Hypothèses hors limites : inscription minimale dans ]0 ; 1], attrition moyenne dans [0 ; 1[, "
                   f"concentration > 0 (reçu : {a.enrolment_low:g}, {a.attrition_mean:g}, {a.attrition_concentration:g}).",
                   "Assumptions out of range: lowest enrolment in (0, 1], mean attrition in [0, 1), concentration > 0 "
                   f"(got {a.enrolment_low:g}, {a.attrition_mean:g}, {a.attrition_concentration:g}).", "assumptions",
                   "Ce sont des parts de la taille attendue et du public suivi.",
                   "They are shares of the expected size and of the people followed.")
    ev = contract.evaluation
    cur = contract.currency
    notes: list[tuple[str, str]] = []
    pays = ev.design.has_counterfactual
    if not pays and contract.payments.pay_without_evidence_standard:
        raise _err("unsupported_design", "Ce plan d'évaluation ne peut pas satisfaire aux standards et le contrat paie quand même : "
                   "la simulation ne sait pas modéliser ce cas.",
                   "This design cannot meet evidence standards and the contract pays anyway: the simulation does not model it.",
                   "evaluation.design", "Utilisez `temoin settle` avec des résultats observés.", "Use `temoin settle` with observed results.")
    if not pays:
        notes.append(("Plan sans contrefactuel : l'évaluation ne peut pas satisfaire aux standards, aucun paiement.",
                      "Design without a counterfactual: the evaluation cannot meet standards, no payment."))

    if pays and not (ev.design == Design.BENCHMARK and ev.benchmark is not None) and ev.outcome_sd is None:
        raise _err("no_outcome_sd", "Le contrat ne donne pas l'écart-type du critère principal.",
                   "The contract gives no standard deviation for the primary outcome.", "evaluation.outcome_sd",
                   "Renseignez evaluation.outcome_sd.", "Fill in evaluation.outcome_sd.")

    # Fixed-size chunks, each with its own child seed: the figures depend on the seed only, not on
    # the number of threads, and a chunk's working arrays stay small enough for the cache.
    sizes = [min(_CHUNK, scenarios - start) for start in range(0, scenarios, _CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    tranches = [(t.date, _f(t.amount)) for inv in contract.investments for t in inv.tranches]

    out = _Outcomes.empty(scenarios, [inv.investor for inv in contract.investments])

    def run(k: int) -> None:
        lo = k * _CHUNK
        _scenarios(contract, a, np.random.default_rng(seeds[k]), tranches, pays, out.part(lo, lo + sizes[k]))

    invested = sum(amt for _, amt in tranches)
    costs = sum((_f(v.amount) for _, v in payer_transaction_costs(contract)), 0.0)
    direct = _f(contract.direct_delivery_cost) if contract.direct_delivery_cost is not None else None
    # numpy releases the GIL in the draws, the array arithmetic and the partial sorts of percentiles
    with ThreadPoolExecutor(_THREADS) as pool:
        list(pool.map(run, range(len(sizes))))
        paid_c, savings, irr, g_total, exceed, losses_by = out.paid, out.savings, out.irr, out.guaranteed, out.exceed, out.losses
        payer = paid_c + costs
        dist_irr, dist_payer, dist_paid, dist_savings = pool.map(Distribution.of, (irr, payer, paid_c, savings))
    received = paid_c + g_total

    def share(event: npt.NDArray[np.bool_]) -> float:
        return np.count_nonzero(event) / scenarios

    return RiskReport(
        contract_id=contract.id, scenarios=scenarios, seed=seed, currency=cur, assumptions=a,
        payer_cost=dist_payer, outcome_payments=dist_paid, realised_savings=dist_savings, investor_irr=dist_irr,
        prob_investor_loss=share(received < invested - 0.005) if tranches else 0.0,
        prob_loss_by_investor={k: share(v > 0.005) for k, v in losses_by.items()},
        prob_guarantee_called=share(g_total > 0.005),
        prob_no_payment=share(paid_c <= 0.005),
        prob_payments_exceed_savings_without_cap=share(exceed),
        prob_cis_costs_more_than_direct=share(payer > direct) if direct is not None else None,
        notes=tuple(notes))


@dataclass(frozen=True)
class _Outcomes:
    """Per scenario, what the report's distributions and probabilities are made of."""

    paid: F  # cumulative outcome payments
    savings: F  # realised savings at the last period
    irr: F  # the investors' pool IRR on real dates
    guaranteed: F  # guarantees called
    exceed: npt.NDArray[np.bool_]  # payments would have exceeded savings without the savings cap
    losses: dict[str, F]  # per investor, after guarantees

    @classmethod
    def empty(cls, s: int, investors: list[str]) -> _Outcomes:
        return cls(np.empty(s), np.empty(s), np.empty(s), np.empty(s), np.empty(s, dtype=bool),
                   {name: np.empty(s) for name in investors})

    def part(self, lo: int, hi: int) -> _Outcomes:
        """Views on scenarios ``lo`` to ``hi``: a chunk writes its results in place."""
        return _Outcomes(self.paid[lo:hi], self.savings[lo:hi], self.irr[lo:hi], self.guaranteed[lo:hi],
                         self.exceed[lo:hi], {k: v[lo:hi] for k, v in self.losses.items()})


def _scenarios(contract: Contract, a: RiskAssumptions, rng: np.random.Generator,
               tranches: list[tuple[dt.date, float]], pays: bool, out: _Outcomes) -> None:
    """Draw ``out``'s scenarios with ``rng``, follow each through payments, caps and the pool's flows."""
    s = len(out.paid)
    ev = contract.evaluation
    plan = ev.analysis_plan
    price = contract.payments.indicators[0]
    true_effect = rng.normal(a.effect_mean, a.effect_sd, s)
    enrolled = np.rint(contract.population.expected_size * rng.uniform(a.enrolment_low, 1.0, s))
    n_t, n_c = _arms(ev, enrolled)
    nt_f, nc_f = _followed(rng, n_t, n_c, a.attrition_mean, a.attrition_concentration)
    z = rng.standard_normal(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ev.design == Design.BENCHMARK and ev.benchmark is not None:
            p = np.clip(ev.benchmark.reference_rate + true_effect, 1e-3, 1 - 1e-3)
            se = np.sqrt(p * (1 - p) / nt_f + ev.benchmark.reference_std_error ** 2)
        elif pays:
            se = float(ev.outcome_sd or 0.0) * np.sqrt(1.0 / nt_f + 1.0 / nc_f)
        else:
            se = np.zeros(s)
    unknown = np.flatnonzero(~np.isfinite(se))  # an arm nobody was followed in: no estimate, v = 0
    se[unknown] = np.inf
    alpha = plan.alpha or 0.05
    zc = norm.ppf(1 - alpha) if plan.sidedness == "one_sided" else norm.ppf(1 - alpha / 2)

    periods = [p for p in contract.payments.periods if p.wave]
    months = {w.id: w.months_after_enrolment for w in ev.follow_up_waves}
    last_m = max((months[p.wave] for p in periods if p.wave), default=1)
    unit_cost = sum((_f(i.unit_cost) for i in contract.savings if i.indicator == price.indicator), 0.0)
    per_person = ev.design != Design.ABSOLUTE_TARGET
    total_cap = _f(contract.caps.total_outcome_payments) if contract.caps.total_outcome_payments is not None else math.inf
    pp_cap = _f(contract.caps.per_participant) if contract.caps.per_participant is not None else math.inf
    ret = contract.caps.investor_return

    # Per period, what does not depend on the caps: entitlement before caps, realised savings, the
    # total and per-participant caps.
    steps: list[tuple[Period, F, F]] = []
    noise = se * z  # the same people followed at every wave: one draw of the estimation error
    margin = zc * se
    for period in periods:
        frac = months[period.wave] / last_m if period.wave else 1.0
        est = true_effect * frac + noise
        v = est if contract.payments.basis == "point_estimate" else est - margin
        if not pays:
            v = np.zeros(s)
        elif unknown.size:
            v[unknown] = 0.0
        units = v * nt_f if per_person else v
        amount = units * _f(price.price_per_unit)
        # v ≥ a positive threshold implies v > 0: one comparison instead of two
        due = v >= price.threshold if price.threshold > 0 else (v > 0) & (v >= price.threshold)
        ent = np.where(due, amount, 0.0)
        for tier in price.bonus_tiers:  # tiers are increasing: the last one passed wins
            ent = np.where((v > tier.above) & (ent > 0), amount + _f(tier.bonus), ent)
        savings = np.maximum(units, 0.0) * unit_cost
        if total_cap < math.inf:
            np.minimum(ent, total_cap, out=ent)
        if pp_cap < math.inf:
            np.minimum(ent, pp_cap * nt_f, out=ent)
        steps.append((period, ent, savings))

    def path(savings_cap: bool, track_exceed: bool) -> tuple[list[F], F, F]:
        """Dues per period, cumulative paid, and whether paid ever exceeded savings (if tracked)."""
        paid = np.zeros(s)
        exceed = np.zeros(s, dtype=bool)
        dues: list[F] = []
        for period, limit, savings in steps:
            if ret is not None:
                room = _return_room(ret.kind, ret.value, tranches, period.payment_date, dues, periods)
                limit = np.minimum(limit, paid + np.maximum(room, 0.0))
            if savings_cap:
                limit = np.minimum(limit, savings)
            due = np.maximum(limit - paid, 0.0)
            paid = paid + due
            if track_exceed:
                exceed |= paid > savings + 0.005
            dues.append(due)
        return dues, paid, exceed

    capped = contract.caps.payments_within_realised_savings
    dues, paid_c, exceed = path(capped, not capped)
    if capped:  # what would have happened without the savings cap
        exceed = path(False, True)[2]
    savings = steps[-1][2] if steps else np.zeros(s)

    guarantees, losses_by = _guarantees(contract, paid_c)
    g_total = sum(guarantees.values(), np.zeros(s))
    out.irr[:] = _pool_irr(tranches, periods, dues, g_total, paid_c) if tranches else np.nan
    out.paid[:], out.savings[:], out.guaranteed[:], out.exceed[:] = paid_c, savings, g_total, exceed
    for name, loss in losses_by.items():
        out.losses[name][:] = loss


def _arms(ev: Evaluation, enrolled: F) -> tuple[F, F]:
    """Participants in the programme arm and in the comparison group, for each enrolment."""
    if ev.design.randomised:
        n_t = np.rint(enrolled * ev.allocation_ratio)
        return n_t, enrolled - n_t
    if ev.design in (Design.MATCHED_COMPARISON, Design.DIFF_IN_DIFF):
        return enrolled, enrolled.copy()
    return enrolled, np.zeros_like(enrolled)


def _followed(rng: np.random.Generator, n_t: F, n_c: F, attrition_mean: float, concentration: float) -> tuple[F, F]:
    """Participants followed in each arm: a scenario's attrition rate ~ Beta(mean, concentration),
    then each arm's number followed ~ Binomial(arm size, 1 − rate), the same rate for both arms."""
    if attrition_mean <= 0:
        return n_t.copy(), n_c.copy()
    kept = 1.0 - rng.beta(attrition_mean * concentration, (1.0 - attrition_mean) * concentration, len(n_t))
    return (rng.binomial(n_t.astype(np.int64), kept).astype(np.float64),
            rng.binomial(n_c.astype(np.int64), kept).astype(np.float64))


def _pool_irr(tranches: list[tuple[dt.date, float]], periods: list[Period], dues: list[F], guaranteed: F,
              paid: F) -> F:
    """The investors' pool IRR of each scenario, on real dates.

    The scenarios where nothing is paid all have the same flows (the tranches out, then the
    guarantees called on a principal not repaid at all), so their IRR is solved once.
    """
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


def _return_room(kind: str, value: float, tranches: list[tuple[dt.date, float]], when: dt.date,
                 dues: list[F], periods: list[Period]) -> F | float:
    """Room left under the return cap at ``when`` (before this period's payment)."""
    disbursed = [(d, amt) for d, amt in tranches if d <= when]
    if kind == "multiple":
        paid = sum(dues, np.float64(0.0))
        return value * sum(amt for _, amt in disbursed) - paid
    balance = sum(amt * (1 + value) ** ((when - d).days / 365.0) for d, amt in disbursed)
    out: F | float = balance
    for due, period in zip(dues, periods, strict=False):
        out = out - due * (1 + value) ** ((when - period.payment_date).days / 365.0)
    return out


def _guarantees(contract: Contract, paid: F) -> tuple[dict[str, F], dict[str, F]]:
    """Principal repaid by seniority (pro rata within a class), then guarantees and losses."""
    left = paid.copy()
    repaid: dict[int, F] = {}
    for cls in SENIORITY:
        members = [k for k, inv in enumerate(contract.investments) if inv.seniority == cls]
        principal = {k: sum(_f(t.amount) for t in contract.investments[k].tranches) for k in members}
        need = sum(principal.values())
        if need <= 0:
            continue
        pay = np.minimum(left, need)
        for k in members:
            repaid[k] = pay * principal[k] / need
        left = left - pay
    guarantees: dict[str, F] = {}
    losses: dict[str, F] = {}
    for k, inv in enumerate(contract.investments):
        principal_k = sum(_f(t.amount) for t in inv.tranches)
        short = np.maximum(principal_k - repaid.get(k, np.zeros_like(paid)), 0.0)
        g = np.minimum(short, inv.guarantee.share_of_principal * principal_k) if inv.guarantee else np.zeros_like(paid)
        guarantees[inv.investor] = guarantees.get(inv.investor, np.zeros_like(paid)) + g
        losses[inv.investor] = losses.get(inv.investor, np.zeros_like(paid)) + short - g
    return guarantees, losses
