"""XIRR against numpy-financial (regular schedules), Microsoft's documented example and hand-worked cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from temoin.settlement.xirr import xirr, xirr_columns, xirr_times, xirr_vec

schedules = st.lists(st.integers(0, 50_000).map(lambda c: c / 100), min_size=2, max_size=8).map(
    lambda xs: [-1000.0, *xs]).filter(lambda xs: sum(xs[1:]) > 1.0)


@settings(max_examples=500, deadline=None)
@given(schedules)
def test_scalar_matches_numpy_financial_on_regular_schedules(flows: list[float]) -> None:
    expected = npf.irr(flows)
    # numpy-financial keeps only roots whose imaginary part is exactly 0 and returns NaN when
    # rounding leaves a tiny one; those schedules say nothing about our solver.
    assume(np.isfinite(expected))
    got = xirr_times(list(range(len(flows))), flows)
    assert got == pytest.approx(expected, abs=1e-9)


def test_vectorised_matches_numpy_financial_on_many_regular_schedules() -> None:
    rng = np.random.default_rng(7)
    flows = np.hstack([-rng.uniform(500, 1000, (3000, 2)), rng.uniform(0, 600, (3000, 5))])
    got = xirr_vec(np.arange(7.0), flows)
    expected = np.array([npf.irr(row) for row in flows])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, err_msg="vectorised IRR differs from numpy-financial")


def test_regular_dates_365_days_apart_match_numpy_financial() -> None:
    d0 = dt.date(2021, 1, 1)
    amounts = [-1000.0, 300.0, 420.0, 500.0]
    flows = [(d0 + dt.timedelta(days=365 * k), a) for k, a in enumerate(amounts)]
    assert xirr(flows) == pytest.approx(npf.irr(amounts), abs=1e-9)


def test_microsoft_documented_example() -> None:
    # https://support.microsoft.com/office/xirr-function: result 0.373362535 (37.34 %), which Excel
    # solves to within 0.000001 %: agreement to 2e-9.
    flows = [(dt.date(2008, 1, 1), -10000), (dt.date(2008, 3, 1), 2750), (dt.date(2008, 10, 30), 4250),
             (dt.date(2009, 2, 15), 3250), (dt.date(2009, 4, 1), 2750)]
    assert xirr(flows) == pytest.approx(0.373362535, abs=2e-9)


def test_hand_worked_leap_year() -> None:
    # 1,000 out on 2020-01-01, 1,100 back on 2021-01-01: 366 days, so r = 1.1 ** (365 / 366) - 1.
    r = xirr([(dt.date(2020, 1, 1), -1000), (dt.date(2021, 1, 1), 1100)])
    assert r == pytest.approx(1.1 ** (365 / 366) - 1, abs=1e-12)


def test_hand_worked_two_tranches_one_repayment() -> None:
    # 100 on day 0 and 100 on day 365, 231 on day 730: (1+r)^2 + (1+r) = 2.31 → 1+r = 1.1.
    d0 = dt.date(2021, 1, 1)
    r = xirr([(d0, -100), (d0 + dt.timedelta(days=365), -100), (d0 + dt.timedelta(days=730), 231)])
    assert r == pytest.approx(0.1, abs=1e-12)


def test_total_loss_and_no_outflow() -> None:
    d0 = dt.date(2021, 1, 1)
    assert xirr([(d0, -100), (d0 + dt.timedelta(days=400), 0)]) == -1.0
    assert xirr([(d0, 100), (d0 + dt.timedelta(days=400), 10)]) is None
    out = xirr_vec([0.0, 1.0], [[-100, 0], [100, 10], [-100, 110]])
    assert out[0] == -1.0 and np.isnan(out[1]) and out[2] == pytest.approx(0.1, abs=1e-12)


def test_vectorised_equals_scalar_on_irregular_dates() -> None:
    rng = np.random.default_rng(3)
    times = np.array([0.0, 0.49, 2.71, 3.71, 4.2])
    flows = np.column_stack([-rng.uniform(100, 900, 500), -rng.uniform(0, 300, 500),
                             rng.uniform(0, 900, 500), rng.uniform(0, 600, 500), rng.uniform(0, 50, 500)])
    got = xirr_columns(times, flows.T.copy())
    expected = [xirr_times(list(times), list(row)) for row in flows]
    np.testing.assert_allclose(got, np.array(expected, dtype=float), atol=1e-10)


def test_near_total_loss_is_found() -> None:
    # One cent back on a million after 3 years: (1 + r)^3 = 1e-8.
    r = xirr_times([0.0, 3.0], [-1_000_000, 0.01])
    assert r == pytest.approx(1e-8 ** (1 / 3) - 1, rel=1e-9)
    assert xirr_vec([0.0, 3.0], [[-1_000_000, 0.01]])[0] == pytest.approx(r, rel=1e-9)


def test_tolerance_and_iteration_limit_reach_the_solver() -> None:
    rng = np.random.default_rng(5)
    flows = np.hstack([-rng.uniform(500, 1000, (200, 1)), rng.uniform(0, 600, (200, 4))])
    expected = np.array([npf.irr(row) for row in flows])
    one_step = xirr_vec(np.arange(5.0), flows, max_iter=1)
    assert np.max(np.abs(one_step - expected)) > 1e-6  # one Newton step from the simple-return guess is not enough
    loose = xirr_vec(np.arange(5.0), flows, tol=1e-4)
    assert 1e-12 < np.max(np.abs(loose - expected)) < 1e-4
