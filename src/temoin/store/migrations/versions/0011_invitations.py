"""Invitations to a role in a contract (a single-use, expiring link; only its token's digest is kept).

Self-contained: one new table. (Written beside 0010; the lead chains it after 0010 at merge.)

Revision ID: 0011_invitations
Revises: 0010_rolling_enrolment
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_invitations"
down_revision = "0010_rolling_enrolment"
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gov_invitations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("expires_at", _tz(), nullable=False),
        sa.Column("accepted_at", _tz(), nullable=True),
        sa.Column("accepted_by", sa.String(80), nullable=True),
        sa.Column("person_id", sa.String(80), nullable=True),
        sa.Column("refused_at", _tz(), nullable=True),
        sa.Column("withdrawn_at", _tz(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_gov_invitations_contract_id_contracts"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_invitations"),
        sa.UniqueConstraint("token_sha256", name="uq_gov_invitations_token_sha256"),
    )
    op.create_index("ix_gov_invitations_contract_id", "gov_invitations", ["contract_id"])


def downgrade() -> None:
    op.drop_index("ix_gov_invitations_contract_id", table_name="gov_invitations")
    op.drop_table("gov_invitations")
