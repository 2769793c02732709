"""Difference-in-differences, propensity matching and IPW, against statsmodels, a published
result and brute-force re-implementations written differently."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import special

from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators._design import prepare
from temoin.evaluation.estimators.did import did_effect
from temoin.evaluation.estimators.matching import logit_propensity
from temoin.i18n import Translator

EN = Translator("en")


def _panel(seed: int, units: int = 60, periods: int = 5, staggered: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(units), periods)
    t = np.tile(np.arange(periods), units)
    group = (u < units // 2).astype(int)
    start = np.where(staggered, 2 + (u % 2), 3) if staggered else np.full(u.size, 3)
    d = group * (t >= start)
    y = rng.normal(size=units)[u] + 0.3 * t + 1.5 * d + rng.normal(size=u.size) + rng.normal(size=units)[u] * t * 0.2
    return pd.DataFrame({"y": y, "d": d, "g": group, "t": t, "u": u, "x": rng.normal(size=u.size)})


@pytest.mark.parametrize("se", ["CR1", "CR0", "HC1"])
def test_two_period_did_equals_statsmodels_interaction(se: str) -> None:
    df = _panel(1)
    two = df[df["t"].isin([1, 4])].copy()
    two["post"] = (two["t"] == 4).astype(int)
    model = smf.ols("y ~ g * post + x", two)
    if se == "HC1":
        ref = model.fit(cov_type="HC1")
        got = did_effect(two, "y", "g", "t", covariates=["x"], se="HC1")
    else:
        ref = model.fit(cov_type="cluster", cov_kwds={"groups": two["u"], "use_correction": se == "CR1"}, use_t=True)
        got = did_effect(two, "y", "g", "t", unit="u", covariates=["x"], se=se)
    np.testing.assert_allclose(got.estimate, ref.params["g:post"], rtol=1e-8)
    np.testing.assert_allclose(got.std_error, ref.bse["g:post"], rtol=1e-8)
    # and it is the difference of the four cell means (no covariates)
    plain = did_effect(two, "y", "g", "t", unit="u")
    m = two.groupby(["g", "post"])["y"].mean()
    assert plain.estimate == pytest.approx((m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0]), rel=1e-10)
    assert (plain.n_treated, plain.n_control) == (30, 30)


@pytest.mark.parametrize("se", ["CR1", "CR2"])
def test_twfe_equals_statsmodels_with_unit_and_period_dummies(se: str) -> None:
    df = _panel(2, staggered=True)
    got = did_effect(df, "y", "d", "t", unit="u", method="twfe", se=se)
    if se == "CR1":
        ref = smf.ols("y ~ d + C(u) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": df["u"]}, use_t=True)
        np.testing.assert_allclose(got.std_error, ref.bse["d"], rtol=1e-8)
    else:
        ref = smf.ols("y ~ d + C(u) + C(t)", df).fit()
        assert got.df < df["u"].nunique() - 1
    np.testing.assert_allclose(got.estimate, ref.params["d"], rtol=1e-8)
    assert any("Staggered" in EN.render(n) for n in got.notes)


def test_twfe_published_organ_donation_estimate() -> None:
    # Kessler & Roth (2014) as in Huntington-Klein, The Effect (2021), ch. 18: California's
    # active-choice organ donation rule, TWFE estimate -0.0225.
    from causaldata import organ_donations

    d = organ_donations.load_pandas().data
    d["treated"] = ((d["State"] == "California") & (d["Quarter_Num"] >= 4)).astype(int)
    r = did_effect(d, "Rate", "treated", "Quarter_Num", unit="State", method="twfe")
    assert round(r.estimate, 4) == -0.0225
    assert r.n_clusters == 27


def test_did_refuses_more_than_two_periods_and_missing_unit() -> None:
    df = _panel(3)
    with pytest.raises(InvalidInputError) as ei:
        did_effect(df, "y", "g", "t", unit="u")
    assert ei.value.code == "evaluation.did_two_periods"
    with pytest.raises(InvalidInputError):
        did_effect(df, "y", "d", "t", method="twfe")


def _observational(seed: int, n: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, size=n)
    e = special.expit(-0.5 + 0.8 * x1 + 0.6 * x2)
    t = (rng.random(n) < e).astype(int)
    y = 1 + 2 * x1 + x2 + 1.0 * t + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": x2})


def test_logit_propensity_equals_statsmodels() -> None:
    df = _observational(4)
    ref = sm.Logit(df["t"], sm.add_constant(df[["x1", "x2"]].astype(float))).fit(disp=0, tol=1e-12)
    got = logit_propensity(prepare(df, "y", "t", ["x1", "x2"]))
    np.testing.assert_allclose(got, ref.predict(), rtol=1e-8)


def test_ipw_equals_weighted_regression_in_statsmodels() -> None:
    df = _observational(5)
    e = sm.Logit(df["t"], sm.add_constant(df[["x1", "x2"]].astype(float))).fit(disp=0, tol=1e-12).predict()
    w = np.where(df["t"] == 1, 1 / e, 1 / (1 - e))
    ref = sm.WLS(df["y"], sm.add_constant(df[["t"]].astype(float)), weights=w).fit(cov_type="HC1")
    got = estimate_effect(df, "y", "t", ["x1", "x2"], method="ipw")
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=1e-7)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=1e-7)
    naive = estimate_effect(df, "y", "t", method="diff_in_means")
    assert abs(got.estimate - 1.0) < abs(naive.estimate - 1.0)


def test_matching_equals_a_brute_force_loop() -> None:
    df = _observational(6, n=300)
    e = logit_propensity(prepare(df, "y", "t", ["x1", "x2"]))
    s = np.log(e / (1 - e))
    width = 0.2 * s.std(ddof=1)
    y, t = df["y"].to_numpy(), df["t"].to_numpy()
    controls = np.flatnonzero(t == 0)
    diffs, used = [], []
    for i in np.flatnonzero(t == 1):
        gaps = np.abs(s[controls] - s[i])
        j = controls[np.argmin(gaps)]  # first of the closest
        if gaps.min() <= width:
            diffs.append(y[i] - y[j])
            used.append(j)
    got = estimate_effect(df, "y", "t", ["x1", "x2"], method="matching")
    assert got.estimate == pytest.approx(np.mean(diffs), rel=1e-12)
    assert got.n_treated == len(diffs) and got.n_control == len(set(used))
    # Abadie-Imbens variance, written out term by term
    k = {c: used.count(c) for c in set(used)}
    sig = 0.0
    for c, kc in k.items():
        others = controls[controls != c]
        nb = others[np.argmin(np.abs(s[others] - s[c]))]
        sig += kc * (kc - 1) * 0.5 * (y[c] - y[nb]) ** 2
    att = np.mean(diffs)
    var = (np.sum((np.array(diffs) - att) ** 2) + sig) / len(diffs) ** 2
    assert got.std_error == pytest.approx(np.sqrt(var), rel=1e-10)


def test_matching_reports_participants_left_out_by_the_caliper_and_refuses_separation() -> None:
    df = _observational(7)
    tight = estimate_effect(df, "y", "t", ["x1", "x2"], method="matching", caliper=0.001)
    assert any("left out" in EN.render(n) for n in tight.notes)
    df["sep"] = df["t"] * 1.0 + 0.01 * np.arange(len(df)) / len(df)
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x1", "sep"], method="matching")
    assert ei.value.code == "evaluation.separation"
