"""Small-cell suppression for the public report: every count of people goes through here.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temoin.opendata.suppression import suppress_counts, suppress_table

__all__ = ["suppress_chain", "suppress_flow", "suppress_pair"]


def _small(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def suppress_chain(values: Sequence[int | None], threshold: int) -> list[int | None]:
    """Hide counts that are small, or whose gap to the last published count is small."""
    out: list[int | None] = []
    last: int | None = None
    for v in values:
        if v is None or _small(v, threshold) or (last is not None and _small(abs(last - v), threshold)):
            out.append(None)
            continue
        out.append(v)
        last = v
    return out


def suppress_pair(a: int, b: int, threshold: int) -> tuple[int | None, int | None]:
    """Two counts published with their total (e.g. programme and control)."""
    t = suppress_counts([a, b], threshold)
    return t.cell(0), t.cell(1)


def suppress_flow(flow: dict[str, Any], threshold: int) -> tuple[dict[str, Any], int]:
    """The public version of a cohort flow (see :func:`temoin.reports.charts.consort`).

    Returns the flow with hidden counts set to None, and how many counts were hidden.
    """
    hidden = 0
    out: dict[str, Any] = dict(flow)
    arms = flow.get("randomised")
    waves = list(flow.get("waves") or [])
    stages = ["referred", "eligible", "consented"] + (["enrolled"] if arms is None and "enrolled" in flow else [])
    chain_in = [flow.get(k) for k in stages]
    if isinstance(arms, dict):
        chain_in.append(int(arms["treated"]) + int(arms["control"]))
    else:  # one cohort: the waves continue the chain
        chain_in += [int(w["treated"]) for w in waves]
    chain = suppress_chain(chain_in, threshold)
    for k, name in enumerate(stages):
        out[name] = chain[k]
        hidden += flow.get(name) is not None and chain[k] is None
    if isinstance(arms, dict):
        table = [[int(arms[a])] + [int(w[a]) for w in waves] for a in ("treated", "control")]
        sup = suppress_table(table, threshold)
        cells = [[sup.cell(i, j) for j in range(len(table[0]))] for i in range(2)]
        # the randomised total is hidden in the chain: the arms (which add up to it) must not give it back
        if chain[-1] is None and cells[0][0] is not None and cells[1][0] is not None:
            cells[1][0] = None
        for i in range(2):
            cells[i] = [v if c is not None else None for v, c in zip(suppress_chain(cells[i], threshold), cells[i], strict=True)]
        out["randomised"] = {"treated": cells[0][0], "control": cells[1][0]}
        out["waves"] = [{**w, "treated": cells[0][j + 1], "control": cells[1][j + 1]} for j, w in enumerate(waves)]
        hidden += sum(1 for row in cells for v in row if v is None)
    else:
        values = chain[len(stages):]
        out["waves"] = [{**w, "treated": values[j]} for j, w in enumerate(waves)]
        hidden += sum(1 for v in values if v is None)
    return out, int(hidden)
