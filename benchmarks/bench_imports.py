"""A large participants file uploaded through the web form, as the operator does: how long the page
takes to answer, within the request (every row checked and saved before the answer) against as a
background job (the file checked for shape and kept with its job; the page answers at once, and the
job imports it). Both on the same machine in the same run, ``temoin serve`` on SQLite on 127.0.0.1,
each round on a fresh database (the cohort must be new), best of the rounds.

* before: ``TEMOIN_IMPORT_JOB_ROWS`` above the file's rows (the import within the request);
* after: the default threshold (the file goes to a job); also the time until the job is done, the
  page followed as htmx does (every second? here every 0.2 s, to time the end closely).

Run: ``python -m benchmarks imports`` (``--quick``: 5,000 rows).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from contextlib import closing
from pathlib import Path

from benchmarks.bench_web import CONTRACT, CSRF, _cohort, _server, _signed_in


def _database(folder: Path) -> tuple[str, dict[str, str]]:
    from temoin.demo.accounts import demo_accounts
    from temoin.examples import EXAMPLE_BUDGET
    from temoin.services.accounts import set_hash_cost
    from temoin.services.governance import import_budget
    from temoin.store import make_engine, migrate

    url = f"sqlite:///{folder / 'imports.db'}"
    engine = make_engine(url)
    migrate(engine)
    set_hash_cost(time_cost=1, memory_cost_kib=8192)
    passwords = {a.username: a.password for a in demo_accounts(engine)}
    import_budget(engine, EXAMPLE_BUDGET, actor="bench")
    engine.dispose()
    return url, passwords


def _round(folder: Path, path: Path, rows: int, threshold: int) -> tuple[float, float]:
    """(seconds until the upload's answer, seconds until the rows are saved) on a fresh database."""
    folder.mkdir()
    url, passwords = _database(folder)
    os.environ["TEMOIN_IMPORT_JOB_ROWS"] = str(threshold)
    try:
        with _server(url) as (port, _pid), closing(_signed_in(port, "operateur", passwords["operateur"])) as c:
            token = CSRF.search(c.get(f"/contracts/{CONTRACT}/data").text)
            assert token, "no CSRF token on the data page"
            with path.open("rb") as f:
                t0 = time.perf_counter()
                r = c.post(f"/contracts/{CONTRACT}/data/participants", data={"csrf_token": token.group(1)},
                           files={"file": (path.name, f, "text/csv")}, headers={"HX-Request": "true"})
                answered = time.perf_counter() - t0
            if r.status_code == 200:  # within the request: saved when answered
                assert f"{rows:,}".replace(",", "\u202f") in r.text, r.text[-2000:]
                return answered, answered
            assert r.status_code == 202, r.text[-2000:]
            job = re.search(r'id="job-(\d+)"', r.text)
            assert job, r.text[-2000:]
            while True:
                page = c.get(f"/contracts/{CONTRACT}/jobs/{job.group(1)}", headers={"HX-Request": "true"})
                if 'data-status="done"' in page.text or 'data-status="failed"' in page.text:
                    break
                time.sleep(0.2)
            assert 'data-status="done"' in page.text, page.text[-2000:]
            return answered, time.perf_counter() - t0
    finally:
        del os.environ["TEMOIN_IMPORT_JOB_ROWS"]


def main(quick: bool = False) -> None:
    from temoin.settings import Settings

    rows, rounds = (5_000, 1) if quick else (50_000, 3)
    default = Settings().import_job_rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "participants.csv"
        cohort = _cohort(rows)  # more referred people than rows: the file is cut at ``rows``
        cohort.referred.iloc[:rows].assign(synthetic="oui").to_csv(path, index=False)
        assert rows > default
        best = {"before": (float("inf"), float("inf")), "after": (float("inf"), float("inf"))}
        for k in range(rounds):  # alternated, so that a slow spell of the machine falls on both
            for name, threshold in (("before", rows + 1), ("after", default)):
                answered, saved = _round(Path(tmp) / f"{name}-{k}", path, rows, threshold)
                best[name] = (min(best[name][0], answered), min(best[name][1], saved))
        size = path.stat().st_size
    print(f"Participants file of {rows:,} rows ({size / 2**20:.2f} MiB CSV) uploaded through the web form, "
          f"SQLite, temoin serve on 127.0.0.1, best of {rounds} round(s)")
    print(f"{'':<44}{'page answered s':>16}{'rows saved s':>14}")
    print(f"{'before: within the request':<44}{best['before'][0]:>16.2f}{best['before'][1]:>14.2f}")
    print(f"{f'after: a background job (threshold {default:,} rows)':<44}{best['after'][0]:>16.2f}{best['after'][1]:>14.2f}")
    print(f"page answered {best['before'][0] / best['after'][0]:.1f}x sooner; the rows saved "
          f"{best['after'][1] / best['before'][1]:.2f}x the time within the request (queue, polling)")
