"""Coverage by simulation: each standard error, in the setting it is meant for, gives 95 % intervals
that cover the true effect in 94–96 % of at least 2,000 simulated trials.

Vectorised: for a fixed design all trials are columns of one outcome matrix (``batch_effects``),
which is first checked to equal ``estimate_effect`` column by column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators.batch import batch_effects

TRIALS = 4000
TAU = 1.0


def _individual(n: int, seed: int, treated_share: float = 0.5) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = (rng.permutation(n) < round(treated_share * n)).astype(int)
    return pd.DataFrame({"t": t, "x": x}), rng.standard_normal((n, TRIALS))


def _clustered(g: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 40, size=g)
    c = np.repeat(np.arange(g), sizes)
    n = c.size
    t = (rng.permutation(g) < g // 2)[c].astype(int)
    x = rng.normal(size=n) + rng.normal(size=g)[c]
    u = rng.standard_normal((g, TRIALS))[c] * (1 + 0.5 * t[:, None])
    e = u + rng.standard_normal((n, TRIALS))
    return pd.DataFrame({"t": t, "x": x, "c": c}), e


def _coverage(df: pd.DataFrame, y: np.ndarray, **kw: object) -> float:
    r = batch_effects(df, y, "t", **kw)  # type: ignore[arg-type]
    return float(np.mean((r.ci_low <= TAU) & (r.ci_high >= TAU)))


@pytest.mark.parametrize("se", ["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"])
def test_batch_equals_estimate_effect(se: str) -> None:
    df, e = _clustered(12, 1)
    y = 1 + TAU * df["t"].to_numpy()[:, None] + df["x"].to_numpy()[:, None] + e[:, :3]
    cluster = "c" if se.startswith("CR") else None
    r = batch_effects(df, y, "t", ["x"], cluster=cluster, se=se)
    for j in range(3):
        one = estimate_effect(df.assign(y=y[:, j]), "y", "t", ["x"], cluster=cluster, se=se)
        np.testing.assert_allclose([r.estimate[j], r.std_error[j], r.ci_low[j]], [one.estimate, one.std_error, one.ci_low], rtol=1e-10)
        assert r.df[j] == pytest.approx(one.df, rel=1e-10)


def test_classical_covers_with_homoskedastic_errors_in_a_small_trial() -> None:
    df, e = _individual(40, 2)
    y = 2 + TAU * df["t"].to_numpy()[:, None] + 0.5 * df["x"].to_numpy()[:, None] + e
    assert 0.94 <= _coverage(df, y, covariates=["x"], se="classical") <= 0.96


@pytest.mark.parametrize(("se", "n"), [("HC0", 1500), ("HC1", 800), ("HC2", 200), ("HC3", 400)])
def test_hc_types_cover_under_heteroskedasticity(se: str, n: int) -> None:
    df, e = _individual(n, 3, treated_share=0.3)
    t, x = df["t"].to_numpy()[:, None], df["x"].to_numpy()[:, None]
    y = 1 + TAU * t + x + e * (0.5 + np.abs(x) + 1.5 * t)  # variance depends on x and on the arm
    assert 0.94 <= _coverage(df, y, covariates=["x"], se=se) <= 0.96


def test_hc2_difference_in_means_covers_with_unequal_arm_variances() -> None:
    df, e = _individual(120, 4, treated_share=0.25)
    t = df["t"].to_numpy()[:, None]
    y = TAU * t + e * np.where(t == 1, 3.0, 1.0)
    assert 0.94 <= _coverage(df, y, se="HC2", method="diff_in_means") <= 0.96
    # the classical SE, which assumes equal variances, does not
    assert _coverage(df, y, se="classical", method="diff_in_means") < 0.90


@pytest.mark.parametrize(("se", "g"), [("CR0", 400), ("CR1", 120), ("CR2", 16)])
def test_cluster_types_cover_with_clustered_errors(se: str, g: int) -> None:
    df, e = _clustered(g, 5)
    y = 1 + TAU * df["t"].to_numpy()[:, None] + df["x"].to_numpy()[:, None] + e
    assert 0.94 <= _coverage(df, y, covariates=["x"], cluster="c", se=se) <= 0.96


def test_with_few_clusters_cr2_and_bell_mccaffrey_fix_what_cr1_misses() -> None:
    df, e = _clustered(8, 6)  # 8 clusters of unequal sizes, 4 treated
    y = 1 + TAU * df["t"].to_numpy()[:, None] + e
    cr1 = _coverage(df, y, cluster="c", se="CR1")
    cr2 = _coverage(df, y, cluster="c", se="CR2")
    assert cr1 < 0.93, f"CR1 with G - 1 df was expected to under-cover with 8 clusters: {cr1}"
    assert 0.94 <= cr2 <= 0.96, f"CR2 with Bell-McCaffrey df should cover 94-96 %: {cr2}"
