"""Open data from GO Lab's published files: INDIGO organisations and funds beside the projects, and
what each import read (organisation and fund counts, the files and their rows).

Revision ID: 0009_opendata_real_data
Revises: 0008_records_guarded
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_opendata_real_data"
down_revision = "0008_records_guarded"
branch_labels = None
depends_on = None

_RECORDS = ("opendata_organisations", "opendata_funds")


def upgrade() -> None:
    for table in _RECORDS:
        op.create_table(
            table,
            sa.Column("id", sa.String(120), nullable=False),
            sa.Column("name", sa.String(500), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("data", sa.Text, nullable=False),
            sa.Column("import_id", sa.Integer, nullable=False),
            sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["import_id"], ["opendata_imports.id"], name=f"fk_{table}_import_id_opendata_imports"),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_import_id", table, ["import_id"])
    with op.batch_alter_table("opendata_imports") as batch:
        batch.add_column(sa.Column("n_organisations", sa.Integer, server_default="0", nullable=False))
        batch.add_column(sa.Column("n_funds", sa.Integer, server_default="0", nullable=False))
        batch.add_column(sa.Column("files", sa.Text, server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("opendata_imports") as batch:
        batch.drop_column("files")
        batch.drop_column("n_funds")
        batch.drop_column("n_organisations")
    for table in reversed(_RECORDS):
        op.drop_index(f"ix_{table}_import_id", table_name=table)
        op.drop_table(table)
