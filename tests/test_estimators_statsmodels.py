"""The estimator kernel against statsmodels (an implementation nobody here wrote), at 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from temoin.evaluation import estimate_effect

RTOL = 1e-8


def _data(seed: int, n: int = 600, g: int = 37, unbalanced: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    if unbalanced:  # cluster sizes from 1 to ~60
        sizes = rng.gamma(1.0, n / g, size=g)
        cl = rng.choice(g, size=n, p=sizes / sizes.sum())
    else:
        cl = np.repeat(np.arange(g), n // g + 1)[:n]
    x1 = rng.normal(size=n)
    x2 = rng.exponential(size=n) * 10
    x3 = rng.integers(0, 2, size=n)
    t = (rng.random(n) < 0.35 + 0.1 * x3).astype(int)
    u = rng.normal(size=g)[cl]
    y = 2 + 0.4 * t + 0.8 * x1 - 0.05 * x2 + 0.3 * x3 + u + rng.standard_t(5, size=n) * (1 + t + 0.5 * np.abs(x1))
    blk = rng.integers(0, 5, size=n)
    w = rng.uniform(0.2, 3.0, size=n)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": x2, "x3": x3, "c": cl, "b": blk, "w": w})


def _sm_model(df: pd.DataFrame, cols: list[str], weights: bool) -> sm.regression.linear_model.RegressionModel:
    x = sm.add_constant(df[cols].astype(float))
    if weights:
        return sm.WLS(df["y"], x, weights=df["w"])
    return sm.OLS(df["y"], x)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3", "classical"])
def test_hc_standard_errors_equal_statsmodels(seed: int, weights: bool, se: str) -> None:
    df = _data(seed)
    model = _sm_model(df, ["t", "x1", "x2", "x3"], weights)
    ref = model.fit() if se == "classical" else model.fit(cov_type=se)
    got = estimate_effect(df, "y", "t", ["x1", "x2", "x3"], se=se, weights="w" if weights else None)
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=RTOL, err_msg="coefficients differ")
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=RTOL, err_msg="SEs are not equal")
    assert got.df == ref.df_resid
    tref = stats.t.sf(abs(ref.params["t"] / ref.bse["t"]), ref.df_resid) * 2
    np.testing.assert_allclose(got.p_value, tref, rtol=1e-7)


@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("unbalanced", [True, False])
@pytest.mark.parametrize("se", ["CR0", "CR1"])
def test_cluster_standard_errors_equal_statsmodels(seed: int, weights: bool, unbalanced: bool, se: str) -> None:
    df = _data(seed, unbalanced=unbalanced)
    model = _sm_model(df, ["t", "x1", "x2"], weights)
    ref = model.fit(
        cov_type="cluster",
        cov_kwds={"groups": df["c"], "use_correction": se == "CR1"},
        use_t=True,
    )
    got = estimate_effect(df, "y", "t", ["x1", "x2"], cluster="c", se=se, weights="w" if weights else None)
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=RTOL)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=RTOL, err_msg="SEs are not equal")
    assert got.df == df["c"].nunique() - 1
    np.testing.assert_allclose(got.p_value, ref.pvalues["t"], rtol=1e-7)
    lo, hi = ref.conf_int().loc["t"]
    np.testing.assert_allclose([got.ci_low, got.ci_high], [lo, hi], rtol=1e-7)
    assert got.n_clusters == df["c"].nunique()


@pytest.mark.parametrize("se", ["HC1", "HC2", "HC3"])
def test_block_fixed_effects_equal_dummies_in_statsmodels(se: str) -> None:
    df = _data(7)
    dummies = pd.get_dummies(df["b"], prefix="b", drop_first=True).astype(float)
    x = sm.add_constant(pd.concat([df[["t", "x1"]], dummies], axis=1).astype(float))
    ref = sm.OLS(df["y"], x).fit(cov_type=se)
    got = estimate_effect(df, "y", "t", ["x1"], block="b", se=se)
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=RTOL)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=RTOL)


def test_lin_interacted_adjustment_equals_statsmodels_with_centred_interactions() -> None:
    df = _data(8)
    xc = df[["x1", "x2"]] - df[["x1", "x2"]].mean()
    design = pd.concat([df[["t"]], xc, xc.mul(df["t"], axis=0).add_prefix("t_")], axis=1).astype(float)
    ref = sm.OLS(df["y"], sm.add_constant(design)).fit(cov_type="HC2")
    got = estimate_effect(df, "y", "t", ["x1", "x2"], method="lin", se="HC2")
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=RTOL)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=RTOL)
    # Lin's estimate differs from plain OLS adjustment when effects are heterogeneous
    plain = estimate_effect(df, "y", "t", ["x1", "x2"], method="ols")
    assert abs(plain.estimate - got.estimate) > 1e-6


def test_blocked_difference_in_means_is_the_block_weighted_average_of_differences() -> None:
    df = _data(9)
    by = df.groupby("b")
    diffs = by.apply(lambda g: g.loc[g.t == 1, "y"].mean() - g.loc[g.t == 0, "y"].mean(), include_groups=False)
    expected = float((diffs * by.size() / len(df)).sum())
    got = estimate_effect(df, "y", "t", block="b", method="diff_in_means")
    np.testing.assert_allclose(got.estimate, expected, rtol=1e-10)
    assert got.notes, "the blocked form must be reported"


def test_hc2_difference_in_means_is_the_neyman_standard_error() -> None:
    df = _data(10)
    y1, y0 = df.loc[df.t == 1, "y"], df.loc[df.t == 0, "y"]
    neyman = np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0))
    got = estimate_effect(df, "y", "t", method="diff_in_means", se="HC2")
    np.testing.assert_allclose(got.estimate, y1.mean() - y0.mean(), rtol=1e-12)
    np.testing.assert_allclose(got.std_error, neyman, rtol=1e-10)
    assert (got.n_treated, got.n_control) == (len(y1), len(y0))


def test_badly_scaled_covariates_still_match_statsmodels() -> None:
    # age, age² and incomes in the tens of thousands: a naive cross-product loses digits
    rng = np.random.default_rng(11)
    n = 800
    age = rng.integers(18, 60, size=n).astype(float)
    inc = rng.gamma(2.0, 15000.0, size=n)
    t = rng.integers(0, 2, size=n)
    y = 1000 + 1500 * t + 30 * age + 0.5 * age**2 + 0.3 * inc + rng.normal(0, 5000, size=n)
    df = pd.DataFrame({"y": y, "t": t, "age": age, "age2": age**2, "inc": inc})
    ref = sm.OLS(df["y"], sm.add_constant(df[["t", "age", "age2", "inc"]].astype(float))).fit(cov_type="HC2")
    got = estimate_effect(df, "y", "t", ["age", "age2", "inc"])
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=RTOL)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=RTOL)
