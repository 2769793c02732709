"""Account services: create and disable accounts, sign in (argon2id, rate-limited), sessions and
API tokens. Each change and its audit-ledger entry are saved in one transaction.

Sign-in is limited per client *and* user name: after ``MAX_FAILURES_PER_USER`` failures for one
user name from one client address, or ``MAX_FAILURES_PER_CLIENT`` from one address whatever the
names, within ``FAILURE_WINDOW``, that client waits (the refusal says how long). Someone guessing
from elsewhere never locks the real user out: the real user's own address has no failures. The
address is the one the web layer found (behind trusted proxies only, see the settings).

New passwords must pass :func:`temoin.services.passwords.problem` (length 10–128, not common,
not a pattern, enough entropy). Passwords, session and API tokens are never stored in clear.

An API token carries scopes (``contract.read`` always, and the actions it may take), expires, can
be revoked by its owner, and is revoked with every session when the account is disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from temoin.errors import ConflictError, InvalidInputError, NotFoundError, TemoinError
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.services.passwords import MAX_PASSWORD, MIN_PASSWORD, problem
from temoin.store import ledger, read_scope, session_scope
from temoin.store.accounts import AccountColumns, AccountRepository, session_account, token_account
from temoin.store.governance import active_roles
from temoin.store.models.accounts import AccountRow, ApiTokenRow
from temoin.store.models.governance import PersonRow

__all__ = [
    "AccountView", "AuthenticationError", "Identity", "RateLimitedError", "TokenView", "authenticate", "check_new_account",
    "close_session", "create_account", "create_api_token", "disable_account", "hash_password", "list_accounts",
    "list_api_tokens", "open_session", "revoke_api_token", "signed_in", "verify_password",
]

MAX_FAILURES_PER_USER = 5
"""Failed sign-ins for one user name from one client address before that client waits."""
MAX_FAILURES_PER_CLIENT = 20
"""Failed sign-ins from one client address, whatever the user names, before it waits."""
FAILURE_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
READ_SCOPE = "contract.read"
SCOPE = re.compile(r"^[a-z]+\.[a-z_]+$")

# argon2id (the library's default type) with its RFC 9106 "low memory" parameters.
_hasher = PasswordHasher()


def hash_parameters() -> dict[str, int]:
    """The argon2id cost in force (time cost, memory in KiB, parallelism), as the record of processing states it."""
    return {"time_cost": _hasher.time_cost, "memory_cost_kib": _hasher.memory_cost, "parallelism": _hasher.parallelism}


def set_hash_cost(*, time_cost: int, memory_cost_kib: int) -> None:
    """Change the argon2id cost (tests and benchmarks use a cheap one; existing hashes still verify)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthenticationError(TemoinError):
    """Wrong user name or password (the message never says which)."""


class RateLimitedError(TemoinError):
    """Too many failed sign-ins."""


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    display_name: str
    person_id: str | None
    is_admin: bool
    language: str
    disabled: bool = False

    @classmethod
    def of(cls, row: AccountRow | AccountColumns) -> AccountView:
        return cls(row.id, row.username, row.display_name, row.person_id, row.is_admin, row.language,
                   row.disabled_at is not None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_SAFER = Msg("Use a phrase of four words or more, or a password drawn at random.")
_PASSWORD_PROBLEMS = {
    "short": (Msg("Password too short ({n} characters)."), Msg("At least {n} characters.", n=MIN_PASSWORD)),
    "long": (Msg("Password too long ({n} characters)."), Msg("At most {n} characters.", n=MAX_PASSWORD)),
    "common": (Msg("Password too common: it is among the first tried (a usual word, the user name, with digits "
                   "around it)."), _SAFER),
    "pattern": (Msg("Predictable password: a run, a keyboard row or a repeated piece."), _SAFER),
    "weak": (Msg("Password too weak: too few different characters."),
             Msg("Make it longer or more varied (a phrase of four words will do).")),
}


def _check_new_account(username: str, password: str) -> None:
    if not USERNAME.match(username):
        raise InvalidInputError(
            "account.username", Msg("User name refused: '{username}'.", username=username), path="username",
            hint=Msg("2 to 80 characters: lower-case letters, digits, dot, hyphen, underscore."))
    found = problem(password, username=username)
    if found is not None:
        message, hint = _PASSWORD_PROBLEMS[found]
        raise InvalidInputError(f"account.password_{found}", Msg(message.id, n=len(password)), path="password",
                                hint=hint)


def check_new_account(username: str, password: str) -> str:
    """The user name as it will be stored, or the error a new account with these would get."""
    username = username.strip().lower()
    _check_new_account(username, password)
    return username


def create_account(engine: Engine, username: str, password: str, *, actor: str, display_name: str | None = None,
                   person_id: str | None = None, is_admin: bool = False, language: str = "fr") -> AccountView:
    username = username.strip().lower()
    _check_new_account(username, password)
    if language not in ("fr", "en"):
        raise InvalidInputError("account.language", Msg("Unknown language: '{language}'.", language=language),
                                path="language", hint=Msg("Choose fr (French) or en (English)."))
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        if repo.by_username(username) is not None:
            raise ConflictError("account.exists", Msg("User name '{username}' already exists.", username=username),
                                path="username", hint=Msg("Choose another user name."))
        if person_id and s.get(PersonRow, person_id) is None:
            raise NotFoundError("account.unknown_person", Msg("Unknown person: '{person}'.", person=person_id),
                                path="person_id",
                                hint=Msg("Record their roles first: `temoin role assign CONTRACT PERSON …`."))
        row = repo.add(AccountRow(username=username, password_hash=hash_password(password),
                                  display_name=display_name or username, person_id=person_id or None,
                                  is_admin=is_admin, language=language))
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_CREATED,
                      payload={"username": username, "person": person_id, "admin": is_admin})
        return AccountView.of(row)


def set_password(engine: Engine, username: str, password: str, *, actor: str) -> None:
    _check_new_account(username, password)
    with session_scope(engine) as s:
        row = AccountRepository(s).by_username(username)
        if row is None:
            raise _unknown_account(username)
        row.password_hash = hash_password(password)
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_PASSWORD_SET, payload={"username": username})


def _unknown_account(username: str) -> TemoinError:
    return NotFoundError("account.not_found", Msg("Unknown account: '{username}'.", username=username),
                         path="username")


def list_accounts(engine: Engine) -> list[AccountView]:
    with session_scope(engine) as s:
        return [AccountView.of(r) for r in AccountRepository(s).listing()]


def _wait(oldest: dt.datetime | None, now: dt.datetime) -> RateLimitedError:
    left = FAILURE_WINDOW - (now - oldest) if oldest is not None else FAILURE_WINDOW
    minutes = max(1, int(-(-left.total_seconds() // 60)))
    return RateLimitedError(
        "auth.rate_limited", Msg("Too many failed sign-in attempts from this address."), path="username",
        hint=Msg("Try again in {minutes} minute(s).", minutes=minutes))


def authenticate(engine: Engine, username: str, password: str, *, client: str = "unknown") -> AccountView:
    """The account, or ``AuthenticationError`` / ``RateLimitedError``. Every failure is recorded
    with the client's address; only that client is slowed down."""
    username = username.strip().lower()[:80]
    now = _now()
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        since = now - FAILURE_WINDOW
        for n, oldest, limit in (*repo.failures_since(since, username=username, client=client), MAX_FAILURES_PER_USER), \
                                (*repo.failures_since(since, client=client), MAX_FAILURES_PER_CLIENT):
            if n >= limit:
                raise _wait(oldest, now)
        row = repo.by_username(username)
        ok = (row is not None and row.disabled_at is None and len(password) <= MAX_PASSWORD
              and verify_password(row.password_hash, password))
        if not ok:
            if row is None:
                verify_password(_DUMMY_HASH, password[:MAX_PASSWORD])  # same work whether or not the account exists
            repo.add_failure(username, client)
        else:
            assert row is not None
            repo.clear_failures(username, client)
            return AccountView.of(row)
    raise AuthenticationError("auth.invalid", Msg("Wrong user name or password."), path="username",
                              hint=Msg("Check them and try again."))


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def open_session(engine: Engine, account_id: int) -> str:
    token = secrets.token_urlsafe(32)
    now = _now()
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        repo.drop_expired_sessions(now)
        repo.add_session(_digest(token), account_id, now + SESSION_LIFETIME)
    return token


def close_session(engine: Engine, token: str) -> None:
    with session_scope(engine) as s:
        AccountRepository(s).drop_session(_digest(token))


@dataclass(frozen=True)
class TokenView:
    """An API token as its owner sees it (never the token itself, shown once at creation)."""

    id: int
    name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and _aware(self.expires_at) > _now()

    @classmethod
    def of(cls, row: ApiTokenRow) -> TokenView:
        return cls(row.id, row.name, tuple(row.scopes.split()), row.created_at, row.expires_at, row.revoked_at)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "scopes": list(self.scopes), "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None, "active": self.active}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def create_api_token(engine: Engine, account_id: int, name: str, *, actor: str, scopes: Collection[str] = (),
                     days: int = 90) -> str:
    """A new token for programs (``Authorization: Bearer …``); shown once, stored as a digest. It
    may read (``contract.read``, always included) and take the actions named in ``scopes`` (the
    caller checks they are permissions it knows), for ``days`` days."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInputError("token.name", Msg("Token name empty or too long (100 characters at most)."),
                                path="name")
    if not 1 <= days <= 3650:
        raise InvalidInputError("token.days", Msg("Lifetime refused: {days} days.", days=days), path="days",
                                hint=Msg("Between 1 and 3650 days."))
    chosen = sorted({READ_SCOPE, *scopes})
    bad = [x for x in chosen if not SCOPE.match(x)]
    if bad:
        raise InvalidInputError("token.scope", Msg("Unknown scope: '{scope}'.", scope=bad[0]), path="scopes")
    token = "tmn_" + secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(days=days)
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        row = repo.by_id(account_id)
        if row is None or row.disabled_at is not None:
            raise _unknown_account(str(account_id))
        added = repo.add_token(account_id, name, _digest(token), expires_at=expires, scopes=" ".join(chosen))
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_API_TOKEN_CREATED,
                      payload={"account": account_id, "name": name, "token_id": added.id, "scopes": chosen,
                               "expires_at": expires.isoformat(timespec="seconds")})
    return token


def list_api_tokens(engine: Engine, account_id: int) -> list[TokenView]:
    with session_scope(engine) as s:
        return [TokenView.of(r) for r in AccountRepository(s).tokens_of(account_id)]


def revoke_api_token(engine: Engine, account_id: int, token_id: int, *, actor: str) -> TokenView:
    """Revoke one of the account's own tokens (revoking it again changes nothing)."""
    with session_scope(engine) as s:
        row = AccountRepository(s).token(account_id, token_id)
        if row is None:
            raise NotFoundError("token.not_found", Msg("Unknown token: #{id}.", id=str(token_id)), path="token_id",
                                hint=Msg("The 'My account' page lists your tokens."))
        if row.revoked_at is None:
            row.revoked_at = _now()
            s.flush()
            ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_API_TOKEN_REVOKED,
                          payload={"account": account_id, "token_id": token_id, "name": row.name})
        return TokenView.of(row)


def disable_account(engine: Engine, username: str, *, actor: str) -> AccountView:
    """Disable an account: it can no longer sign in, its sessions close and its tokens are revoked."""
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        row = repo.by_username(username.strip().lower())
        if row is None:
            raise _unknown_account(username)
        if row.disabled_at is None:
            now = _now()
            row.disabled_at = now
            revoked = repo.revoke_tokens_of(row.id, now)
            repo.drop_sessions_of(row.id)
            ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_DISABLED,
                          payload={"username": row.username, "tokens_revoked": revoked})
        return AccountView.of(row)


class Identity(NamedTuple):
    """Who is asking: the account, its roles by contract, and, through an API token, the token's scopes."""

    account: AccountView | None
    roles: dict[str, frozenset[str]]
    scopes: frozenset[str] | None = None


def signed_in(engine: Engine, *, session_token: str | None = None, api_token: str | None = None) -> Identity:
    """The account behind a session cookie or an API token (neither revoked nor expired), its roles
    by contract and the token's scopes, read in one transaction (every signed-in request pays this,
    so on a plain connection); an empty identity when neither is valid."""
    now = _now()
    with read_scope(engine) as db:
        scopes = None
        if api_token is not None:
            row = token_account(db, _digest(api_token), now)
            scopes = frozenset(row.scopes.split()) if row is not None else None
        elif session_token is not None:
            row = session_account(db, _digest(session_token), now)
        else:
            row = None
        if row is None or row.disabled_at is not None:
            return Identity(None, {})
        account = AccountView.of(row)
        roles: dict[str, set[str]] = {}
        for contract_id, role in active_roles(db, account.person_id) if account.person_id else ():
            roles.setdefault(contract_id, set()).add(role)
        return Identity(account, {k: frozenset(v) for k, v in roles.items()}, scopes)
