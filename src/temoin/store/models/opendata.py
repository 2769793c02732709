"""Open data: INDIGO projects imported into the registry, and the imports that brought them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from temoin.store.models.base import Base, utcnow


class IndigoImportRow(Base):
    """One run of ``temoin import indigo``: what was read, by whom, with how many warnings."""

    __tablename__ = "opendata_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(10))
    n_projects: Mapped[int] = mapped_column(Integer)
    n_warnings: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[str] = mapped_column(Text, doc="The warnings as a JSON list.")


class IndigoProjectRow(Base):
    """An INDIGO project as last imported (cleaned data, valid against the INDIGO schema)."""

    __tablename__ = "opendata_projects"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text, doc="The cleaned INDIGO project data as JSON.")
    import_id: Mapped[int] = mapped_column(ForeignKey("opendata_imports.id"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
