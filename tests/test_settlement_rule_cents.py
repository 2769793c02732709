"""More tests that would notice a wrong cent (issue 13): the survivors of the second mutation run
on the payment rule (``make mutation``), each pinned down by a figure worked by hand here or by
what a user reads (a status, a cap line, a hint).

The small contract and its helpers are those of ``test_settlement_cents.py``.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from temoin.errors import InvalidInputError
from temoin.settlement.arith import EXACT, FLOAT
from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule
from test_settlement_cents import (
    D,
    S,
    contract,
    debt,
    eur,
    hint_in,
    in_en,
    in_fr,
    res,
    run,
)

KINDS = {"exact": EXACT, "float": FLOAT}


def _one(*values: float) -> ResultArrays:
    """A result in len(values) scenarios, one participant each, graded to pay."""
    k = len(values)
    return ResultArrays(np.array(values, dtype=np.float64), np.ones(k), np.ones(k, dtype=bool))


def _floats(x: Any) -> list[float]:
    return [float(v) for v in np.asarray(x).tolist()]


# --- what settle accepts: every refusal says what to write, in both languages -----------------------


@pytest.mark.parametrize(("row", "en", "fr"), [
    ("a row", "Write each result with its keys: indicator, wave, improvement, n_treated_followed, grade.",
     "Écrivez chaque résultat avec ses clés : indicator, wave, improvement, n_treated_followed, grade."),
    ({"indicator": "outcome", "wave": "w1", "improvement": "much", "n_treated_followed": 1, "grade": "does_not_meet"},
     "Write each as a number, for example 52.5.", "Écrivez chacun comme un nombre, par exemple 52.5."),
    ({"indicator": "outcome", "wave": "w1", "improvement": 1, "n_treated_followed": -2, "grade": "does_not_meet"},
     "Write the number of participants followed.", "Écrivez le nombre de participants suivis."),
])
def test_a_refused_result_says_what_to_write(row: Any, en: str, fr: str) -> None:
    from temoin.settlement.inputs import results_from_data

    with pytest.raises(InvalidInputError) as e:
        results_from_data(contract(), 1, [row])
    assert (hint_in(e.value, "en"), hint_in(e.value, "fr")) == (en, fr)


def test_a_refused_claim_says_what_to_write() -> None:
    from temoin.settlement.inputs import claims_from_data

    with pytest.raises(InvalidInputError) as e:
        claims_from_data([{"participant": "ann", "outcome": "job"}])
    assert hint_in(e.value, "en") == "Write each claim with these three keys."
    assert hint_in(e.value, "fr") == "Écrivez chaque réclamation avec ces trois clés."
    assert in_en(e.value) == "A claim has participant, outcome and period."
    assert in_fr(e.value) == "Une réclamation a participant, outcome et period."


def test_an_unknown_indicator_or_wave_is_refused_with_the_contracts_own() -> None:
    c = contract()
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w1", 1, indicator="nope")])
    assert hint_in(e.value, "en") == "The contract's indicators: outcome, gate."
    assert hint_in(e.value, "fr") == "Indicateurs du contrat : outcome, gate."
    with pytest.raises(InvalidInputError) as e:
        run(c, [res(c, "w3", 1)])
    assert hint_in(e.value, "en") == "The contract's waves: w1, w2."
    assert hint_in(e.value, "fr") == "Vagues du contrat : w1, w2."


# --- the investors' side in floats: a class already repaid ------------------------------------------


def test_the_simulation_repays_a_class_already_repaid_without_a_warning() -> None:
    # Two senior debts of 100 each (200 of principal). p1 pays 2 × 100 = 200: all the principal.
    # p2 pays 3 × 100 − 200 = 100: the senior class owes nothing (0 / 0 in the split), so all of it
    # is returns, 50 and 50 by capital. The simulation must say so without a numpy warning.
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "100.00")), debt("inv-b", (D(2025, 1, 1), "100.00"))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_rule(c, RuleInputs(2, {("outcome", "w1"): _one(2.0, 2.0), ("outcome", "w2"): _one(3.0, 3.0)}), FLOAT)
    assert [_floats(x) for x in out.periods[1].investor_shares] == [[50.0, 50.0], [50.0, 50.0]]
    a, b = out.investors
    assert _floats(a.repaid_principal) == [100.0, 100.0] and _floats(a.returns) == [50.0, 50.0]
    assert _floats(b.repaid_principal) == [100.0, 100.0] and _floats(b.returns) == [50.0, 50.0]


# --- the day of a payment, and a pooled result known in some scenarios only --------------------------


def test_a_period_paid_on_the_settlement_date_is_settled() -> None:
    c = contract()
    # p1 is paid on 2026-01-01: settled on that very day (3 × 1 × 100), not the day before.
    on_the_day = run(c, [res(c, "w1", 3)], as_of=D(2026, 1, 1))
    assert [p.period for p in on_the_day.periods] == ["p1"] and on_the_day.total_paid == eur("300.00")
    day_before = run(c, [res(c, "w1", 3)], as_of=D(2025, 12, 31))
    assert day_before.periods == () and day_before.total_paid == eur("0.00")


def _pooled_contract() -> Any:
    # Peterborough's shape: each period pays its own cohort at a 10 % threshold; at the last period a
    # pooled result over both cohorts pays instead when it reaches 7.5 and is worth more.
    waves = [{"id": "w1", "months_after_enrolment": 12}, {"id": "w2", "months_after_enrolment": 24},
             {"id": "pool", "months_after_enrolment": 36}]
    return contract(evaluation={"design": "individual_rct", "follow_up_waves": waves},
                    payments__accumulation="by_cohort",
                    payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 10,
                                           "pooled": {"wave": "pool", "threshold": 7.5}}],
                    savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}])


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_pooled_result_known_in_some_scenarios_only(kind: str) -> None:
    a = KINDS[kind]
    yes = np.array([True, True])
    cohort1 = ResultArrays(np.array([5.0, 5.0]), np.array([10.0, 10.0]), yes)
    cohort2 = ResultArrays(np.array([6.0, 6.0]), np.array([10.0, 10.0]), yes)
    pool = ResultArrays(np.array([8.0, 8.0]), np.array([20.0, 20.0]), yes, present=np.array([True, False]), result_hash="hp")
    out = run_rule(_pooled_contract(), RuleInputs(2, {("outcome", "w1"): cohort1, ("outcome", "w2"): cohort2,
                                                      ("outcome", "pool"): pool}), a, investors=False)
    p1, p2 = out.periods
    # Both cohorts miss the 10 threshold: nothing at p1, nothing from the cohorts at p2.
    assert [ln.pooled for ln in p2.lines] == [False, True] and len(p1.lines) == 1
    cohort, pooled = p2.lines
    assert [cohort.statuses(k) for k in (0, 1)] == [S.BELOW_THRESHOLD, S.BELOW_THRESHOLD]
    # Scenario 0 knows the pooled result: 8 ≥ 7.5, 8 × 20 × 100 = 16,000. Scenario 1 does not: pending.
    assert [pooled.statuses(k) for k in (0, 1)] == [S.PAID, S.PENDING]
    assert (pooled.indicator, pooled.wave, pooled.result_hash) == ("outcome", "pool", "hp")
    assert _floats(pooled.amount) == [16000.0, 0.0] and _floats(pooled.units) == [160.0, 0.0]
    assert _floats(p1.due) == [0.0, 0.0] and _floats(p2.due) == [16000.0, 0.0]
    # Savings: the cohorts' 5 × 10 × 50 + 6 × 10 × 50 = 5,500, or the pooled 8 × 20 × 50 = 8,000 where known.
    assert _floats(p2.savings[0].amount) == [8000.0, 5500.0] and _floats(p2.savings_total) == [8000.0, 5500.0]
    assert _floats(p2.savings[0].avoided_units) == [160.0, 60.0]
    # The pooled result still pending in scenario 1: its figures are not final there.
    assert np.asarray(out.final).tolist() == [True, False]


@pytest.mark.parametrize(("impact", "count", "price", "cents"), [
    # 20.549999999999997 × 109 × 170.30 = 381,463.48499999999944…: the float product, 381,463.485 up to
    # rounding noise, was rounded up to …49 by the float arithmetic's guard while settle pays …48
    (20.549999999999997, 109, "170.30", "381463.48"),
    (58.379999999999995, 275, "357.33", "5736754.48"),  # 5,736,754.4849999999…
    (106.30999999999999, 350, "45.61", "1697079.68"),  # 1,697,079.6849999999…
    (20.55, 109, "170.30", "381463.49"),  # 381,463.485 exactly: half a cent, away from zero
])
def test_a_product_within_noise_of_half_a_cent_is_paid_as_settle_pays_it(impact: float, count: int, price: str,
                                                                          cents: str) -> None:
    from temoin.settlement.arith import EXACT, FLOAT

    written = Decimal(repr(impact)) * count * Decimal(price)  # the impact as settle reads it: its shortest decimal
    assert abs(written - Decimal(cents)) <= Decimal("0.005")
    by_float = FLOAT.priced(np.array([impact]), np.array([float(count)]), Decimal(price))
    by_exact = EXACT.priced(np.array([impact]), np.array([float(count)]), Decimal(price))
    assert float(by_float[0]) == float(cents) and by_exact[0] == Decimal(cents)


@pytest.mark.parametrize(("impact", "price", "cents"), [
    (320.0, "4375.00", "1400000.00"),  # ADIE at its target: 320 people counted × 4,375 €
    (2.005, "1.00", "2.01"),  # 2.005 as written (its float is 2.00499999…): half a cent, away from zero
    (0.285, "3.00", "0.86"),  # 0.855 exactly once read as written (the float product is 0.85499999…)
])
def test_an_absolute_target_prices_the_count_itself_in_both_arithmetics(impact: float, price: str, cents: str) -> None:
    """An absolute target has no count of people to multiply (``count`` is None): both arithmetics price
    the impact as written, by hand: 320 × 4,375 = 1,400,000.00; 2.005 × 1 = 2.005 → 2.01; 0.285 × 3 = 0.855 → 0.86."""
    from temoin.settlement.arith import EXACT, FLOAT

    by_float = FLOAT.priced(np.array([impact]), None, Decimal(price))
    by_exact = EXACT.priced(np.array([impact]), None, Decimal(price))
    assert float(by_float[0]) == float(cents) and by_exact[0] == Decimal(cents)


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_the_pooled_result_decides_whether_savings_count_where_it_is_known(kind: str) -> None:
    a = KINDS[kind]
    yes, no = np.array([True, True]), np.array([False, False])
    cohort1 = ResultArrays(np.array([5.0, 5.0]), np.array([10.0, 10.0]), yes)
    cohort2 = ResultArrays(np.array([6.0, 6.0]), np.array([10.0, 10.0]), no)  # graded not to pay: not counted
    pool = ResultArrays(np.array([8.0, 8.0]), np.array([20.0, 20.0]), yes, present=np.array([True, False]), result_hash="hp")
    out = run_rule(_pooled_contract(), RuleInputs(2, {("outcome", "w1"): cohort1, ("outcome", "w2"): cohort2,
                                                      ("outcome", "pool"): pool}), a, investors=False)
    # Scenario 0 knows the pooled result, which counts; scenario 1 keeps the second cohort's, which does not.
    assert np.asarray(out.periods[1].savings[0].counted).tolist() == [True, False]


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_a_gated_pooled_result_and_a_cohort_known_in_some_scenarios(kind: str) -> None:
    a = KINDS[kind]
    waves = [{"id": "w1", "months_after_enrolment": 12}, {"id": "w2", "months_after_enrolment": 24},
             {"id": "pool", "months_after_enrolment": 36}]
    c = contract(evaluation={"design": "individual_rct", "follow_up_waves": waves},
                 payments__accumulation="by_cohort",
                 payments__indicators=[{"indicator": "outcome", "price_per_unit": "100.00", "threshold": 10,
                                        "pooled": {"wave": "pool", "threshold": 7.5},
                                        "requires": [{"indicator": "gate", "at_least": 1}]}],
                 savings=[{"indicator": "outcome", "unit_cost": "50.00", "unit": "point", "source": "a tariff"}])
    yes = np.array([True, True])
    gate_met = ResultArrays(np.array([2.0, 2.0]), np.array([20.0, 20.0]), yes)
    cohort1 = ResultArrays(np.array([5.0, 5.0]), np.array([10.0, 10.0]), yes, present=np.array([True, False]))
    cohort2 = ResultArrays(np.array([6.0, 6.0]), np.array([10.0, 10.0]), yes)
    pool = ResultArrays(np.array([8.0, 8.0]), np.array([20.0, 20.0]), yes)
    out = run_rule(c, RuleInputs(2, {("outcome", "w1"): cohort1, ("outcome", "w2"): cohort2, ("outcome", "pool"): pool,
                                     ("gate", "w1"): gate_met, ("gate", "w2"): gate_met, ("gate", "pool"): gate_met}),
                   a, investors=False)
    p1, p2 = out.periods
    # The first cohort is known in scenario 0 only: its savings 5 × 10 × 50 = 2,500 there, nothing yet in scenario 1.
    assert _floats(p1.savings[0].avoided_units) == [50.0, 0.0] and _floats(p1.savings[0].amount) == [2500.0, 0.0]
    # The pooled result (its gate, 2 ≥ 1, read at the pooled wave) pays 8 × 20 × 100 = 16,000 in both scenarios.
    pooled = p2.lines[-1]
    assert pooled.pooled and _floats(pooled.amount) == [16000.0, 16000.0]


@pytest.mark.parametrize("kind", ["exact", "float"])
def test_without_investors_the_rule_says_nothing_of_them(kind: str) -> None:
    """The payer's side only (as the diagnosis asks it): the same payments, and no investor figures at all."""
    c = contract(investments=[debt("inv-a", (D(2025, 1, 1), "100000.00"))])
    inputs = RuleInputs(2, {("outcome", "w1"): _one(3.0, 4.0), ("outcome", "w2"): _one(5.0, 6.0)})
    full, payer_only = run_rule(c, inputs, KINDS[kind]), run_rule(c, inputs, KINDS[kind], investors=False)
    assert [_floats(p.due) for p in payer_only.periods] == [_floats(p.due) for p in full.periods] == [[300.0, 400.0],
                                                                                                      [200.0, 200.0]]
    assert full.investors and all(p.investor_shares for p in full.periods)
    assert payer_only.investors == [] and all(p.investor_shares == [] for p in payer_only.periods)
