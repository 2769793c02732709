"""Small-cell suppression for published counts, with secondary suppression (pure numpy).

A count derived from participants is published only if it is at least ``threshold`` (10 by
default, ``TEMOIN_SMALL_CELL_THRESHOLD``), or zero. Cells below are *primary* suppressed. Since
row, column and grand totals are published too, hiding one cell of a row is not enough: the
total minus the other cells gives it back. *Secondary* suppression hides further cells so that no
hidden cell can be recomputed from what is published.

How it works. Seen with its margins, a table of R rows and C columns is an (R+1) × (C+1) grid
in which every row and every column is an equation (cells add up to their total). Take the hidden
entries as edges of a bipartite graph between grid rows and grid columns. A hidden entry is fixed
by the published values exactly when its edge is a *bridge* of that graph (summing the equations
on one side of the bridge isolates it); an entry on a cycle can move by +1/−1 around the cycle
while every equation still holds, and since every hidden entry is at least 1 the move stays
non-negative. So the rule is: while a hidden entry is a bridge, hide the three other corners of
the cheapest rectangle through it (smallest total of newly hidden counts, never a zero cell when
another choice exists). Tests check the claim with a linear programme that tries to pin each
hidden cell down from the published figures.

A one-dimensional table (a vector and its total) needs zero or at least two hidden entries.

A caller that publishes other figures alongside the table may say which entries must stay shown
(``keep``: a count that another published figure gives back anyway), which must be hidden whatever
their size (``hide``: a count hidden elsewhere), and which margins it does not show at all
(``free``: hiding them costs nothing). When a hidden entry cannot be protected without hiding a
kept one, :class:`SuppressionConflict` says so: the caller must then withhold the other figure.

>>> t = suppress_table([[12, 3, 20], [15, 25, 30]], threshold=10)
>>> t.published()[0]       # 3 is primary; 12 hidden so the first row's total cannot give 3 back
[None, None, 20, 35]
>>> int(t.n_primary), int(t.n_secondary)
(1, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg

__all__ = ["SuppressedTable", "SuppressionConflict", "suppress_counts", "suppress_table"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class SuppressionConflict(TemoinError):
    """A count that must stay published (another published figure gives it back) is itself a
    small cell, or cannot be kept while protecting the small cells around it."""

    def __init__(self, where: str) -> None:
        super().__init__("suppression.conflict",
                         Msg("Statistical confidentiality: a count that must stay published ({where}) would give a small "
                             "cell back.", where=where),
                         hint=Msg("The figures derived from it are withheld in turn."))


@dataclass(frozen=True)
class SuppressedTable:
    """A count table with its margins and which entries are hidden.

    ``values`` has the margins: shape (R+1, C+1) for a 2-D table (last row: column totals, last
    column: row totals, corner: grand total) or (C+1,) for a vector (last entry: total).
    """

    values: IntArray
    primary: BoolArray
    secondary: BoolArray
    threshold: int

    @property
    def hidden(self) -> BoolArray:
        return self.primary | self.secondary

    @property
    def n_primary(self) -> int:
        return int(self.primary.sum())

    @property
    def n_secondary(self) -> int:
        return int(self.secondary.sum())

    def published(self) -> list[Any]:
        """The table with margins as nested lists of ints, ``None`` where hidden."""
        out = self.values.astype(object)
        out[self.hidden] = None
        result: list[Any] = out.tolist()
        return result

    def cell(self, *index: int) -> int | None:
        return None if bool(self.hidden[index]) else int(self.values[index])


def _as_counts(counts: Sequence[Any] | npt.ArrayLike) -> IntArray:
    arr = np.asarray(counts)
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise InvalidInputError(
            "suppression.shape",
            Msg("A one- or two-dimensional table of counts is expected (got shape {shape}).", shape=str(arr.shape)),
        )
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not np.all(np.isfinite(arr))):
        raise InvalidInputError(
            "suppression.not_counts", Msg("Cells must be whole numbers.")
        )
    as_int = arr.astype(np.int64)
    if np.any(as_int != arr) or np.any(as_int < 0):
        bad = tuple(int(i) for i in np.argwhere((as_int != arr) | (as_int < 0))[0])
        raise InvalidInputError(
            "suppression.not_counts",
            Msg("Cell {bad} is not a count (a whole number, zero or more): {value}.", bad=str(bad), value=repr(arr[bad])),
            hint=Msg("Small-cell suppression applies to counts of people only."),
        )
    return as_int


def _check_threshold(threshold: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or threshold < 1:
        raise InvalidInputError(
            "suppression.threshold",
            Msg("The threshold must be a whole number of at least 1 (got {threshold}).", threshold=repr(threshold)),
        )


def _sensitive(values: IntArray, threshold: int) -> BoolArray:
    result: BoolArray = (values > 0) & (values < threshold)
    return result


def suppress_counts(counts: Sequence[int] | npt.ArrayLike, threshold: int = 10) -> SuppressedTable:
    """Suppress a vector of counts published with its total."""
    _check_threshold(threshold)
    cells = _as_counts(counts)
    if cells.ndim != 1:
        raise InvalidInputError(
            "suppression.shape", Msg("A vector of counts is expected.")
        )
    values = np.append(cells, cells.sum())
    primary = _sensitive(values, threshold)
    if primary[-1]:  # a small total: nothing below it can be shown either
        primary = primary | (values > 0)
    secondary = np.zeros_like(primary)
    if primary.sum() == 1:
        # hide the smallest other non-zero entry (a zero only if there is nothing else)
        order = sorted(
            (i for i in range(values.size) if not primary[i]),
            key=lambda i: (values[i] == 0, values[i], i),
        )
        if order:
            secondary[order[0]] = True
    return SuppressedTable(values, primary, secondary, int(threshold))


def _bridges(hidden: BoolArray) -> list[tuple[int, int]]:
    """Hidden grid entries whose edge is a bridge of the row–column bipartite graph (Tarjan)."""
    n_rows, n_cols = hidden.shape
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n_rows + n_cols)]
    edges = [(int(r), int(c)) for r, c in np.argwhere(hidden)]
    for k, (r, c) in enumerate(edges):
        adj[r].append((n_rows + c, k))
        adj[n_rows + c].append((r, k))
    disc = [-1] * len(adj)
    low = [0] * len(adj)
    found: list[tuple[int, int]] = []
    clock = 0
    for root in range(len(adj)):
        if disc[root] != -1 or not adj[root]:
            continue
        disc[root] = low[root] = clock
        clock += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, edge used to reach it, next neighbour
        while stack:
            node, via, i = stack[-1]
            if i < len(adj[node]):
                stack[-1] = (node, via, i + 1)
                nxt, k = adj[node][i]
                if k == via:
                    continue
                if disc[nxt] == -1:
                    disc[nxt] = low[nxt] = clock
                    clock += 1
                    stack.append((nxt, k, 0))
                else:
                    low[node] = min(low[node], disc[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        found.append(edges[via])
    return sorted(found)


def _close_cycle(values: IntArray, hidden: BoolArray, r: int, c: int, keep: BoolArray,
                 free: BoolArray) -> list[tuple[int, int]] | None:
    """The cheapest rectangle (r, c), (r, c2), (r2, c), (r2, c2) to hide so (r, c) lies on a cycle
    (None when every rectangle would hide a kept entry). Hiding a free entry costs nothing."""
    n_rows, n_cols = values.shape
    best: tuple[tuple[int, int], list[tuple[int, int]]] | None = None
    for r2 in range(n_rows):
        if r2 == r:
            continue
        for c2 in range(n_cols):
            if c2 == c:
                continue
            corners = [(r, c2), (r2, c), (r2, c2)]
            new = [p for p in corners if not hidden[p]]
            if any(keep[p] for p in new):
                continue
            paid = [p for p in new if not free[p]]
            zeros = sum(1 for p in paid if values[p] == 0)
            cost = (zeros, int(sum(int(values[p]) for p in paid)))
            if best is None or cost < best[0]:
                best = (cost, new)
    return best[1] if best is not None else None


def suppress_table(counts: Sequence[Any] | npt.ArrayLike, threshold: int = 10, *, keep: npt.ArrayLike | None = None,
                   hide: npt.ArrayLike | None = None, free: npt.ArrayLike | None = None) -> SuppressedTable:
    """Primary and secondary suppression of a count table published with its row, column and grand totals.

    A 1-D input is treated by :func:`suppress_counts`; a table with a single row or column is
    treated as a vector too (its other margin would repeat the cells), unless ``keep``, ``hide`` or
    ``free`` is given. Those are boolean masks of the table *with its margins*, shape (R+1, C+1):
    entries never hidden, entries hidden whatever their size, and margins the caller does not show.
    """
    _check_threshold(threshold)
    cells = _as_counts(counts)
    if cells.ndim == 1:
        return suppress_counts(cells, threshold)
    n_rows, n_cols = cells.shape
    values = np.zeros((n_rows + 1, n_cols + 1), dtype=np.int64)
    values[:n_rows, :n_cols] = cells
    values[:n_rows, n_cols] = cells.sum(axis=1)
    values[n_rows, :n_cols] = cells.sum(axis=0)
    values[n_rows, n_cols] = cells.sum()
    constrained = keep is not None or hide is not None or free is not None
    keep_m = np.zeros(values.shape, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    hide_m = np.zeros(values.shape, dtype=bool) if hide is None else np.asarray(hide, dtype=bool)
    free_m = np.zeros(values.shape, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    if not (keep_m.shape == hide_m.shape == free_m.shape == values.shape):
        raise InvalidInputError("suppression.shape", Msg("The masks must have shape {shape} (margins included).", shape=str(values.shape)))
    if (n_rows == 1 or n_cols == 1) and not constrained:
        flat = suppress_counts(cells.ravel(), threshold)
        primary = np.zeros(values.shape, dtype=bool)
        secondary = np.zeros(values.shape, dtype=bool)
        line = (slice(0, n_cols + 1) if n_rows == 1 else slice(0, n_rows + 1))
        # the vector and its total sit on the first row (or first column) and are repeated by the other margin
        if n_rows == 1:
            primary[0, line] = flat.primary
            primary[1, line] = flat.primary
            secondary[0, line] = flat.secondary
            secondary[1, line] = flat.secondary
        else:
            primary[line, 0] = flat.primary
            primary[line, 1] = flat.primary
            secondary[line, 0] = flat.secondary
            secondary[line, 1] = flat.secondary
        return SuppressedTable(values, primary, secondary, int(threshold))
    primary = _sensitive(values, threshold) | hide_m
    if primary[n_rows, n_cols]:  # a small grand total: hide everything that is not zero
        primary = primary | (values > 0)
    if (primary & keep_m).any():
        r, c = (int(i) for i in np.argwhere(primary & keep_m)[0])
        raise SuppressionConflict(f"{r}, {c}")
    hidden = primary.copy()
    while True:
        bridges = _bridges(hidden)
        if not bridges:
            break
        r, c = bridges[0]
        corners = _close_cycle(values, hidden, r, c, keep_m, free_m)
        if corners is None:
            raise SuppressionConflict(f"{r}, {c}")
        for p in corners:
            hidden[p] = True
    secondary = hidden & ~primary
    return SuppressedTable(values, primary, secondary, int(threshold))
