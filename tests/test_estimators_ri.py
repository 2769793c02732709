"""Randomisation inference: exact against full enumeration, uniform under the null, reproducible."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators._subsets import SubsetSampler, _direct
from temoin.evaluation.estimators.ri import randomization_inference
from temoin.i18n import Translator

EN = Translator("en")


def test_p_value_converges_to_the_exact_enumerated_p_value() -> None:
    y = np.array([3.1, 0.2, 5.5, 4.0, 1.1, 2.7, 6.3, 0.9, 4.4, 2.2])
    t = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 0])
    obs = y[t == 1].mean() - y[t == 0].mean()
    stats_all = []
    for treated in itertools.combinations(range(10), 5):
        mask = np.zeros(10, bool)
        mask[list(treated)] = True
        stats_all.append(y[mask].mean() - y[~mask].mean())
    exact = np.mean(np.abs(stats_all) >= abs(obs) - 1e-12)
    r = randomization_inference(pd.DataFrame({"y": y, "t": t}), "y", "t", permutations=40_000, seed=1)
    assert r.observed == pytest.approx(obs)
    assert abs(r.p_value - exact) < 4 * np.sqrt(exact * (1 - exact) / 40_000) + 1e-4


@pytest.mark.parametrize(("n", "n1"), [(3001, 1500), (5000, 1100), (4000, 3100)])
def test_fast_subset_sampler_draws_uniform_subsets(n: int, n1: int) -> None:
    rng = np.random.default_rng(n)
    y = rng.lognormal(size=n)
    first, last = np.zeros(n), np.zeros(n)
    first[0], last[-1] = 1.0, 1.0
    values = np.vstack([y, first, last, first + last])
    reps = 20_000
    fast = SubsetSampler(values, n1)
    assert not fast.direct
    s = fast.draw(reps, np.random.default_rng(1))
    p = n1 / n
    # inclusion probabilities, first and second order (units at both ends of the byte layout)
    for row in (1, 2):
        assert abs(s[row].mean() - p) < 5 * np.sqrt(p * (1 - p) / reps)
    p2 = n1 * (n1 - 1) / (n * (n - 1))
    assert abs((s[3] == 2).mean() - p2) < 5 * np.sqrt(p2 * (1 - p2) / reps)
    # the whole distribution of the sum equals the one from a direct shuffle
    direct = _direct(values[:1], n1, 5_000, np.random.default_rng(2))[0]
    assert stats.ks_2samp(s[0], direct).pvalue > 1e-3
    var_exact = n1 * (1 - p) * y.var(ddof=1)
    assert s[0].var() == pytest.approx(var_exact, rel=0.05)


def _null_pvalues(n: int, trials: int, perms: int, design: str) -> np.ndarray:
    rng = np.random.default_rng(123)
    out = np.empty(trials)
    for i in range(trials):
        y = rng.standard_t(3, size=n)
        frame = pd.DataFrame({"y": y})
        kw: dict[str, object] = {}
        if design == "block":
            frame["b"] = np.arange(n) % 4
            frame["t"] = 0
            for b in range(4):
                idx = np.flatnonzero(frame["b"] == b)
                frame.loc[rng.permutation(idx)[: len(idx) // 3 + 1], "t"] = 1
            kw["block"] = "b"
        elif design == "cluster":
            g = n // 5
            frame["c"] = np.repeat(np.arange(g), 5)
            frame["t"] = (rng.permutation(g) < g // 2)[frame["c"]].astype(int)
            frame["y"] = y + rng.normal(size=g)[frame["c"]]
            kw["cluster"] = "c"
        else:
            frame["t"] = (rng.permutation(n) < n // 2).astype(int)
        out[i] = randomization_inference(frame, "y", "t", permutations=perms, seed=i, workers=1, **kw).p_value
    return out


@pytest.mark.parametrize(("design", "n", "trials"), [("complete", 40, 1000), ("block", 48, 500), ("cluster", 60, 500), ("complete", 4000, 250)])
def test_p_values_are_uniform_under_the_null(design: str, n: int, trials: int) -> None:
    p = _null_pvalues(n, trials, 199, design)
    assert stats.kstest(p, "uniform").pvalue > 1e-3
    rate = np.mean(p <= 0.05)
    assert abs(rate - 0.05) < 4 * np.sqrt(0.05 * 0.95 / trials)


def test_reproducible_from_the_seed_whatever_the_workers() -> None:
    rng = np.random.default_rng(5)
    n = 6000
    df = pd.DataFrame({"y": rng.normal(size=n), "t": rng.permutation(np.arange(n) < 2000).astype(int)})
    a = randomization_inference(df, "y", "t", permutations=1200, seed=42, workers=1, keep_distribution=True)
    b = randomization_inference(df, "y", "t", permutations=1200, seed=42, workers=2, keep_distribution=True)
    c = randomization_inference(df, "y", "t", permutations=1200, seed=43, workers=2, keep_distribution=True)
    assert a.null_distribution is not None and b.null_distribution is not None and c.null_distribution is not None
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    assert a.p_value == b.p_value and a.seed == 42
    assert not np.array_equal(a.null_distribution, c.null_distribution)
    # an unseeded run records its seed, and that seed replays it
    d = randomization_inference(df, "y", "t", permutations=300, keep_distribution=True)
    e = randomization_inference(df, "y", "t", permutations=300, seed=d.seed, keep_distribution=True)
    np.testing.assert_array_equal(d.null_distribution, e.null_distribution)  # type: ignore[arg-type]


def test_a_real_effect_gives_the_smallest_p_value_and_is_reported_by_estimate_effect() -> None:
    rng = np.random.default_rng(6)
    n = 400
    t = rng.permutation(np.arange(n) < 200).astype(int)
    df = pd.DataFrame({"y": rng.normal(size=n) + 1.0 * t, "t": t, "x": rng.normal(size=n)})
    r = estimate_effect(df, "y", "t", ["x"], ri_permutations=999, seed=3)
    assert r.ri_p_value == pytest.approx(1 / 1000)
    assert any("Randomisation inference" in EN.render(note) for note in r.notes)


def test_cluster_ri_refuses_individual_assignment() -> None:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"y": rng.normal(size=60), "t": np.tile([0, 1], 30), "c": np.repeat(np.arange(12), 5)})
    with pytest.raises(InvalidInputError) as ei:
        randomization_inference(df, "y", "t", cluster="c", permutations=99)
    assert ei.value.code == "evaluation.ri_mixed_cluster"
