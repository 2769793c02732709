"""Open-data benchmarks, each as a ratio against a peer measured in the same run.

* small-cell suppression of a count table (``suppress_table``: primary, then secondary by closing
  bridges) against the attacker's audit of the result (scipy's HiGHS linear programme bounding
  every hidden cell: the check the tests run);
* k-anonymity measurement (``check_k_anonymity``) against a bare pandas ``groupby().size()`` over
  the same quasi-identifiers (the floor);
* reading a GO Lab flat-CSV folder (``read_indigo``: unflatten, clean every value against the
  schema, validate every project) against ``pandas.read_csv`` of the same files (which checks
  nothing) and against jsonschema's validation of the cleaned projects alone (the floor of any
  import that guarantees schema-valid projects).
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._timing import best_of


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


def _write_golab_folder(folder: Path, n_projects: int) -> None:
    rng = np.random.default_rng(11)
    with (folder / "project.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name/value", "dates/start_date_of_service_provision/value",
                    "dates/anticipated_end_date_of_service_provision/value",
                    "overall_project_finance/total_investment_commitment/amount/exact/value",
                    "overall_project_finance/maximum_potential_return/value"])
        for i in range(n_projects):
            month = int(rng.integers(1, 14))  # 13 is a defect, as in real files
            w.writerow([f"INDIGO-POJ-{i:05d}", f"Project {i}", f"2016-{month:02d}", "2020-06",
                        f"£{rng.integers(1, 9)},{rng.integers(100, 999)},000", "up to 7% a year"])
    with (folder / "investments.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["project_id", "id", "organisation_role_category/value", "investment_commitment/amount/exact/value",
                    "investment_type/value"])
        for i in range(n_projects):
            for j in range(3):
                w.writerow([f"INDIGO-POJ-{i:05d}", f"investment{j}", "" if j == 2 else "Impact Investor",
                            f"{rng.integers(100, 900)}000", "debt"])


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

    n_projects = 50 if quick else 500
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_golab_folder(folder, n_projects)
        ours = best_of(lambda: read_indigo(folder), 1 if quick else 3)
        peer = best_of(lambda: [pd.read_csv(p, dtype=str) for p in folder.glob("*.csv")], 3)
        rows.append((f"read_indigo CSV folder, {n_projects} projects", "pandas.read_csv (no checks)", ours, peer))
        from jsonschema import Draft7Validator

        from temoin.opendata.schemas import project_schema

        cleaned = [p.data for p in read_indigo(folder).projects]
        validator = Draft7Validator(project_schema())
        peer = best_of(lambda: [list(validator.iter_errors(d)) for d in cleaned], 1 if quick else 3)
        rows.append((f"read_indigo CSV folder, {n_projects} projects", "jsonschema validation alone", ours, peer))

    print(f"{'measure':58} {'peer':38} {'ours (ms)':>10} {'peer (ms)':>10} {'ratio':>8}")
    for name, peer_name, a, b in rows:
        print(f"{name:58} {peer_name:38} {a * 1e3:10.2f} {b * 1e3:10.2f} {a / b:8.2f}")


if __name__ == "__main__":
    main()
