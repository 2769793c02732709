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
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from temoin.errors import ConflictError
from temoin.messages import Msg

MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE = 8
"""Connections kept per engine when the entry point does not say (the settings' ``db_pool_size``)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str, *, pool_size: int = POOL_SIZE, **kwargs: Any) -> Engine:
    """An engine on ``url`` (the settings' ``database_url``, given by the entry point) keeping
    ``pool_size`` connections (the settings' ``db_pool_size``), and as many more on demand."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if (url.startswith("sqlite") and ":memory:" not in url and url != "sqlite://") or url.startswith("postgresql"):
        # Keep the connections (and SQLite's parsed schema and page cache, or PostgreSQL's backend
        # process, with them): a connection opened per request beyond SQLAlchemy's default five
        # costs more than the query itself.
        kwargs = {"pool_size": pool_size, "max_overflow": pool_size} | kwargs
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


class ConcurrentChange(ConflictError):
    """Another transaction changed the same records at the same moment (a unique key taken between
    this one's check and its write, a database busy past its timeout, a serialisation failure):
    nothing of this transaction was saved, and doing it again sees the other one's result."""

    def __init__(self, detail: str) -> None:
        super().__init__("store.concurrent_change",
                         Msg("Another operation changed the same data at the same moment: nothing was saved."),
                         hint=Msg("Reload the page and try again (the situation may already have changed)."))
        self.detail = detail


# SQLite: "database is locked" (busy past busy_timeout); PostgreSQL: serialization_failure, deadlock_detected.
_RETRYABLE_STATES = {"40001", "40P01"}


def _concurrent(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        # a unique or primary key taken by a concurrent transaction; other integrity errors
        # (a trigger refusing a change, a foreign key) are programming errors, not races
        text = str(exc.orig).lower()
        return "unique" in text or "duplicate key" in text
    state = getattr(exc.orig, "sqlstate", None)
    return state in _RETRYABLE_STATES or (isinstance(exc, OperationalError) and "database is locked" in str(exc.orig))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back everything on any error. A write that
    loses a race with a concurrent one (see :class:`ConcurrentChange`) is said so, never a crash."""
    factory = _factories.get(id(engine))
    if factory is None or factory.kw.get("bind") is not engine:  # ids are reused once an engine is gone
        factory = _factories[id(engine)] = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except DBAPIError as exc:
        session.rollback()
        if _concurrent(exc):
            raise ConcurrentChange(str(exc.orig)) from exc
        raise
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
