"""SQLAlchemy models: one module per area, all on one ``Base``. Importing this registers them all."""

from temoin.store.models import (  # noqa: F401
    accounts,
    cohorts,
    contracts,
    extracts,
    governance,
    invitations,
    jobs,
    ledger,
    opendata,
    rgpd,
    settlements,
)
from temoin.store.models.base import Base

__all__ = ["Base"]
