"""Analytical power, MDE and sample size against statsmodels.stats.power."""

from __future__ import annotations

import pytest
from statsmodels.stats.power import TTestIndPower

from temoin.errors import InvalidInputError
from temoin.evaluation.power import design_effect, mde, power, power_for_contract, sample_size
from temoin.examples import load_example

SM = TTestIndPower()


@pytest.mark.parametrize(("effect", "n", "alloc", "side"), [
    (45, 800, 0.5, "one_sided"), (0.2, 500, 0.5, "two_sided"), (10, 300, 0.3, "two_sided"), (30, 120, 0.6, "one_sided"),
])
def test_power_matches_statsmodels(effect: float, n: int, alloc: float, side: str) -> None:
    sd = 200 if effect > 1 else 1
    n1 = n * alloc
    ref = SM.power(effect_size=effect / sd, nobs1=n1, alpha=0.05, ratio=(n - n1) / n1,
                   alternative="larger" if side == "one_sided" else "two-sided")
    assert power(effect=effect, sd=sd, n=n, allocation=alloc, sidedness=side) == pytest.approx(ref, rel=1e-9)  # type: ignore[arg-type]


def test_attrition_and_clustering_shrink_the_effective_sample() -> None:
    # 1000 enrolled, 10 % attrition, clusters of 20 with ICC 0.05: DE = 1.95, effective n = 900/1.95
    assert design_effect(20, 0.05) == pytest.approx(1.95)
    eff_n = 1000 * 0.9 / 1.95
    # the t test of 50 cluster means (25 per arm, 48 degrees of freedom), each mean's effect size
    # scaled so that its noncentrality is the individual one on the effective sample
    es = 0.3 * (eff_n / 50) ** 0.5
    ref = SM.power(effect_size=es, nobs1=25, alpha=0.05, ratio=1.0)
    assert power(effect=0.3, sd=1, n=1000, attrition=0.1, icc=0.05, cluster_size=20) == pytest.approx(ref, rel=1e-9)


def test_mde_and_sample_size_invert_power() -> None:
    m = mde(sd=200, n=800, sidedness="one_sided", attrition=0.08)
    assert power(effect=m, sd=200, n=800, sidedness="one_sided", attrition=0.08) == pytest.approx(0.8, abs=1e-8)
    ref = SM.solve_power(effect_size=m / 200, nobs1=None, alpha=0.05, power=0.8, alternative="larger")
    assert pytest.approx(ref, rel=0.01) == 736 * 0.5  # 800 × 0.92 = 736 followed, half per arm
    n = sample_size(effect=45, sd=200, sidedness="one_sided")
    assert power(effect=45, sd=200, n=n, sidedness="one_sided") >= 0.8 > power(effect=45, sd=200, n=n - 1, sidedness="one_sided")


def test_contract_power_report_and_missing_assumptions() -> None:
    rep = power_for_contract(load_example("aemo-renforcee"))
    assert rep.n == 800 and rep.sidedness == "one_sided" and 0.8 < rep.power < 1 and rep.mde < 45
    with pytest.raises(InvalidInputError, match=r"outcome_sd|standard deviation"):
        power_for_contract(load_example("relais-familial"))
    with pytest.raises(InvalidInputError):
        power(effect=1, sd=-1, n=100)


def test_large_effects_do_not_break_the_tails() -> None:
    # scipy's noncentral t lower-tail cdf returns NaN here; power must still be a number
    assert power(effect=1, sd=1, n=400) == pytest.approx(1.0)
    assert 0 < mde(sd=1, n=400) < 0.3
