"""Shared fixtures: fresh databases on SQLite and on a real, throwaway PostgreSQL cluster.

The PostgreSQL cluster is made with ``initdb`` in a temporary folder, listens on 127.0.0.1 on a
free port, and is stopped and deleted when the session ends. As root, the server runs as the
``postgres`` system user (PostgreSQL refuses to run as root). When ``CI=true``, a missing
PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from temoin.settings import Settings
from temoin.store import make_engine, migrate

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"


def missing_component(what: str) -> None:
    """Fail in CI, skip elsewhere: a missing real component is never silently ignored in CI."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this is a failure, not a skip; `make test` installs it as root)")
    pytest.skip(what)


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresCluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="temoin-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pg = pwd.getpwnam("postgres")
            os.chmod(self.base, 0o755)
            os.chown(self.base, pg.pw_uid, pg.pw_gid)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "temoin", "--auth=trust", "-E", "UTF8", "--locale=C")
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.base / "log"), "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://temoin@127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    bindir = _pg_bindir()
    if bindir is None:
        missing_component("PostgreSQL server binaries (Debian package postgresql) are not installed")
    assert bindir is not None
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = cluster.base / "log"
        detail = log.read_text() if log.exists() else exc.stderr
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {detail}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database in the throwaway cluster, dropped after the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_cluster.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    yield pg_cluster.url(name)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'temoin.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A fresh, migrated database, on SQLite and on PostgreSQL."""
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Engine:
    """Point the CLI (which reads TEMOIN_DATABASE_URL) at the test database."""
    monkeypatch.setenv("TEMOIN_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


@pytest.fixture
def settings() -> Settings:
    """The settings an entry point would pass: from the environment, as the command line reads them."""
    return Settings()


@pytest.fixture
def example_path() -> object:
    def _path(name: str) -> Path:
        return EXAMPLES / f"{name}.yaml"

    return _path
