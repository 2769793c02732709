"""Open-data benchmarks, each as a ratio against a peer measured in the same run.

* small-cell suppression of a count table (``suppress_table``: primary, then secondary by closing
  bridges) against the attacker's audit of the result (scipy's HiGHS linear programme bounding
  every hidden cell: the check the tests run);
* k-anonymity measurement (``check_k_anonymity``) against a bare pandas ``groupby().size()`` over
  the same quasi-identifiers (the floor);
* reading GO Lab's published flat CSV files (``read_indigo``: map every column through the data
  dictionary, clean every value against the schema, validate every project) against
  ``pandas.read_csv`` of the same files (which checks nothing) and against jsonschema's validation
  of the cleaned projects alone (the floor of any import that guarantees schema-valid projects);
  and the whole ``temoin import indigo`` service (read, then one SQLite transaction with its ledger
  entry) against the 10-second budget. The data are a synthetic enlargement of the published
  excerpt to the full set's 320 projects (said so in the output): the full set is not bundled.
"""

from __future__ import annotations

import csv
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._timing import best_of, best_of_each


def _audit(t: Any) -> None:
    from scipy.optimize import linprog

    values = t.values
    hidden = [tuple(int(i) for i in ix) for ix in np.argwhere(t.hidden)]
    pos = {ix: n for n, ix in enumerate(hidden)}
    R, C = values.shape[0] - 1, values.shape[1] - 1
    lines = [[(r, c) for c in range(C)] + [(r, C)] for r in range(R + 1)]
    lines += [[(r, c) for r in range(R)] + [(R, c)] for c in range(C + 1)]
    a_eq, b_eq = [], []
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
            a_eq.append(coef)
            b_eq.append(-const)
    for n in range(len(hidden)):
        c = np.zeros(len(hidden))
        c[n] = 1
        linprog(c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")
        linprog(-c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=(0, None), method="highs")


EXCERPT = Path(__file__).resolve().parents[1] / "tests" / "data" / "golab-flat-excerpt"


def enlarge_excerpt(folder: Path, copies: int) -> int:
    """A synthetic enlargement of GO Lab's published excerpt: its five projects repeated ``copies``
    times under new identifiers (``INDIGO-POJ-0001`` becomes ``INDIGO-POJ-0001-S002`` …), every file
    and column as published. Returns the number of data rows written."""
    rows = 0
    for src in sorted(EXCERPT.rglob("*.csv")):
        dst = folder / src.relative_to(EXCERPT)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with src.open(encoding="utf-8-sig", newline="") as fh:
            header, *body = list(csv.reader(fh))
        with dst.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for k in range(1, copies + 1):
                for r in body:
                    w.writerow([f"{r[0]}-S{k:03d}", *r[1:]] if k > 1 else r)
                    rows += 1
    return rows


def main(quick: bool = False) -> None:
    import pandas as pd

    from temoin.opendata.indigo_import import read_indigo
    from temoin.opendata.kanonymity import check_k_anonymity
    from temoin.opendata.suppression import suppress_table

    rows: list[tuple[str, str, float, float]] = []
    rng = np.random.default_rng(5)
    shape = (6, 5) if quick else (15, 10)
    counts = rng.poisson(14, shape)
    table = suppress_table(counts, threshold=10)
    ours = best_of(lambda: suppress_table(counts, threshold=10), 3 if quick else 5)
    peer = best_of(lambda: _audit(table), 1 if quick else 3)
    rows.append((f"suppress_table {shape[0]}×{shape[1]} ({table.n_primary}+{table.n_secondary} hidden)",
                 "LP audit of the result (scipy HiGHS)", ours, peer))

    n = 20_000 if quick else 200_000
    people = pd.DataFrame({"age": rng.integers(0, 18, n), "sex": rng.choice(["F", "M"], n),
                           "territory": rng.choice(["a", "b", "c", "d"], n)})
    qis = ["age", "sex", "territory"]
    ours = best_of(lambda: check_k_anonymity(people, qis, k=5), 3)
    peer = best_of(lambda: people.groupby(qis).size().min(), 3)
    rows.append((f"check_k_anonymity, {n:,} rows", "pandas groupby().size()", ours, peer))

    copies = 8 if quick else 64  # 320 projects, as in GO Lab's full published set
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "golab"
        n_rows = enlarge_excerpt(folder, copies)
        n_projects = 5 * copies
        print(f"GO Lab data: a SYNTHETIC enlargement of the published excerpt (the full set is not available here): its "
              f"5 projects repeated {copies} times, {n_projects} projects, {n_rows:,} rows in "
              f"{sum(1 for _ in folder.rglob('*.csv'))} files (the published set has ~12,000 rows).")
        from jsonschema import Draft7Validator

        from temoin.opendata.schemas import project_schema, validate_project
        from temoin.services.opendata import import_indigo
        from temoin.store import make_engine, migrate

        cleaned = [p.data for p in read_indigo(folder).projects]
        published = Draft7Validator(project_schema())
        t = best_of_each({
            "ours": lambda: read_indigo(folder),
            "read_csv": lambda: [pd.read_csv(p, dtype=str) for p in folder.rglob("*.csv")],
            "published": lambda: [list(published.iter_errors(d)) for d in cleaned],
            "inlined": lambda: [validate_project(d) for d in cleaned],
        }, 1 if quick else 3)
        rows.append((f"read_indigo, {n_projects} projects", "pandas.read_csv (no checks)", t["ours"], t["read_csv"]))
        rows.append((f"read_indigo, {n_projects} projects", "jsonschema, published schema, alone", t["ours"], t["published"]))
        rows.append(("validate_project (references inlined)", "jsonschema, published schema", t["inlined"], t["published"]))

        def whole_import(n: list[int] = [0]) -> None:  # noqa: B006 - a counter for fresh databases
            n[0] += 1
            engine = make_engine(f"sqlite:///{Path(tmp) / f'import-{n[0]}.db'}")
            migrate(engine)
            t0 = time.perf_counter()
            import_indigo(engine, folder)
            first.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            import_indigo(engine, folder)  # a newer download of the same set: every project found, none duplicated
            again.append(time.perf_counter() - t0)
            engine.dispose()

        first: list[float] = []
        again: list[float] = []
        for _ in range(1 if quick else 3):
            whole_import()
        print(f"temoin import indigo (service, SQLite, one transaction with its ledger entry), {n_projects} projects: "
              f"first import {min(first):.2f} s, re-import {min(again):.2f} s (best of {len(first)}; budget 10 s)")

    print(f"{'measure':58} {'peer':38} {'ours (ms)':>10} {'peer (ms)':>10} {'ratio':>8}")
    for name, peer_name, a, b in rows:
        print(f"{name:58} {peer_name:38} {a * 1e3:10.2f} {b * 1e3:10.2f} {a / b:8.2f}")


if __name__ == "__main__":
    main()
