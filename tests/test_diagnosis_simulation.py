"""The vectorised design diagnosis against statsmodels fits of the very same simulated trials."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from temoin.errors import InvalidInputError
from temoin.evaluation._trials import draw_counts, expand, fit_counts_hc2, inverse_xtx, population
from temoin.evaluation.diagnosis import diagnose_design, normal_template, template_from_frame
from temoin.evaluation.power import power
from temoin.examples import load_example, synthetic_cohort
from temoin.settlement.scenarios import trial_payments


@pytest.fixture(scope="module")
def aemo_template():  # type: ignore[no-untyped-def]
    c = load_example("aemo-renforcee")
    frame = synthetic_cohort("aemo-renforcee", seed=3).control_outcomes("m24")
    return template_from_frame(frame, outcome="placement_days", covariates=c.evaluation.analysis_plan.covariates,
                               strata=c.evaluation.strata, source="synthetic")


def test_vectorised_hc2_equals_statsmodels_on_the_same_trials(aemo_template) -> None:  # type: ignore[no-untyped-def]
    pop = population(aemo_template.covariates, aemo_template.y0, aemo_template.strata)
    tc = draw_counts(np.random.default_rng(42), pop, n=300, sims=6, ratio=0.5, stratified=True, attrition=0.1)
    est, se, df = fit_counts_hc2(pop, tc.counts)
    for b in range(6):
        x, y = expand(pop, tc.counts[b])
        fit = sm.OLS(y, x).fit(cov_type="HC2")
        np.testing.assert_allclose(est[b], fit.params[1], rtol=1e-9, err_msg="estimates differ")
        np.testing.assert_allclose(se[b], fit.bse[1], rtol=1e-8, err_msg="HC2 SEs differ")
        assert df[b] == fit.df_resid
        assert tc.randomised[b].sum() == 300 and tc.followed[b].sum() == len(y)


def test_hc2_of_a_difference_in_means_is_the_neyman_standard_error() -> None:
    tpl = normal_template(sd=3.0, size=400, seed=2)
    pop = population(tpl.covariates, tpl.y0, tpl.strata)
    tc = draw_counts(np.random.default_rng(1), pop, n=200, sims=3, ratio=0.4, stratified=False, attrition=0.2)
    _, se, _ = fit_counts_hc2(pop, tc.counts)
    for b in range(3):
        x, y = expand(pop, tc.counts[b])
        yt, yc = y[x[:, 1] == 1], y[x[:, 1] == 0]
        assert se[b] == pytest.approx(np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)), rel=1e-10)
        assert tc.randomised[b].tolist() == [120.0, 80.0]


def test_stratified_counts_follow_the_randomisation_rule(aemo_template) -> None:  # type: ignore[no-untyped-def]
    pop = population(aemo_template.covariates, aemo_template.y0, aemo_template.strata)
    tc = draw_counts(np.random.default_rng(5), pop, n=500, sims=400, ratio=0.5, stratified=True, attrition=0.0)
    assert np.all(tc.followed == tc.randomised)
    assert np.all(np.abs(tc.randomised[:, 1] - 250) <= len(pop.sizes) / 2 + 1e-9)  # at most half a person per stratum
    assert tc.randomised[:, 1].mean() == pytest.approx(250, abs=0.3)
    # each stratum is drawn in proportion to its size in the template
    stratum_share = tc.by_stratum.sum(axis=(0, 2)) / tc.by_stratum.sum()
    np.testing.assert_allclose(stratum_share, pop.sizes / pop.sizes.sum(), atol=0.01)
    # and within strata people uniformly: each template person is drawn with probability 1/N
    type_counts = tc.counts.reshape(400, 2, -1).sum(axis=(0, 1))
    expected = 400 * 500 * np.bincount(pop.person_type, minlength=len(type_counts)) / len(pop.person_type)
    assert np.sum((type_counts - expected) ** 2 / expected) < 1.3 * len(type_counts)  # chi² test, ~5 sd margin


def test_simulated_power_agrees_with_analytic_power_and_zero_effect_rarely_pays() -> None:
    c = load_example("aemo-renforcee")
    rep = diagnose_design(c, normal_template(sd=200, size=20000, seed=1), effects=[0.0, 30.0], sims=4000, n=800, seed=9,
                          pay=trial_payments(c))
    zero, real = rep.effects
    expected = power(effect=30, sd=200, n=800, sidedness="one_sided", attrition=c.evaluation.expected_attrition)
    assert real.power == pytest.approx(expected, abs=0.03)
    assert zero.power == pytest.approx(0.05, abs=0.015)
    assert abs(zero.bias) < 2 and 0.93 < zero.coverage < 0.97
    # payment on the lower bound with a 10-day threshold: rarer than a significant result
    assert rep.wrongful_payment is not None and rep.wrongful_payment <= zero.power
    assert real.p_paid + real.p_unpaid == pytest.approx(1.0)
    assert real.payment_quantiles["p95"] <= float(c.caps.total_outcome_payments)  # type: ignore[arg-type]


def test_payment_rule_is_settlements_to_the_cent() -> None:
    """The diagnosis pays each trial by the settlement's own rule: a trial is a settlement with its
    one result at the last wave (here below the threshold, paid, and past the 2 M€ cap)."""
    from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult
    from temoin.settlement import settle

    c = load_example("aemo-renforcee")
    pay = trial_payments(c)
    for lower, n, grade in ((5.0, 330, EvidenceGrade.MEETS), (12.0, 330, EvidenceGrade.MEETS), (70.0, 330, EvidenceGrade.MEETS),
                            (35.123, 401, EvidenceGrade.MEETS_WITH_RESERVATIONS), (35.0, 401, EvidenceGrade.DOES_NOT_MEET)):
        eff = EffectEstimate(-lower - 10, 5, -lower - 20, 0, 0.01, 300, n, n, "HC2", "ols")
        r = ImpactResult(c.id, 1, "placement_days", "m24", eff, lower + 10, lower, n, grade)
        ours = pay(np.array([lower + 10]), np.array([lower]), np.array([float(n)]), np.array([grade.allows_payment]))
        assert ours[0] == float(settle(c, [r], break_even=False).total_paid.amount), (lower, grade)
    assert ours[0] == 0.0  # does not meet: nothing
    # 70 × 330 × 150 + 50,000 = 3,515,000 before caps: cut to the investors' 5 % IRR on real dates
    capped = pay(np.array([80.0]), np.array([70.0]), np.array([330.0]), np.array([True]))[0]
    assert 0 < capped < 2_000_000


def test_unsupported_design_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="power"):
        diagnose_design(load_example("cravate-solidaire"), normal_template(sd=0.5), sims=10,
                        pay=trial_payments(load_example("cravate-solidaire")))


def test_batched_inverse_equals_scipys_per_trial() -> None:
    import scipy.linalg

    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 60, 5)) * np.array([1.0, 0.5, 30.0, 1.0, 2.0]) + np.array([0.0, 0.0, 500.0, 0.0, 0.0])
    x[:, :, 0] = 1.0
    xtx = np.einsum("bni,bnj->bij", x, x)
    inv, bad = inverse_xtx(xtx)
    assert not bad.any()
    for b in range(40):
        np.testing.assert_allclose(inv[b], scipy.linalg.inv(xtx[b]), rtol=1e-9, atol=1e-15, err_msg=f"trial {b}")


def _small_trials(prevalence: tuple[float, float], n: int, ratio: float, attrition: float, sims: int, seed: int):  # type: ignore[no-untyped-def]
    """Trials small enough that a dummy is often absent or constant in one, or an arm is lost."""
    rng = np.random.default_rng(seed)
    size = 600
    cov = np.column_stack([(rng.random(size) < p).astype(float) for p in prevalence])
    pop = population(cov, rng.normal(50.0, 10.0, size).round(), np.zeros(size, dtype=np.int64))
    tc = draw_counts(np.random.default_rng(seed + 1), pop, n=n, sims=sims, ratio=ratio, stratified=False,
                     attrition=attrition)
    return pop, tc


def _xtx(pop, counts):  # type: ignore[no-untyped-def]
    """X'X of every trial, written out from the counts: Σ_j C_j r_j r_j'."""
    return np.einsum("bj,ji,jl->bil", counts.astype(float), pop.rows, pop.rows)


def _rank(x: np.ndarray) -> int:
    """numpy's rank of a design with its columns scaled to unit length (rank whatever the units)."""
    norms = np.linalg.norm(x, axis=0)
    return int(np.linalg.matrix_rank(x / np.where(norms > 0, norms, 1.0)))


def test_singular_trials_are_those_whose_design_is_rank_deficient() -> None:
    """The flag (SINGULAR_RCOND on X'X's correlation form) against numpy's rank of the expanded
    design: a rare dummy absent from a trial, a common one constant in it, or an arm all lost."""
    pop, tc = _small_trials((0.03, 0.97), n=40, ratio=0.1, attrition=0.5, sims=400, seed=7)
    k = pop.rows.shape[1]
    est, se, _ = fit_counts_hc2(pop, tc.counts)
    _, bad = inverse_xtx(_xtx(pop, tc.counts))
    deficient = np.array([_rank(expand(pop, tc.counts[b])[0]) < k for b in range(400)])
    assert 40 <= deficient.sum() <= 360, "the draw must give both kinds of trial"
    np.testing.assert_array_equal(bad, deficient)
    assert np.all(np.isnan(est[deficient]) & np.isnan(se[deficient]))
    arm_lost = (tc.followed == 0).any(axis=1)
    assert arm_lost.any() and bad[arm_lost].all()
    compared = 0
    for b in np.flatnonzero(~deficient)[:40]:
        x, y = expand(pop, tc.counts[b])
        with np.errstate(divide="ignore", invalid="ignore"):
            fit = sm.OLS(y, x).fit(cov_type="HC2")
            ref = [fit.params[1], fit.bse[1]]
        if np.isfinite(ref[1]):  # not when a lone participant has leverage 1 (HC2 divides by 1 - h)
            np.testing.assert_allclose([est[b], se[b]], ref, rtol=1e-7, atol=1e-5,
                                       err_msg=f"trial {b}")  # atol: an SE that is 0 up to rounding
            compared += 1
    assert compared >= 20


def test_a_full_rank_design_in_large_units_far_from_zero_is_not_flagged() -> None:
    """A covariate ten thousand times its spread from zero, in units of a million: full rank, fitted."""
    rng = np.random.default_rng(2)
    size = 2000
    cov = np.column_stack([1e6 * (1e4 + rng.normal(size=size).round(1)), (rng.random(size) < 0.5).astype(float)])
    pop = population(cov, rng.normal(0.0, 3.0, size).round(1), np.zeros(size, dtype=np.int64))
    tc = draw_counts(np.random.default_rng(3), pop, n=300, sims=5, ratio=0.5, stratified=False, attrition=0.1)
    _, bad = inverse_xtx(_xtx(pop, tc.counts))
    assert not bad.any()
    est, se, _ = fit_counts_hc2(pop, tc.counts)
    for b in range(5):
        x, y = expand(pop, tc.counts[b])
        assert _rank(x) == x.shape[1]
        fit = sm.OLS(y, x).fit(cov_type="HC2")
        np.testing.assert_allclose([est[b], se[b]], [fit.params[1], fit.bse[1]], rtol=1e-6, err_msg=f"trial {b}")
