"""Governance benchmarks, each as a ratio against a peer measured in the same run.

* weighted scores of a call (``results``: recusals, criterion means, weighted totals, ranks) against
  pandas (groupby mean, then ``numpy.average`` with the weights) on the same scores, recusals given;
* reading and checking a budget file (``parse_budget_csv``) against ``pandas.read_csv`` of the same
  text (which checks nothing);
* verifying the ledger's hash chain (``verify_entries``) against bare SHA-256 over the same entries'
  canonical JSON (the floor: what the hashing alone costs).
"""

from __future__ import annotations

import io
import random
from decimal import Decimal
from typing import Any

from benchmarks._timing import best_of


def _call(n_apps: int, n_members: int, n_criteria: int) -> Any:
    from temoin.governance.selection import (
        Application,
        Call,
        CallState,
        CommitteeMember,
        Criterion,
        Declaration,
        Score,
    )

    rng = random.Random(7)
    criteria = tuple(Criterion(f"c{i}", f"C{i}", f"C{i}", Decimal(rng.randint(1, 5))) for i in range(n_criteria))
    seats = ["civil_society", "beneficiary", "payer", "expert"]
    committee = tuple(CommitteeMember(f"m{i}", f"org{i}", seats[i % 4]) for i in range(n_members))
    st = CallState(Call("bench", "B", "B", criteria, committee, 2))
    st.applications = [Application(f"a{j}", f"applicant{j}", f"App {j}") for j in range(n_apps)]
    for a in st.applications:
        for m in committee:
            conflict = rng.random() < 0.1
            st.declarations.append(Declaration(m.person, a.id, conflict, "lien" if conflict else ""))
            if not conflict:
                for c in criteria:
                    st.scores.append(Score(m.person, a.id, c.id, Decimal(rng.randint(0, 10))))
    return st


def _pandas_results(st: Any) -> Any:
    import numpy as np
    import pandas as pd

    df = pd.DataFrame({"app": [s.application for s in st.scores], "crit": [s.criterion for s in st.scores],
                       "value": [float(s.value) for s in st.scores]})
    means = df.groupby(["app", "crit"])["value"].mean().unstack("crit")
    weights = [float(c.weight) for c in st.call.criteria]
    cols = [c.id for c in st.call.criteria]
    totals = np.average(means[cols].to_numpy(), axis=1, weights=weights)
    return pd.Series(totals, index=means.index).sort_values(ascending=False)


def _budget_text(n_years: int, n_lines: int) -> str:
    rows = ["payer,function,year,code,label_fr,label_en,mandatory,amount,price_index"]
    for y in range(2000, 2000 + n_years):
        for i in range(n_lines):
            rows.append(f"dept-{i % 3},ASE,{y},L{i},Ligne {i},Line {i},{'true' if i % 2 else 'false'},"
                        f"{1000000 + 37 * i + y}.00,{100 + (y - 2000) * 1.5:.2f}")
    return "\n".join(rows) + "\n"


def _entries(n: int) -> list[Any]:
    from temoin.governance.ledger import GENESIS, EntryView, entry_hash

    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        payload = {"call": "bench", "person": f"m{seq % 9}", "value": str(seq % 11)}
        h = entry_hash(seq=seq, at="2026-01-01T00:00:00+00:00", actor="bench", event="call.score", contract_id="c",
                       payload=payload, prev_hash=prev)
        out.append(EntryView(seq, "2026-01-01T00:00:00+00:00", "bench", "call.score", "c", payload, prev, h))
        prev = h
    return out


def main(quick: bool = False) -> None:
    import hashlib

    import pandas as pd

    from temoin.governance.budget import parse_budget_csv
    from temoin.governance.decision import results
    from temoin.governance.ledger import canonical_json, verify_entries

    repeat = 3 if quick else 5
    rows: list[tuple[str, str, float, float]] = []

    st = _call(*((10, 6, 4) if quick else (60, 9, 5)))
    ours = best_of(lambda: results(st), repeat)
    peer = best_of(lambda: _pandas_results(st), repeat)
    rows.append((f"call results ({len(st.applications)} applications, {len(st.scores)} scores)", "pandas+numpy",
                 ours, peer))

    text = _budget_text(*((5, 40) if quick else (20, 250)))
    n = text.count("\n") - 1
    ours = best_of(lambda: parse_budget_csv(text), repeat)
    peer = best_of(lambda: pd.read_csv(io.StringIO(text)), repeat)
    rows.append((f"budget file ({n} rows, checked)", "pandas.read_csv", ours, peer))

    entries = _entries(500 if quick else 5000)
    bodies = [canonical_json({"seq": e.seq, "at": e.at, "actor": e.actor, "event": e.event,
                              "contract_id": e.contract_id, "payload": e.payload, "prev_hash": e.prev_hash})
              for e in entries]
    ours = best_of(lambda: verify_entries(entries), repeat)
    peer = best_of(lambda: [hashlib.sha256(b.encode()).hexdigest() for b in bodies], repeat)
    rows.append((f"ledger verify ({len(entries)} entries)", "bare sha256", ours, peer))

    print(f"{'task':52} {'peer':18} {'ours ms':>9} {'peer ms':>9} {'ratio':>7}")
    for task, peer_name, o, p in rows:
        print(f"{task:52} {peer_name:18} {o * 1e3:9.2f} {p * 1e3:9.2f} {o / p:7.2f}")
    print("ratio = our time / the peer's time in this run (below 1: faster than the peer).")


if __name__ == "__main__":
    main()
