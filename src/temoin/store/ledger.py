"""Appending to and verifying the audit ledger, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from temoin.governance.ledger import (
    GENESIS,
    ChainStatus,
    EntryView,
    LedgerEvent,
    canonical_json,
    entry_hash,
    verify_entries,
)
from temoin.store.models.ledger import LedgerRow


def serialise(session: Session) -> None:
    """Make the calling transaction the only writer until it ends, before it checks anything it
    will then write (an approval not yet given, a settlement not yet recorded): a concurrent one
    waits, then sees what this one wrote. PostgreSQL: the ledger's advisory lock; SQLite: the
    database's write lock, taken now (``BEGIN IMMEDIATE``) rather than at the first write."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        session.execute(_LOCK, {"key": LEDGER_LOCK_KEY})
    elif name == "sqlite":
        session.flush()  # pending writes first: they open the transaction and take the lock themselves
        raw = session.connection().connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            session.execute(text("BEGIN IMMEDIATE"))


def append(session: Session, *, actor: str, event: LedgerEvent, payload: Mapping[str, Any],
           contract_id: str | None = None) -> LedgerRow:
    """Add one entry chained to the current head. Saved with the caller's transaction, or not at all.

    ``event`` is one of the closed set :class:`LedgerEvent` (an unknown kind is a programming error).

    Appends are serialised (:func:`serialise`): on PostgreSQL the transaction first takes an
    advisory lock held until it commits, so a concurrent writer waits and then reads the new head
    (READ COMMITTED reads what committed before each statement); on SQLite it holds the database's
    write lock before reading the head. Should two writers still race for a number, they collide
    on the primary key (and on the unique ``prev_hash``), so the chain can never fork: the loser's
    whole transaction rolls back.
    """
    kind = LedgerEvent(event).value
    serialise(session)
    last = session.execute(select(LedgerRow).order_by(LedgerRow.seq.desc()).limit(1)).scalar_one_or_none()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    canonical_payload = json.loads(canonical_json(payload))
    row = LedgerRow(seq=seq, at=at, actor=actor, event=kind, contract_id=contract_id,
                    payload=canonical_json(canonical_payload), prev_hash=prev,
                    hash=entry_hash(seq=seq, at=at, actor=actor, event=kind, contract_id=contract_id,
                                    payload=canonical_payload, prev_hash=prev))
    session.add(row)
    session.flush()
    return row


LEDGER_LOCK_KEY = 0x7465_6D6F_696E  # "temoin": the advisory lock that serialises appends on PostgreSQL
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def _views(session: Session) -> Iterator[EntryView]:
    # Stored order is the physical/insertion order the database returns without ORDER BY seq
    # would be unreliable; we read by seq and let verify_entries spot gaps and link breaks.
    for row in session.execute(select(LedgerRow).order_by(LedgerRow.seq)).scalars():
        try:
            payload = json.loads(row.payload)
        except json.JSONDecodeError:
            payload = {"__unreadable__": row.payload}
        yield EntryView(row.seq, row.at, row.actor, row.event, row.contract_id, payload, row.prev_hash, row.hash)


def verify(session: Session) -> ChainStatus:
    return verify_entries(_views(session))


def head(session: Session) -> ChainStatus:
    return verify(session)


def head_seq(db: Session | Connection) -> int:
    """The last entry's number (0 for an empty ledger): one look-up in the primary key. Every
    recorded change appends an entry in its own transaction, so a new number means new data."""
    return int(db.execute(_HEAD_SEQ).scalar_one())


_HEAD_SEQ = select(func.coalesce(func.max(LedgerRow.seq), 0))


def entries(session: Session, *, contract_id: str | None = None, limit: int | None = None) -> list[LedgerRow]:
    q = select(LedgerRow).order_by(LedgerRow.seq.desc())
    if contract_id is not None:
        q = q.where(LedgerRow.contract_id == contract_id)
    if limit is not None:
        q = q.limit(limit)
    return list(session.execute(q).scalars())
