"""Témoin's settings: one class, every field documented where it is declared.

Each field is read from an environment variable ``TEMOIN_<NAME>`` (e.g. ``TEMOIN_DATABASE_URL``)
when an entry point (the command line, the web application, the demo) builds a ``Settings()``;
that object is then passed to what needs it. No other module reads the environment.
The README's configuration table is checked against this class by a test.

Two secrets, never one for the other: ``secret_key`` signs session cookies and CSRF tokens (rotate
it at will: everyone signs in again, nothing else changes); ``pseudonym_secret`` derives every
contract's pseudonymisation key (changing it makes every known participant a stranger, so it is
kept, backed up and never rotated casually). In production both must be at least 32 random bytes,
written in hexadecimal or base64 (``python -c "import secrets; print(secrets.token_urlsafe(32))"``).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from temoin.errors import InvalidInputError

DEV_SECRET = "dev-secret-change-me"
DEV_PSEUDONYM_SECRET = DEV_SECRET
"""The development default of the pseudonym secret: the value earlier releases derived it from, so a
development database keeps its pseudonyms. It is a setting of its own (changing the secret key no
longer changes it), and production refuses both defaults."""
MIN_SECRET_BYTES = 32
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


def secret_bytes(secret: str) -> bytes | None:
    """The bytes a secret written in hexadecimal or base64 (standard or URL-safe) stands for; None
    when it is neither (a pass phrase, a word)."""
    text = secret.strip()
    if _HEX.match(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    if _B64.match(text):
        padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
        try:
            return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            return None
    return None


def looks_random(secret: str) -> bool:
    """At least 32 bytes, written in hexadecimal or base64, that look drawn at random: 32 random
    bytes hold about 30 distinct values, and fewer than 16 happens with probability below 1e-12,
    while a repeated letter or a short word written out in base64 holds a handful."""
    raw = secret_bytes(secret)
    return raw is not None and len(raw) >= MIN_SECRET_BYTES and len(set(raw)) >= 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEMOIN_", extra="ignore")

    database_url: str = Field(
        "sqlite:///temoin.db",
        description="SQLAlchemy URL of the database. SQLite file by default (WAL mode); "
        "PostgreSQL with postgresql+psycopg://user:password@host/db.",
    )
    db_pool_size: int = Field(
        8, ge=1, le=200,
        description="Database connections each process keeps open (and at most as many more on demand); the web "
        "server runs at most this many requests at once per process.",
    )
    language: Literal["fr", "en"] = Field("fr", description="Language of messages: fr (default) or en.")
    environment: Literal["development", "production"] = Field(
        "development", description="development or production; production refuses default, short or non-random secrets."
    )
    secret_key: str = Field(
        DEV_SECRET,
        description="Secret for session cookies and CSRF tokens. Rotating it signs everyone out and changes nothing else. "
        "In production: at least 32 random bytes in hexadecimal or base64.",
    )
    pseudonym_secret: str = Field(
        DEV_PSEUDONYM_SECRET,
        description="Master secret from which each contract's pseudonymisation key is derived (participants' identifiers "
        "are stored only as keyed HMACs; whoever holds it can test identifiers against them). Separate from the "
        "secret key; never rotated with it. In production: at least 32 random bytes in hexadecimal or base64.",
    )
    small_cell_threshold: int = Field(10, ge=1, description="Published counts below this are suppressed.")
    k_anonymity: int = Field(5, ge=2, description="Minimum k on quasi-identifiers in research extracts.")
    max_upload_mb: int = Field(20, ge=1, description="Largest upload accepted by the web platform, in MiB.")
    open_data_producer: str = Field(
        "Plateforme Témoin", min_length=1,
        description="Producer named in the open-data files' metadata (data.gouv.fr and Data Package).",
    )
    max_upload_unpacked_mb: int = Field(
        100, ge=1,
        description="Largest content of an uploaded XLSX workbook once decompressed, in MiB (a zip bomb is refused "
        "before it is read).",
    )
    max_upload_rows: int = Field(200_000, ge=1, description="Most data rows an uploaded file may hold.")
    max_upload_columns: int = Field(200, ge=1, description="Most columns an uploaded file may hold.")
    max_listed_errors: int = Field(
        200, ge=1, description="Problems listed when an uploaded file is refused (the rest are counted)."
    )
    upload_workers: int = Field(
        2, ge=1, description="Uploads checked and imported at once per web process (in worker threads, never on the "
        "event loop); the others wait their turn."
    )
    job_workers: int = Field(
        1, ge=0, le=16,
        description="Worker threads each web process starts for background jobs (risk simulations, reports), kept in "
        "the database; 0: none in this process (its jobs wait for a process that has some).",
    )
    max_simulation_scenarios: int = Field(
        1_000_000, ge=1_000, le=20_000_000,
        description="Most scenarios a risk simulation asked for from the web platform may draw.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto headers are believed (empty: none; the client is the peer of the connection).",
    )
    api_token_days: int = Field(90, ge=1, le=3650, description="Lifetime of a new API token, in days.")
    invitation_days: int = Field(
        7, ge=1, le=90, description="Lifetime of an invitation link to a role in a contract, in days (used once)."
    )
    public_url: str = Field(
        "",
        description="Address of the site as people reach it (e.g. https://temoin.example.org), used in the links "
        "sent by e-mail; empty: the address the payer's browser used.",
    )
    smtp_host: str = Field(
        "", description="SMTP server that sends invitations by e-mail; empty: none (the link is only shown to copy)."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_from: str = Field("", description="Sender address of the e-mails (required when an SMTP server is set).")
    smtp_user: str = Field("", description="User name on the SMTP server (empty: no authentication).")
    smtp_password: str = Field("", description="Password on the SMTP server.")
    smtp_starttls: bool = Field(True, description="Switch the SMTP connection to TLS (STARTTLS) before sending.")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", value):
            raise ValueError("the public address starts with http:// or https:// and holds no space")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                ipaddress.ip_network(part, strict=False)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if not self.secret_key or not self.pseudonym_secret:
            raise ValueError("TEMOIN_SECRET_KEY and TEMOIN_PSEUDONYM_SECRET must not be empty.")
        if self.environment == "production":
            for name, value, default in (("TEMOIN_SECRET_KEY", self.secret_key, DEV_SECRET),
                                         ("TEMOIN_PSEUDONYM_SECRET", self.pseudonym_secret, DEV_PSEUDONYM_SECRET)):
                if value == default:
                    raise ValueError(f"{name} must be set in production (the default is for development only).")
                if not looks_random(value):
                    raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} random bytes written in hexadecimal "
                                     "or base64 in production.")
            if self.secret_key == self.pseudonym_secret:
                raise ValueError("TEMOIN_PSEUDONYM_SECRET must differ from TEMOIN_SECRET_KEY.")
        if self.smtp_host and "@" not in self.smtp_from:
            raise ValueError("TEMOIN_SMTP_FROM must be an e-mail address when TEMOIN_SMTP_HOST is set.")
        return self

    @property
    def pseudonym_master(self) -> str:
        """The master secret of pseudonymisation (never the session secret)."""
        return self.pseudonym_secret

    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip())


class SettingsError(InvalidInputError):
    """Settings read from the environment that cannot be used: said in words, never a traceback."""


def load_settings() -> Settings:
    """``Settings()`` from the environment, or :class:`SettingsError` listing each problem."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise SettingsError(
            "settings.invalid", f"Réglages refusés : {problems}", f"Settings refused: {problems}",
            path="TEMOIN_*",
            hint_fr="Corrigez les variables d'environnement TEMOIN_… (voir la table des réglages du README). Secret : "
                    "python -c \"import secrets; print(secrets.token_urlsafe(32))\".",
            hint_en="Fix the TEMOIN_… environment variables (see the README's settings table). A secret: "
                    "python -c \"import secrets; print(secrets.token_urlsafe(32))\".") from None


def _problem(error: object) -> str:
    e = dict(error)  # type: ignore[call-overload]
    where = ".".join(str(p) for p in e.get("loc", ()))
    msg = str(e.get("msg", "")).removeprefix("Value error, ")
    return f"TEMOIN_{where.upper()}: {msg}" if where else msg
