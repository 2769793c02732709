"""No significance from a degenerate variance (issue 12, item 1).

A standard error that is zero up to rounding, infinite or NaN must never become a p-value or a
confidence bound that could pay. Each case of the issue is checked against a reference that has no
such guard (statsmodels, or the formula written here) to show the artefact is real, then against
Témoin, which reports "not estimable" with a note. A battery then feeds every estimator the
degenerate cases (constant outcome, exact fit, one cluster per arm, values near 1e300, n = 3) and
checks that none returns p < 0.05 or a finite lower bound without a note naming the risk.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

from temoin.contract import load_contract
from temoin.contract.model import Design
from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.diagnostics import evidence_grade
from temoin.evaluation.diagnostics.attrition import attrition
from temoin.evaluation.estimators.batch import batch_effects
from temoin.evaluation.estimators.benchmark import benchmark_compare
from temoin.evaluation.estimators.bounds import lee_bounds
from temoin.evaluation.estimators.degenerate import DEGENERATE_RTOL, degenerate_se
from temoin.evaluation.estimators.did import did_effect
from temoin.evaluation.estimators.ri import randomization_inference
from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
from temoin.evaluation.text import say
from temoin.i18n import Translator

FR, EN = Translator("fr"), Translator("en")

NOT_ESTIMABLE = "not estimable"
#: Notes that name the risk of a result that still has a p-value or an interval.
RISK = (NOT_ESTIMABLE, "single treated cluster", "single control cluster", "clusters (fewer than about ten)",
        "A single person in the")


def _en(notes: Iterable[Any]) -> list[str]:
    """The notes as an English reader reads them."""
    return [say(EN, n) for n in notes]


def _risk_named(notes: tuple[Any, ...]) -> bool:
    return any(flag in note for note in _en(notes) for flag in RISK)


def _not_estimable(r: EffectEstimate) -> None:
    assert math.isnan(r.p_value) and math.isnan(r.ci_low) and math.isnan(r.ci_high) and math.isnan(r.std_error), r
    assert not r.estimable
    assert any(NOT_ESTIMABLE in n for n in _en(r.notes)), r.notes
    assert any("non estimable" in say(FR, n) for n in r.notes), r.notes


# --- the rule ------------------------------------------------------------------------------------


def test_the_rule_is_vectorised_with_a_documented_tolerance() -> None:
    se = np.array([0.0, 2.7e-17, 0.999e-10, 1.001e-10, 0.3, np.inf, np.nan, 1e-3])
    scale = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, np.nan])
    assert DEGENERATE_RTOL == 1e-10
    assert degenerate_se(se, scale).tolist() == [True, True, True, False, False, True, True, True]
    # the scale is the outcome's: the same SE is noise for outcomes of order 1e9, real for order 1
    assert degenerate_se(1e-2, 1e6).item() is False and degenerate_se(1e-2, 1e12).item() is True
    assert degenerate_se(np.zeros((3, 2)), 1.0).shape == (3, 2)


# --- the cases, each against an unguarded reference ---------------------------------------


def test_one_cluster_per_arm_is_not_estimable() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(size=40), "t": [1] * 20 + [0] * 20})
    df["c"] = df.t
    # reference: each arm's residuals sum to zero, so the cluster scores X_g'e_g are zero and
    # statsmodels' clustered SE is rounding noise with p = 0
    resid = df.y - df.groupby("t").y.transform("mean")
    assert abs(resid[df.t == 1].sum()) < 1e-13 and abs(resid[df.t == 0].sum()) < 1e-13
    ref = sm.OLS(df.y, sm.add_constant(df[["t"]].astype(float))).fit(cov_type="cluster", cov_kwds={"groups": df.c})
    assert ref.bse["t"] < 1e-14 and ref.pvalues["t"] < 1e-10
    for se in ("CR0", "CR1", "CR2"):
        r = estimate_effect(df, "y", "t", cluster="c", se=se)
        _not_estimable(r)
        assert r.estimate == pytest.approx(df.y[df.t == 1].mean() - df.y[df.t == 0].mean())
        assert any("single treated cluster" in n for n in _en(r.notes)) and any("Only 2 clusters" in n for n in _en(r.notes))


def test_an_exact_fit_never_gives_a_p_value() -> None:
    # y = 3.1 x + 1.7 exactly: over 200 random assignments statsmodels (HC2) finds p < 0.05 dozens of
    # times, from rounding noise alone (the issue counted 17.5 % with Témoin's own estimator)
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    noisy = 0
    for _ in range(200):
        d = pd.DataFrame({"x": x, "y": 3.1 * x + 1.7, "t": rng.permutation([1] * 20 + [0] * 20)})
        ref = sm.OLS(d.y, sm.add_constant(d[["t", "x"]].astype(float))).fit(cov_type="HC2")
        noisy += ref.pvalues["t"] < 0.05
        for method in ("ols", "lin"):
            _not_estimable(estimate_effect(d, "y", "t", ["x"], method=method))
    assert noisy > 10


def test_an_outcome_constant_within_each_arm_is_not_estimable() -> None:
    df = pd.DataFrame({"t": [1] * 20 + [0] * 20})
    df["y"] = 2.0 * df.t
    for method in ("diff_in_means", "ols"):
        for se in ("classical", "HC0", "HC1", "HC2", "HC3"):
            r = estimate_effect(df, "y", "t", method=method, se=se)
            _not_estimable(r)
            assert r.estimate == pytest.approx(2.0)  # the point estimate is kept: only the inference is void


def test_twfe_constant_outcome_is_refused_and_an_exact_fit_is_not_estimable() -> None:
    units, periods = 10, 4
    u = np.repeat(np.arange(units), periods)
    tt = np.tile(np.arange(periods), units)
    d = ((u < 5) & (tt >= 2)).astype(int)
    panel = pd.DataFrame({"u": u, "t": tt, "d": d, "y": 1.0})
    with pytest.raises(InvalidInputError) as ei:
        did_effect(panel, "y", "d", "t", unit="u", method="twfe", se="HC1")
    assert ei.value.code == "evaluation.constant_outcome"
    # unit effects plus period effects, nothing else: the residuals are rounding noise
    rng = np.random.default_rng(2)
    panel["y"] = rng.normal(size=units)[u] + np.array([0.0, 0.3, 0.1, 0.7])[tt]
    ref = sm.OLS(panel.y, pd.get_dummies(panel[["u", "t"]].astype(str), drop_first=True).astype(float)
                 .assign(d=panel.d, const=1.0)).fit(cov_type="HC1")
    assert ref.bse["d"] < 1e-13
    for se in ("HC1", "CR1", "CR2"):
        _not_estimable(did_effect(panel, "y", "d", "t", unit="u", method="twfe", se=se))


@pytest.mark.parametrize("column", ["y", "x", "w"])
def test_values_near_1e300_are_not_estimable_or_as_if_rescaled(column: str) -> None:
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({"y": rng.normal(size=n), "t": [1] * 20 + [0] * 20, "x": rng.normal(size=n),
                       "w": rng.uniform(1, 2, n)})
    big = df.assign(**{column: df[column] * 1e300})
    for method, se, cov in (("diff_in_means", "classical", []), ("ols", "HC2", ["x"]), ("lin", "HC1", ["x"]),
                            ("ipw", "HC1", ["x"])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = estimate_effect(big, "y", "t", cov, method=method, se=se, weights="w")
        if got.estimable:  # a computation that survived the overflow must be the right one
            ref = estimate_effect(df, "y", "t", cov, method=method, se=se, weights="w")
            factor = 1e300 if column == "y" else 1.0
            assert got.estimate == pytest.approx(ref.estimate * factor, rel=1e-8)
            assert got.std_error == pytest.approx(ref.std_error * factor, rel=1e-8)
            assert got.p_value == pytest.approx(ref.p_value, rel=1e-8)
        else:
            _not_estimable(got)
            assert any("overflow" in n for n in _en(got.notes))
    if column == "y":  # before: SE inf and p = 1.0 (classical), NaN (HC2), with no note
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _not_estimable(estimate_effect(big, "y", "t", se="classical"))


def test_temoin_evaluate_prints_not_estimable_instead_of_numbers(tmp_path: Path) -> None:
    from temoin.cli import app

    rng = np.random.default_rng(4)
    path = tmp_path / "big.csv"
    pd.DataFrame({"y": rng.normal(size=40) * 1e300, "t": [1] * 20 + [0] * 20}).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = CliRunner().invoke(app, ["--lang", "en", "evaluate", "--data", str(path), "--outcome", "y",
                                       "--treatment", "t", "--se", "classical"])
        fr = CliRunner().invoke(app, ["--lang", "fr", "evaluate", "--data", str(path), "--outcome", "y",
                                      "--treatment", "t"])
    assert res.exit_code == 0, res.output
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in res.output.splitlines() if line.count("│") >= 3}
    assert lines["p-value"] == "not estimable" and lines["95% confidence interval"] == "not estimable"
    assert lines["Standard error"] == "not estimable (classical standard error)"
    assert "Effect not estimable" in res.output and "overflow" in res.output
    cells = [line for line in fr.output.splitlines() if line.count("│") >= 3]
    assert fr.exit_code == 0 and "non estimable" in fr.output and not any("nan" in c for c in cells)


# --- every estimator, every degenerate case ---------------------------------------------------------
#
# Each estimator gets each case in the form that is degenerate for it: an exact fit is y = 3.1 x + 1.7
# for the estimators that adjust for x (OLS, Lin, randomisation inference on residuals) and an outcome
# constant within each arm (an exact fit of y on the arm) for the others. Expectations:
#   "void"     refused, or not estimable (NaN p-value and interval, with the note);
#   "noted"    refused, or any p < 0.05 or finite lower bound carries a note naming the risk;
#   "rescaled" refused, not estimable, or equal to the same computation on rescaled values (the
#              estimators are scale-equivariant: a result that survives an overflow must be the right one).


def _data(y: str = "noise", n: int = 40, seed: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.permutation(np.repeat([0, 1], n // 2))
    d = pd.DataFrame({"t": t, "x": rng.normal(size=n), "y": rng.normal(size=n), "w": rng.uniform(1, 2, n)})
    if y == "constant":
        d["y"] = 5.0
    elif y == "exact in x":
        d["y"] = 3.1 * d.x + 1.7
    elif y == "exact in t":
        d["y"] = 2.0 * d.t + 1.7
    return d


def _run_all(d: pd.DataFrame, kinds: tuple[str, ...], *, cluster: str | None = None,
             weights: str | None = None) -> dict[str, Callable[[], Any]]:
    """The estimators of the given kinds on ``d``: "plain" (no covariate), "adjusted" (on x)."""
    out: dict[str, Callable[[], Any]] = {}
    ses = ("CR0", "CR1", "CR2") if cluster else ("classical", "HC1", "HC2", "HC3")
    n = len(d)
    if "plain" in kinds:
        for se in ses:
            out[f"diff_in_means {se}"] = partial(estimate_effect, d, "y", "t", method="diff_in_means", se=se,
                                                 cluster=cluster, weights=weights)
        if cluster is None:
            out["matching"] = lambda: estimate_effect(d, "y", "t", ["x"], method="matching")
            out["ipw ATE"] = lambda: estimate_effect(d, "y", "t", ["x"], method="ipw", weights=weights)
            out["ipw ATT"] = lambda: estimate_effect(d, "y", "t", ["x"], method="ipw", estimand="ATT", weights=weights)
        panel = d.assign(period=(np.arange(n) >= n // 2).astype(int), unit=np.arange(n) % max(n // 2, 1))
        out["did"] = lambda: did_effect(panel, "y", "t", "period", unit=None if cluster else "unit", cluster=cluster,
                                        se="CR1" if cluster else "HC1")
        lost = d.assign(y=d["y"].where(np.arange(n) % 7 != 0))
        out["lee bounds"] = lambda: lee_bounds(lost, "y", "t", bootstrap=200, seed=1)
    if "adjusted" in kinds:
        for method in ("ols", "lin"):
            for se in ses:
                out[f"{method} {se}"] = partial(estimate_effect, d, "y", "t", ["x"], method=method, se=se,
                                                cluster=cluster, weights=weights)
        out["randomisation inference"] = lambda: randomization_inference(d, "y", "t", ["x"], cluster=cluster,
                                                                         permutations=199, seed=1)
    return out


def _battery() -> list[tuple[str, str, Callable[[], Any], str, Callable[[], Any] | None]]:
    cases: list[tuple[str, str, Callable[[], Any], str, Callable[[], Any] | None]] = []

    def add(case: str, runs: dict[str, Callable[[], Any]], expect: str,
            rescaled: dict[str, Callable[[], Any]] | None = None) -> None:
        for name, run in runs.items():
            cases.append((case, name, run, expect, rescaled[name] if rescaled else None))

    both = ("plain", "adjusted")
    add("constant outcome", _run_all(_data("constant"), both), "void")
    add("exact fit", _run_all(_data("exact in t"), ("plain",)), "void")
    add("exact fit", _run_all(_data("exact in x"), ("adjusted",)), "void")
    one = _data().assign(c=lambda f: f.t)
    add("one cluster per arm", {k: v for k, v in _run_all(one, ("plain",), cluster="c").items()
                                if k.startswith("diff_in_means")}, "void")
    add("one cluster per arm", {k: v for k, v in _run_all(one, both, cluster="c").items() if k != "lee bounds"}, "noted")
    big_y = _data().assign(y=lambda f: f.y * 1e300)
    add("outcome near 1e300", _run_all(big_y, both), "void")
    for column in ("x", "w"):
        plain = _data()
        big = plain.assign(**{column: plain[column] * 1e300})
        add(f"{column} near 1e300", _run_all(big, both, weights="w"), "rescaled", _run_all(plain, both, weights="w"))
    tiny = pd.DataFrame({"y": [1.0, 2.0, 4.0], "t": [1, 0, 0], "x": [0.5, 1.5, 0.2], "w": [1.0, 2.0, 1.0]})
    add("n = 3", _run_all(tiny, both), "noted")
    return cases


def _quiet(run: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return run()
        except InvalidInputError as e:
            return e


def _void(r: Any) -> bool:
    """Not estimable: no p-value and no lower bound, with the note."""
    if isinstance(r, EffectEstimate):
        return not r.estimable and math.isnan(r.p_value) and math.isnan(r.ci_low) and any(NOT_ESTIMABLE in n for n in _en(r.notes))
    if hasattr(r, "ci_low"):  # Lee bounds: the interval
        return math.isnan(r.ci_low) and any(NOT_ESTIMABLE in n for n in _en(r.notes))
    return math.isnan(r.p_value) and bool(r.notes)  # randomisation inference


@pytest.mark.parametrize(("case", "name", "run", "expect", "rescaled"), _battery(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_no_estimator_returns_significance_or_a_bound_without_a_note(
    case: str, name: str, run: Callable[[], Any], expect: str, rescaled: Callable[[], Any] | None
) -> None:
    r = _quiet(run)
    if isinstance(r, InvalidInputError):
        assert FR.error_message(r) != EN.error_message(r)  # refused, with a reason in each language
        return
    p_value = getattr(r, "p_value", float("nan"))
    lower = getattr(r, "ci_low", float("nan"))
    if expect == "void":
        assert _void(r), (case, name, r)
    elif expect == "noted":
        if p_value < 0.05 or math.isfinite(lower):
            assert _risk_named(r.notes), (case, name, p_value, lower, r.notes)
    else:
        assert rescaled is not None
        if not _void(r):
            ref = _quiet(rescaled)
            for field in ("estimate", "std_error", "p_value", "ci_low", "lower"):
                if hasattr(ref, field):
                    assert getattr(r, field) == pytest.approx(getattr(ref, field), rel=1e-8, nan_ok=True), (case, name, field)


def test_lee_bounds_of_a_constant_outcome_have_no_interval() -> None:
    df = pd.DataFrame({"y": [3.0] * 30 + [np.nan] * 4 + [3.0] * 26, "t": [1] * 34 + [0] * 26})
    r = lee_bounds(df, "y", "t", bootstrap=100, seed=1)
    assert r.lower == pytest.approx(0.0, abs=1e-12) and r.upper == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert any(NOT_ESTIMABLE in n for n in _en(r.notes))


def test_randomisation_p_value_of_an_exact_fit_is_not_estimable() -> None:
    # the outcome residualised on x is rounding noise: its permutation distribution has no spread
    b = _data(seed=5)
    r = randomization_inference(b.assign(y=3.1 * b.x + 1.7), "y", "t", ["x"], permutations=499, seed=2)
    assert math.isnan(r.p_value) and "not estimable" in EN.render(r.note) and r.notes
    via = estimate_effect(b.assign(y=3.1 * b.x + 1.7), "y", "t", ["x"], ri_permutations=199, seed=2)
    assert via.ri_p_value is not None and math.isnan(via.ri_p_value)


def test_benchmark_with_a_rate_of_one_and_an_exact_reference_is_not_estimable() -> None:
    # Wald formula written out: sqrt(p(1-p)/n + se_ref²) = 0 for p = 1, se_ref = 0
    assert math.sqrt(1.0 * 0.0 / 400 + 0.0**2) == 0.0
    _not_estimable(benchmark_compare(400, 400, 0.8))
    _not_estimable(benchmark_compare(0, 400, 0.1))
    ok = benchmark_compare(400, 400, 0.8, 0.02)  # the reference's own uncertainty is enough
    assert ok.estimable and ok.std_error == pytest.approx(0.02)


def test_batch_effects_flag_the_same_columns_as_estimate_effect() -> None:
    b = _data(seed=6)
    y = np.column_stack([b.y, 3.1 * b.x + 1.7, 2.0 * b.t + 1.0, b.y * 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = batch_effects(b, y, "t", ["x"], se="HC2")
        for j in range(y.shape[1]):
            one = estimate_effect(b.assign(y=y[:, j]), "y", "t", ["x"], se="HC2")
            assert math.isnan(got.p_value[j]) == math.isnan(one.p_value), j
            if one.estimable:
                assert got.std_error[j] == pytest.approx(one.std_error, rel=1e-10)
                assert got.p_value[j] == pytest.approx(one.p_value, rel=1e-8)
            else:
                assert math.isnan(got.std_error[j]) and math.isnan(got.ci_low[j])
    assert not math.isnan(got.p_value[0]) and np.isnan(got.p_value[1:]).all()


# --- clusters: warnings, and the grade ---------------------------------------------------------------


def test_organ_donation_single_treated_state_gets_a_warning() -> None:
    from causaldata import organ_donations

    d = organ_donations.load_pandas().data
    d["treated"] = ((d["State"] == "California") & (d["Quarter_Num"] >= 4)).astype(int)
    r = did_effect(d, "Rate", "treated", "Quarter_Num", unit="State", method="twfe")
    assert round(r.estimate, 4) == -0.0225 and r.p_value < 0.01  # the CR1 p = 0.0025
    assert any("single treated cluster" in n and "MacKinnon & Webb" in n for n in _en(r.notes))


def test_few_clusters_get_a_warning_and_many_do_not() -> None:
    rng = np.random.default_rng(7)
    for g, warned in ((6, True), (40, False)):
        c = np.repeat(np.arange(g), 10)
        df = pd.DataFrame({"y": rng.normal(size=c.size), "t": (c % 2).astype(int), "c": c})
        r = estimate_effect(df, "y", "t", cluster="c", se="CR2")
        assert any(f"Only {g} clusters" in n for n in _en(r.notes)) is warned
        assert not any("single" in n for n in _en(r.notes))


def test_grade_does_not_meet_when_not_estimable_or_one_cluster_in_an_arm() -> None:
    att = attrition(wave="m12", indicator="i", randomised=(100, 100), followed=(95, 95), boundary="cautious")
    ok = evidence_grade(design=Design.INDIVIDUAL_RCT, attrition=att)
    assert ok.grade is EvidenceGrade.MEETS
    assert evidence_grade(design=Design.INDIVIDUAL_RCT, attrition=att, estimable=False).grade is EvidenceGrade.DOES_NOT_MEET
    one = evidence_grade(design=Design.CLUSTER_RCT, attrition=att, clusters=(6, 1, 5))
    assert one.grade is EvidenceGrade.DOES_NOT_MEET and any("n = 1" in EN.render(r) for r in one.reasons)
    few = evidence_grade(design=Design.CLUSTER_RCT, attrition=att, clusters=(8, 4, 4))
    assert few.grade is EvidenceGrade.MEETS_WITH_RESERVATIONS
    assert evidence_grade(design=Design.CLUSTER_RCT, attrition=att, clusters=(30, 15, 15)).grade is EvidenceGrade.MEETS


EXAMPLE = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"


def test_the_locked_plan_grades_a_not_estimable_effect_does_not_meet_and_it_is_not_paid() -> None:
    from temoin.evaluation.run import run_plan
    from temoin.settlement import settle

    contract = load_contract(EXAMPLE)
    rng = np.random.default_rng(8)
    n = 200
    arm = rng.permutation(np.repeat([0, 1], n // 2))
    frame = pd.DataFrame({
        "eligible": True, "consent": True, "enrolled": True, "arm": arm, "age": rng.integers(0, 18, n),
        "age_band": rng.choice(["0-5", "6-11", "12-17"], n), "sex": rng.choice(["F", "M"], n),
        "risk_level": rng.choice(["high", "very_high"], n), "territory": rng.choice(["lille", "dunkerque"], n),
        "prior_placement": rng.choice(["oui", "non"], n), "single_parent": rng.choice(["oui", "non"], n),
        "siblings": rng.integers(0, 4, n),
        "placement_days__m12": np.where(arm == 1, 60.0, 100.0),  # constant within each arm
        "placed_any__m12": rng.integers(0, 2, n).astype(float),
    })
    out = run_plan(contract, 1, frame, plan_hash="h")
    days = next(r for r in out.results if r.indicator == "placement_days")
    assert days.improvement == pytest.approx(40.0) and math.isnan(days.improvement_lower)
    assert days.grade is EvidenceGrade.DOES_NOT_MEET and any("not estimable" in say(EN, r) for r in days.grade_reasons)
    other = next(r for r in out.results if r.indicator == "placed_any")
    assert other.effect.estimable and math.isfinite(other.improvement_lower)
    try:
        s = settle(contract, [days], as_of=dt.date(2027, 12, 31), break_even=False)
    except InvalidInputError:
        return  # refused: nothing paid
    assert s.total_paid.amount == 0


def test_a_nan_lower_bound_never_pays() -> None:
    from temoin.settlement import settle

    contract = load_contract(EXAMPLE)
    nan = float("nan")
    est = EffectEstimate(30.0, nan, nan, nan, nan, 300.0, 368, 368, "HC2", "ols")
    result = ImpactResult(contract.id, 1, "placement_days", "m12", est, 30.0, nan, 368, EvidenceGrade.DOES_NOT_MEET)
    # a stored result comes back from JSON with null for NaN: it reads back as the same record
    again = ImpactResult(contract.id, 1, "placement_days", "m12", est, 30.0, None, 368,
                         EvidenceGrade.DOES_NOT_MEET)
    assert math.isnan(again.improvement_lower) and again.result_hash == result.result_hash
    try:
        s = settle(contract, [result], as_of=dt.date(2027, 12, 31), break_even=False)
    except InvalidInputError:
        return  # refused: nothing paid
    assert s.total_paid.amount == 0
