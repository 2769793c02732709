"""Open data: INDIGO projects, organisations and funds imported into the registry, and the imports
that brought them."""

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
    n_organisations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_funds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    files: Mapped[str] = mapped_column(Text, default="[]", server_default="[]",
                                       doc="The files read (name, use, rows) as a JSON list.")


class IndigoRecordColumns:
    """The columns every stored INDIGO record has (projects, organisations, funds)."""

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text, doc="The cleaned INDIGO data as JSON (valid against its schema).")
    import_id: Mapped[int] = mapped_column(ForeignKey("opendata_imports.id"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IndigoProjectRow(IndigoRecordColumns, Base):
    """An INDIGO project as last imported."""

    __tablename__ = "opendata_projects"


class IndigoOrganisationRow(IndigoRecordColumns, Base):
    """An INDIGO organisation (``INDIGO-ORG-…``) as last imported: the parties named on project pages."""

    __tablename__ = "opendata_organisations"


class IndigoFundRow(IndigoRecordColumns, Base):
    """An INDIGO outcomes fund (``INDIGO-FUND-…``) as last imported."""

    __tablename__ = "opendata_funds"
