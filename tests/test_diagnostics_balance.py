"""Baseline balance against statsmodels and hand-worked WWC formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.meta_analysis import effectsize_smd

from temoin.evaluation.diagnostics import baseline_balance, cox_index, hedges_g, wwc_band
from temoin.i18n import Translator

EN = Translator("en")


def test_hedges_g_matches_statsmodels_bias_corrected_smd() -> None:
    rng = np.random.default_rng(0)
    xt, xc = rng.normal(1.3, 2.0, 40), rng.normal(1.0, 2.5, 55)
    ref, _ = effectsize_smd(xt.mean(), xt.std(ddof=1), len(xt), xc.mean(), xc.std(ddof=1), len(xc))
    # statsmodels uses the exact gamma-function correction; WWC uses 1 - 3/(4N - 9)
    assert hedges_g(xt, xc) == pytest.approx(ref, rel=2e-3)


def test_cox_index_hand_worked() -> None:
    # WWC: (ln(0.6/0.4) - ln(0.5/0.5)) / 1.65 × (1 - 3/(4×200 - 9))
    assert cox_index(0.6, 0.5, 200) == pytest.approx(np.log(1.5) / 1.65 * (1 - 3 / 791))


def test_wwc_bands() -> None:
    assert [wwc_band(x) for x in (0.05, -0.051, 0.25, 0.2501)] == ["satisfies", "needs_adjustment", "needs_adjustment", "fails"]


def _frame(shift: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    arm = np.repeat([1, 0], n // 2)
    return pd.DataFrame({
        "arm": arm,
        "age": rng.normal(9, 4, n) + shift * 4 * arm,
        "single_parent": rng.random(n) < 0.45,
        "risk_level": rng.choice(["high", "very_high"], n, p=[0.6, 0.4]),
    })


ATTRS = [("age", "numeric"), ("single_parent", "boolean"), ("risk_level", "categorical")]


def test_joint_test_matches_statsmodels_f_test() -> None:
    df = _frame(0.0)
    rep = baseline_balance(df, attributes=ATTRS)
    x = np.column_stack([df["age"], df["single_parent"].astype(float), (df["risk_level"] == "very_high").astype(float)])
    fit = sm.OLS(df["arm"].astype(float), sm.add_constant(x)).fit()
    assert rep.joint_f == pytest.approx(fit.fvalue, rel=1e-9)
    assert rep.joint_p == pytest.approx(fit.f_pvalue, rel=1e-9)
    assert rep.joint_df == (3, 396)


def test_clear_imbalance_fails_and_adjustment_is_recognised() -> None:
    bad = baseline_balance(_frame(0.5), attributes=ATTRS)
    assert not bad.equivalent and bad.verdict.level == "fail" and "age" in EN.render(bad.verdict.message)
    row = next(r for r in baseline_balance(_frame(0.1), attributes=ATTRS, adjusted_for=["age"]).rows if r.variable == "age")
    assert row.band == "needs_adjustment" and row.ok


def test_missing_values_are_reported_not_hidden() -> None:
    df = _frame(0.0)
    df.loc[:4, "age"] = np.nan
    rep = baseline_balance(df, attributes=ATTRS)
    assert rep.dropped_missing == 5 and any("missing" in EN.render(n) for n in rep.notes)


def test_missing_column_is_a_clear_error() -> None:
    from temoin.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="siblings"):
        baseline_balance(_frame(0.0), attributes=[("siblings", "numeric")])
