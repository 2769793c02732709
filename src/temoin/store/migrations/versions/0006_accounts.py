"""Web accounts, sessions, API tokens and failed sign-ins.

Revision ID: 0006_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_accounts"
down_revision = "0001_foundation"
branch_labels = ("accounts",)
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _account_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("web_accounts.id", name=f"fk_{table}_account_id_web_accounts", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "web_accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("person_id", sa.String(80), nullable=True),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("disabled_at", _tz(), nullable=True),
        sa.UniqueConstraint("username", name="uq_web_accounts_username"),
    )
    op.create_index("ix_web_accounts_person_id", "web_accounts", ["person_id"])
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer, _account_fk("web_sessions"), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("expires_at", _tz(), nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_web_sessions"),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_table(
        "web_api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer, _account_fk("web_api_tokens"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("revoked_at", _tz(), nullable=True),
        sa.UniqueConstraint("token_sha256", name="uq_web_api_tokens_token_sha256"),
    )
    op.create_index("ix_web_api_tokens_account_id", "web_api_tokens", ["account_id"])
    op.create_table(
        "web_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", _tz(), nullable=False),
    )
    op.create_index("ix_web_login_failures_username", "web_login_failures", ["username"])
    op.create_index("ix_web_login_failures_client", "web_login_failures", ["client"])
    op.create_index("ix_web_login_failures_at", "web_login_failures", ["at"])


def downgrade() -> None:
    for table in ("web_login_failures", "web_api_tokens", "web_sessions", "web_accounts"):
        op.drop_table(table)
