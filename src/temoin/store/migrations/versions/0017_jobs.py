"""Background jobs kept in the database: a queue that works on SQLite and PostgreSQL alike.

Self-contained: one new table.

Revision ID: 0017_jobs
Revises: 0016_enrolment_referrals
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_jobs"
down_revision = "0016_enrolment_referrals"
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=True),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("file_type", sa.String(80), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("file_data", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("started_at", _tz(), nullable=True),
        sa.Column("heartbeat_at", _tz(), nullable=True),
        sa.Column("finished_at", _tz(), nullable=True),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_jobs_contract_id_contracts"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_contract_id", "jobs", ["contract_id"])
    op.create_index("ix_jobs_status", "jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_index("ix_jobs_contract_id", table_name="jobs")
    op.drop_table("jobs")
