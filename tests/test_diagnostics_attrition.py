"""Attrition judged against the WWC boundaries (the bundled CSV is the shared reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from temoin.evaluation.diagnostics import attrition, max_differential
from temoin.evaluation.diagnostics.attrition import BOUNDARIES_CSV

SHARED = Path("/work/shared/reference/wwc_attrition_boundaries.csv")


def test_bundled_boundaries_are_the_shared_reference() -> None:
    if not SHARED.exists():
        pytest.skip("shared reference not on this machine")
    assert BOUNDARIES_CSV.read_text() == SHARED.read_text()


@pytest.mark.parametrize(("overall", "boundary", "limit"), [
    (10, "cautious", 6.3), (10, "optimistic", 10.9), (30, "cautious", 4.1), (57, "cautious", 0.0),
    (58, "cautious", None), (65, "optimistic", 0.3), (70, "optimistic", None), (9.6, "cautious", 6.3),
])
def test_lookup(overall: float, boundary: str, limit: float | None) -> None:
    assert max_differential(overall, boundary) == limit  # type: ignore[arg-type]


def test_low_and_high_attrition() -> None:
    # 400 randomised per arm; 360 and 352 followed: overall 11%, differential 2 pp → low
    low = attrition(wave="m12", indicator="x", randomised=(400, 400), followed=(360, 352), boundary="cautious")
    assert low.overall_pct == pytest.approx(11.0) and low.differential_pp == pytest.approx(2.0) and low.low
    # 360 and 320 followed: overall 15%, differential 10 pp → high (cautious limit 5.9)
    high = attrition(wave="m24", indicator="x", randomised=(400, 400), followed=(360, 320), boundary="cautious")
    assert not high.low and high.limit_pp == 5.9 and high.verdict.level == "fail"
    # the same under the optimistic boundary (limit 10.7) is low
    assert attrition(wave="m24", indicator="x", randomised=(400, 400), followed=(360, 320), boundary="optimistic").low


def test_one_arm_design_judges_overall_only() -> None:
    assert attrition(wave="m3", indicator="x", randomised=(900, 0), followed=(765, 0), boundary="cautious").low
    assert not attrition(wave="m3", indicator="x", randomised=(900, 0), followed=(300, 0), boundary="cautious").low
