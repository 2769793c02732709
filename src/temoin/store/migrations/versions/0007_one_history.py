"""One history: joins the five area branches that grew from 0001 (0002–0006); linear from here.

Every database, whichever of 0002–0006 it already has, upgrades to this single head: alembic
applies the branches it lacks, then this revision. New migrations revise this one (and so on).

Revision ID: 0007_one_history
Revises: 0002_cohorts, 0003_settlements, 0004_governance, 0005_opendata, 0006_accounts
"""

revision = "0007_one_history"
down_revision = ("0002_cohorts", "0003_settlements", "0004_governance", "0005_opendata", "0006_accounts")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A merge point only: no schema change."""


def downgrade() -> None:
    """A merge point only: no schema change."""
