"""Power with clusters: the t reference has G - 2 degrees of freedom, G the number of clusters.

Reference: statsmodels' ``TTestIndPower`` applied to the cluster means, the analysis a cluster
design comes down to: G·a and G·(1 - a) clusters, each mean with variance σ²·DE/m' (m' = m(1 - attrition)
people followed per cluster, DE the design effect), so an effect size of effect / (σ√(1 - R²)) × √(m'/DE).
Its noncentrality is the individual one on the effective sample and its degrees of freedom G - 2.
"""

from __future__ import annotations

import pytest
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from temoin.errors import InvalidInputError
from temoin.evaluation.power import design_effect, mde, power, sample_size

SM = TTestIndPower()


@pytest.mark.parametrize(("n", "m", "icc", "alloc", "side", "attrition", "r2"), [
    (240, 20, 0.05, 0.5, "two_sided", 0.0, 0.0),   # 12 clusters
    (120, 15, 0.15, 0.5, "one_sided", 0.1, 0.0),   # 8 clusters
    (3000, 50, 0.02, 0.4, "two_sided", 0.2, 0.3),  # 60 clusters, covariates
    (90, 10, 0.3, 0.5, "one_sided", 0.0, 0.5),     # 9 clusters
])
def test_power_with_clusters_is_the_t_test_of_cluster_means(
    n: int, m: int, icc: float, alloc: float, side: str, attrition: float, r2: float
) -> None:
    effect, sd = 0.4, 1.2
    g = n / m
    es = effect / (sd * (1 - r2) ** 0.5) * (m * (1 - attrition) / design_effect(m, icc)) ** 0.5
    ref = SM.power(effect_size=es, nobs1=g * alloc, alpha=0.05, ratio=(1 - alloc) / alloc,
                   alternative="larger" if side == "one_sided" else "two-sided")
    got = power(effect=effect, sd=sd, n=n, allocation=alloc, sidedness=side, attrition=attrition,  # type: ignore[arg-type]
                icc=icc, cluster_size=m, r2=r2)
    assert got == pytest.approx(ref, rel=1e-9)


def test_few_clusters_cost_power_that_the_individual_count_would_hide() -> None:
    # 6 clusters of 50: 4 degrees of freedom, not the ~hundreds of the effective sample
    n, m, icc = 300, 50, 0.01
    eff = n / design_effect(m, icc)
    nc = 0.5 * (eff / 4) ** 0.5
    by_clusters = stats.nct.sf(stats.t.isf(0.05, 4), 4, nc)
    by_people = stats.nct.sf(stats.t.isf(0.05, eff - 2), eff - 2, nc)
    got = power(effect=0.5, sd=1, n=n, sidedness="one_sided", icc=icc, cluster_size=m)
    assert got == pytest.approx(by_clusters, rel=1e-9)
    assert got < by_people - 0.05


def test_mde_and_sample_size_with_clusters_invert_power() -> None:
    kw = {"icc": 0.1, "cluster_size": 25.0, "sidedness": "two_sided"}
    m = mde(sd=1, n=500, **kw)
    assert power(effect=m, sd=1, n=500, **kw) == pytest.approx(0.8, abs=1e-8)  # type: ignore[arg-type]
    n = sample_size(effect=0.5, sd=1, **kw)
    assert n > 2 * 25
    assert power(effect=0.5, sd=1, n=n, **kw) >= 0.8 > power(effect=0.5, sd=1, n=n - 1, **kw)  # type: ignore[arg-type]


def test_two_clusters_or_fewer_are_refused() -> None:
    with pytest.raises(InvalidInputError) as err:
        power(effect=0.5, sd=1, n=40, icc=0.1, cluster_size=20)
    assert err.value.code == "power.too_few_clusters" and err.value.path == "cluster_size"
    assert "2 cluster(s)" in err.value.message()
    # without clusters the count of people is what matters, as before
    assert 0 < power(effect=0.5, sd=1, n=40) < 1
