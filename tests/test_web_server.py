"""Issue 14 against a real server process (``temoin serve``, uvicorn, over TCP): hostile uploads are
refused quickly while another client's pages keep answering under 200 ms; a chunked 100 MB
anonymous body is refused with 413 and the server's memory does not grow by 50 MB; with two
workers on PostgreSQL, concurrent uploads either both succeed or one is told to retry (409).

Latencies on a shared machine are noisy: the bound is the issue's (200 ms), not a benchmark figure;
benchmarks live in ``benchmarks/``.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from _workbooks import bomb_workbook
from temoin.services.evaluations import generate_synthetic
from temoin.settings import Settings
from test_web_support import make_site

REPO = Path(__file__).resolve().parents[1]
C = "aemo-renforcee"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def server(url: str, *, workers: int = 1, **settings: str) -> Iterator[tuple[str, int]]:
    """``temoin serve`` on the database in its own process: (base URL, pid of the main process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = os.environ | {"TEMOIN_DATABASE_URL": url, "PYTHONPATH": str(REPO / "src")} | \
        {f"TEMOIN_{k.upper()}": v for k, v in settings.items()}
    proc = subprocess.Popen([sys.executable, "-m", "temoin.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server stopped") from None
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def signed_in(base: str, username: str, password: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"csrf_token": token, "username": username, "password": password, "next": "/contracts"})
    assert r.status_code == 303, r.text
    return c


class Watcher:
    """Another client: a static file and a database page, fetched in turn, each one's latency kept."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as c:
            for path in ("/static/style.css", "/public"):
                c.get(path)  # warm the connection and the page
            self._ready.set()
            k = 0
            while not self._stop.is_set():
                path = ("/static/style.css", "/public")[k % 2]
                t0 = time.perf_counter()
                r = c.get(path)
                self.latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    self.failures.append(f"{path}: {r.status_code}")
                k += 1
                time.sleep(0.02)

    def __enter__(self) -> Watcher:
        self._thread.start()
        # Measure from the first timed fetch: on a loaded machine the warm-up alone can outlast a
        # quick refusal, and the uploads would then pass unwatched.
        assert self._ready.wait(timeout=60), "the watching client could not reach the server"
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


@dataclass(frozen=True)
class Served:
    base: str
    pid: int
    passwords: dict[str, str]
    url: str


@pytest.fixture
def served(sqlite_engine: Engine) -> Iterator[Served]:
    site = make_site(sqlite_engine)
    passwords = {u: a.password for u, a in site.accounts.items()}
    url = sqlite_engine.url.render_as_string(hide_password=False)
    sqlite_engine.dispose()
    with server(url) as (base, pid):
        yield Served(base, pid, passwords, url)


def test_hostile_uploads_are_refused_quickly_while_other_pages_answer(served: Served) -> None:
    base, passwords = served.base, served.passwords
    operator = signed_in(base, "operateur", passwords["operateur"])
    token = CSRF.search(operator.get(f"/contracts/{C}/data").text).group(1)  # type: ignore[union-attr]
    wide = b",".join(b"c%d" % i for i in range(1_000_000)) + b"\n" + b"1\n"
    assert len(wide) > 6 * 1024 * 1024
    bomb = bomb_workbook(2_000_000)
    with Watcher(base) as watcher:
        time.sleep(0.3)
        for name, content, says in (("bomb.xlsx", bomb, "se décompresse"), ("wide.csv", wide, "Trop de colonnes")):
            t0 = time.perf_counter()
            r = operator.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                              files={"file": (name, content, "application/octet-stream")})
            elapsed = time.perf_counter() - t0
            assert r.status_code == 413 and says in r.text, (name, r.status_code, r.text[-300:])
            assert elapsed < 10, (name, elapsed)
        time.sleep(0.3)
    assert watcher.failures == []
    assert len(watcher.latencies) >= 10
    assert max(watcher.latencies) < 0.2, sorted(watcher.latencies)[-5:]


def test_a_legitimate_import_runs_beside_other_pages(served: Served, tmp_path: Path) -> None:
    base, passwords = served.base, served.passwords
    operator = signed_in(base, "operateur", passwords["operateur"])
    token = CSRF.search(operator.get(f"/contracts/{C}/data").text).group(1)  # type: ignore[union-attr]
    path = tmp_path / "participants.csv"
    generate_synthetic(None, C, path, settings=Settings())
    with Watcher(base) as watcher:
        r = operator.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                          files={"file": ("p.csv", path.read_bytes(), "text/csv")})
        assert r.status_code == 200 and "import-ok" in r.text, r.text[-300:]
    # the import runs in a worker thread: the others' pages keep answering (the issue measured 36 s of
    # blocked static files for a large file); one slow answer on this shared machine is allowed
    latencies = sorted(watcher.latencies)
    assert watcher.failures == [] and latencies[int(0.95 * (len(latencies) - 1))] < 0.2 and latencies[-1] < 1.0, latencies[-5:]


def test_sign_ins_in_a_loop_do_not_hold_up_other_clients(served: Served) -> None:
    """Four clients signing in again and again, with the production cost of argon2id (the issue
    measured 10 s stalls of static files): the hashing runs in worker threads, on half the cores."""
    from argon2 import PasswordHasher
    from sqlalchemy import create_engine, text

    base, passwords = served.base, served.passwords
    engine = create_engine(served.url)
    with engine.begin() as c:  # the hash an account made in production would carry
        c.execute(text("UPDATE web_accounts SET password_hash = :h WHERE username = 'observateur'"),
                  {"h": PasswordHasher().hash(passwords["observateur"])})
    engine.dispose()
    stop = threading.Event()
    done: list[int] = []

    def loop() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]
            while not stop.is_set():
                r = c.post("/login", data={"csrf_token": token, "username": "observateur",
                                           "password": passwords["observateur"], "next": "/public"})
                done.append(r.status_code)
                c.cookies.delete("temoin_session")
                token = CSRF.search(c.get("/login").text).group(1)  # type: ignore[union-attr]

    loops = [threading.Thread(target=loop, daemon=True) for _ in range(4)]
    with Watcher(base) as watcher:
        for t in loops:
            t.start()
        time.sleep(4)
        stop.set()
        for t in loops:
            t.join(timeout=60)
    assert done and set(done) == {303}, set(done)  # every sign-in succeeds (httpx does not follow the redirect)
    latencies = sorted(watcher.latencies)
    assert len(latencies) >= 20, len(latencies)  # the other client kept being answered all along
    # on this shared machine (other processes on its two cores) one slow answer is allowed
    assert watcher.failures == [] and latencies[int(0.95 * (len(latencies) - 1))] < 0.2 and latencies[-1] < 1.0, latencies[-5:]


def test_a_chunked_100_mb_anonymous_body_is_refused_without_growing_the_server(served: Served) -> None:
    base, pid = served.base, served.pid
    host, port = base.removeprefix("http://").split(":")
    httpx.get(f"{base}/public")  # warm up
    before = _rss_kib(pid)
    chunk = b"x" * 65536
    head = (b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n')
    sent = 0
    with socket.create_connection((host, int(port))) as s:
        s.sendall(f"POST /api/v1/contracts/{C}/participants HTTP/1.1\r\nHost: {host}\r\n"
                  "Content-Type: multipart/form-data; boundary=zz\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        s.settimeout(30)
        try:
            for k in range(100 * 1024 * 1024 // len(chunk)):
                piece = head + chunk[len(head):] if k == 0 else chunk
                s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed the connection: it reads no further
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    growth_mib = (_rss_kib(pid) - before) / 1024
    assert growth_mib < 50, growth_mib


@pytest.mark.postgres
def test_two_workers_on_postgresql_take_concurrent_uploads(pg_url: str, tmp_path: Path) -> None:
    from temoin.store import make_engine, migrate

    engine = make_engine(pg_url)
    migrate(engine)
    site = make_site(engine)
    engine.dispose()
    path = tmp_path / "participants.csv"
    generate_synthetic(None, C, path, settings=Settings())
    lines = path.read_text().splitlines()
    with server(pg_url, workers=2) as (base, _):
        codes: list[int] = []
        for attempt in range(3):
            files = []
            for half in (0, 1):  # two operators' files, different people, sent at the same moment
                rows = [re.sub(r"^([^,]+)", rf"\1-{attempt}-{half}", line) for line in lines[1 + half::2][:150]]
                files.append("\n".join([lines[0], *rows]).encode())
            clients = [signed_in(base, "operateur", site.accounts["operateur"].password) for _ in (0, 1)]
            tokens = [CSRF.search(c.get(f"/contracts/{C}/data").text).group(1) for c in clients]  # type: ignore[union-attr]
            answers: list[httpx.Response] = []
            barrier = threading.Barrier(2)

            def send(i: int, clients: list[httpx.Client] = clients, tokens: list[str] = tokens, files: list[bytes] = files,
                     answers: list[httpx.Response] = answers, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                answers.append(clients[i].post(f"/contracts/{C}/data/participants", data={"csrf_token": tokens[i]},
                                               files={"file": ("p.csv", files[i], "text/csv")}))

            threads = [threading.Thread(target=send, args=(i,)) for i in (0, 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            for a in answers:
                assert a.status_code in (200, 409), a.text[-500:]
                if a.status_code == 409:
                    assert "Rechargez la page et recommencez" in a.text
            codes += [a.status_code for a in answers]
    assert codes.count(200) >= 3
    from temoin.services.governance import verify_audit

    check = make_engine(pg_url)
    assert verify_audit(check).whole
    check.dispose()
