"""Open data: imported INDIGO projects and the imports that brought them.

Revision ID: 0005_opendata
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_opendata"
down_revision = "0001_foundation"
branch_labels = ("opendata",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("n_projects", sa.Integer, nullable=False),
        sa.Column("n_warnings", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Text, nullable=False),
    )
    op.create_table(
        "opendata_projects",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("import_id", sa.Integer,
                  sa.ForeignKey("opendata_imports.id", name="fk_opendata_projects_import_id_opendata_imports"), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_opendata_projects_import_id", "opendata_projects", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_opendata_projects_import_id", table_name="opendata_projects")
    op.drop_table("opendata_projects")
    op.drop_table("opendata_imports")
