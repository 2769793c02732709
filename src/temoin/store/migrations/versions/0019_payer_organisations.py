"""Accounts stated by the administrator to act for a public payer organisation.

Self-contained: one new table (an identity fact of an account; it gives no role in any contract).

Revision ID: 0019_payer_organisations
Revises: 0018_batch_members
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_payer_organisations"
down_revision = "0018_batch_members"
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payer_organisations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("stated_by", sa.String(200), nullable=False),
        sa.Column("stated_at", _tz(), nullable=False),
        sa.Column("withdrawn_at", _tz(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["web_accounts.id"], name="fk_payer_organisations_account_id_web_accounts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_payer_organisations"),
        sa.UniqueConstraint("account_id", "organisation", name="uq_payer_organisations_account_id"),
    )
    op.create_index("ix_payer_organisations_account_id", "payer_organisations", ["account_id"])
    op.create_index("ix_payer_organisations_organisation", "payer_organisations", ["organisation"])


def downgrade() -> None:
    op.drop_index("ix_payer_organisations_organisation", table_name="payer_organisations")
    op.drop_index("ix_payer_organisations_account_id", table_name="payer_organisations")
    op.drop_table("payer_organisations")
