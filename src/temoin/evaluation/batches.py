"""The analysis under rolling enrolment: blocks of enrolment batch × stratum; balance, representativeness
and creaming per batch.

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

Representativeness per batch is the overall comparison (each reference margin of the contract against
the enrolled) applied to each batch's enrolled, with the same figures and verdicts. A batch too small
for the comparison — fewer than :data:`MIN_EXPECTED` people expected, under the reference, in one of
the margin's categories (Cochran's rule for the chi-square goodness-of-fit test) — keeps its figures
but gets no verdict on the gap: the output says it is too small and that the overall comparison is
the one to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from temoin.evaluation.diagnostics import Verdict, baseline_balance, creaming, representativeness
from temoin.messages import Msg, Share

__all__ = ["BLOCK", "CHANCE_LIMIT", "MIN_EXPECTED", "balance_by_batch", "batch_blocks", "chance_of_a_large_gap",
           "creaming_by_batch", "referral_batches", "representativeness_by_batch"]

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


CHANCE_LIMIT = 0.05
"""The largest chance, under randomisation alone, of a baseline gap beyond the WWC's 0.25 standard
deviations for which a batch's balance still gets a verdict (see :func:`chance_of_a_large_gap`)."""


def chance_of_a_large_gap(treated: int, control: int, limit: float = 0.25) -> float:
    """The chance that randomisation alone gives an attribute a standardised gap beyond ``limit``
    between arms of ``treated`` and ``control`` people: the gap's standard error is close to
    √(1/n₁ + 1/n₀), so the chance is 2·(1 − Φ(limit / √(1/n₁ + 1/n₀))). Equal arms need about 123
    people each before a gap beyond 0.25 has less than a 5 % chance of being luck."""
    return float(2 * norm.sf(limit / np.sqrt(1 / treated + 1 / control)))


def balance_by_batch(people: pd.DataFrame, *, attributes: Sequence[tuple[str, str]],
                     adjusted_for: Sequence[str]) -> dict[str, Any]:
    """Baseline balance within each enrolment batch (of the people given: those followed), for the
    batches with at least two people in each arm. A batch so small that randomisation alone gives a
    gap beyond 0.25 standard deviations more often than :data:`CHANCE_LIMIT` keeps its figures but gets
    no verdict (``too_small``): its gaps are mostly luck, and the balance over all batches is the one
    to read."""
    out: dict[str, Any] = {}
    for batch, group in people.groupby(people["batch"].astype("Int64")):
        counts = group["arm"].value_counts()
        treated, control = int(counts.get(1, 0)), int(counts.get(0, 0))
        if treated < 2 or control < 2:
            continue
        row = baseline_balance(group, attributes=attributes, adjusted_for=adjusted_for).to_dict()
        chance = chance_of_a_large_gap(treated, control)
        row["too_small"] = chance > CHANCE_LIMIT
        if row["too_small"]:
            row["verdict"] = Verdict("warning", Msg(
                "Too few people in this batch ({treated} and {control}) to judge its balance: chance alone gives a gap "
                "beyond {limit} standard deviation in {chance} of draws; read the balance over all batches.",
                treated=treated, control=control, limit=0.25, chance=Share(chance))).to_dict()
        out[str(batch)] = row
    return out


MIN_EXPECTED = 5
"""The fewest people a batch must be expected to hold, under the reference shares, in each category of
a margin for its gap to get a verdict (Cochran's rule for the chi-square goodness-of-fit test)."""


def representativeness_by_batch(enrolled: pd.DataFrame,
                                margins: Sequence[tuple[str, str, Mapping[str, float]]]) -> dict[str, Any]:
    """The representativeness of each enrolment batch's enrolled (people without a batch left out):
    ``{batch: [margin report as a dict, with "too_small"]}``, the overall function's figures for the
    batch's rows. A margin too small in a batch (see the module's text) keeps its figures and says
    it is too small instead of giving a verdict."""
    out: dict[str, Any] = {}
    batches = pd.to_numeric(enrolled["batch"], errors="coerce").astype("Int64")
    for batch, group in enrolled.groupby(batches):
        reports = []
        for m in representativeness(group, margins):
            expected = min(m.reference_shares.values(), default=0.0) * m.n
            too_small = m.n > 0 and expected < MIN_EXPECTED
            row = m.to_dict() | {"too_small": too_small}
            if too_small:
                row["verdict"] = Verdict("warning", Msg(
                    "{attribute}: too few people in the batch ({n}) to judge the gap with the reference population; "
                    "read the comparison over all batches.", attribute=m.attribute, n=m.n)).to_dict()
            reports.append(row)
        out[str(batch)] = reports
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
