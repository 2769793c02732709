"""Calls for projects in the browser: the payer's draft (objectives, budget, timetable), its public
consultation (comments and the payer's answers), and the applications' documents.

Self-contained: columns added to the calls and applications of 0004, two new tables.

Revision ID: 0012_calls
Revises: 0011_invitations
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_calls"
down_revision = "0011_invitations"
branch_labels = None
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


CALL_COLUMNS = (
    ("stage", lambda: sa.Column("stage", sa.String(20), nullable=False, server_default="open")),
    ("payer", lambda: sa.Column("payer", sa.String(80), nullable=True)),
    ("owner", lambda: sa.Column("owner", sa.String(80), nullable=True)),
    ("objectives", lambda: sa.Column("objectives", sa.Text(), nullable=True)),
    ("budget", lambda: sa.Column("budget", sa.Numeric(18, 2), nullable=True)),
    ("currency", lambda: sa.Column("currency", sa.String(3), nullable=True)),
    ("consultation_start", lambda: sa.Column("consultation_start", sa.Date(), nullable=True)),
    ("consultation_end", lambda: sa.Column("consultation_end", sa.Date(), nullable=True)),
    ("applications_end", lambda: sa.Column("applications_end", sa.Date(), nullable=True)),
    ("decision_date", lambda: sa.Column("decision_date", sa.Date(), nullable=True)),
    ("published_at", lambda: sa.Column("published_at", _tz(), nullable=True)),
    ("opened_at", lambda: sa.Column("opened_at", _tz(), nullable=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("gov_calls") as batch:
        for _, column in CALL_COLUMNS:
            batch.add_column(column())
    with op.batch_alter_table("gov_applications") as batch:
        batch.add_column(sa.Column("submitted_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))
    op.create_table(
        "gov_call_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(80), nullable=False),
        sa.Column("account", sa.String(80), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sender_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", _tz(), nullable=True),
        sa.Column("answered_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["gov_calls.id"], name="fk_gov_call_comments_call_id_gov_calls"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_call_comments"),
    )
    op.create_index("ix_gov_call_comments_call_id", "gov_call_comments", ["call_id"])
    op.create_table(
        "gov_call_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(80), nullable=False),
        sa.Column("application", sa.String(80), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", _tz(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["gov_calls.id"], name="fk_gov_call_documents_call_id_gov_calls"),
        sa.PrimaryKeyConstraint("id", name="pk_gov_call_documents"),
    )
    op.create_index("ix_gov_call_documents_call_id", "gov_call_documents", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_gov_call_documents_call_id", table_name="gov_call_documents")
    op.drop_table("gov_call_documents")
    op.drop_index("ix_gov_call_comments_call_id", table_name="gov_call_comments")
    op.drop_table("gov_call_comments")
    with op.batch_alter_table("gov_applications") as batch:
        batch.drop_column("summary")
        batch.drop_column("submitted_by")
    with op.batch_alter_table("gov_calls") as batch:
        for name, _ in reversed(CALL_COLUMNS):
            batch.drop_column(name)
