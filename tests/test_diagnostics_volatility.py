"""Lee bounds, sensitivity to missing outcomes, the volatility verdict, and the evidence grade."""

from __future__ import annotations

import numpy as np
import pytest

from temoin.contract.model import Design
from temoin.evaluation.diagnostics import (
    attrition,
    evidence_grade,
    lee_bounds,
    missing_outcome_sensitivity,
    volatility,
)
from temoin.evaluation.result import EvidenceGrade
from temoin.i18n import Translator

FR, EN = Translator("fr"), Translator("en")


def test_lee_bounds_hand_worked() -> None:
    # 10 randomised per arm; treated: 10 observed 1..10; control: 8 observed, mean 4.
    # q_t = 1, q_c = 0.8 → trim p = 0.2 of the treated (2 values): lower = mean(1..8) - 4 = 0.5,
    # upper = mean(3..10) - 4 = 2.5
    b = lee_bounds(np.arange(1, 11), np.array([1, 2, 3, 4, 4, 5, 6, 7]), n_treated=10, n_control=10)
    assert b.trimmed_arm == "treated" and b.trim_share == pytest.approx(0.2)
    assert b.lower == pytest.approx(0.5) and b.upper == pytest.approx(2.5)


def test_lee_bounds_fractional_trim_and_control_side() -> None:
    # control better followed: q_t = 0.5 (5/10), q_c = 0.75 (6/8) → p = 1/3 of 6 control values = 2 values
    b = lee_bounds(np.array([5.0] * 5), np.array([0.0, 1, 2, 3, 4, 5]), n_treated=10, n_control=8)
    assert b.trimmed_arm == "control"
    assert b.lower == pytest.approx(5 - np.mean([2, 3, 4, 5]))
    assert b.upper == pytest.approx(5 - np.mean([0, 1, 2, 3]))


def test_sensitivity_tipping_point() -> None:
    yt, yc = np.array([10.0, 12.0, 14.0]), np.array([8.0, 10.0, 12.0])
    s = missing_outcome_sensitivity(yt, yc, n_treated=6, sign=1, deltas=(0.0, 1.0))
    # base improvement 2; half the programme missing; control sd 2: each SD of shift costs 1
    assert s.improvements == pytest.approx((2.0, 1.0))
    assert s.tipping_delta == pytest.approx(2.0)


def test_volatility_proposes_alternatives_only_when_needed() -> None:
    assert not volatility([], data_source="survey").too_volatile
    v = volatility(["m24"], data_source="survey")
    assert v.too_volatile and "administrative" in EN.render(v.alternatives[0]) and len(v.alternatives) == 3
    assert "administratives" in FR.render(v.alternatives[0])
    assert len(volatility(["m24"], data_source="administrative").alternatives) == 2


LOW = attrition(wave="m12", indicator="x", randomised=(400, 400), followed=(380, 378), boundary="cautious")
HIGH = attrition(wave="m24", indicator="x", randomised=(400, 400), followed=(360, 300), boundary="cautious")


def test_grade_rules() -> None:
    assert evidence_grade(design=Design.STRATIFIED_RCT, attrition=LOW).grade is EvidenceGrade.MEETS
    g = evidence_grade(design=Design.STRATIFIED_RCT, attrition=HIGH)
    assert g.grade is EvidenceGrade.DOES_NOT_MEET and any("attrition" in EN.render(r) for r in g.reasons)
    assert evidence_grade(design=Design.ABSOLUTE_TARGET, attrition=None).grade is EvidenceGrade.DOES_NOT_MEET
    assert evidence_grade(design=Design.BENCHMARK, attrition=None).grade is EvidenceGrade.MEETS_WITH_RESERVATIONS
    amended = evidence_grade(design=Design.INDIVIDUAL_RCT, attrition=LOW, amended=True)
    assert amended.grade is EvidenceGrade.MEETS_WITH_RESERVATIONS and "amended" in " ".join(map(EN.render, amended.reasons))
    assert "modifié après son verrouillage" in " ".join(map(FR.render, amended.reasons))
