"""Multiplicity adjustment, benchmark comparison and Lee bounds, against independent references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from temoin.errors import InvalidInputError
from temoin.evaluation.estimators.benchmark import benchmark_compare
from temoin.evaluation.estimators.bounds import lee_bounds, trimmed_mean
from temoin.evaluation.estimators.multiplicity import adjust_pvalues
from temoin.i18n import Translator

EN = Translator("en")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_multiplicity_equals_statsmodels(seed: int, ours: str, theirs: str) -> None:
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(0.5, 2, size=12), 3)  # rounding makes ties
    ref = multipletests(p, method=theirs)[1]
    np.testing.assert_allclose(adjust_pvalues(list(p), ours), ref, rtol=1e-12)


def test_multiplicity_refuses_bad_input() -> None:
    with pytest.raises(InvalidInputError):
        adjust_pvalues([0.2, 1.3], "holm")
    with pytest.raises(InvalidInputError):
        adjust_pvalues([0.2], "bonferonni")
    assert adjust_pvalues([0.2, 0.01], "none") == [0.2, 0.01]


def test_benchmark_without_reference_uncertainty_is_the_one_sample_z_test() -> None:
    z, p = proportions_ztest(130, 400, value=0.28)
    r = benchmark_compare(130, 400, 0.28)
    assert r.estimate == pytest.approx(130 / 400 - 0.28)
    assert r.estimate / r.std_error == pytest.approx(z, rel=1e-12)
    assert r.p_value == pytest.approx(p, rel=1e-10)
    assert r.n_control == 0 and any("not proven" in EN.render(n) for n in r.notes)


def test_benchmark_reference_uncertainty_widens_the_interval() -> None:
    a = benchmark_compare(130, 400, 0.28, 0.0)
    b = benchmark_compare(130, 400, 0.28, 0.03)
    assert b.std_error == pytest.approx(np.sqrt(0.325 * 0.675 / 400 + 0.03**2))
    assert b.ci_high - b.ci_low > a.ci_high - a.ci_low
    with pytest.raises(InvalidInputError):
        benchmark_compare(500, 400, 0.28)


def test_lee_bounds_hand_worked_example() -> None:
    y1 = list(range(1, 11))
    y0 = [0, 1, 2, 3, 4, 5, 6, 7, np.nan, np.nan]
    df = pd.DataFrame({"y": y1 + y0, "t": [1] * 10 + [0] * 10})
    r = lee_bounds(df, "y", "t", bootstrap=200, seed=1)
    # control observed 80 %, programme 100 %: trim 20 % (2 people) of the programme's outcomes
    assert r.trimmed_share == pytest.approx(0.2)
    assert r.trimmed_arm == "treated"
    assert r.lower == pytest.approx(4.5 - 3.5)  # drop 9 and 10
    assert r.upper == pytest.approx(6.5 - 3.5)  # drop 1 and 2
    assert r.ci_low <= r.lower <= r.upper <= r.ci_high


def test_lee_bounds_trim_control_when_it_is_better_followed_and_fractional_trimming() -> None:
    assert trimmed_mean(np.array([1.0, 2.0, 3.0, 4.0]), 0.125, from_top=True) == pytest.approx((1 + 2 + 3 + 0.5 * 4) / 3.5)
    df = pd.DataFrame({"y": [5.0, 6.0, np.nan, np.nan, 1.0, 2.0, 3.0, 4.0], "t": [1, 1, 1, 1, 0, 0, 0, 0]})
    r = lee_bounds(df, "y", "t", bootstrap=0)
    assert r.trimmed_arm == "control" and r.trimmed_share == pytest.approx(0.5)
    assert r.lower == pytest.approx(5.5 - 3.5) and r.upper == pytest.approx(5.5 - 1.5)


def test_lee_bounds_contain_the_truth_under_monotone_attrition() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    t = rng.integers(0, 2, size=n)
    y = rng.normal(size=n) + 0.5 * t
    # controls with low outcomes drop out more: naive comparison is biased downwards
    lost = (t == 0) & (y < -0.5) & (rng.random(n) < 0.6)
    df = pd.DataFrame({"y": np.where(lost, np.nan, y), "t": t})
    naive = df.dropna().groupby("t")["y"].mean().diff().iloc[-1]
    r = lee_bounds(df, "y", "t", bootstrap=100, seed=2)
    assert naive < 0.45
    assert r.lower < 0.5 < r.upper
    assert r.ci_low < r.lower and r.ci_high > r.upper


def test_equal_follow_up_gives_the_difference_in_means() -> None:
    rng = np.random.default_rng(4)
    y = rng.normal(size=40)
    y[[0, 1, 20, 21]] = np.nan
    df = pd.DataFrame({"y": y, "t": [1] * 20 + [0] * 20})
    r = lee_bounds(df, "y", "t", bootstrap=0)
    diff = np.nanmean(y[:20]) - np.nanmean(y[20:])
    assert r.lower == pytest.approx(diff) and r.upper == pytest.approx(diff)
