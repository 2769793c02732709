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
from temoin.messages import Msg

DEV_SECRET = "dev-secret-change-me"
DEV_PSEUDONYM_SECRET = DEV_SECRET
"""The development default of the pseudonym secret: the value earlier releases derived it from, so a
development database keeps its pseudonyms. It is a setting of its own (changing the secret key no
longer changes it), and production refuses both defaults."""
MIN_SECRET_BYTES = 32
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")


class _Refused(ValueError):
    """A setting's value refused by a rule of Témoin's, with the words to say it."""

    def __init__(self, message: Msg) -> None:
        super().__init__(str(message))
        self.msg = message


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
    import_job_rows: int = Field(
        2_000, ge=0,
        description="Uploaded participants or wave files with more data rows than this are imported by a background "
        "job (the page answers at once and follows it); smaller files are imported within the request. 0: every "
        "file by a job.",
    )
    job_workers: int = Field(
        1, ge=0, le=16,
        description="Worker threads each web process starts for background jobs (risk simulations, reports), kept in "
        "the database; 0: none in this process (its jobs wait for a process that has some).",
    )
    figures_wait_seconds: float = Field(
        0.2, ge=0, le=60,
        description="After a change, how long a contract page waits for its figures gathered anew before it shows the "
                    "previous ones, dated, and says they are being updated (temoin.web.kept).",
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
    hosting_provider: str = Field(
        "", description="Who hosts the platform and its database (company or public data centre), as the data-protection "
        "file names it; empty: not stated."
    )
    hosting_country: str = Field(
        "", description="Country where the data are hosted, as an ISO 3166 two-letter code (FR, DE…); empty: not stated."
    )
    hosting_hds: bool | None = Field(
        None, description="Whether the host is certified to host health data (HDS): true or false; empty: not stated."
    )
    backup_interval_hours: int | None = Field(
        None, ge=1, le=8760, description="Hours between two backups of the database, as the host runs them; empty: not stated."
    )
    backup_retention_days: int | None = Field(
        None, ge=1, le=36500, description="Days each backup is kept; empty: not stated."
    )
    backup_encrypted: bool | None = Field(
        None, description="Whether the backups are encrypted: true or false; empty: not stated."
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", value):
            raise _Refused(Msg("The public address starts with http:// or https:// and holds no space."))
        return value.rstrip("/")

    @field_validator("hosting_country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if value and not re.match(r"^[A-Z]{2}$", value):
            raise _Refused(Msg("'{value}' is not a two-letter country code (ISO 3166: FR, DE…).", value=value))
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise _Refused(Msg("'{value}' is not a network address.", value=part)) from None
        return value

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if not self.secret_key or not self.pseudonym_secret:
            raise _Refused(Msg("TEMOIN_SECRET_KEY and TEMOIN_PSEUDONYM_SECRET must not be empty."))
        if self.environment == "production":
            for name, value, default in (("TEMOIN_SECRET_KEY", self.secret_key, DEV_SECRET),
                                         ("TEMOIN_PSEUDONYM_SECRET", self.pseudonym_secret, DEV_PSEUDONYM_SECRET)):
                if value == default:
                    raise _Refused(Msg("{name} must be set in production (the default is for development only).",
                                       name=name))
                if not looks_random(value):
                    raise _Refused(Msg("{name} must be at least {n} random bytes written in hexadecimal or base64 in "
                                       "production.", name=name, n=MIN_SECRET_BYTES))
            if self.secret_key == self.pseudonym_secret:
                raise _Refused(Msg("TEMOIN_PSEUDONYM_SECRET must differ from TEMOIN_SECRET_KEY."))
        if self.smtp_host and "@" not in self.smtp_from:
            raise _Refused(Msg("TEMOIN_SMTP_FROM must be an e-mail address when TEMOIN_SMTP_HOST is set."))
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
        problems = [_problem(e) for e in exc.errors()]
        raise SettingsError(
            "settings.invalid", Msg("Settings refused: {problems}", problems=problems), path="TEMOIN_*",
            hint=Msg("Fix the TEMOIN_… environment variables (see the README's settings table). A secret: {command}.",
                     command='python -c "import secrets; print(secrets.token_urlsafe(32))"')) from None


_PYDANTIC: dict[str, str] = {  # pydantic's kinds of error, in Témoin's words (shared with the contract's)
    "int_parsing": "'{value}' is not a whole number.", "int_type": "'{value}' is not a whole number.",
    "int_from_float": "'{value}' is not a whole number.",
    "bool_parsing": "'{value}' is not true or false.", "bool_type": "'{value}' is not true or false.",
    "greater_than_equal": "'{value}' is below the minimum, {ge}.",
    "less_than_equal": "'{value}' is above the maximum, {le}.",
    "literal_error": "'{value}' is not allowed here.",
}


def _problem(error: object) -> Msg:
    """One refused setting: its variable and what is wrong, as a message."""
    e = dict(error)  # type: ignore[call-overload]
    ctx = dict(e.get("ctx") or {})
    value = str(e.get("input", ""))[:80] if not isinstance(e.get("input"), dict) else ""
    if isinstance(ctx.get("error"), _Refused):
        said: Msg = ctx["error"].msg
    elif e.get("type") in _PYDANTIC:
        said = Msg(_PYDANTIC[e["type"]], value=value,
                   **{k: ctx[k] for k in ("ge", "le") if k in ctx})
    else:
        said = Msg("Value refused: '{value}'.", value=value)
    where = ".".join(str(p) for p in e.get("loc", ()))
    return Msg("{variable}: {problem}", variable=f"TEMOIN_{where.upper()}", problem=said) if where else said
