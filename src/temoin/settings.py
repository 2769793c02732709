"""Témoin's settings: one class, every field documented where it is declared.

Each field is read from an environment variable ``TEMOIN_<NAME>`` (e.g. ``TEMOIN_DATABASE_URL``)
when an entry point (the command line, the web application, the demo) builds a ``Settings()``;
that object is then passed to what needs it. No other module reads the environment.
The README's configuration table is checked against this class by a test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEMOIN_", extra="ignore")

    database_url: str = Field(
        "sqlite:///temoin.db",
        description="SQLAlchemy URL of the database. SQLite file by default (WAL mode); "
        "PostgreSQL with postgresql+psycopg://user:password@host/db.",
    )
    language: Literal["fr", "en"] = Field("fr", description="Language of messages: fr (default) or en.")
    environment: Literal["development", "production"] = Field(
        "development", description="development or production; production refuses the default secret key."
    )
    secret_key: str = Field(DEV_SECRET, description="Secret for session cookies and CSRF tokens.")
    pseudonym_secret: str = Field(
        "",
        description="Master secret from which each contract's pseudonymisation key is derived "
        "(participants' identifiers are stored only as keyed HMACs). Empty means the secret key.",
    )
    small_cell_threshold: int = Field(10, ge=1, description="Published counts below this are suppressed.")
    k_anonymity: int = Field(5, ge=2, description="Minimum k on quasi-identifiers in research extracts.")
    max_upload_mb: int = Field(20, ge=1, description="Largest upload accepted by the web platform, in MiB.")
    open_data_producer: str = Field(
        "Plateforme Témoin", min_length=1,
        description="Producer named in the open-data files' metadata (data.gouv.fr and Data Package).",
    )

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("TEMOIN_SECRET_KEY must be set in production (the default is for development only).")
        return self

    @property
    def pseudonym_master(self) -> str:
        """The master secret of pseudonymisation (the secret key when no pseudonym secret is set)."""
        return self.pseudonym_secret or self.secret_key
