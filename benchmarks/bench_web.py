"""Web platform under load, each figure next to a peer measured in the same run on the same server.

* The contract's overview page (``/contracts/aemo-renforcee``, where a signed-in user lands for a
  contract: key figures from SQL counts over the whole cohort, then parties, terms and safeguards;
  figures and body are kept per ledger head, the account's header and tabs rendered per request) on a SQLite database of 50,000 enrolled participants (made through the services:
  randomised, waves m12 and m24 recorded, an evaluation stored), served by ``temoin serve
  --workers 2`` (one worker process per core, each with its own listening socket; uvloop and
  httptools) on 127.0.0.1, hit by 50 concurrent signed-in clients sending 20 requests each back to
  back on keep-alive connections: p50/p95/p99, throughput and the server's CPU per request. Every
  route is first warmed up on as many connections (so both workers have served it). The clients are bare asyncio sockets, so that the load generator takes little of the
  CPU it shares with the server. Peer: ``/api/v1/me`` under the same load (the session and roles
  look-ups every signed-in request pays): the ratio is the page's own cost. For information: the
  same page with the 50 clients at one request a second each, and the evaluation page (it reads
  the whole cohort) for one client.
* A follow-up wave of 100,000 rows (CSV) uploaded through the web form as the evaluator does
  (multipart, CSRF token, session cookie), timed end to end; the server's peak memory growth
  (VmHWM, reset just before, over the RSS then) against the file's size, and against the growth
  for a file four times smaller (another wave; both after a small warm-up upload). Peer:
  ``pandas.read_csv`` of the same file (reading only: nothing checked, pseudonymised or saved).

Targets: overview p95 ≤ 150 ms with 50 concurrent clients; 100,000 rows in ≤ 20 s with bounded
memory (peak growth ≤ 64 MiB, whatever the file's size).

Run: ``python -m benchmarks web`` (``--quick`` for a smoke run: small sizes, no target claimed).
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from temoin.settings import Settings

SETTINGS = Settings()  # as an entry point would pass them

CONTRACT = "aemo-renforcee"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MEMORY_BOUND_MIB = 64
Load = tuple[str, np.ndarray, float, float]  # (what, latencies in s, wall time in s, server CPU in s)


def _cohort(n_enrolled: int) -> Any:
    """The example's synthetic referrals, cut just after the ``n_enrolled``-th enrolled person."""
    from temoin.examples import synthetic_cohort

    cohort = synthetic_cohort(CONTRACT, seed=2026, n_referred=int(n_enrolled / 0.6) + 1000)  # type: ignore[arg-type]
    cohort.referred = cohort.referred.iloc[:int(np.searchsorted(cohort.referred["enrolled"].cumsum(), n_enrolled)) + 1]
    return cohort


def _database(folder: Path, n_enrolled: int, *, outcomes: bool) -> tuple[str, dict[str, str], Any, dict[str, int]]:
    """A randomised cohort through the services, as ``make demo``; with ``outcomes``, both waves and an evaluation.
    Returns (URL, demo passwords, synthetic cohort, arm by participant identifier)."""
    from sqlalchemy import select

    from temoin.demo.accounts import demo_accounts
    from temoin.evaluation.pseudonym import contract_key, pseudonymise
    from temoin.examples import EXAMPLE_BUDGET
    from temoin.services import evaluations as ev
    from temoin.services.accounts import set_hash_cost
    from temoin.services.governance import import_budget
    from temoin.store import make_engine, migrate, session_scope
    from temoin.store.models.cohorts import ParticipantRow

    url = f"sqlite:///{folder / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    set_hash_cost(time_cost=1, memory_cost_kib=8192)  # still argon2id, cheaper sign-ins
    passwords = {a.username: a.password for a in demo_accounts(engine)}
    import_budget(engine, EXAMPLE_BUDGET, actor="bench")
    cohort = _cohort(n_enrolled)
    cohort.referred.assign(synthetic="oui").to_csv(folder / "participants.csv", index=False)
    ev.import_participants(engine, CONTRACT, folder / "participants.csv", actor="bench", settings=SETTINGS)
    ev.lock_plan(engine, CONTRACT, actor="bench")
    ev.randomise_cohort(engine, CONTRACT, seed=1, actor="bench")
    with session_scope(engine) as s:
        by_key = dict(s.execute(select(ParticipantRow.pkey, ParticipantRow.arm)).all())
    key = contract_key(CONTRACT, master=SETTINGS.pseudonym_master)
    arms = {pid: int(by_key[pseudonymise(pid, CONTRACT, key=key)]) for pid in cohort.enrolled["participant_id"]}
    if outcomes:
        for wave in ("m12", "m24"):
            cohort.outcomes(wave, arms).to_csv(folder / f"{wave}.csv", index=False)
            ev.import_outcomes(engine, CONTRACT, wave, folder / f"{wave}.csv", actor="bench", settings=SETTINGS)
        ev.evaluate_contract(engine, CONTRACT, actor="bench")
    engine.dispose()
    return url, passwords, cohort, arms


@contextmanager
def _server(url: str, workers: int = 1) -> Iterator[tuple[int, int]]:
    """``temoin serve --workers N`` on the database, in its own process: (port, pid of the main process)."""
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    temoin = str(Path(sys.executable).with_name("temoin"))
    proc = subprocess.Popen([temoin, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                            env=os.environ | {"TEMOIN_DATABASE_URL": url}, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _signed_in(port: int, username: str, password: str) -> Any:
    """An httpx client signed in through the real form (CSRF token included)."""
    import httpx

    c = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
    token = CSRF.search(c.get("/login").text)
    assert token, "no CSRF token on /login"
    r = c.post("/login", data={"csrf_token": token.group(1), "username": username, "password": password, "next": "/contracts"})
    assert r.status_code == 303, r.text
    return c


async def _client(port: int, request: bytes, n: int, pause: float, delay: float) -> list[float]:
    """One keep-alive HTTP/1.1 connection sending ``n`` requests in turn: each one's latency in seconds."""
    await asyncio.sleep(delay)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        assert head.startswith(b"HTTP/1.1 200") and length, head[:200]
        await reader.readexactly(int(length.group(1)))
        out.append(time.perf_counter() - t0)
        await asyncio.sleep(pause)
    writer.close()
    await writer.wait_closed()
    return out


async def _hammer(port: int, path: str, cookie: str, clients: int, per_client: int, pause: float) -> tuple[np.ndarray, float]:
    """Concurrent clients, back to back or (``pause``) one request per pause each, starts staggered: (latencies, wall)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
    t0 = time.perf_counter()
    lists = await asyncio.gather(*(_client(port, request, per_client, pause, pause * i / clients) for i in range(clients)))
    return np.array([x for xs in lists for x in xs]), time.perf_counter() - t0


def _proc(pid: int, field: str) -> float:
    """VmRSS / VmHWM in MiB, or CPU seconds (user + system), of a process."""
    if field == "cpu":  # the process and its children (the workers of ``temoin serve --workers N``)
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return own + sum(_proc(int(c), "cpu") for c in children)
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1]) / 1024


WORKERS = min(2, os.cpu_count() or 1)  # ``temoin serve --workers N``: one per core, on the 2-core machine


def _dashboard(folder: Path, n: int, clients: int, per_client: int) -> list[Load]:
    url, passwords, _, _ = _database(folder, n, outcomes=True)
    page = f"/contracts/{CONTRACT}"
    runs = [(page, clients, per_client, 0.0), ("/api/v1/me", clients, per_client, 0.0),
            (page, clients, max(2, per_client // 4), 1.0), (f"{page}/evaluation", 1, 3, 0.0)]
    out: list[Load] = []
    with _server(url, WORKERS) as (port, pid), closing(_signed_in(port, "observateur", passwords["observateur"])) as c:
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        for path, k, _, _ in runs:  # warm-up: every worker process serves each route before it is timed
            asyncio.run(_hammer(port, path, cookie, max(k, 8), 2, 0.0))
        for path, k, m, pause in runs:
            cpu = _proc(pid, "cpu")
            lat, wall = asyncio.run(_hammer(port, path, cookie, k, m, pause))
            out.append((f"{path} ({k} × {m}{f', 1 per {pause:.0f} s' if pause else ''})", lat, wall, _proc(pid, "cpu") - cpu))
    return out


def _uploads(folder: Path, rows: int) -> tuple[int, list[tuple[int, float, float]], float]:
    """(size of the full file, [(rows, seconds, peak growth MiB)] for a quarter then all the rows, pandas seconds);
    a small file is uploaded first, so that neither counts the server's first-upload warm-up."""
    import pandas as pd

    url, passwords, cohort, arms = _database(folder, int(rows / 0.94), outcomes=False)
    files = []  # a warm-up file (the last 100 people followed at m24), a quarter of the rows (m24), all (m12)
    for i, (wave, part) in enumerate((("m24", slice(-100, None)), ("m24", slice(rows // 4)), ("m12", slice(rows)))):
        frame = cohort.outcomes(wave, arms).iloc[part]
        assert len(frame) in (100, rows // 4, rows), f"too few people followed at {wave}"
        frame.to_csv(folder / f"upload-{i}.csv", index=False)
        files.append((wave, len(frame), folder / f"upload-{i}.csv"))
    results = []
    with _server(url) as (port, pid), closing(_signed_in(port, "evaluateur", passwords["evaluateur"])) as c:
        for wave, k, path in files:
            token = CSRF.search(c.get(f"/contracts/{CONTRACT}/data").text)
            assert token, "no CSRF token on the data page"
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            rss0 = _proc(pid, "VmRSS")
            with path.open("rb") as f:
                t0 = time.perf_counter()
                r = c.post(f"/contracts/{CONTRACT}/data/wave", data={"csrf_token": token.group(1), "wave": wave},
                           files={"file": (path.name, f, "text/csv")})
                secs = time.perf_counter() - t0
            assert r.status_code == 200 and f"{k} lignes" in r.text, r.text[-2000:]
            results.append((k, secs, _proc(pid, "VmHWM") - rss0))
    t0 = time.perf_counter()
    pd.read_csv(files[-1][2], dtype=str, keep_default_na=False)
    return files[-1][2].stat().st_size, results[1:], time.perf_counter() - t0


def main(quick: bool = False) -> None:
    n, clients, per_client, rows = (2_000, 10, 5, 8_000) if quick else (50_000, 50, 20, 100_000)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dash").mkdir()
        (Path(tmp) / "up").mkdir()
        load = _dashboard(Path(tmp) / "dash", n, clients, per_client)
        size, ((k1, s1, m1), (k2, s2, m2)), t_pandas = _uploads(Path(tmp) / "up", rows)

    print(f"Contract pages, {n:,} enrolled participants, SQLite, temoin serve --workers {WORKERS} on 127.0.0.1")
    print(f"{'route (clients × requests each)':<54}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}{'CPU ms/req':>11}")
    for name, lat, wall, cpu in load:
        p50, p95, p99 = (np.percentile(lat, q) * 1000 for q in (50, 95, 99))
        print(f"{name:<54}{p50:>8.1f}{p95:>8.1f}{p99:>8.1f}{len(lat) / wall:>8.1f}{cpu * 1000 / len(lat):>11.2f}")
    p95_page, p95_me = (float(np.percentile(x[1], 95)) * 1000 for x in load[:2])
    print(f"overview / peer /api/v1/me under the same load: p95 {p95_page / p95_me:.2f}x, "
          f"server CPU per request {load[0][3] / load[1][3]:.2f}x (CPU: the server's processes)")
    print(f"back to back, latency ≈ clients / throughput: p95 ≤ 150 ms for {clients} clients needs ≈ {clients / 0.15:.0f} req/s "
          f"from the server, ≤ {150 * WORKERS / clients:.1f} ms of CPU per request on {WORKERS} core(s) (peer: {load[1][3] * 1000 / len(load[1][1]):.1f} ms)")

    print(f"\nFollow-up wave uploads through the web form (CSV; {k2:,} rows = {size / 2**20:.2f} MiB)")
    print(f"{'what':<54}{'seconds':>8}{'peak growth MiB':>16}{'ratio':>8}")
    print(f"{f'upload of {k1:,} rows (end to end, saved)':<54}{s1:>8.2f}{m1:>16.1f}{'':>8}")
    print(f"{f'upload of {k2:,} rows (end to end, saved)':<54}{s2:>8.2f}{m2:>16.1f}{s2 / t_pandas:>7.1f}x")
    print(f"{'peer: pandas.read_csv of the same file (read only)':<54}{t_pandas:>8.3f}{'':>16}{1.0:>7.1f}x")
    print(f"server peak growth: {m2 * 2**20 / size:.1f}x the file's size; {m1:.1f} MiB for the file 4x smaller")
    print(f"(setup and runs: {time.perf_counter() - t0:.0f} s)")
    if quick:
        print("targets: see a full run (quick mode uses small sizes)")
        return
    print(f"target: overview p95 ≤ 150 ms, {clients} clients back to back ({'met' if p95_page <= 150 else 'NOT met'}); "
          f"{k2:,} rows in ≤ 20 s ({'met' if s2 <= 20 else 'NOT met'}); "
          f"memory bounded, peak growth ≤ {MEMORY_BOUND_MIB} MiB ({'met' if m2 <= MEMORY_BOUND_MIB else 'NOT met'})")


if __name__ == "__main__":
    main()
