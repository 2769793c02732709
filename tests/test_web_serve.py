"""``temoin serve``: one process, or several worker processes sharing the configured database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp_path: Path, workers: int) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    temoin = str(Path(sys.executable).with_name("temoin"))
    env = os.environ | {"TEMOIN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    proc = subprocess.Popen([temoin, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, port


def _wait_until_up(proc: subprocess.Popen[str], port: int, workers: int) -> httpx.Response:
    """The first answer; with several workers, once every worker answers (each has its own socket)."""
    deadline = time.time() + 180  # a liveness wait, not a timing: a loaded machine starts slowly
    while True:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/api/v1/public/registry", timeout=2)
            if workers == 1 or len(_listeners(proc)) >= workers:
                return r
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.time() < deadline, "the server did not start"
        time.sleep(0.2)


def _children(proc: subprocess.Popen[str]) -> list[int]:
    return [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]


def _listeners(proc: subprocess.Popen[str]) -> list[int]:
    """The child processes that hold a listening TCP socket of their own."""
    listening = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:] if line.split()[3] == "0A"}
    out = []
    for pid in _children(proc):
        try:
            links = {os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()}
        except (FileNotFoundError, PermissionError):
            continue
        if any(f"socket:[{inode}]" in links for inode in listening):
            out.append(pid)
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_on_127_0_0_1(tmp_path: Path, workers: int) -> None:
    proc, port = _start(tmp_path, workers)
    try:
        r = _wait_until_up(proc, port, workers)
        assert r.status_code == 200 and r.json() == []  # a new, empty database: an empty public registry
        if workers > 1:  # the main process supervises that many workers, each listening on its own socket
            assert len(_listeners(proc)) == workers
            workers_pids = _listeners(proc)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert f"127.0.0.1:{port}" in out
    assert proc.returncode in (0, -signal.SIGTERM), out  # uvicorn alone re-raises the signal once stopped
    if workers > 1:  # stopped with the supervisor
        assert not [pid for pid in workers_pids if Path(f"/proc/{pid}").exists()]


def test_a_worker_that_dies_stops_the_server_with_an_error(tmp_path: Path) -> None:
    proc, port = _start(tmp_path, 2)
    try:
        _wait_until_up(proc, port, 2)
        os.kill(_listeners(proc)[0], signal.SIGKILL)
        out = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "stopping the others" in out


def test_a_port_in_use_is_a_clear_error_and_no_worker_joins_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        temoin = str(Path(sys.executable).with_name("temoin"))
        env = os.environ | {"TEMOIN_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "TEMOIN_LANGUAGE": "en"}
        done = subprocess.run([temoin, "serve", "--port", str(port), "--workers", "2"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr
