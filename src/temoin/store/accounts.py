"""The account repository: accounts, sessions, API tokens and failed sign-ins (rows only, no policy)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from temoin.store.models.accounts import AccountRow, ApiTokenRow, LoginFailureRow, SessionRow


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

    def session_account(self, digest: str, now: dt.datetime) -> AccountRow | None:
        row = self.session.get(SessionRow, digest)
        if row is None or _aware(row.expires_at) <= now:
            return None
        return self.session.get(AccountRow, row.account_id)

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

    def token_account(self, digest: str) -> AccountRow | None:
        row = self.session.execute(select(ApiTokenRow).where(
            ApiTokenRow.token_sha256 == digest, ApiTokenRow.revoked_at.is_(None))).scalar_one_or_none()
        return None if row is None else self.session.get(AccountRow, row.account_id)

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
