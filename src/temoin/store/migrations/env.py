"""Alembic environment: the engine comes from ``temoin.store.db.alembic_config``."""

from __future__ import annotations

from alembic import context

from temoin.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line, an entry point: the settings from the environment
    from temoin.settings import Settings
    from temoin.store.db import make_engine

    engine = make_engine(Settings().database_url)

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
