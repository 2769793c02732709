"""Foundation: contracts, contract versions, and the append-only audit ledger.

Revision ID: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION temoin_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_ledger is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "contract_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(80), sa.ForeignKey("contracts.id", name="fk_contract_versions_contract_id_contracts"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title_fr", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("design", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("contract_id", "version", name="uq_contract_versions_contract_id"),
    )
    op.create_index("ix_contract_versions_contract_id", "contract_versions", ["contract_id"])
    op.create_table(
        "audit_ledger",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_audit_ledger_event", "audit_ledger", ["event"])
    op.create_index("ix_audit_ledger_contract_id", "audit_ledger", ["contract_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_ledger_no_update BEFORE UPDATE OR DELETE ON audit_ledger "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_ledger_append_only()")
        op.execute("CREATE TRIGGER audit_ledger_no_truncate BEFORE TRUNCATE ON audit_ledger "
                   "FOR EACH STATEMENT EXECUTE FUNCTION temoin_ledger_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_ledger_no_update BEFORE UPDATE ON audit_ledger "
                   "BEGIN SELECT RAISE(ABORT, 'audit_ledger is append-only: UPDATE refused'); END")
        op.execute("CREATE TRIGGER audit_ledger_no_delete BEFORE DELETE ON audit_ledger "
                   "BEGIN SELECT RAISE(ABORT, 'audit_ledger is append-only: DELETE refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_ledger_no_update ON audit_ledger")
        op.execute("DROP TRIGGER IF EXISTS audit_ledger_no_truncate ON audit_ledger")
        op.execute("DROP FUNCTION IF EXISTS temoin_ledger_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_ledger_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_ledger_no_delete")
    op.drop_table("audit_ledger")
    op.drop_index("ix_contract_versions_contract_id", "contract_versions")
    op.drop_table("contract_versions")
    op.drop_table("contracts")
