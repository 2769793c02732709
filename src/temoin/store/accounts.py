"""The account repository: accounts, sessions, API tokens and failed sign-ins (rows only, no policy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from temoin.store.models.accounts import AccountRow, ApiTokenRow, LoginFailureRow, SessionRow

# What a signed-in request needs to know of its account (read as a plain row: every request pays it).
ACCOUNT_COLUMNS = (AccountRow.id, AccountRow.username, AccountRow.display_name, AccountRow.person_id,
                   AccountRow.is_admin, AccountRow.language, AccountRow.disabled_at)
AccountColumns = Row[*tuple[Any, ...]]  # id, username, …, disabled_at (and expires_at for a session)

# Statements built once (every signed-in request runs one): no statement building per request.
_SESSION_ACCOUNT = (select(*ACCOUNT_COLUMNS, SessionRow.expires_at).join(SessionRow, SessionRow.account_id == AccountRow.id)
                    .where(SessionRow.token_sha256 == bindparam("digest")))
_TOKEN_ACCOUNT = (select(*ACCOUNT_COLUMNS).join(ApiTokenRow, ApiTokenRow.account_id == AccountRow.id)
                  .where(ApiTokenRow.token_sha256 == bindparam("digest"), ApiTokenRow.revoked_at.is_(None)))


def session_account(db: Connection | Session, digest: str, now: dt.datetime) -> AccountColumns | None:
    """The account behind an unexpired session, as a plain row (one query, no ORM object)."""
    row = db.execute(_SESSION_ACCOUNT, {"digest": digest}).one_or_none()
    if row is None or _aware(row.expires_at) <= now:
        return None
    return row


def token_account(db: Connection | Session, digest: str) -> AccountColumns | None:
    """The account behind an API token that is not revoked, as a plain row."""
    return db.execute(_TOKEN_ACCOUNT, {"digest": digest}).one_or_none()


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_username(self, username: str) -> AccountRow | None:
        return self.session.execute(select(AccountRow).where(AccountRow.username == username)).scalar_one_or_none()

    def by_id(self, account_id: int) -> AccountRow | None:
        return self.session.get(AccountRow, account_id)

    def add(self, row: AccountRow) -> AccountRow:
        self.session.add(row)
        self.session.flush()
        return row

    def listing(self) -> list[AccountRow]:
        return list(self.session.execute(select(AccountRow).order_by(AccountRow.username)).scalars())

    # sessions
    def add_session(self, digest: str, account_id: int, expires_at: dt.datetime) -> None:
        self.session.add(SessionRow(token_sha256=digest, account_id=account_id, expires_at=expires_at))
        self.session.flush()

    def drop_session(self, digest: str) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.token_sha256 == digest))

    def drop_expired_sessions(self, now: dt.datetime) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))

    # API tokens
    def add_token(self, account_id: int, name: str, digest: str) -> ApiTokenRow:
        row = ApiTokenRow(account_id=account_id, name=name, token_sha256=digest)
        self.session.add(row)
        self.session.flush()
        return row

    # failed sign-ins
    def add_failure(self, username: str, client: str) -> None:
        self.session.add(LoginFailureRow(username=username[:80], client=client[:64]))
        self.session.flush()

    def failures_since(self, since: dt.datetime, *, username: str | None = None, client: str | None = None) -> int:
        conds = []
        if username is not None:
            conds.append(LoginFailureRow.username == username[:80])
        if client is not None:
            conds.append(LoginFailureRow.client == client[:64])
        q = select(func.count()).select_from(LoginFailureRow).where(LoginFailureRow.at >= since)
        if conds:
            q = q.where(or_(*conds))
        return int(self.session.execute(q).scalar_one())

    def clear_failures(self, username: str) -> None:
        self.session.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username[:80]))


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
