"""Input checking and design matrices for the estimators.

Every refusal is an :class:`~temoin.errors.InvalidInputError` that names the column, the value and
what to do. Missing values are refused unless the caller asks for ``missing="drop"``; then the rows
are dropped listwise and the count is reported in the result's notes, never silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from temoin.errors import InvalidInputError
from temoin.evaluation.text import label, significant
from temoin.messages import Msg

Missing = Literal["error", "drop"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = [
    "ColumnSums",
    "FloatArray",
    "IntArray",
    "Missing",
    "Prepared",
    "all_equal",
    "check_alpha",
    "check_columns",
    "codes_of",
    "column_sum",
    "complete_rows",
    "numeric_column",
    "prepare",
    "run_split",
]


@dataclass(frozen=True)
class Prepared:
    """Checked, complete-case arrays for one estimation."""

    y: FloatArray
    d: FloatArray
    covariate_columns: tuple[FloatArray, ...]
    """The checked covariates, one float64 array each (read in place when the table holds float64)."""
    covariate_names: tuple[str, ...]
    covariate_means: tuple[float, ...]
    """Plain (unweighted) mean of each covariate, equal to ``np.mean`` of the column to the bit."""
    cluster: IntArray | None
    n_clusters: int
    block: IntArray | None
    block_labels: tuple[str, ...]
    weights: FloatArray | None
    n_dropped: int
    notes: tuple[Msg, ...]
    n_treated: int

    @cached_property
    def covariates(self) -> FloatArray:
        """(n, p) covariate matrix, Fortran order (p may be 0), built on first use."""
        cov = np.empty((self.n, len(self.covariate_columns)), dtype=np.float64, order="F")
        for j, col in enumerate(self.covariate_columns):
            cov[:, j] = col
        return cov

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_control(self) -> int:
        return self.n - self.n_treated


#: Array cells (rows × columns) from which independent column loops share two threads.
PARALLEL_CELLS = 1 << 21


def _run_all(tasks: Sequence[Callable[[], object]]) -> None:
    for task in tasks:
        task()


def run_split(tasks: Sequence[Callable[[], object]], cells: int) -> None:
    """Run independent ``tasks``, shared between this thread and one more when they touch at least
    ``PARALLEL_CELLS`` array cells and there are two CPUs or more: the numpy and SciPy loops they
    run release the GIL. Each task runs whole in one thread; an exception propagates."""
    if len(tasks) > 1 and cells >= PARALLEL_CELLS and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(_run_all, tasks[1::2])
            _run_all(tasks[::2])
            other.result()
    else:
        _run_all(tasks)


def all_equal(values: FloatArray, block: int = 1 << 16) -> bool:
    """``np.all(values == values[0])``, block by block: stops at the first block holding another
    value (the first block, for any real variable)."""
    first = values[0]
    return all(bool(np.all(values[i : i + block] == first)) for i in range(0, values.shape[0], block))


def check_columns(data: pd.DataFrame, columns: Sequence[str], *, path: str = "data") -> None:
    """Refuse a column name that is not in ``data``, listing the columns that are."""
    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError(
            "evaluation.not_a_table",
            Msg('The data must be a table (pandas DataFrame).'),
            path=path,
        )
    unknown = [c for c in columns if c not in data.columns]
    if not unknown and not data.columns.is_unique:
        seen = data.columns[data.columns.duplicated()]
        twice = sorted({str(c) for c in columns if c in seen})
        if twice:
            names = ", ".join(repr(c) for c in twice)
            raise InvalidInputError(
                "evaluation.duplicate_column_name",
                Msg('Several columns of the data have the same name: {names}.', names=names),
                path=twice[0],
                hint=Msg('Rename or remove the duplicates before estimating.'),
            )
    if unknown:
        available = ", ".join(map(str, data.columns[:30]))
        names = ", ".join(repr(c) for c in unknown)
        raise InvalidInputError(
            "evaluation.unknown_column",
            Msg('Column(s) not in the data: {names}.', names=names),
            path=path,
            hint=Msg('Available columns: {available}. Check the spelling or the analysis plan.', available=available),
        )


def check_alpha(alpha: float, *, path: str = "alpha") -> None:
    """Refuse a significance level outside (0, 1) (or not a number), naming it."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not 0 < alpha < 1:
        raise InvalidInputError(
            "evaluation.bad_alpha",
            Msg('Level alpha={alpha} outside (0, 1).', alpha=repr(alpha)),
            path=path,
            hint=Msg('Give a level strictly between 0 and 1, for example 0.05.'),
        )


def numeric_column(data: pd.DataFrame, name: str, role: str) -> FloatArray:
    """A column as float64; refuses text and dates with a message naming the column and its
    ``role`` (a code of ``label:column_role:*``: outcome, treatment, covariate, weights, …)."""
    col = data[name]
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
        return np.asarray(col.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    converted = pd.to_numeric(col, errors="coerce")
    bad = col[converted.isna() & col.notna()]
    if len(bad):
        raise InvalidInputError(
            "evaluation.not_numeric",
            Msg("Column {name} ({role}) is not numeric: value {value} ({count} non-numeric value(s)).", name=repr(name),
                role=label("column_role", role), value=repr(bad.iloc[0]), count=len(bad)),
            path=name,
            hint=Msg('Code it as numbers (e.g. 0/1 indicators for a categorical variable).'),
        )
    return np.asarray(converted.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def codes_of(values: pd.Series) -> tuple[IntArray, tuple[str, ...]]:
    """Integer codes 0..G-1 for a grouping column (cluster, block), with the labels (sorted)."""
    dense = _dense_integer_codes(values)
    if dense is not None:
        return dense
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64), tuple(str(u) for u in uniques)


def _dense_integer_codes(values: pd.Series) -> tuple[IntArray, tuple[str, ...]] | None:
    """The codes and labels of ``pd.factorize(values, sort=True)`` for an integer column whose
    values span a range no longer than the column, by a table indexed by value (no hashing);
    None for anything else."""
    if not isinstance(values.dtype, np.dtype) or values.dtype.kind not in "iu" or len(values) == 0:
        return None
    v = values.to_numpy()
    lo, hi = int(v.min()), int(v.max())
    if hi - lo > max(len(v), 1 << 16) or hi > np.iinfo(np.int64).max:
        return None
    v = v.astype(np.int64, copy=False)
    shifted = v - lo if lo != 0 else v
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    labels = tuple(str(u) for u in (np.flatnonzero(present) + lo).tolist())
    if lo == 0 and bool(present.all()):  # already coded 0..G-1: the values are the codes
        return v, labels
    lookup = np.cumsum(present) - 1
    return np.asarray(lookup[shifted], dtype=np.int64), labels


#: Sums of float64 columns taken by the missing-value check, by column name, with the array summed:
#: ``prepare`` reuses them for the finiteness checks and the covariate means (one pass, not three).
ColumnSums = dict[str, tuple[FloatArray, float]]


def _float_sum(values: FloatArray) -> float:
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.add.reduce(values, axis=None))


def column_sum(sums: ColumnSums, name: str, values: FloatArray) -> float:
    """Sum of ``values``: the one the missing-value check took when it summed the very same array
    (same buffer, layout and length), else computed now. Equal to ``np.sum(values)`` to the bit."""
    known = sums.get(name)
    if known is not None:
        seen = known[0]
        if (seen.ctypes.data, seen.strides, seen.shape, seen.dtype) == (
            values.ctypes.data, values.strides, values.shape, values.dtype
        ):
            return known[1]
    return _float_sum(values)


def _missing_report(data: pd.DataFrame, columns: Sequence[str], sums: ColumnSums | None = None) -> dict[str, int]:
    """Missing values per column (only those with some). Integer and boolean numpy columns cannot
    hold one, and a float column whose sum is not NaN holds none (a NaN makes the sum NaN): only
    the other columns go through ``isna``. The sums run on two threads on large tables."""
    cols = list(columns)
    if data.columns.is_unique:
        floats: dict[str, FloatArray] = {}
        unsure: set[str] = set()
        for c in cols:
            col = data[c]
            if not isinstance(col, pd.Series) or not isinstance(col.dtype, np.dtype) or col.dtype.kind not in "iubf":
                unsure.add(c)
            elif col.dtype.kind == "f":
                floats[c] = col.to_numpy()
        totals: dict[str, float] = {}

        def add_up(name: str) -> None:
            totals[name] = _float_sum(floats[name])

        run_split([partial(add_up, c) for c in floats], sum(v.size for v in floats.values()))
        for c, total in totals.items():
            if np.isnan(total):
                unsure.add(c)
            if sums is not None and floats[c].dtype == np.float64:
                sums[c] = (floats[c], total)
        cols = [c for c in cols if c in unsure]
        if not cols:
            return {}
    counts = data[cols].isna().sum()
    return {str(k): int(v) for k, v in counts.items() if v > 0}


def complete_rows(
    data: pd.DataFrame, used: Sequence[str], missing: Missing, *, sums: ColumnSums | None = None
) -> tuple[pd.DataFrame, int, list[Msg]]:
    """Rows complete on ``used``: refuse missing values, or drop them and say how many (``missing="drop"``).

    ``sums``, when given, receives the column sums the check took (emptied when rows are dropped).
    """
    report = _missing_report(data, used, sums)
    if not report:
        return data, 0, []
    if sums is not None:
        sums.clear()
    detail = ", ".join(f"{k} ({v})" for k, v in report.items())
    if missing == "error":
        raise InvalidInputError(
            "evaluation.missing_values",
            Msg('Missing values in: {detail}.', detail=detail),
            path=next(iter(report)),
            hint=Msg("Complete the data, or ask explicitly for missing='drop' (incomplete rows are dropped and counted in the result)."),
        )
    keep = data[list(used)].notna().all(axis=1)
    n_dropped = int((~keep).sum())
    note = Msg('{n_dropped} row(s) dropped for missing values ({detail}).', n_dropped=n_dropped, detail=detail)
    return data.loc[keep], n_dropped, [note]


def prepare(
    data: pd.DataFrame,
    outcome: str,
    treatment: str,
    covariates: Sequence[str] = (),
    *,
    cluster: str | None = None,
    block: str | None = None,
    weights: str | None = None,
    missing: Missing = "error",
) -> Prepared:
    """Check the inputs of an effect estimate and return complete-case arrays."""
    if isinstance(covariates, str):
        covariates = tuple(c.strip() for c in covariates.split(",") if c.strip())
    covariates = tuple(covariates)
    roles = [outcome, treatment, *covariates]
    for extra in (cluster, block, weights):
        if extra is not None:
            roles.append(extra)
    check_columns(data, roles)
    dup = sorted({c for c in covariates if covariates.count(c) > 1})
    if dup or outcome in covariates or treatment in covariates:
        clash = dup or [c for c in (outcome, treatment) if c in covariates]
        raise InvalidInputError(
            "evaluation.duplicate_column",
            Msg("Column used twice: {columns}.", columns=', '.join(clash)),
            path="covariates",
            hint=Msg('A covariate cannot also be the outcome or the treatment.'),
        )
    if missing not in ("error", "drop"):
        raise InvalidInputError(
            "evaluation.bad_option",
            Msg('Unknown option missing={missing}.', missing=repr(missing)),
            path="missing",
            hint=Msg("Choose 'error' (refuse) or 'drop' (drop incomplete rows, reported)."),
        )

    sums: ColumnSums = {}
    frame, n_dropped, notes = complete_rows(data, list(dict.fromkeys(roles)), missing, sums=sums)

    y = numeric_column(frame, outcome, "outcome")
    t_raw = frame[treatment]
    d = numeric_column(frame, treatment, "treatment")
    if not np.all((d == 0.0) | (d == 1.0)):
        shown = ", ".join(repr(v) for v in pd.unique(t_raw)[:6])
        raise InvalidInputError(
            "evaluation.treatment_not_binary",
            Msg('Treatment {treatment} must be 0 (control) or 1 (programme); values found: {shown}.', treatment=repr(treatment), shown=shown),
            path=treatment,
            hint=Msg('Recode the assigned arm as 0/1.'),
        )
    n1 = int(column_sum(sums, treatment, d))  # 0s and 1s: the sum is the count, exactly
    n0 = int(d.shape[0]) - n1
    if n1 == 0 or n0 == 0:
        raise InvalidInputError(
            "evaluation.empty_arm",
            Msg("The programme (1) arm is empty: no effect can be estimated ({n1} treated, {n0} controls)."
                if n1 == 0 else "The control (0) arm is empty: no effect can be estimated ({n1} treated, {n0} controls).",
                n1=n1, n0=n0),
            path=treatment,
            hint=Msg('Check the assignment and any filter applied to the data.'),
        )
    if min(n1, n0) == 1:
        notes.append(
            Msg("A single person in the programme group: that group's variance is not estimated (the standard error "
                "rests on the other group); p-value and interval very fragile." if n1 == 1 else
                "A single person in the control group: that group's variance is not estimated (the standard error "
                "rests on the other group); p-value and interval very fragile.")
        )
    if all_equal(y):
        raise InvalidInputError(
            "evaluation.constant_outcome",
            Msg("Outcome {outcome} is constant (always {value}): no effect can be estimated.", outcome=repr(outcome),
                value=significant(float(y[0]), 6)),
            path=outcome,
            hint=Msg('Check the outcome column and the follow-up wave chosen.'),
        )
    # a finite sum means every value is finite; otherwise look
    if not np.isfinite(column_sum(sums, outcome, y)) and not np.all(np.isfinite(y)):
        raise InvalidInputError(
            "evaluation.not_finite",
            Msg('Outcome {outcome} contains an infinite value.', outcome=repr(outcome)),
            path=outcome,
        )

    n = int(y.shape[0])
    cov: list[FloatArray] = []
    means: list[float] = []
    for name in covariates:
        col = numeric_column(frame, name, "covariate")
        total = column_sum(sums, name, col)
        if not np.isfinite(total) and not np.all(np.isfinite(col)):
            raise InvalidInputError(
                "evaluation.not_finite",
                Msg('Covariate {name} contains an infinite value.', name=repr(name)),
                path=name,
            )
        cov.append(col)
        means.append(total / n)  # np.mean(col), to the bit: the same sum over the same count

    cl_codes: IntArray | None = None
    n_clusters = 0
    if cluster is not None:
        cl_codes, labels = codes_of(frame[cluster])
        n_clusters = len(labels)
        if n_clusters < 2:
            raise InvalidInputError(
                "evaluation.too_few_clusters",
                Msg('At least two clusters are needed (column {cluster}); found: {n_clusters}.', cluster=repr(cluster), n_clusters=n_clusters),
                path=cluster,
                hint=Msg("Without several clusters a clustered standard error is meaningless: remove 'cluster'."),
            )

    bl_codes: IntArray | None = None
    bl_labels: tuple[str, ...] = ()
    if block is not None:
        bl_codes, bl_labels = codes_of(frame[block])

    w: FloatArray | None = None
    if weights is not None:
        w = numeric_column(frame, weights, "weights")
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            bad = w[~(np.isfinite(w) & (w > 0))][0]
            raise InvalidInputError(
                "evaluation.bad_weights",
                Msg("Weights {weights} must be strictly positive and finite; value found: {bad}.", weights=repr(weights),
                    bad=significant(float(bad), 6)),
                path=weights,
            )

    return Prepared(
        y=y,
        d=d,
        covariate_columns=tuple(cov),
        covariate_means=tuple(means),
        covariate_names=covariates,
        cluster=cl_codes,
        n_clusters=n_clusters,
        block=bl_codes,
        block_labels=bl_labels,
        weights=w,
        n_dropped=n_dropped,
        notes=tuple(notes),
        n_treated=n1,
    )
