"""More tests that would notice a wrong cent (issue 13): the survivors of the second mutation run
on the payment rule (``make mutation``), each pinned down by a figure worked by hand here or by
what a user reads (a status, a cap line, a hint).

The small contract and its helpers are those of ``test_settlement_cents.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from temoin.errors import InvalidInputError
from temoin.settlement.arith import EXACT, FLOAT
from temoin.settlement.rule import ResultArrays, RuleInputs, run_rule
from test_settlement_cents import D, contract, debt, hint_in, in_en, in_fr, res, run

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
