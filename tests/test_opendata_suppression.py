"""Small-cell suppression: no count below the threshold is published, and no hidden cell can be
recomputed from what is published — checked by an attacker's linear programme (scipy's HiGHS),
not by the suppression code's own reasoning."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from temoin.errors import InvalidInputError
from temoin.i18n import Translator
from temoin.opendata.suppression import SuppressedTable, suppress_counts, suppress_table


def attacker_ranges(t: SuppressedTable) -> dict[tuple[int, ...], tuple[float, float]]:
    """For each hidden entry, the smallest and largest value consistent with every published figure.

    Unknowns: the hidden entries (non-negative). Equations: each row of cells adds up to its row
    total, each column to its column total, the totals to the grand total.
    """
    values = t.values
    hidden = [tuple(int(i) for i in ix) for ix in np.argwhere(t.hidden)]
    pos = {ix: n for n, ix in enumerate(hidden)}
    rows_eq, rhs = [], []
    if values.ndim == 1:
        lines = [[(i,) for i in range(values.size - 1)] + [(values.size - 1,)]]
    else:
        R, C = values.shape[0] - 1, values.shape[1] - 1
        lines = [[(r, c) for c in range(C)] + [(r, C)] for r in range(R + 1)]
        lines += [[(r, c) for r in range(R)] + [(R, c)] for c in range(C + 1)]
    for line in lines:
        *parts, total = line
        coef = np.zeros(len(hidden))
        const = 0.0
        for ix in parts:
            if ix in pos:
                coef[pos[ix]] += 1
            else:
                const += values[ix]
        if total in pos:
            coef[pos[total]] -= 1
        else:
            const -= values[total]
        if coef.any():
            rows_eq.append(coef)
            rhs.append(-const)
    ranges = {}
    for ix, n in pos.items():
        c = np.zeros(len(hidden))
        c[n] = 1
        lo = linprog(c, A_eq=np.array(rows_eq), b_eq=np.array(rhs), bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=np.array(rows_eq), b_eq=np.array(rhs), bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status == 0
        ranges[ix] = (lo.fun, -hi.fun)
    return ranges


def assert_protected(t: SuppressedTable) -> None:
    for ix, (lo, hi) in attacker_ranges(t).items():
        assert hi - lo > 0.5, f"hidden entry {ix} = {t.values[ix]} is recomputable: [{lo}, {hi}]"
        assert lo <= t.values[ix] <= hi


def test_a_single_small_cell_is_protected_by_three_more() -> None:
    t = suppress_table([[12, 3, 20], [15, 25, 30]], threshold=10)
    published = t.published()
    assert published[0][1] is None  # the 3
    assert t.n_primary == 1 and t.n_secondary >= 3
    assert published[-1][-1] == 105  # grand total still shown
    assert_protected(t)


def test_without_secondary_suppression_the_attack_would_succeed() -> None:
    """The attacker's programme is strong enough to find a cell hidden on its own."""
    t = suppress_table([[12, 3, 20], [15, 25, 30]], threshold=10)
    naive = SuppressedTable(t.values, t.primary, np.zeros_like(t.secondary), t.threshold)
    (lo, hi), = attacker_ranges(naive).values()
    assert lo == hi == 3


def test_bridge_between_two_rectangles_is_closed() -> None:
    # Two small cells in different rows and columns: per-line "two hidden" is not enough in general.
    counts = np.array([[4, 30, 30, 30], [30, 30, 30, 30], [30, 30, 30, 6], [30, 30, 30, 30]])
    t = suppress_table(counts, threshold=10)
    assert t.primary[0, 0] and t.primary[2, 3]
    assert_protected(t)


def test_small_row_total_hides_the_row() -> None:
    t = suppress_table([[2, 3, 1], [40, 50, 60], [30, 20, 25]], threshold=10)
    assert t.hidden[0, :3].all() and t.hidden[0, 3]  # 6 people in row 0: nothing of it is shown
    assert_protected(t)


def test_zeros_are_published_and_not_chosen_when_avoidable() -> None:
    t = suppress_table([[0, 5, 20], [14, 0, 30], [11, 16, 0]], threshold=10)
    assert not t.hidden[0, 0] and not t.hidden[1, 1]
    assert_protected(t)


def test_threshold_is_configurable() -> None:
    counts = [[12, 14, 30], [15, 25, 30]]
    assert suppress_table(counts, threshold=10).n_primary == 0
    t = suppress_table(counts, threshold=15)
    assert t.n_primary == 2
    assert_protected(t)


def test_settings_default_threshold_is_ten() -> None:
    from temoin.settings import Settings

    assert Settings().small_cell_threshold == 10


def test_vector_with_total() -> None:
    t = suppress_counts([40, 3, 25, 18])
    assert t.published() == [40, None, 25, None, 86]  # 18 is the smallest other cell
    assert_protected(t)
    assert suppress_counts([40, 3, 5, 18]).n_secondary == 0  # two small cells protect each other


def test_single_row_table_is_treated_as_a_vector() -> None:
    t = suppress_table([[40, 3, 25, 18]])
    assert t.published()[0] == [40, None, 25, None, 86]
    assert t.published()[1] == [40, None, 25, None, 86]


def test_small_grand_total_hides_everything() -> None:
    t = suppress_table([[2, 1], [3, 0]])
    assert t.published() == [[None, None, None], [None, 0, None], [None, None, None]]


@pytest.mark.parametrize("bad", [[[1, -2], [3, 4]], [[1.5, 2], [3, 4]], [[[1]]], []])
def test_refuses_what_is_not_a_table_of_counts(bad: object) -> None:
    with pytest.raises(InvalidInputError) as exc:
        suppress_table(bad)  # type: ignore[arg-type]
    assert Translator("fr").error_message(exc.value) not in ("", exc.value.message())  # said in French


def test_refuses_a_bad_threshold() -> None:
    with pytest.raises(InvalidInputError):
        suppress_table([[1, 2], [3, 4]], threshold=0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 5).flatmap(
        lambda r: st.integers(2, 5).flatmap(
            lambda c: st.lists(st.lists(st.integers(0, 40), min_size=c, max_size=c), min_size=r, max_size=r)
        )
    ),
    st.integers(3, 15),
)
def test_property_no_hidden_cell_is_recomputable(counts: list[list[int]], threshold: int) -> None:
    t = suppress_table(counts, threshold=threshold)
    values = t.values
    # every count below the threshold (and above zero) is hidden, totals included
    assert not np.any((values > 0) & (values < threshold) & ~t.hidden)
    # what is shown is the truth
    arr = np.array(counts)
    assert np.array_equal(values[:-1, :-1], arr)
    if t.hidden.any():
        assert_protected(t)
