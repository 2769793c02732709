"""Contracts signed in the browser: one signature per contract, naming the version it locks.

Self-contained: one new table. (Written beside the other areas' 0012; the lead merges the heads.)

Revision ID: 0013_contract_drafts
Revises: 0012_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_contract_drafts"
down_revision = "0012_calls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_signatures",
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(80), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_contract_signatures_contract_id_contracts"),
        sa.PrimaryKeyConstraint("contract_id", name="pk_contract_signatures"),
    )


def downgrade() -> None:
    op.drop_table("contract_signatures")
