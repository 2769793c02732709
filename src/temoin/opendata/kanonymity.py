"""k-anonymity of pseudonymised microdata on its quasi-identifiers (pandas).

A table is k-anonymous when every combination of quasi-identifier values (age, sex, territory…)
is shared by at least k records, so nobody can be singled out by what an outsider may know.

:func:`check_k_anonymity` measures it. :func:`anonymise` makes an extract k-anonymous, in this
order, and says what it did:

1. numeric quasi-identifiers are generalised into bands, widening step by step (5, 10, 20 units
   by default) until at most 1 % of records are left in classes smaller than k, or the widest
   band is reached (bands cost precision for everyone, suppression costs a few people);
2. the records still in classes smaller than k are suppressed (left out), provided they are at
   most ``max_suppressed_share`` of the extract (5 % by default);
3. otherwise the extract is refused (:class:`KAnonymityRefused`): publishing it would need to
   drop too much, or more generalisation than Témoin can do alone.

With ``policy="refuse"``, an extract that is not k-anonymous as it stands is refused outright.

>>> import pandas as pd
>>> df = pd.DataFrame({"age": [31, 32, 33, 34, 36, 37, 38, 39], "sex": ["F"] * 8})
>>> check_k_anonymity(df, ["age", "sex"], k=4).satisfied
False
>>> out = anonymise(df, ["age", "sex"], k=4)
>>> sorted(out.frame["age"].unique()), out.generalised, out.suppressed_records
(['30-34', '35-39'], {'age': 5}, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from temoin.errors import InvalidInputError, TemoinError
from temoin.messages import Msg, Share

__all__ = ["Anonymised", "KAnonymityRefused", "KAnonymityReport", "anonymise", "check_k_anonymity"]


class KAnonymityRefused(TemoinError):
    """An extract that cannot be made k-anonymous within the rules."""


@dataclass(frozen=True)
class KAnonymityReport:
    k: int
    quasi_identifiers: tuple[str, ...]
    n_records: int
    n_classes: int
    smallest_class: int
    records_in_small_classes: int

    @property
    def satisfied(self) -> bool:
        return self.records_in_small_classes == 0

    def to_dict(self) -> dict[str, object]:
        return {
            "k": self.k,
            "quasi_identifiers": list(self.quasi_identifiers),
            "records": self.n_records,
            "classes": self.n_classes,
            "smallest_class": self.smallest_class,
            "records_in_classes_smaller_than_k": self.records_in_small_classes,
            "satisfied": self.satisfied,
        }


@dataclass(frozen=True)
class Anonymised:
    frame: pd.DataFrame
    before: KAnonymityReport
    after: KAnonymityReport
    generalised: dict[str, int] = field(default_factory=dict)  # column -> band width
    suppressed_records: int = 0

    @property
    def action(self) -> Literal["none", "generalised", "generalised_and_suppressed", "suppressed"]:
        if self.generalised and self.suppressed_records:
            return "generalised_and_suppressed"
        if self.generalised:
            return "generalised"
        if self.suppressed_records:
            return "suppressed"
        return "none"

    def to_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "generalised": dict(self.generalised),
            "suppressed_records": self.suppressed_records,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def _check_inputs(frame: pd.DataFrame, quasi_identifiers: Sequence[str], k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise InvalidInputError(
            "kanonymity.k", Msg("k must be a whole number of at least 2 (got {k}).", k=repr(k))
        )
    missing = [q for q in quasi_identifiers if q not in frame.columns]
    if missing:
        raise InvalidInputError(
            "kanonymity.unknown_column",
            Msg("Quasi-identifiers missing from the data: {columns}.", columns=", ".join(missing)),
            hint=Msg("Check the attributes marked quasi_identifier in the contract."),
        )


def _class_sizes(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    if not quasi_identifiers:
        return pd.Series([len(frame)], dtype="int64") if len(frame) else pd.Series([], dtype="int64")
    return _keys(frame, quasi_identifiers).value_counts(dropna=False)


def _keys(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.DataFrame:
    cols = frame[list(quasi_identifiers)].astype("object")
    return cols.where(cols.notna(), "<NA>")


def check_k_anonymity(frame: pd.DataFrame, quasi_identifiers: Sequence[str], k: int = 5) -> KAnonymityReport:
    """Measure k-anonymity: class sizes over the quasi-identifiers (a missing value is a value)."""
    _check_inputs(frame, quasi_identifiers, k)
    sizes = _class_sizes(frame, quasi_identifiers)
    return KAnonymityReport(
        k=int(k),
        quasi_identifiers=tuple(quasi_identifiers),
        n_records=len(frame),
        n_classes=len(sizes),
        smallest_class=int(sizes.min()) if len(sizes) else 0,
        records_in_small_classes=int(sizes[sizes < k].sum()),
    )


def _record_class_size(frame: pd.DataFrame, quasi_identifiers: Sequence[str]) -> pd.Series:
    if not quasi_identifiers:
        return pd.Series(len(frame), index=frame.index, dtype="int64")
    keys = _keys(frame, quasi_identifiers)
    sizes: pd.Series = keys.groupby(list(quasi_identifiers), dropna=False, sort=False)[next(iter(quasi_identifiers))].transform("size")
    return sizes


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _band(series: pd.Series, width: int) -> pd.Series:
    low = (np.floor(series.astype(float) / width) * width).astype("Int64")
    labels: pd.Series = (low.astype(str) + "-" + (low + width - 1).astype(str)).where(series.notna(), None)
    return labels


def anonymise(
    frame: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    k: int = 5,
    *,
    policy: Literal["generalise", "refuse"] = "generalise",
    band_widths: Sequence[int] = (5, 10, 20),
    max_suppressed_share: float = 0.05,
    preferred_suppressed_share: float = 0.01,
) -> Anonymised:
    """Return a k-anonymous copy of ``frame`` (generalised, then suppressed) or raise :class:`KAnonymityRefused`."""
    _check_inputs(frame, quasi_identifiers, k)
    before = check_k_anonymity(frame, quasi_identifiers, k)
    if before.satisfied:
        return Anonymised(frame.copy(), before, before)
    if policy == "refuse":
        raise KAnonymityRefused(
            "kanonymity.refused",
            Msg("The extract is not {k}-anonymous: {records} record(s) are in classes of fewer than {k} people "
                "(smallest class: {smallest}).", k=k, records=before.records_in_small_classes, smallest=before.smallest_class),
            path="quasi_identifiers",
            hint=Msg("Drop or coarsen quasi-identifiers, or let Témoin generalise (policy=generalise)."),
        )
    numeric = [q for q in quasi_identifiers if _is_numeric(frame[q])]
    work = frame.copy()
    generalised: dict[str, int] = {}
    widths = list(band_widths) if numeric else []
    for step, width in enumerate(widths):
        for q in numeric:
            work[q] = _band(frame[q], int(width))
            generalised[q] = int(width)
        report = check_k_anonymity(work, quasi_identifiers, k)
        # stop at the narrowest bands that need no suppression, or only a little (1 %): bands lose
        # precision for everyone, suppression loses a few people
        if report.records_in_small_classes <= min(preferred_suppressed_share, max_suppressed_share) * len(work):
            break
        if step == len(widths) - 1:
            break
    sizes = _record_class_size(work, quasi_identifiers)
    small = sizes < k
    n_small = int(small.sum())
    if n_small > max_suppressed_share * len(work):
        raise KAnonymityRefused(
            "kanonymity.too_much_suppression",
            Msg("Even generalised, the extract is {k}-anonymous only by dropping {dropped} of {total} record(s), "
                "more than the maximum of {maximum}. Extract refused.", k=k, dropped=n_small, total=len(work),
                maximum=Share(max_suppressed_share)),
            path="quasi_identifiers",
            hint=Msg("Ask for fewer quasi-identifiers or broader categories."),
        )
    work = work.loc[~small].reset_index(drop=True)
    after = check_k_anonymity(work, quasi_identifiers, k)
    return Anonymised(work, before, after, generalised, n_small)
