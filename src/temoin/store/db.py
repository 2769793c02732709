"""Engines, transactions and migrations.

SQLite is the embedded default (a file database in WAL mode, foreign keys on); PostgreSQL is
reached through the settings' ``database_url`` (``postgresql+psycopg://…``). The schema is made only by
Alembic migrations (``migrate``), never by ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE = 8  # connections kept per engine (the web server runs at most this many requests at once per process)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine on ``url`` (the settings' ``database_url``, given by the entry point)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite") and ":memory:" not in url and url != "sqlite://":
        # Keep the connections (and SQLite's parsed schema and page cache with them): a connection
        # opened per request beyond the default five costs more than the query itself.
        kwargs = {"pool_size": POOL_SIZE, "max_overflow": POOL_SIZE} | kwargs
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, target: str = "head") -> None:
    """Bring the schema up to date: upgrade to the history's single head (a database made while
    the areas had branches of their own, at any of them, reaches it through the merge, 0007)."""
    command.upgrade(alembic_config(engine), target)


def downgrade(engine: Engine, target: str = "base") -> None:
    command.downgrade(alembic_config(engine), target)


_factories: dict[int, sessionmaker[Session]] = {}


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back everything on any error."""
    factory = _factories.get(id(engine))
    if factory is None or factory.kw.get("bind") is not engine:  # ids are reused once an engine is gone
        factory = _factories[id(engine)] = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_scope(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction on a plain connection, without an ORM session: for the few reads
    every request makes (about a quarter of the cost of the same query through a session)."""
    with engine.connect() as connection:
        yield connection  # the transaction ends with the block (rolled back: nothing was written)
