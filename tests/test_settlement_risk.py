"""Risk simulation: reproducible, and its probabilities agree with closed forms where they exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from temoin.contract import load_contract
from temoin.errors import InvalidInputError
from temoin.i18n import Translator
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


def test_payer_cost_is_the_payments_plus_the_fixed_transaction_costs() -> None:
    from temoin.settlement.public_cost import payer_transaction_costs

    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    r = simulate(c, 30_000, 6)
    costs = sum(float(v.amount) for _, v in payer_transaction_costs(c))
    assert costs > 0
    for q in ("mean", "p5", "p50", "p95"):
        assert getattr(r.payer_cost, q) == pytest.approx(getattr(r.outcome_payments, q) + costs, abs=1e-6), q


def _chi_square_pvalue(draws: np.ndarray, pmf: np.ndarray) -> float:
    """Chi-square of integer draws against a pmf on 0..len(pmf)-1, on about fifty cells of equal probability."""
    from scipy import stats

    cells = np.minimum(np.cumsum(pmf) // 0.02, 49).astype(int)
    obs = np.bincount(cells, weights=np.bincount(draws, minlength=len(pmf))[:len(pmf)])
    exp = np.bincount(cells, weights=pmf) * len(draws)
    return float(stats.chisquare(obs[exp > 0], exp[exp > 0] * obs[exp > 0].sum() / exp[exp > 0].sum()).pvalue)


@pytest.mark.parametrize(("n_t", "n_c", "mean", "concentration"), [(360, 360, 0.08, 50.0), (480, 240, 0.3, 5.0)])
def test_followed_counts_are_beta_binomial_in_total_and_hypergeometric_between_arms(
        n_t: int, n_c: int, mean: float, concentration: float) -> None:
    """One attrition rate for both arms: the total followed is Beta-Binomial, and given the total
    the programme arm's share is Hypergeometric (scipy's betabinom and hypergeom)."""
    from scipy import stats

    from temoin.settlement.scenarios import followed as _followed

    s = 400_000
    t, c = _followed(np.random.default_rng(n_t + n_c), np.full(s, float(n_t)), np.full(s, float(n_c)), mean, concentration)
    assert np.all((t >= 0) & (t <= n_t) & (c >= 0) & (c <= n_c))
    total = (t + c).astype(int)
    a, b = mean * concentration, (1 - mean) * concentration
    assert _chi_square_pvalue(total, stats.betabinom.pmf(np.arange(n_t + n_c + 1), n_t + n_c, b, a)) > 1e-4
    mode = int(np.bincount(total).argmax())  # the most frequent total, for the conditional split
    arm = t[total == mode].astype(int)
    assert arm.size > 1_000
    assert _chi_square_pvalue(arm, stats.hypergeom.pmf(np.arange(mode + 1), n_t + n_c, n_t, mode)) > 1e-4


def test_no_attrition_follows_everyone() -> None:
    from temoin.settlement.scenarios import followed as _followed

    n_t, n_c = np.array([5.0, 400.0]), np.array([0.0, 399.0])
    t, c = _followed(np.random.default_rng(0), n_t, n_c, 0.0, 50.0)
    assert t.tolist() == n_t.tolist() and c.tolist() == n_c.tolist()


def test_a_rate_card_is_simulated_from_its_success_rates() -> None:
    """Each participant achieves each outcome independently at its rate; the expected payment per
    participant is E[min(Σ achieved prices, cap)], written out here over the 2^3 combinations."""
    import itertools
    from decimal import Decimal

    from temoin.contract.model import Caps, RateCardItem, Text

    base = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    items = [RateCardItem(outcome=o, label=Text(fr=o, en=o), price=Decimal(p), unit_saving=Decimal(u), expected_rate=r)
             for o, p, u, r in (("job", "3500", "4000", 0.5), ("job26", "2000", "3000", 0.3), ("nqf2", "3300", "1000", 0.4))]
    c = base.model_copy(update={
        "payments": base.payments.model_copy(update={"indicators": [], "rate_card": items}),
        "caps": Caps(per_participant=Decimal("8200"), payments_within_realised_savings=False),
        "population": base.population.model_copy(update={"expected_size": 1000}), "savings": [],
        "parties": [pt.model_copy(update={"max_commitment": None}) for pt in base.parties]})
    r = simulate(c, 20_000, 4, RiskAssumptions(effect_mean=0.0, effect_sd=0.0, enrolment_low=1.0,
                                               attrition_concentration=1e6))
    expected = 0.0
    for bits in itertools.product((0, 1), repeat=3):
        p = 1.0
        for b, item in zip(bits, items, strict=True):
            p *= item.expected_rate if b else 1 - item.expected_rate  # type: ignore[operator]
        expected += p * min(sum(float(i.price) for b, i in zip(bits, items, strict=True) if b), 8200.0)
    assert r.outcome_payments.mean == pytest.approx(1000 * expected, rel=0.005)
    assert r.prob_paid_without_effect is None  # a rate card pays outcomes, not an effect
    assert any(Translator("fr").render(n).startswith("Grille tarifaire") for n in r.notes)
