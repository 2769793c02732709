"""SQLAlchemy models: one module per area, all on one ``Base``. Importing this registers them all."""

from temoin.store.models import contracts, ledger  # noqa: F401
from temoin.store.models import governance  # noqa: F401
from temoin.store.models import opendata  # noqa: F401
from temoin.store.models import cohorts  # noqa: F401
from temoin.store.models import accounts  # noqa: F401
from temoin.store.models.base import Base

__all__ = ["Base"]
