"""A number in an uploaded file is a finite number: « nan », « inf » and their spellings, which
Python's float() reads, are refused like any other non-number, each on its row."""

from __future__ import annotations

import pandas as pd
import pytest

from temoin.contract.loading import load_contract
from temoin.evaluation.cohort_file import check_outcomes
from temoin.examples import example_path
from temoin.i18n import Translator

C = load_contract(example_path("aemo-renforcee"))


@pytest.mark.parametrize("written", ["nan", "NaN", "inf", "-Infinity", "+inf"])
def test_a_wave_value_that_is_no_finite_number_is_refused_on_its_row(written: str) -> None:
    frame = pd.DataFrame({"participant_id": ["A1", "A2", "A3"], "placement_days": ["12", written, "0"],
                          "placed_any": ["oui", "non", "1"]}, dtype=str)
    rows, _, errors, _ = check_outcomes(frame, C, "m12")
    assert [(e.row, e.column, e.value) for e in errors] == [(3, "placement_days", written)]
    assert Translator("fr").render(errors[0].message) == "nombre attendu"
    assert [r[2]["placement_days"] for r in rows if r[1] != "A2"] == [12.0, 0.0]


def test_numbers_as_people_write_them_are_still_read() -> None:
    frame = pd.DataFrame({"participant_id": ["A1", "A2"], "placement_days": ["1\u00a0234,5", "1e2"],
                          "placed_any": ["0", "1"]}, dtype=str)
    rows, _, errors, _ = check_outcomes(frame, C, "m12")
    assert errors == [] and [r[2]["placement_days"] for r in rows] == [1234.5, 100.0]
