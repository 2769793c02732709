"""The estimands people ask for, and arguments checked (issue 12, items 3 and 4).

IPW for the ATT (odds weights) beside the ATE, against statsmodels; matching refuses weights
instead of ignoring them; bad arguments give a clear error; ``temoin power`` uses or refuses the
options it is given and prints the sample size for 80 % power, as statsmodels computes it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special
from sqlalchemy import Engine
from statsmodels.stats.power import TTestIndPower
from typer.testing import CliRunner

from temoin.cli import app
from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators.batch import batch_effects
from temoin.evaluation.estimators.benchmark import benchmark_compare
from temoin.evaluation.estimators.bounds import lee_bounds
from temoin.evaluation.estimators.did import did_effect
from temoin.evaluation.estimators.ri import randomization_inference
from temoin.examples import example_path
from temoin.i18n import Translator

EN = Translator("en")

runner = CliRunner()


def _observational(seed: int, n: int = 800) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.integers(0, 2, size=n)
    e = special.expit(-0.5 + 0.8 * x1 + 0.6 * x2)
    t = (rng.random(n) < e).astype(int)
    y = 1 + 2 * x1 + x2 + (1.0 + 0.8 * x1) * t + rng.normal(size=n)  # the effect grows with x1: ATT ≠ ATE
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": x2, "w": rng.uniform(0.5, 2.0, n)})


def _statsmodels_propensity(df: pd.DataFrame) -> np.ndarray:
    return np.asarray(sm.Logit(df["t"], sm.add_constant(df[["x1", "x2"]].astype(float))).fit(disp=0, tol=1e-12).predict())


@pytest.mark.parametrize("weighted", [False, True])
def test_ipw_att_uses_odds_weights_and_equals_statsmodels(weighted: bool) -> None:
    df = _observational(1)
    e = _statsmodels_propensity(df)
    w = np.where(df["t"] == 1, 1.0, e / (1 - e)) * (df["w"].to_numpy() if weighted else 1.0)
    ref = sm.WLS(df["y"], sm.add_constant(df[["t"]].astype(float)), weights=w).fit(cov_type="HC1")
    got = estimate_effect(df, "y", "t", ["x1", "x2"], method="ipw", estimand="ATT", weights="w" if weighted else None)
    np.testing.assert_allclose(got.estimate, ref.params["t"], rtol=1e-7)
    np.testing.assert_allclose(got.std_error, ref.bse["t"], rtol=1e-7)
    assert got.estimand == "ATT" and got.to_dict()["estimand"] == "ATT"
    # the Hájek form written out: treated mean minus the odds-weighted control mean
    t = df["t"].to_numpy() == 1
    y = df["y"].to_numpy()
    assert got.estimate == pytest.approx(np.average(y[t], weights=w[t]) - np.average(y[~t], weights=w[~t]), rel=1e-7)


def test_ipw_att_and_ate_differ_when_the_effect_varies_and_find_their_own_truth() -> None:
    df = _observational(2, n=20_000)
    ate = estimate_effect(df, "y", "t", ["x1", "x2"], method="ipw")
    att = estimate_effect(df, "y", "t", ["x1", "x2"], method="ipw", estimand="att")
    treated_x1 = df.loc[df["t"] == 1, "x1"].mean()
    assert ate.estimand == "ATE" and att.estimand == "ATT"
    assert abs(ate.estimate - (1.0 + 0.8 * df["x1"].mean())) < 3 * ate.std_error  # true ATE
    assert abs(att.estimate - (1.0 + 0.8 * treated_x1)) < 3 * att.std_error  # true ATT
    assert att.estimate - ate.estimate > 0.2
    assert any("ATT" in EN.render(n) for n in att.notes)


def test_estimands_are_named_or_refused() -> None:
    df = _observational(3, n=300)
    assert estimate_effect(df, "y", "t", ["x1"]).estimand == "ATE"
    assert estimate_effect(df, "y", "t", ["x1", "x2"], method="matching").estimand == "ATT"
    for method, estimand in (("matching", "ATE"), ("ols", "ATT"), ("ipw", "LATE")):
        with pytest.raises(InvalidInputError) as ei:
            estimate_effect(df, "y", "t", ["x1", "x2"], method=method, estimand=estimand)
        assert ei.value.code == "evaluation.bad_estimand" and method in ei.value.message()


def test_matching_refuses_weights_in_python_and_in_the_cli(tmp_path: Path) -> None:
    df = _observational(4, n=300)
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x1", "x2"], method="matching", weights="w")
    assert ei.value.code == "evaluation.matching_weights" and "'w'" in ei.value.message()
    path = tmp_path / "obs.csv"
    df.to_csv(path, index=False)
    res = runner.invoke(app, ["--lang", "en", "evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t",
                              "--covariates", "x1,x2", "--method", "matching", "--weights", "w"])
    assert res.exit_code == 1 and "Matching takes no weights" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["--lang", "en", "evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t",
                              "--covariates", "x1,x2", "--method", "ipw", "--estimand", "ATT", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["estimand"] == "ATT"


def test_lee_bounds_arguments() -> None:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": rng.normal(size=100), "t": rng.integers(0, 2, 100)})
    df.loc[rng.random(100) < 0.2, "y"] = np.nan
    for kw, code in (({"alpha": 2.0}, "evaluation.bad_alpha"), ({"alpha": 0.0}, "evaluation.bad_alpha"),
                     ({"bootstrap": -1}, "evaluation.bad_bootstrap"), ({"bootstrap": 10}, "evaluation.bad_bootstrap"),
                     ({"bootstrap": 2.5}, "evaluation.bad_bootstrap")):
        with pytest.raises(InvalidInputError) as ei:
            lee_bounds(df, "y", "t", **kw)
        assert ei.value.code == code, kw
    # before: alpha = 2 gave an interval with ci_low > ci_high; now the interval holds the bounds
    r = lee_bounds(df, "y", "t", alpha=0.1, bootstrap=200, seed=1)
    assert r.ci_low <= r.lower <= r.upper <= r.ci_high
    none = lee_bounds(df, "y", "t", bootstrap=0)
    assert math.isnan(none.ci_low) and any("bootstrap=0" in EN.render(n) for n in none.notes)


def test_duplicate_column_names_are_refused_by_name() -> None:
    rng = np.random.default_rng(6)
    base = pd.DataFrame({"y": rng.normal(size=20), "x": rng.normal(size=20), "t": np.tile([0, 1], 10)})
    dup = pd.concat([base, base[["x"]]], axis=1)
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(dup, "y", "t", ["x"])
    assert ei.value.code == "evaluation.duplicate_column_name" and "'x'" in ei.value.message()
    assert estimate_effect(dup, "y", "t").n_treated == 10  # a duplicate that is not used is no problem
    with pytest.raises(InvalidInputError):
        did_effect(pd.concat([base.assign(p=0), base[["y"]]], axis=1), "y", "t", "p")


def test_other_arguments_are_checked() -> None:
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"y": rng.normal(size=60), "t": np.tile([0, 1], 30), "x": rng.normal(size=60),
                       "c": np.repeat(np.arange(12), 5), "p": np.repeat([0, 1], 30)})
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: estimate_effect(df, "y", "t", cluster="c", se="HC9"), "evaluation.bad_se_type"),  # was: CR2, silently
        (lambda: estimate_effect(df, "y", "t", alpha=float("nan")), "evaluation.bad_alpha"),
        (lambda: estimate_effect(df, "y", "t", ["x"], method="matching", caliper=-1.0), "evaluation.bad_caliper"),
        (lambda: did_effect(df, "y", "t", "p", alpha=1.5), "evaluation.bad_alpha"),
        (lambda: benchmark_compare(30, 100, 0.2, alpha=0.0), "evaluation.bad_alpha"),
        (lambda: batch_effects(df, np.ones((60, 2)), "t", alpha=-0.1), "evaluation.bad_alpha"),
        (lambda: randomization_inference(df, "y", "t", permutations=99.5), "evaluation.ri_permutations"),
    ]
    for run, code in cases:
        with pytest.raises(InvalidInputError) as ei:
            run()
        assert ei.value.code == code
        assert Translator("fr").error_message(ei.value) not in ("", ei.value.message())  # said in French


@pytest.fixture
def cli_sqlite(monkeypatch: pytest.MonkeyPatch, sqlite_engine: Engine) -> Iterator[Engine]:
    monkeypatch.setenv("TEMOIN_DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    yield sqlite_engine


def test_power_without_a_contract_prints_the_sample_size_for_80_percent() -> None:
    res = runner.invoke(app, ["--lang", "en", "power", "--n", "200", "--effect", "0.3", "--sd", "1"])
    assert res.exit_code == 0, res.output
    # statsmodels: people per arm for 80 % power at d = 0.3, alpha 0.05 two-sided; Témoin counts both arms
    per_arm = TTestIndPower().solve_power(effect_size=0.3, alpha=0.05, power=0.8, ratio=1.0)
    assert f"Sample size for 80% power: {math.ceil(2 * per_arm)}" in res.output
    d = json.loads(runner.invoke(app, ["power", "--n", "200", "--effect", "0.3", "--sd", "1", "--alpha", "0.01",
                                       "--one-sided", "--json"]).stdout)
    per_arm = TTestIndPower().solve_power(effect_size=0.3, alpha=0.01, power=0.8, ratio=1.0, alternative="larger")
    assert d["n_for_80"] == math.ceil(2 * per_arm) and d["alpha"] == 0.01 and d["sidedness"] == "one_sided"
    zero = runner.invoke(app, ["--lang", "en", "power", "--n", "200", "--effect", "0", "--sd", "1"])
    assert zero.exit_code == 0 and "not applicable" in zero.output


def test_power_with_a_contract_refuses_options_it_cannot_use(cli_sqlite: Engine) -> None:
    assert runner.invoke(app, ["contract", "import", str(example_path("aemo-renforcee"))]).exit_code == 0
    plain = json.loads(runner.invoke(app, ["power", "aemo-renforcee", "--json"]).stdout)
    res = runner.invoke(app, ["--lang", "en", "power", "aemo-renforcee", "--attrition", "0.5", "--alpha", "0.01",
                              "--icc", "0.2", "--one-sided"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    text = " ".join(res.output.split())
    for option in ("--alpha", "--attrition", "--icc", "--one-sided"):
        assert option in text
    # the reason, and the command that does use them, with the contract's own n, effect and sd
    assert "analysis plan" in text and f"temoin power --n {plain['n']}" in text and "--alpha 0.01" in text
    # options a contract does use still work
    more = json.loads(runner.invoke(app, ["power", "aemo-renforcee", "--n", "1600", "--json"]).stdout)
    assert more["n"] == 1600 and more["power"] > plain["power"]
