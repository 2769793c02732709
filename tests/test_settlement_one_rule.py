"""One payment rule everywhere: what a payer is told in advance is what it will pay.

Hypothesis draws contracts (prices, thresholds, bonus tiers or a grid, every cap, the payers'
commitments and shares, investors of each instrument and seniority with guarantees of a share or
a fixed amount) and evaluation results; for each, the risk simulation's arithmetic (the rule on
floats, one scenario) and the design diagnosis's payment (one result at the last wave) must pay
what ``settle`` pays, to the cent, caps, shares and notices included.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from temoin.contract import load_contract
from temoin.contract._consistency import consistency_problems
from temoin.contract.model import (
    BonusTier,
    Caps,
    Contract,
    GridStep,
    Guarantee,
    Investment,
    ReturnCap,
    Tranche,
)
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.settlement import settle
from temoin.settlement.arith import FLOAT
from temoin.settlement.compute import exact_inputs
from temoin.settlement.payments import EntitlementStatus
from temoin.settlement.rule import STATUSES, CardArrays, RuleInputs, run_rule
from temoin.settlement.scenarios import trial_payments

BASE = load_contract(Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml")
INVESTORS = ["banque-solidaire", "fonds-enfance"]
cents = st.integers(0, 300_000_000).map(lambda c: Decimal(c) / 100)
# results as an evaluator certifies them: improvements with a few decimals, or not estimable
improvements = st.one_of(st.integers(-5_000, 15_000).map(lambda x: x / 100), st.just(float("nan")))


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    if draw(st.booleans()):
        steps = sorted(set(draw(st.lists(st.integers(1, 120), min_size=1, max_size=3))))
        amounts = sorted(draw(st.lists(cents, min_size=len(steps), max_size=len(steps))))
        price = BASE.payments.indicators[0].model_copy(update={
            "price_per_unit": Decimal(0), "bonus_tiers": [], "threshold": 0.0,
            "grid": [GridStep(at_least=float(a), amount=m) for a, m in zip(steps, amounts, strict=True)]})
    else:
        threshold = draw(st.integers(0, 40).map(float))
        price = BASE.payments.indicators[0].model_copy(update={
            "price_per_unit": draw(st.integers(0, 40_000).map(lambda c: Decimal(c) / 100)),
            "threshold": threshold,
            "bonus_tiers": [BonusTier(above=threshold + a, bonus=b) for a, b in sorted(draw(st.lists(
                st.tuples(st.integers(0, 80).map(float), cents), max_size=2)))]})
    invs = []
    for k in range(draw(st.integers(0, 2))):
        tranches = [Tranche(date=dt.date(2025, 1, 15) + dt.timedelta(days=d),
                            amount=draw(st.integers(1, 200_000_000).map(lambda c: Decimal(c) / 100)))
                    for d in sorted(draw(st.lists(st.integers(0, 1300), min_size=1, max_size=3)))]
        instrument = draw(st.sampled_from(["debt", "debt", "equity", "grant"]))
        principal = sum((t.amount for t in tranches), Decimal(0))
        guarantee = None if instrument == "grant" else draw(st.one_of(
            st.none(),
            st.integers(1, 1000).map(lambda s: Guarantee(guarantor="fondation-garante", share_of_principal=s / 1000)),
            st.integers(0, int(principal * 100)).map(lambda c: Guarantee(guarantor="fondation-garante", amount=Decimal(c) / 100))))
        invs.append(Investment(investor=INVESTORS[k], instrument=instrument,
                               seniority=draw(st.sampled_from(["senior", "junior", "first_loss"])),
                               tranches=tranches, guarantee=guarantee))
    commitment = draw(st.one_of(st.none(), cents.filter(lambda m: m > 0)))
    total = draw(st.one_of(st.none(), cents))
    if commitment is not None and total is not None and total > commitment:
        total = commitment
    caps = Caps(total_outcome_payments=total, payments_within_realised_savings=draw(st.booleans()),
                investor_return=draw(st.one_of(st.none(), st.builds(
                    ReturnCap, kind=st.sampled_from(["irr", "multiple"]),
                    value=st.integers(1, 15_000).map(lambda v: v / 10_000)))) if invs else None,
                per_participant=draw(st.one_of(st.none(), st.integers(0, 2_000_000).map(lambda c: Decimal(c) / 100))))
    parties = [p.model_copy(update={"max_commitment": commitment}) if p.id == "dept-nord" else p for p in BASE.parties]
    c = BASE.model_copy(update={
        "parties": parties,
        "payments": BASE.payments.model_copy(update={
            "indicators": [price], "basis": draw(st.sampled_from(["point_estimate", "lower_confidence_bound"])),
            "pay_without_evidence_standard": draw(st.booleans())}),
        "caps": caps, "investments": invs})
    assert not consistency_problems(c), consistency_problems(c)
    return c


@st.composite
def result_sets(draw: st.DrawFn) -> list[ImpactResult]:
    out = []
    for wave in ("m12", "m24"):
        if draw(st.booleans()) or wave == "m24":
            point = draw(improvements)
            lower = point - draw(st.integers(0, 3000)) / 100
            n = draw(st.integers(0, 420))
            grade = draw(st.sampled_from(list(EvidenceGrade)))
            est = EffectEstimate(point, 1.0, lower, point + 1, 0.05, 100, n, n, "HC2", "ols")
            out.append(ImpactResult(BASE.id, 1, "placement_days", wave, est, point, lower, n, grade))
    return out


def _same_cents(x: object, d: Decimal) -> bool:
    """The float (a sum or difference of cent amounts, within 1e-9 of one) is the same number of cents."""
    return round(float(np.asarray(x, dtype=np.float64).ravel()[0]) * 100) == int(d * 100)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contracts(), result_sets())
def test_the_simulation_pays_what_settle_pays_to_the_cent(contract: Contract, results: list[ImpactResult]) -> None:
    s = settle(contract, results, break_even=False)
    inputs = exact_inputs(contract, {(r.indicator, r.wave): r for r in results})
    as_floats = RuleInputs(1, inputs.results, {k: CardArrays(*(np.asarray(x, dtype=np.float64) for x in
                                                             (v.total, v.within_person_cap, v.savings)))
                                               for k, v in inputs.card.items()})
    sim = run_rule(contract, as_floats, FLOAT)
    assert bool(sim.final[0]) == s.final
    assert _same_cents(sim.paid, s.total_paid.amount)
    assert _same_cents(sim.savings_total, s.realised_savings.amount)
    for want, got in zip(s.periods, sim.periods, strict=True):
        for name in ("cumulative_entitlement", "gross", "realised_savings", "paid_before", "cumulative_paid"):
            attr = {"cumulative_entitlement": "cumulative_entitlement", "gross": "gross", "realised_savings": "savings_total",
                    "paid_before": "paid_before", "cumulative_paid": "cumulative_paid"}[name]
            assert _same_cents(getattr(got, attr), getattr(want, name).amount), (want.period, name)
        assert _same_cents(got.due, want.amount_due.amount), want.period
        assert [c.name for c in got.caps] == [c.name for c in want.caps]
        for gc, wc in zip(got.caps, want.caps, strict=True):
            assert _same_cents(gc.limit, wc.limit.amount) and _same_cents(gc.room, wc.room.amount), (want.period, wc.name)
            assert _same_cents(gc.reduction, wc.reduction.amount), (want.period, wc.name)
        assert [STATUSES[int(ln.status[0])] for ln in got.lines] == [e.status for e in want.entitlements]
        for gl, wl in zip(got.lines, want.entitlements, strict=True):
            assert _same_cents(gl.amount, wl.amount.amount) and _same_cents(gl.bonus, wl.bonus.amount)
        notice = any(n.code == "payments_above_savings" and n.message is not None and n.message.params["period"] == want.period for n in s.notices)
        assert (got.above_savings is not None and bool(got.above_savings[0])) == notice
        for (pid, share), (wid, wshare) in zip(got.payer_shares, want.payer_shares, strict=True):
            assert pid == wid and abs(float(share[0]) - float(wshare.amount)) < 0.0051 * len(want.payer_shares)
        # investors: the floats share without cutting cents (statistics), so within a cent each
        for share, (_, wshare) in zip(got.investor_shares, want.investor_shares, strict=True):
            assert abs(float(share[0]) - float(wshare.amount)) <= 0.01
    for io, pos in zip(sim.investors, s.investors, strict=True):
        assert abs(float(io.guarantee[0]) - float(pos.guarantee.amount)) <= 0.01 * (1 + len(s.periods))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contracts(), result_sets())
def test_the_design_diagnosis_pays_what_settle_pays_to_the_cent(contract: Contract, results: list[ImpactResult]) -> None:
    last = next(r for r in results if r.wave == "m24")
    s = settle(contract, [last], break_even=False)
    pay = trial_payments(contract)
    got = pay(np.array([last.improvement]), np.array([last.improvement_lower]), np.array([float(last.n_treated_followed)]),
              np.array([last.grade.allows_payment]))
    assert _same_cents(got, s.total_paid.amount)
    if s.periods[-1].entitlements[0].status is EntitlementStatus.NOT_ESTIMABLE:
        assert got[0] == 0.0
