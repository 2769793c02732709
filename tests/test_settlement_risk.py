"""Risk simulation: reproducible, and its probabilities agree with closed forms where they exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import norm

from temoin.contract import load_contract
from temoin.errors import InvalidInputError
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
