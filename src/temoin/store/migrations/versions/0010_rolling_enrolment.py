"""Rolling enrolment: the batches people are randomised in as they join, and each person's batch.

``cohort_batches`` records each batch (its draw: method, algorithm, seed, ratio, block size; its
members and the hash of their arms; the open blocks it leaves to the next batch). Like the other
records the ledger vouches for, it refuses UPDATE and DELETE. A participant gains ``batch``, the
number of the batch that randomised it; once set, neither it nor the arm may change.

Revision ID: 0010_rolling_enrolment
Revises: 0009_opendata_real_data
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_rolling_enrolment"
down_revision = "0009_opendata_real_data"
branch_labels = None
depends_on = None

_PG_BATCH_GUARD = """
CREATE OR REPLACE FUNCTION temoin_participants_batch_guard() RETURNS trigger AS $$
BEGIN
  IF OLD.batch IS NOT NULL AND (NEW.batch IS DISTINCT FROM OLD.batch OR NEW.arm IS DISTINCT FROM OLD.arm) THEN
    RAISE EXCEPTION 'cohort_participants: UPDATE refused (an assignment made in an enrolment batch never changes)';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "cohort_batches",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("contract_version", sa.Integer, nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("algorithm", sa.String(300), nullable=False),
        sa.Column("seed", sa.String(80), nullable=False),
        sa.Column("ratio", sa.Float, nullable=False),
        sa.Column("block_size", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("n_treated", sa.Integer, nullable=False),
        sa.Column("list_hash", sa.String(64), nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_cohort_batches_contract_id_contracts"),
        sa.PrimaryKeyConstraint("id", name="pk_cohort_batches"),
        sa.UniqueConstraint("contract_id", "number", name="uq_cohort_batches_contract_id_number"),
    )
    op.create_index("ix_cohort_batches_contract_id", "cohort_batches", ["contract_id"])
    with op.batch_alter_table("cohort_participants") as batch:
        batch.add_column(sa.Column("batch", sa.Integer, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER cohort_batches_no_update BEFORE UPDATE OR DELETE ON cohort_batches "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_records_append_only()")
        op.execute("CREATE TRIGGER cohort_batches_no_truncate BEFORE TRUNCATE ON cohort_batches "
                   "FOR EACH STATEMENT EXECUTE FUNCTION temoin_records_append_only()")
        op.execute(_PG_BATCH_GUARD)
        op.execute("CREATE TRIGGER cohort_participants_batch_guard BEFORE UPDATE ON cohort_participants "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_participants_batch_guard()")
        return
    for op_name in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER cohort_batches_no_{op_name.lower()} BEFORE {op_name} ON cohort_batches "
                   f"BEGIN SELECT RAISE(ABORT, 'cohort_batches is append-only: {op_name} refused'); END")
    op.execute("CREATE TRIGGER cohort_participants_batch_guard BEFORE UPDATE ON cohort_participants "
               "WHEN OLD.batch IS NOT NULL AND (NEW.batch IS NOT OLD.batch OR NEW.arm IS NOT OLD.arm) "
               "BEGIN SELECT RAISE(ABORT, 'cohort_participants: UPDATE refused (an assignment made in an enrolment "
               "batch never changes)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cohort_participants_batch_guard ON cohort_participants")
        op.execute("DROP FUNCTION IF EXISTS temoin_participants_batch_guard()")
        op.execute("DROP TRIGGER IF EXISTS cohort_batches_no_truncate ON cohort_batches")
        op.execute("DROP TRIGGER IF EXISTS cohort_batches_no_update ON cohort_batches")
        op.drop_column("cohort_participants", "batch")
    else:
        op.execute("DROP TRIGGER IF EXISTS cohort_participants_batch_guard")
        op.execute("DROP TRIGGER IF EXISTS cohort_batches_no_delete")
        op.execute("DROP TRIGGER IF EXISTS cohort_batches_no_update")
        # SQLite (3.35+) drops the column in place: batch mode would copy the table and lose 0008's triggers
        op.execute("ALTER TABLE cohort_participants DROP COLUMN batch")
    op.drop_index("ix_cohort_batches_contract_id", "cohort_batches")
    op.drop_table("cohort_batches")
