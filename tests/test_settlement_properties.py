"""Property tests (hypothesis): payments never negative nor above a cap, within savings, shares add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from temoin.contract import load_contract
from temoin.contract.model import (
    BonusTier,
    Caps,
    Contract,
    Guarantee,
    Investment,
    ReturnCap,
    Tranche,
)
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.money import Money
from temoin.settlement import settle

BASE = load_contract(Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml")
INVESTORS = ["banque-solidaire", "fonds-enfance"]

money = st.integers(0, 300_000_000).map(lambda c: Decimal(c) / 100)
impacts = st.floats(-50, 150, allow_nan=False).map(lambda x: round(x, 3))


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    threshold = draw(st.floats(0, 40).map(lambda x: round(x, 2)))
    price = BASE.payments.indicators[0].model_copy(update={
        "price_per_unit": draw(st.integers(1, 40_000).map(lambda c: Decimal(c) / 100)),
        "threshold": threshold,
        # a tier is above the threshold (a contract with one below is refused at contract check)
        "bonus_tiers": [BonusTier(above=round(threshold + a, 2), bonus=b) for a, b in sorted(draw(st.lists(
            st.tuples(st.floats(0, 100).map(lambda x: round(x, 1)), money), max_size=2)))],
    })
    invs = []
    for k in range(draw(st.integers(1, 2))):
        tranches = [Tranche(date=dt.date(2025, 1, 15) + dt.timedelta(days=d), amount=draw(st.integers(1, 200_000_000).map(lambda c: Decimal(c) / 100)))
                    for d in sorted(draw(st.lists(st.integers(0, 600), min_size=1, max_size=3)))]
        guarantee = draw(st.one_of(st.none(), st.floats(0.05, 1).map(lambda s: Guarantee(guarantor="fondation-garante", share_of_principal=round(s, 3)))))
        invs.append(Investment(investor=INVESTORS[k], seniority=draw(st.sampled_from(["senior", "junior", "first_loss"])),
                               tranches=tranches, guarantee=guarantee))
    cap = Caps(
        total_outcome_payments=draw(st.one_of(st.none(), money.filter(lambda m: m <= Decimal("2200000")))),
        payments_within_realised_savings=draw(st.booleans()),
        investor_return=draw(st.one_of(st.none(), st.builds(ReturnCap, kind=st.sampled_from(["irr", "multiple"]),
                                                              value=st.floats(0.01, 1.5).map(lambda v: round(v, 4))))),
        per_participant=draw(st.one_of(st.none(), st.integers(0, 2_000_000).map(lambda c: Decimal(c) / 100))),
    )
    return BASE.model_copy(update={"payments": BASE.payments.model_copy(update={"indicators": [price]}),
                                   "caps": cap, "investments": invs})


@st.composite
def result_sets(draw: st.DrawFn) -> list[ImpactResult]:
    out = []
    for wave in ("m12", "m24"):
        if draw(st.booleans()) or wave == "m12":
            point = draw(impacts)
            lower = point - draw(st.floats(0, 30).map(lambda x: round(x, 3)))
            n = draw(st.integers(0, 420))
            grade = draw(st.sampled_from(list(EvidenceGrade)))
            est = EffectEstimate(point, 1.0, lower, point + 1, 0.05, 100, n, n, "HC2", "ols")
            out.append(ImpactResult(BASE.id, 1, "placement_days", wave, est, point, lower, n, grade))
    return out


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(contracts(), result_sets())
def test_payments_respect_every_cap_and_add_up(contract: Contract, results: list[ImpactResult]) -> None:
    s = settle(contract, results, break_even=False)
    zero = Money.zero("EUR")
    cumulative = zero
    for p in s.periods:
        assert p.amount_due >= zero, "a payment is never negative"
        assert p.amount_due <= p.gross
        for cap in p.caps:
            assert p.amount_due <= cap.room, f"payment above the {cap.name} cap"
            assert cumulative + p.amount_due <= cap.limit.max(cumulative), f"cumulative above the {cap.name} cap"
        cumulative = cumulative + p.amount_due
        assert p.cumulative_paid == cumulative
        if contract.caps.payments_within_realised_savings:
            assert p.cumulative_paid <= p.realised_savings.max(p.paid_before), "payments beyond realised savings"
        assert sum((m for _, m in p.investor_shares), zero) == p.amount_due, "investor shares do not add up to the cent"
    assert sum((i.repaid_principal + i.returns for i in s.investors), zero) == s.total_paid
    for i in s.investors:
        assert i.guarantee <= i.invested
        if s.final:
            assert i.loss is not None and i.loss >= zero
        else:  # figures to date: nothing is lost yet, no IRR is stated, no guarantee is called
            assert i.loss is None and i.irr is None and i.guarantee == zero
        assert i.received == i.repaid_principal + i.returns + i.guarantee


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 10**12).map(lambda c: Decimal(c) / 100),
       st.lists(st.integers(0, 10**9).map(Decimal), min_size=1, max_size=6))
def test_pro_rata_allocation_is_exact_to_the_cent(total: Decimal, weights: list[Decimal]) -> None:
    from temoin.settlement import allocate_pro_rata

    parts = allocate_pro_rata(total, weights)
    if sum(weights) > 0:
        assert sum(parts) == total
        assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for p in parts)
        # No share is more than a cent away from its exact pro-rata value.
        assert all(abs(p - total * w / sum(weights)) < Decimal("0.01") for p, w in zip(parts, weights, strict=True))
