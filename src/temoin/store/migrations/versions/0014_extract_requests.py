"""Research-extract requests (a researcher asks, the payer decides, the extract is kept for the requester).

Self-contained: one new table. (Written beside the other 0012 revisions; the lead chains them at merge.)

Revision ID: 0014_extract_requests
Revises: 0013_contract_drafts
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_extract_requests"
down_revision = "0013_contract_drafts"
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "research_extract_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(80), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", _tz(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("made_at", _tz(), nullable=True),
        sa.Column("k", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("extract_csv", sa.Text(), nullable=True),
        sa.Column("codebook_csv", sa.Text(), nullable=True),
        sa.Column("readme", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"],
                                name="fk_research_extract_requests_contract_id_contracts"),
        sa.ForeignKeyConstraint(["account_id"], ["web_accounts.id"],
                                name="fk_research_extract_requests_account_id_web_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_research_extract_requests"),
    )
    op.create_index("ix_research_extract_requests_contract_id", "research_extract_requests", ["contract_id"])
    op.create_index("ix_research_extract_requests_account_id", "research_extract_requests", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_research_extract_requests_account_id", table_name="research_extract_requests")
    op.drop_index("ix_research_extract_requests_contract_id", table_name="research_extract_requests")
    op.drop_table("research_extract_requests")
