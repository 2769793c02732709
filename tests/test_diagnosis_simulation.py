"""The vectorised design diagnosis against statsmodels fits of the very same simulated trials."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from temoin.errors import InvalidInputError
from temoin.evaluation.diagnosis import (
    diagnose_design,
    draw_trials,
    fit_hc2,
    normal_template,
    template_from_frame,
)
from temoin.evaluation.power import power
from temoin.examples import load_example, synthetic_cohort


@pytest.fixture(scope="module")
def aemo_template():  # type: ignore[no-untyped-def]
    c = load_example("aemo-renforcee")
    frame = synthetic_cohort("aemo-renforcee", seed=3).control_outcomes("m24")
    return template_from_frame(frame, outcome="placement_days", covariates=c.evaluation.analysis_plan.covariates,
                               strata=c.evaluation.strata, source="synthetic")


def test_vectorised_hc2_equals_statsmodels_on_the_same_trials(aemo_template) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(42)
    x, y, mask, t = draw_trials(rng, aemo_template, n=300, sims=6, effect=20.0, sign=-1, ratio=0.5,
                                stratified=True, attrition=0.1)
    est, se, df = fit_hc2(x, y, mask)
    for b in range(6):
        keep = mask[b] > 0
        fit = sm.OLS(y[b, keep], x[b, keep]).fit(cov_type="HC2")
        np.testing.assert_allclose(est[b], fit.params[1], rtol=1e-9, err_msg="estimates differ")
        np.testing.assert_allclose(se[b], fit.bse[1], rtol=1e-8, err_msg="HC2 SEs differ")
        assert df[b] == fit.df_resid
        assert set(np.unique(t[b])) == {0.0, 1.0}


def test_hc2_of_a_difference_in_means_is_the_neyman_standard_error() -> None:
    rng = np.random.default_rng(1)
    x, y, mask, t = draw_trials(rng, normal_template(sd=3.0), n=200, sims=3, effect=1.0, sign=1, ratio=0.4,
                                stratified=False, attrition=0.2)
    _, se, _ = fit_hc2(x[:, :, :2], y, mask)
    for b in range(3):
        yt, yc = y[b][(t[b] == 1) & (mask[b] > 0)], y[b][(t[b] == 0) & (mask[b] > 0)]
        assert se[b] == pytest.approx(np.sqrt(yt.var(ddof=1) / len(yt) + yc.var(ddof=1) / len(yc)), rel=1e-10)


def test_stratified_assignment_balances_each_stratum(aemo_template) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    idx_rng = np.random.default_rng(5)
    _x, _y, _mask, t = draw_trials(rng, aemo_template, n=500, sims=20, effect=0.0, sign=-1, ratio=0.5,
                                stratified=True, attrition=0.0)
    strata = aemo_template.strata[idx_rng.integers(0, len(aemo_template.y0), (20, 500))]
    for b in range(20):
        for k in np.unique(strata[b]):
            members = strata[b] == k
            assert abs(t[b][members].sum() - members.sum() / 2) <= 0.5


def test_simulated_power_agrees_with_analytic_power_and_zero_effect_rarely_pays() -> None:
    c = load_example("aemo-renforcee")
    rep = diagnose_design(c, normal_template(sd=200, size=20000, seed=1), effects=[0.0, 30.0], sims=4000, n=800, seed=9)
    zero, real = rep.effects
    expected = power(effect=30, sd=200, n=800, sidedness="one_sided", attrition=c.evaluation.expected_attrition)
    assert real.power == pytest.approx(expected, abs=0.03)
    assert zero.power == pytest.approx(0.05, abs=0.015)
    assert abs(zero.bias) < 2 and 0.93 < zero.coverage < 0.97
    # payment on the lower bound with a 10-day threshold: rarer than a significant result
    assert rep.wrongful_payment is not None and rep.wrongful_payment <= zero.power
    assert real.p_paid + real.p_unpaid == pytest.approx(1.0)
    assert real.payment_quantiles["p95"] <= float(c.caps.total_outcome_payments)  # type: ignore[arg-type]


def test_payment_rule_matches_settlement() -> None:
    settlement = pytest.importorskip("temoin.settlement.payments")
    from temoin.evaluation.diagnosis import _payments
    from temoin.evaluation.result import EffectEstimate, EvidenceGrade, ImpactResult

    c = load_example("aemo-renforcee")
    price = c.payments.indicators[0]
    for lower in (5.0, 12.0, 70.0):
        eff = EffectEstimate(-lower - 10, 5, -lower - 20, 0, 0.01, 300, 350, 350, "HC2", "ols")
        r = ImpactResult(c.id, 1, "placement_days", "m24", eff, lower + 10, lower, 330, EvidenceGrade.MEETS)
        ent = settlement.impact_entitlement(c, price, r, "m24")
        ours = _payments(c, "placement_days", np.array([lower + 10]), np.array([lower]), np.array([330.0]), np.array([1.0]))
        # before caps: 330 × 70 × 150 + 50 000 = 3 515 000 > the 2 M€ cap, which we apply too
        assert ours[0] == pytest.approx(min(float(ent.amount.amount), 2_000_000.0,
                                            max(lower, 0) * 330 * 170 if ent.amount.amount else 0.0))


def test_unsupported_design_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="power"):
        diagnose_design(load_example("cravate-solidaire"), normal_template(sd=0.5), sims=10)
