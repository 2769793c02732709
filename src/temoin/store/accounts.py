"""The account repository: accounts, sessions, API tokens and failed sign-ins (rows only, no policy)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select
from sqlalchemy.orm import Session

from temoin.store.models.accounts import AccountRow, ApiTokenRow, LoginFailureRow, SessionRow

# What a signed-in request needs to know of its account (read as a plain row: every request pays it).
ACCOUNT_COLUMNS = (AccountRow.id, AccountRow.username, AccountRow.display_name, AccountRow.person_id,
                   AccountRow.is_admin, AccountRow.language, AccountRow.disabled_at)
AccountColumns = Row[*tuple[Any, ...]]  # id, username, …, disabled_at (and expires_at for a session)

# Statements built once (every signed-in request runs one): no statement building per request.
_SESSION_ACCOUNT = (select(*ACCOUNT_COLUMNS, SessionRow.expires_at).join(SessionRow, SessionRow.account_id == AccountRow.id)
                    .where(SessionRow.token_sha256 == bindparam("digest")))
_TOKEN_ACCOUNT = (select(*ACCOUNT_COLUMNS, ApiTokenRow.expires_at, ApiTokenRow.scopes)
                  .join(ApiTokenRow, ApiTokenRow.account_id == AccountRow.id)
                  .where(ApiTokenRow.token_sha256 == bindparam("digest"), ApiTokenRow.revoked_at.is_(None)))


def session_account(db: Connection | Session, digest: str, now: dt.datetime) -> AccountColumns | None:
    """The account behind an unexpired session, as a plain row (one query, no ORM object)."""
    row = db.execute(_SESSION_ACCOUNT, {"digest": digest}).one_or_none()
    if row is None or _aware(row.expires_at) <= now:
        return None
    return row


def token_account(db: Connection | Session, digest: str, now: dt.datetime) -> AccountColumns | None:
    """The account behind an API token that is neither revoked nor expired, as a plain row (with the
    token's ``scopes``)."""
    row = db.execute(_TOKEN_ACCOUNT, {"digest": digest}).one_or_none()
    if row is None or _aware(row.expires_at) <= now:
        return None
    return row


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

    def drop_sessions_of(self, account_id: int) -> None:
        self.session.execute(delete(SessionRow).where(SessionRow.account_id == account_id))

    # API tokens
    def add_token(self, account_id: int, name: str, digest: str, *, expires_at: dt.datetime, scopes: str) -> ApiTokenRow:
        row = ApiTokenRow(account_id=account_id, name=name, token_sha256=digest, expires_at=expires_at, scopes=scopes)
        self.session.add(row)
        self.session.flush()
        return row

    def tokens_of(self, account_id: int) -> list[ApiTokenRow]:
        q = select(ApiTokenRow).where(ApiTokenRow.account_id == account_id).order_by(ApiTokenRow.id)
        return list(self.session.execute(q).scalars())

    def token(self, account_id: int, token_id: int) -> ApiTokenRow | None:
        row = self.session.get(ApiTokenRow, token_id)
        return row if row is not None and row.account_id == account_id else None

    def revoke_tokens_of(self, account_id: int, now: dt.datetime) -> int:
        rows = [r for r in self.tokens_of(account_id) if r.revoked_at is None]
        for r in rows:
            r.revoked_at = now
        self.session.flush()
        return len(rows)

    # failed sign-ins
    def add_failure(self, username: str, client: str) -> None:
        self.session.add(LoginFailureRow(username=username[:80], client=client[:64]))
        self.session.flush()

    def failures_since(self, since: dt.datetime, *, username: str | None = None,
                       client: str | None = None) -> tuple[int, dt.datetime | None]:
        """How many failed sign-ins since ``since`` for this user name *and* this client (either may
        be left out), and when the oldest of them was."""
        q = select(func.count(), func.min(LoginFailureRow.at)).where(LoginFailureRow.at >= since)
        if username is not None:
            q = q.where(LoginFailureRow.username == username[:80])
        if client is not None:
            q = q.where(LoginFailureRow.client == client[:64])
        n, oldest = self.session.execute(q).one()
        return int(n), None if oldest is None else _aware(oldest)

    def clear_failures(self, username: str, client: str) -> None:
        self.session.execute(delete(LoginFailureRow).where(LoginFailureRow.username == username[:80],
                                                           LoginFailureRow.client == client[:64]))


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
