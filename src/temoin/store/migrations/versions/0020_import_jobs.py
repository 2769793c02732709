"""Large imports as background jobs: a job may be given a file (the upload), kept with its SHA-256.

Three columns on ``jobs``: the file's name, its SHA-256 (kept), and its content (emptied once the
job ends, so that an uploaded cohort does not stay in the queue).

Revision ID: 0020_import_jobs
Revises: 0019_payer_organisations
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_import_jobs"
down_revision = "0019_payer_organisations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("input_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("input_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("input_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("input_data")
        batch.drop_column("input_sha256")
        batch.drop_column("input_name")
