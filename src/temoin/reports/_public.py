"""Small-cell suppression for the public report: every count of people, and every figure that
gives one back, goes through here.

The cohort flow is two things a reader could combine: a chain (referred ≥ eligible ≥ consented ≥
randomised) where the *difference* between two published stages is itself a count of people, and
a table (arm × randomised / followed at each wave) whose column totals are published too.

- The table goes through :func:`temoin.opendata.suppression.suppress_table` (primary and
  secondary suppression, so no hidden cell can be recomputed from its margins).
- Along each chain (the stages before randomisation, then each arm from randomisation to each
  wave), a count is published only if it is not small itself and its gap to the last published
  count of the chain is not small either (zero or at least the threshold); otherwise it is hidden
  and the next one is compared with the last published count.
- A rate (a share followed, an attrition rate) is published only when both its counts are.

The amounts are figures derived from counts too: a period's realised savings are the verified
impact × the programme arm followed at the wave × the unit cost, and its payments the same with
the price, so with the published lower bound (and the unit cost, a term of the contract) they give
the number followed back (376,926.10 € / (5.79 × 170 €) = 383). Secondary suppression therefore
spans every published figure (:func:`exposed_by_amounts`): each count an amount gives back is
*kept* in the flow (treated as published) and the suppression hides other counts around it
instead (for instance the programme arm at randomisation, when 8 were lost between the two); when
that is impossible (the count is itself small, or two kept counts are a small gap apart), the
amounts are withheld.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from temoin.opendata.suppression import SuppressionConflict, suppress_counts, suppress_table

__all__ = ["Exposure", "exposed_by_amounts", "small", "suppress_chain", "suppress_flow", "suppress_pair"]


def small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def suppress_chain(values: Sequence[int | None], threshold: int, forced: Sequence[bool] | None = None) -> list[int | None]:
    """Hide counts that are small, or whose gap to the last published count is small. A ``forced``
    count stays published: the counts before it whose gap to it is small are hidden instead
    (:class:`SuppressionConflict` when one of those is forced too, or the forced count is small)."""
    forced = forced or [False] * len(values)
    out: list[int | None] = []
    shown: list[int] = []  # indices of the published counts, in order
    for i, v in enumerate(values):
        if v is None:
            if forced[i]:
                raise SuppressionConflict(f"#{i}")
            out.append(None)
            continue
        if forced[i]:
            if small(v, threshold):
                raise SuppressionConflict(f"#{i}")
            while shown and small(abs(int(values[shown[-1]] or 0) - v), threshold):
                j = shown.pop()
                if forced[j]:
                    raise SuppressionConflict(f"#{j}, #{i}")
                out[j] = None
            out.append(v)
            shown.append(i)
            continue
        last = values[shown[-1]] if shown else None
        if small(v, threshold) or (last is not None and small(abs(last - v), threshold)):
            out.append(None)
            continue
        out.append(v)
        shown.append(i)
    return out


def suppress_pair(a: int, b: int, threshold: int) -> tuple[int | None, int | None]:
    """Two counts published with their total (e.g. programme and control)."""
    t = suppress_counts([a, b], threshold)
    return t.cell(0), t.cell(1)


def _arm_table(flow: dict[str, Any], threshold: int, chain_total: int | None, forced_waves: frozenset[str]) -> list[list[int | None]]:
    """The arm × (randomised, waves) table, suppressed with the chains along each arm; the counts
    ``forced_waves`` gives for the programme arm stay published."""
    arms, waves = flow["randomised"], list(flow.get("waves") or [])
    if not waves:  # the two arms and their total: a vector (the table's other margin would repeat them)
        t, c = suppress_pair(int(arms["treated"]), int(arms["control"]), threshold)
        if chain_total is None and t is not None and c is not None:
            c = None  # the randomised total is hidden in the chain: the arms must not add up to it
        return [[t], [c]]
    table = [[int(arms[a])] + [int(w[a]) for w in waves] for a in ("treated", "control")]
    n_cols = len(table[0])
    shape = (3, n_cols + 1)
    keep = np.zeros(shape, dtype=bool)
    hide = np.zeros(shape, dtype=bool)
    free = np.zeros(shape, dtype=bool)
    free[:, n_cols] = True  # the arms' totals over waves mean nothing: never shown
    free[2, 1:] = True  # nor the waves' totals over arms
    forced_row = [False] + [str(w["wave"]) in forced_waves for w in waves]
    keep[0, :n_cols] = forced_row
    if chain_total is None:  # the randomised total is hidden in the chain: the arms must not give it back
        hide[2, 0] = True
    else:
        keep[2, 0] = True
    while True:
        sup = suppress_table(table, threshold, keep=keep, hide=hide, free=free)
        cells = [[sup.cell(i, j) for j in range(n_cols)] for i in range(2)]
        grown = False
        for i in range(2):
            row = suppress_chain(cells[i], threshold, forced_row if i == 0 else None)
            for j in range(n_cols):
                if cells[i][j] is not None and row[j] is None:
                    hide[i, j] = grown = True
        if not grown:
            return cells


def suppress_flow(flow: dict[str, Any], threshold: int, *,
                  forced_waves: Iterable[str] = ()) -> tuple[dict[str, Any], int]:
    """The public version of a cohort flow (see :func:`temoin.reports.charts.consort`).

    Returns the flow with hidden counts set to None, and how many counts were hidden. The programme
    arm's count at each wave of ``forced_waves`` stays published (another published figure gives
    it back); :class:`SuppressionConflict` when that cannot be done safely.
    """
    forced = frozenset(forced_waves)
    hidden = 0
    out: dict[str, Any] = dict(flow)
    arms = flow.get("randomised")
    waves = list(flow.get("waves") or [])
    stages = ["referred", "eligible", "consented"] + (["enrolled"] if arms is None and "enrolled" in flow else [])
    chain_in = [flow.get(k) for k in stages]
    chain_forced = [False] * len(stages)
    if isinstance(arms, dict):
        chain_in.append(int(arms["treated"]) + int(arms["control"]))
        chain_forced.append(False)
    else:  # one cohort: the waves continue the chain
        chain_in += [int(w["treated"]) for w in waves]
        chain_forced += [str(w["wave"]) in forced for w in waves]
    chain = suppress_chain(chain_in, threshold, chain_forced)
    for k, name in enumerate(stages):
        out[name] = chain[k]
        hidden += flow.get(name) is not None and chain[k] is None
    if isinstance(arms, dict):
        cells = _arm_table(flow, threshold, chain[-1], forced)
        out["randomised"] = {"treated": cells[0][0], "control": cells[1][0]}
        out["waves"] = [{**w, "treated": cells[0][j + 1], "control": cells[1][j + 1]} for j, w in enumerate(waves)]
        hidden += sum(1 for row in cells for v in row if v is None)
    else:
        values = chain[len(stages):]
        out["waves"] = [{**w, "treated": values[j]} for j, w in enumerate(waves)]
        hidden += sum(1 for v in values if v is None)
    return out, int(hidden)


# --- amounts that give counts back ----------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    """What the published amounts give back: for each (indicator, wave) an amount rests on, the
    number of programme participants followed (``counts``); and whether rate-card amounts rest on
    outcome claims that could be few (``rate_card``)."""

    counts: Mapping[tuple[str, str], int]
    rate_card: bool = False

    def waves_of(self, indicator: str) -> frozenset[str]:
        return frozenset(w for (i, w) in self.counts if i == indicator)


def _nonzero(value: Any) -> bool:
    try:
        return Decimal(str(value)) != 0
    except (InvalidOperation, ValueError):
        return value not in (None, "", 0)


def exposed_by_amounts(settlement: Mapping[str, Any] | None, followed: Mapping[tuple[str, str], int],
                       *, rate_card_prices: Sequence[Decimal] = (), threshold: int = 10) -> Exposure:
    """The counts a settlement's published amounts give back. ``followed`` is the programme arm's
    number followed for each (indicator, wave) with a result; an amount gives it back when it is
    a non-zero multiple of the verified impact (an entitlement's priced units or amount, a
    realised-savings line's avoided units)."""
    counts: dict[tuple[str, str], int] = {}
    rate_card = False
    for period in (settlement or {}).get("periods") or []:
        for e in period.get("entitlements") or []:
            key = (str(e.get("indicator")), str(e.get("wave")))
            if _nonzero(e.get("priced_units")) or _nonzero(e.get("amount")):
                counts[key] = int(e.get("participants") or followed.get(key, 0))
        for line in period.get("savings") or []:
            key = (str(line.get("indicator")), str(line.get("wave")))
            if line.get("counted", True) and _nonzero(line.get("avoided_units")) and key in followed:
                counts.setdefault(key, followed[key])
        card = period.get("rate_card_entitlement")
        if _nonzero(card) and rate_card_prices:
            # the claims behind it: one outcome priced, or several (their mix cannot be told apart)
            rate_card = rate_card or len(set(rate_card_prices)) > 1 or \
                small(int(Decimal(str(card)) / rate_card_prices[0]), threshold)
    return Exposure(counts, rate_card)
