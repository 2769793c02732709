"""Settlements: append-only settlement records (inputs, outputs, supersession) and their approvals.

Revision ID: 0003_settlements
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_settlements"
down_revision = "0001_foundation"
branch_labels = ("settlements",)
depends_on = None

_TABLES = ("settlements", "settlement_approvals")
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION temoin_settlements_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(80),
                  sa.ForeignKey("contracts.id", name="fk_settlements_contract_id_contracts"), nullable=False),
        sa.Column("contract_version", sa.Integer, nullable=False),
        sa.Column("contract_hash", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total_paid", sa.Numeric(18, 2), nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("outputs", sa.Text, nullable=False),
        sa.Column("outputs_hash", sa.String(64), nullable=False),
        sa.Column("supersedes_id", sa.Integer,
                  sa.ForeignKey("settlements.id", name="fk_settlements_supersedes_id_settlements"), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("supersedes_id", name="uq_settlements_supersedes_id"),
    )
    op.create_index("ix_settlements_contract_id", "settlements", ["contract_id"])
    op.create_table(
        "settlement_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("settlement_id", sa.Integer,
                  sa.ForeignKey("settlements.id", name="fk_settlement_approvals_settlement_id_settlements"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("party_id", sa.String(80), nullable=False),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("settlement_id", "kind", name="uq_settlement_approvals_settlement_id"),
    )
    op.create_index("ix_settlement_approvals_settlement_id", "settlement_approvals", ["settlement_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for t in _TABLES:
            op.execute(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE OR DELETE ON {t} "
                       "FOR EACH ROW EXECUTE FUNCTION temoin_settlements_append_only()")
    else:
        for t in _TABLES:
            op.execute(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
                       f"BEGIN SELECT RAISE(ABORT, '{t} is append-only: UPDATE refused'); END")
            op.execute(f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
                       f"BEGIN SELECT RAISE(ABORT, '{t} is append-only: DELETE refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for t in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_update ON {t}")
        op.execute("DROP FUNCTION IF EXISTS temoin_settlements_append_only()")
    else:
        for t in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
    op.drop_index("ix_settlement_approvals_settlement_id", "settlement_approvals")
    op.drop_table("settlement_approvals")
    op.drop_index("ix_settlements_contract_id", "settlements")
    op.drop_table("settlements")
