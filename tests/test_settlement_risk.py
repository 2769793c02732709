"""Risk simulation: reproducible, and its probabilities agree with closed forms where they exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from temoin.contract import load_contract
from temoin.errors import InvalidInputError
from temoin.examples import load_example
from temoin.settlement import RiskAssumptions, simulate

EXAMPLES = Path(__file__).parents[1] / "src" / "temoin" / "examples" / "contracts"


def test_same_seed_same_report_other_seed_other_report() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    a, b, other = simulate(c, 20_000, 11), simulate(c, 20_000, 11), simulate(c, 20_000, 12)
    assert a.to_dict() == b.to_dict()
    assert a.payer_cost != other.payer_cost


def test_probability_of_no_payment_matches_the_closed_form() -> None:
    # Fixed enrolment (800), no attrition, a known true effect (45 days, no uncertainty):
    # 400 per arm, se = 200 × sqrt(2 / 400); the lower one-sided 95 % bound at m24 misses the
    # 10-day threshold with probability Φ((10 − 45) / se + z_0.95); m12's bound is always lower.
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    r = simulate(c, 200_000, 5, RiskAssumptions(effect_mean=45, effect_sd=0, enrolment_low=1.0, attrition_mean=0.0))
    se = 200 * (2 / 400) ** 0.5
    expected = norm.cdf((10 - 45) / se + norm.ppf(0.95))
    assert r.prob_no_payment == pytest.approx(expected, abs=0.004)


def test_no_counterfactual_means_certain_investor_loss() -> None:
    c = load_contract(EXAMPLES / "relais-familial.yaml")
    r = simulate(c, 5_000, 1)
    assert r.prob_investor_loss == 1.0 and r.prob_no_payment == 1.0 and r.investor_irr.p95 == -1.0
    assert r.notes  # says why


def test_price_below_unit_cost_never_outruns_savings_and_cap_is_what_bites() -> None:
    c = load_contract(EXAMPLES / "cravate-solidaire.yaml")
    r = simulate(c, 50_000, 3)
    # 14,500 paid per unit against 15,000 saved: only the 15,000 bonus can make payments exceed savings.
    assert 0 < r.prob_payments_exceed_savings_without_cap < 0.05
    assert float(r.outcome_payments.p95) <= 480_000 + 1e-6  # the total cap
    assert -1.0 <= r.investor_irr.p5 <= r.investor_irr.p50 <= r.investor_irr.p95


def test_unsupported_inputs_are_refused() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    with pytest.raises(InvalidInputError):
        simulate(c, 0, 1)
    with pytest.raises(InvalidInputError):
        simulate(c, 10, -1)
    for bad in ({"enrolment_low": 1.2}, {"enrolment_low": 0.0}, {"attrition_mean": 1.0}, {"attrition_concentration": 0.0}):
        with pytest.raises(InvalidInputError, match="assumptions"):
            simulate(c, 10, 1, RiskAssumptions(**({"effect_mean": 45.0, "effect_sd": 20.0} | bad)))  # type: ignore[arg-type]


def test_report_does_not_depend_on_the_number_of_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    risk = sys.modules["temoin.settlement.risk"]
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    scenarios = 2 * risk._CHUNK + 123  # three chunks, the last one short
    monkeypatch.setattr(risk, "_THREADS", 1)
    one = simulate(c, scenarios, 7).to_dict()
    monkeypatch.setattr(risk, "_THREADS", 2)
    two = simulate(c, scenarios, 7).to_dict()
    assert one == two
    assert one["payer_cost"] != simulate(c, scenarios, 8).to_dict()["payer_cost"]


def test_scenarios_that_pay_nothing_share_one_irr_equal_to_solving_each() -> None:
    import datetime as dt
    import sys

    risk = sys.modules["temoin.settlement.risk"]
    from temoin.settlement.xirr import xirr_columns, year_fractions

    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    rng = np.random.default_rng(3)
    n = 5_000
    paid_now = np.where(rng.random(n) < 0.4, 0.0, rng.uniform(0, 4e5, n))
    later = np.where(paid_now > 0, rng.uniform(0, 6e5, n), 0.0)
    guaranteed = np.where(paid_now + later < 1e6, 2e5, 0.0)
    tranches = [(dt.date(2025, 1, 15), 6e5), (dt.date(2025, 7, 15), 4e5)]
    periods = [p for p in c.payments.periods if p.wave]
    assert len(periods) == 2
    got = risk._pool_irr(tranches, periods, [paid_now, later], guaranteed, paid_now + later)
    dates = [dt.date(2025, 1, 15), dt.date(2025, 7, 15), periods[0].payment_date, periods[1].payment_date]
    flows = np.zeros((4, n))
    flows[0], flows[1] = -6e5, -4e5
    flows[2] += paid_now
    flows[3] += later + guaranteed
    np.testing.assert_array_equal(got, xirr_columns(year_fractions(dates), flows))


def test_percentiles_equal_numpys_to_the_last_bit() -> None:
    from temoin.settlement.risk import percentiles

    rng = np.random.default_rng(4)
    for trial in range(2_000):
        n = int(rng.integers(1, 2_000)) if trial % 20 else int(rng.integers(2_000, 300_000))  # both methods
        kind = trial % 4
        x = (rng.normal(size=n) if kind == 0 else rng.integers(0, 5, n).astype(float) if kind == 1  # ties too
             else np.where(rng.random(n) < 0.37, 0.0, rng.lognormal(13, 1, n)) if kind == 2  # payments: many zeros
             else rng.standard_cauchy(n))  # far tails: most values in a few buckets
        qs = (5.0, 50.0, 95.0) if trial % 2 else (0.0, 5.0, 25.0, 50.0, 75.0, 95.0, 100.0)
        shift = 0.0 if trial % 3 else float(rng.normal(0, 1e5))
        assert percentiles(x, qs, (shift, 0.0)) == [np.percentile(x + shift, qs).tolist(), np.percentile(x, qs).tolist()], \
            (n, qs, kind, shift)


def test_followed_counts_have_the_beta_binomial_model_of_the_direct_draws() -> None:
    """The tabulated draw (Beta-Binomial total, Hypergeometric split) against a Beta rate and two
    Binomials per scenario: the same joint distribution of the followed counts."""
    from scipy import stats

    from temoin.settlement._followed import FollowedCounts
    from temoin.settlement.risk import _arms

    c = load_example("aemo-renforcee")
    enrolments = np.arange(640, 801, dtype=np.float64)
    table = FollowedCounts.of(640, sum(_arms(c.evaluation, enrolments)).astype(np.int64), 0.08, 50.0)
    assert table.cdf is not None  # this contract is tabulated
    rng = np.random.default_rng(11)
    s = 400_000
    enrolled = np.rint(800 * rng.uniform(0.8, 1.0, s))
    n_t, n_c = _arms(c.evaluation, enrolled)
    t1, c1 = table.draw(np.random.default_rng(1), enrolled, n_t, n_c)
    t2, c2 = table.direct().draw(np.random.default_rng(2), enrolled, n_t, n_c)
    assert np.all((t1 >= 0) & (t1 <= n_t) & (c1 >= 0) & (c1 <= n_c))
    # one enrolment: the total followed against scipy's Beta-Binomial, chi-square on pooled cells
    one = enrolled == 720
    total = (t1 + c1)[one].astype(int)
    pmf = stats.betabinom.pmf(np.arange(721), 720, 50 * 0.92, 50 * 0.08)
    observed = np.bincount(total, minlength=721)
    cells = np.cumsum(pmf) // 0.02  # about fifty cells of equal probability
    obs = np.bincount(cells.astype(int), weights=observed)
    exp = np.bincount(cells.astype(int), weights=pmf) * one.sum()
    assert stats.chisquare(obs[exp > 0], exp[exp > 0]).pvalue > 1e-4
    # both arms, all enrolments: means, variances and the covariance agree within Monte Carlo error
    for x, y in ((t1, t2), (c1, c2), (t1 * c1, t2 * c2)):
        assert abs(x.mean() - y.mean()) < 5 * np.sqrt((x.var() + y.var()) / s)
    for x, y in ((t1, t2), (c1, c2), (t1 - c1, t2 - c2)):
        assert abs(x.var() / y.var() - 1) < 0.03


@pytest.mark.parametrize(("good", "bad", "sample"), [(362, 358, 61), (400, 401, 128), (361, 360, 100), (10, 9, 9),
                                                     (480, 240, 100), (360, 360, 200), (5, 300, 40)])
def test_hypergeometric_draws_follow_scipys_distribution(good: int, bad: int, sample: int) -> None:
    """The popcount-rejection sampler where it applies (near-equal arms, at most 128 drawn), numpy's
    elsewhere: chi-square against scipy's pmf on 400,000 draws."""
    from scipy import stats
    from scipy.special import gammaln

    from temoin.settlement._followed import hypergeometric

    n = 400_000
    lf = gammaln(np.arange(good + bad + 1) + 1.0)
    full = np.full(n, 1, dtype=np.int64)
    x = hypergeometric(np.random.default_rng(good * bad + sample), good * full, bad * full, sample * full, lf)
    assert x.min() >= max(0, sample - bad) and x.max() <= min(sample, good)
    pmf = stats.hypergeom.pmf(np.arange(sample + 1), good + bad, good, sample)
    cells = np.minimum(np.cumsum(pmf) // 0.02, 49).astype(int)  # about fifty cells of equal probability
    obs = np.bincount(cells, weights=np.bincount(x, minlength=sample + 1))
    exp = np.bincount(cells, weights=pmf) * n
    assert stats.chisquare(obs[exp > 0], exp[exp > 0] * obs[exp > 0].sum() / exp[exp > 0].sum()).pvalue > 1e-4


def test_order_statistics_when_the_range_is_huge_and_values_sit_next_to_the_minimum() -> None:
    """(x - min) * scale underflows to 0 for a value just above the minimum: still exact."""
    from temoin.settlement.risk import order_statistics

    x = np.concatenate([np.zeros(600), np.full(400, 5e-324), np.full(500, 1e308)])
    np.random.default_rng(0).shuffle(x)
    ranks = [0, 599, 600, 999, 1000, 1499]
    assert order_statistics(x, ranks) == dict(zip(ranks, np.sort(x)[ranks].tolist(), strict=True))
