"""The analysis under rolling enrolment: blocks of enrolment batch × stratum, balance per batch.

Under rolling enrolment a stratified trial is analysed with fixed effects for each enrolment batch
× stratum (``batch|stratum``), so that what differs between batches (the season, the referral
flow, the staff) and between strata never enters the comparison of the arms. A block holding a
single followed person is left out of the estimate (its own indicator fits it exactly: it says
nothing about the effect, and its leverage of one leaves HC2 undefined); how many is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from temoin.evaluation.diagnostics import baseline_balance
from temoin.messages import Msg

__all__ = ["BLOCK", "balance_by_batch", "batch_blocks"]

BLOCK = "_block"
"""The column holding each person's batch × stratum block in the estimation frame."""


def batch_blocks(data: pd.DataFrame, people: pd.DataFrame, strata: Sequence[str]) -> tuple[pd.DataFrame, Msg]:
    """``data`` (rows of ``people``) with its ``_block`` column, without the people alone in their
    block; and the note that says so."""
    labels = people.loc[data.index, "batch"].astype("Int64").astype(str)
    for s in strata:
        labels = labels + "|" + people.loc[data.index, s].astype(str)
    out = data.assign(**{BLOCK: labels.to_numpy()})
    size = out.groupby(BLOCK)[BLOCK].transform("size")
    kept = out[size.to_numpy() > 1]
    note = Msg("Fixed effects for {blocks} enrolment batch × stratum block(s); {dropped} participant(s) alone in their "
               "block left out", blocks=int(kept[BLOCK].nunique()), dropped=int(len(out) - len(kept)))
    return kept, note


def balance_by_batch(people: pd.DataFrame, *, attributes: Sequence[tuple[str, str]],
                     adjusted_for: Sequence[str]) -> dict[str, Any]:
    """Baseline balance within each enrolment batch (of the people given: those followed), for the
    batches with at least two people in each arm."""
    out: dict[str, Any] = {}
    for batch, group in people.groupby(people["batch"].astype("Int64")):
        counts = group["arm"].value_counts()
        if counts.get(1, 0) >= 2 and counts.get(0, 0) >= 2:
            out[str(batch)] = baseline_balance(group, attributes=attributes, adjusted_for=adjusted_for).to_dict()
    return out
