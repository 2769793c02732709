"""``temoin serve --workers N``: N uvicorn processes, each with its own listening socket.

uvicorn's own ``--workers`` shares one listening socket between its processes: whichever process
wakes first accepts every connection waiting, so clients that connect together (a page opening
several keep-alive connections, a burst of users) land mostly on one process while the other
idles. Here every worker binds its own socket to the same address with ``SO_REUSEPORT``, and the
kernel spreads new connections over the sockets (by a hash of the client's address and port).

The parent process only supervises: it starts the workers, stops them all on SIGINT/SIGTERM, and
stops them all (exit status 1) if one dies, for the service manager to restart the platform.
Where ``SO_REUSEPORT`` does not exist, uvicorn's own workers are used.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from multiprocessing.process import BaseProcess
from types import FrameType

from temoin.errors import InvalidInputError
from temoin.messages import Msg

# uvicorn's proxy headers are off: X-Forwarded-For and X-Forwarded-Proto are read by the application
# itself, from the settings' trusted proxies only (uvicorn would believe any peer on 127.0.0.1).
UVICORN = {"factory": True, "proxy_headers": False, "log_level": "warning", "access_log": False}


def _tcp_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def _listen(host: str, port: int) -> socket.socket:
    sock = _tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _check_free(host: str, port: int) -> None:
    """Refuse an address something else listens on, before any worker starts. The check binds
    without ``SO_REUSEPORT``: with it, a second ``temoin serve`` on the same port would silently
    join the first one's workers and take half of its connections."""
    with _tcp_socket(host) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInputError(
                "serve.address_in_use", Msg("Cannot listen on {host}:{port}: {strerror}.", host=host, port=str(port), strerror=exc.strerror), path="port",
                hint=Msg('Another server may be using this port: stop it or choose --port.')) from exc


def _worker(host: str, port: int) -> None:
    import uvicorn

    sock = _listen(host, port)
    config = uvicorn.Config("temoin.web:create_app", **UVICORN)  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(host: str, port: int, workers: int) -> int:
    """Run ``workers`` server processes on ``host:port`` until stopped; the exit status."""
    if not hasattr(socket, "SO_REUSEPORT"):
        import uvicorn

        uvicorn.run("temoin.web:create_app", workers=workers, host=host, port=port, **UVICORN)  # type: ignore[arg-type]
        return 0
    _check_free(host, port)
    ctx = multiprocessing.get_context("spawn")
    procs: list[BaseProcess] = [ctx.Process(target=_worker, args=(host, port), name=f"temoin-web-{k}") for k in range(workers)]
    stopping = failed = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: uvicorn finishes the requests in flight, then exits

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for p in procs:
            p.start()
        from multiprocessing.connection import wait

        pending = {p.sentinel: p for p in procs}
        while pending:
            for sentinel in wait(list(pending)):
                p = pending.pop(sentinel)  # type: ignore[arg-type]
                if not stopping:
                    print(f"temoin serve: worker {p.name} stopped (exit code {p.exitcode}); stopping the others",
                          file=sys.stderr)
                    failed = True
                    stop(signal.SIGTERM, None)
        return 1 if failed else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
