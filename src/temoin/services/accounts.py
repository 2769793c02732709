"""Account services: create accounts, sign in (argon2id, rate-limited), sessions and API tokens.
Each change and its audit-ledger entry are saved in one transaction.

A sign-in is refused after ``MAX_FAILURES_PER_USER`` failures for one user name, or
``MAX_FAILURES_PER_CLIENT`` from one address, within ``FAILURE_WINDOW``; the refusal says when to
try again. Passwords, session and API tokens are never stored in clear.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from temoin.errors import ConflictError, InvalidInputError, TemoinError
from temoin.governance.ledger import LedgerEvent
from temoin.store import ledger, read_scope, session_scope
from temoin.store.accounts import AccountColumns, AccountRepository, session_account, token_account
from temoin.store.governance import active_roles
from temoin.store.models.accounts import AccountRow

__all__ = [
    "AccountView", "AuthenticationError", "RateLimitedError", "authenticate", "close_session",
    "create_account", "create_api_token", "hash_password", "list_accounts", "open_session",
    "signed_in", "verify_password",
]

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=12)
MIN_PASSWORD = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

# argon2id (the library's default type) with its RFC 9106 "low memory" parameters.
_hasher = PasswordHasher()


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

    @classmethod
    def of(cls, row: AccountRow | AccountColumns) -> AccountView:
        return cls(row.id, row.username, row.display_name, row.person_id, row.is_admin, row.language)


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


def _check_new_account(username: str, password: str) -> None:
    if not USERNAME.match(username):
        raise InvalidInputError(
            "account.username", f"Identifiant refusé : « {username} ».", f"User name refused: '{username}'.",
            path="username", hint_fr="2 à 80 caractères : minuscules, chiffres, point, tiret, souligné.",
            hint_en="2 to 80 characters: lower-case letters, digits, dot, hyphen, underscore.")
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(
            "account.password_short", f"Mot de passe trop court ({len(password)} caractères).",
            f"Password too short ({len(password)} characters).", path="password",
            hint_fr=f"Au moins {MIN_PASSWORD} caractères.", hint_en=f"At least {MIN_PASSWORD} characters.")


def create_account(engine: Engine, username: str, password: str, *, actor: str, display_name: str | None = None,
                   person_id: str | None = None, is_admin: bool = False, language: str = "fr") -> AccountView:
    username = username.strip().lower()
    _check_new_account(username, password)
    if language not in ("fr", "en"):
        raise InvalidInputError("account.language", f"Langue inconnue : « {language} ».",
                                f"Unknown language: '{language}'.", path="language", hint_fr="fr ou en.",
                                hint_en="fr or en.")
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        if repo.by_username(username) is not None:
            raise ConflictError("account.exists", f"L'identifiant « {username} » existe déjà.",
                                f"User name '{username}' already exists.", path="username",
                                hint_fr="Choisissez un autre identifiant.", hint_en="Choose another user name.")
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
    from temoin.errors import NotFoundError

    return NotFoundError("account.not_found", f"Compte inconnu : « {username} ».", f"Unknown account: '{username}'.",
                         path="username")


def list_accounts(engine: Engine) -> list[AccountView]:
    with session_scope(engine) as s:
        return [AccountView.of(r) for r in AccountRepository(s).listing()]


def authenticate(engine: Engine, username: str, password: str, *, client: str = "unknown") -> AccountView:
    """The account, or ``AuthenticationError`` / ``RateLimitedError``. Every failure is recorded."""
    username = username.strip().lower()[:80]
    now = _now()
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        since = now - FAILURE_WINDOW
        if (repo.failures_since(since, username=username) >= MAX_FAILURES_PER_USER
                or repo.failures_since(since, client=client) >= MAX_FAILURES_PER_CLIENT):
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise RateLimitedError(
                "auth.rate_limited", "Trop d'essais de connexion infructueux.", "Too many failed sign-in attempts.",
                path="username", hint_fr=f"Réessayez dans {minutes} minutes.",
                hint_en=f"Try again in {minutes} minutes.")
        row = repo.by_username(username)
        ok = row is not None and row.disabled_at is None and verify_password(row.password_hash, password)
        if not ok:
            if row is None:
                verify_password(_DUMMY_HASH, password)  # same work whether or not the account exists
            repo.add_failure(username, client)
        else:
            assert row is not None
            repo.clear_failures(username)
            return AccountView.of(row)
    raise AuthenticationError("auth.invalid", "Identifiant ou mot de passe incorrect.",
                              "Wrong user name or password.", path="username",
                              hint_fr="Vérifiez-les et réessayez.", hint_en="Check them and try again.")


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


def create_api_token(engine: Engine, account_id: int, name: str, *, actor: str) -> str:
    """A new token for programs (``Authorization: Bearer …``); shown once, stored as a digest."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInputError("token.name", "Nom de jeton vide ou trop long (100 caractères au plus).",
                                "Token name empty or too long (100 characters at most).", path="name")
    token = "tmn_" + secrets.token_urlsafe(32)
    with session_scope(engine) as s:
        repo = AccountRepository(s)
        if repo.by_id(account_id) is None:
            raise _unknown_account(str(account_id))
        repo.add_token(account_id, name, _digest(token))
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_API_TOKEN_CREATED, payload={"account": account_id, "name": name})
    return token


def signed_in(engine: Engine, *, session_token: str | None = None,
              api_token: str | None = None) -> tuple[AccountView | None, dict[str, frozenset[str]]]:
    """The account behind a session cookie or an API token, and its roles by contract, read in one
    transaction (every signed-in request pays this, so on a plain connection): ``(None, {})`` when
    neither is valid."""
    with read_scope(engine) as db:
        if api_token is not None:
            row = token_account(db, _digest(api_token))
        elif session_token is not None:
            row = session_account(db, _digest(session_token), _now())
        else:
            row = None
        if row is None or row.disabled_at is not None:
            return None, {}
        account = AccountView.of(row)
        roles: dict[str, set[str]] = {}
        for contract_id, role in active_roles(db, account.person_id) if account.person_id else ():
            roles.setdefault(contract_id, set()).add(role)
        return account, {k: frozenset(v) for k, v in roles.items()}
