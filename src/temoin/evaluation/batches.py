"""The analysis under rolling enrolment: blocks of enrolment batch × stratum, balance and creaming per batch.

Under rolling enrolment a stratified trial is analysed with fixed effects for each enrolment batch
× stratum (``batch|stratum``), so that what differs between batches (the season, the referral
flow, the staff) and between strata never enters the comparison of the arms. A block holding a
single followed person is left out of the estimate (its own indicator fits it exactly: it says
nothing about the effect, and its leverage of one leaves HC2 undefined); how many is said.

Creaming per batch compares each batch's enrolled with the people referred in that batch's window
and not enrolled. A referred-but-not-enrolled person has no batch of their own; they belong to the
batch **whose window contains their referral date**: batch *b*'s window runs from the day after the
last enrolment of batch *b − 1* (the opening of enrolment, for the first batch) to the last
enrolment of batch *b*, both included — the batch they would have joined had they been enrolled
when referred. People referred after the last batch's window wait for the next batch and are not
compared yet; people with no referral date count in the overall indicator only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from temoin.evaluation.diagnostics import baseline_balance, creaming
from temoin.messages import Msg

__all__ = ["BLOCK", "balance_by_batch", "batch_blocks", "creaming_by_batch", "referral_batches"]

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


def referral_batches(referred: pd.DataFrame) -> pd.Series:
    """Each referred person's batch: their own when randomised in one; for the others, the batch whose
    window contains their referral date (see the module's text); missing when none does."""
    own = pd.to_numeric(referred["batch"], errors="coerce") if "batch" in referred.columns else \
        pd.Series(np.nan, index=referred.index)
    enrolled_on = pd.to_datetime(referred["enrolment_date"], errors="coerce")
    closes = enrolled_on[own.notna()].groupby(own[own.notna()]).max().sort_index()
    out = own.astype("Float64")
    if closes.empty:
        return out
    referred_on = pd.to_datetime(referred["referral_date"], errors="coerce")
    # the first window whose last enrolment is on or after the referral date
    where = np.searchsorted(closes.to_numpy(), referred_on.to_numpy(), side="left")
    assign = own.isna() & referred_on.notna() & (where < len(closes))
    out[assign] = closes.index.to_numpy()[where[assign.to_numpy()]]
    return out


def creaming_by_batch(referred: pd.DataFrame, *, difficulty: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The creaming indicator within each batch: its enrolled against the eligible referred in its window
    and not enrolled (batches with both, and a measurable attribute)."""
    batch = referral_batches(referred)
    out: dict[str, Any] = {}
    for number in sorted(batch.dropna().unique()):
        group = referred[(batch == number).to_numpy()]
        report = creaming(group, difficulty=difficulty)
        if report.rows:
            out[str(int(number))] = report.to_dict()
    return out
