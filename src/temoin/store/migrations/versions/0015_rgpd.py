"""Data protection: consent's date and scope, withdrawals, rectifications, rights requests, erasure.

``cohort_participants`` gains the consent's date, the consent to research reuse and, for a minor,
the holder of parental authority's consent (all optional). New tables: ``rgpd_withdrawals``,
``rgpd_rectifications`` (a new version of a person's attributes; the old one stays),
``rgpd_requests`` (access, rectification, erasure, objection: dates, legal deadline, answer) and
``rgpd_erasure_permits``. The guards of 0008 that refuse deleting a participant or an outcome now
let through the rows of the participants an erasure in progress names in ``rgpd_erasure_permits``
(written and emptied inside the erasure's one transaction, with its ledger entry); withdrawals and
rectifications are append-only under the same rule.

Revision ID: 0015_rgpd
Revises: 0014_extract_requests
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_rgpd"
down_revision = "0014_extract_requests"
branch_labels = None
depends_on = None

OLD_COLUMNS = ("id", "contract_id", "pkey", "referral_date", "referral_source", "attributes", "eligible", "consent",
               "enrolled", "enrolment_date", "synthetic", "created_at")
NEW_COLUMNS = ("consent_date", "consent_research", "consent_guardian")
BATCH_GUARD = ("CREATE TRIGGER cohort_participants_batch_guard BEFORE UPDATE ON cohort_participants "
               "WHEN OLD.batch IS NOT NULL AND (NEW.batch IS NOT OLD.batch OR NEW.arm IS NOT OLD.arm) "
               "BEGIN SELECT RAISE(ABORT, 'cohort_participants: UPDATE refused (an assignment made in an enrolment "
               "batch never changes)'); END")
"""0010's guard on SQLite, as it wrote it."""
GUARDED = (("rgpd_withdrawals", "participant_id"), ("rgpd_rectifications", "participant_id"))


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _pg_participants_guard(columns: tuple[str, ...], erasure: bool) -> str:
    permit = ("    IF EXISTS (SELECT 1 FROM rgpd_erasure_permits WHERE participant_id = OLD.id) THEN\n"
              "      RETURN OLD;\n    END IF;\n") if erasure else ""
    return f"""
CREATE OR REPLACE FUNCTION temoin_participants_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
{permit}    RAISE EXCEPTION 'cohort_participants is append-only: DELETE refused';
  END IF;
  IF ({", ".join("NEW." + c for c in columns)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in columns)})
     OR EXISTS (SELECT 1 FROM cohort_outcomes WHERE participant_id = OLD.id) THEN
    RAISE EXCEPTION 'cohort_participants is append-only: UPDATE refused (only the arm of a participant without outcomes may change)';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


_PG_ERASURE_GUARD = """
CREATE OR REPLACE FUNCTION temoin_erasure_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM rgpd_erasure_permits
                                  WHERE participant_id = (to_jsonb(OLD) ->> TG_ARGV[0])::integer) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused (only an erasure deletes a person''s rows)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _sqlite_guard(name: str, table: str, op_name: str, when: str) -> str:
    return (f"CREATE TRIGGER {name} BEFORE {op_name} ON {table} WHEN {when} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END")


def _no_permit(column: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM rgpd_erasure_permits WHERE participant_id = OLD.{column})"


def _sqlite_participants_update(columns: tuple[str, ...]) -> str:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return _sqlite_guard("cohort_participants_no_update", "cohort_participants", "UPDATE",
                         f"{changed} OR EXISTS (SELECT 1 FROM cohort_outcomes WHERE participant_id = OLD.id)")


def upgrade() -> None:
    with op.batch_alter_table("cohort_participants") as batch:
        batch.add_column(sa.Column("consent_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("consent_research", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("consent_guardian", sa.Boolean(), nullable=True))
    op.create_table(
        "rgpd_erasure_permits",
        sa.Column("participant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("participant_id", name="pk_rgpd_erasure_permits"),
    )
    op.create_table(
        "rgpd_withdrawals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_rgpd_withdrawals_contract_id_contracts"),
        sa.ForeignKeyConstraint(["participant_id"], ["cohort_participants.id"],
                                name="fk_rgpd_withdrawals_participant_id_cohort_participants"),
        sa.PrimaryKeyConstraint("id", name="pk_rgpd_withdrawals"),
        sa.UniqueConstraint("participant_id", name="uq_rgpd_withdrawals_participant_id"),
    )
    op.create_index("ix_rgpd_withdrawals_contract_id", "rgpd_withdrawals", ["contract_id"])
    op.create_table(
        "rgpd_rectifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_rgpd_rectifications_contract_id_contracts"),
        sa.ForeignKeyConstraint(["participant_id"], ["cohort_participants.id"],
                                name="fk_rgpd_rectifications_participant_id_cohort_participants"),
        sa.PrimaryKeyConstraint("id", name="pk_rgpd_rectifications"),
    )
    op.create_index("ix_rgpd_rectifications_contract_id", "rgpd_rectifications", ["contract_id"])
    op.create_index("ix_rgpd_rectifications_participant_id", "rgpd_rectifications", ["participant_id"])
    op.create_table(
        "rgpd_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_rgpd_requests_contract_id_contracts"),
        sa.ForeignKeyConstraint(["participant_id"], ["cohort_participants.id"],
                                name="fk_rgpd_requests_participant_id_cohort_participants"),
        sa.PrimaryKeyConstraint("id", name="pk_rgpd_requests"),
    )
    op.create_index("ix_rgpd_requests_contract_id", "rgpd_requests", ["contract_id"])
    op.create_index("ix_rgpd_requests_participant_id", "rgpd_requests", ["participant_id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_participants_guard((*OLD_COLUMNS, *NEW_COLUMNS), erasure=True))
        op.execute(_PG_ERASURE_GUARD)
        op.execute("DROP TRIGGER cohort_outcomes_no_update ON cohort_outcomes")
        op.execute("CREATE TRIGGER cohort_outcomes_no_update BEFORE UPDATE ON cohort_outcomes "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_records_append_only()")
        op.execute("CREATE TRIGGER cohort_outcomes_no_delete BEFORE DELETE ON cohort_outcomes "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_erasure_guard('participant_id')")
        for table, column in GUARDED:
            op.execute(f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION temoin_erasure_guard('{column}')")
        return
    op.execute("DROP TRIGGER cohort_participants_no_delete")
    op.execute(_sqlite_guard("cohort_participants_no_delete", "cohort_participants", "DELETE", _no_permit("id")))
    op.execute("DROP TRIGGER cohort_participants_no_update")
    op.execute(_sqlite_participants_update((*OLD_COLUMNS, *NEW_COLUMNS)))
    op.execute("DROP TRIGGER cohort_outcomes_no_delete")
    op.execute(_sqlite_guard("cohort_outcomes_no_delete", "cohort_outcomes", "DELETE", _no_permit("participant_id")))
    for table, column in GUARDED:
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END")
        op.execute(_sqlite_guard(f"{table}_no_delete", table, "DELETE", _no_permit(column)))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
        op.execute("DROP TRIGGER cohort_outcomes_no_delete ON cohort_outcomes")
        op.execute("DROP TRIGGER cohort_outcomes_no_update ON cohort_outcomes")
        op.execute("CREATE TRIGGER cohort_outcomes_no_update BEFORE UPDATE OR DELETE ON cohort_outcomes "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_records_append_only()")
        op.execute("DROP FUNCTION IF EXISTS temoin_erasure_guard()")
        op.execute(_pg_participants_guard(OLD_COLUMNS, erasure=False))
    else:
        for table, _ in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute("DROP TRIGGER cohort_outcomes_no_delete")
        op.execute("CREATE TRIGGER cohort_outcomes_no_delete BEFORE DELETE ON cohort_outcomes "
                   "BEGIN SELECT RAISE(ABORT, 'cohort_outcomes is append-only: DELETE refused'); END")
        for name in ("cohort_participants_no_update", "cohort_participants_no_delete", "cohort_participants_batch_guard"):
            op.execute(f"DROP TRIGGER {name}")  # dropping a column rebuilds the table: its triggers are made again below
    op.drop_index("ix_rgpd_requests_participant_id", table_name="rgpd_requests")
    op.drop_index("ix_rgpd_requests_contract_id", table_name="rgpd_requests")
    op.drop_table("rgpd_requests")
    op.drop_index("ix_rgpd_rectifications_participant_id", table_name="rgpd_rectifications")
    op.drop_index("ix_rgpd_rectifications_contract_id", table_name="rgpd_rectifications")
    op.drop_table("rgpd_rectifications")
    op.drop_index("ix_rgpd_withdrawals_contract_id", table_name="rgpd_withdrawals")
    op.drop_table("rgpd_withdrawals")
    op.drop_table("rgpd_erasure_permits")
    with op.batch_alter_table("cohort_participants") as batch:
        batch.drop_column("consent_guardian")
        batch.drop_column("consent_research")
        batch.drop_column("consent_date")
    if op.get_bind().dialect.name != "postgresql":
        op.execute(_sqlite_participants_update(OLD_COLUMNS))
        op.execute("CREATE TRIGGER cohort_participants_no_delete BEFORE DELETE ON cohort_participants "
                   "BEGIN SELECT RAISE(ABORT, 'cohort_participants is append-only: DELETE refused'); END")
        op.execute(BATCH_GUARD)
