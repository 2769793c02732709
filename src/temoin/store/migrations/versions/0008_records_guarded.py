"""Records the ledger vouches for refuse UPDATE and DELETE; API tokens expire and carry scopes.

Like the ledger (0001) and the settlements (0003), the tables whose rows the ledger hashes refuse
UPDATE and DELETE by trigger: contract versions, cohort outcomes, randomisations, plan locks and
evaluation results. A participant may not be deleted, and only its arm may change, and only while
it has no outcome (randomisation sets it; a followed cohort is never re-randomised). A contract's
pointer to its latest version only moves on by one. API tokens gain an expiry (existing tokens
expire 90 days after this migration) and scopes (existing tokens keep every action).

Revision ID: 0008_records_guarded
Revises: 0007_one_history
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0008_records_guarded"
down_revision = "0007_one_history"
branch_labels = None
depends_on = None

APPEND_ONLY = ("contract_versions", "cohort_outcomes", "cohort_randomisations", "plan_locks", "evaluation_results")
PARTICIPANT_COLUMNS = ("id", "contract_id", "pkey", "referral_date", "referral_source", "attributes", "eligible", "consent",
                       "enrolled", "enrolment_date", "synthetic", "created_at")
EXISTING_SCOPES = ("contract.read data.participants data.waves evaluation.certify evaluation.run payment.approve "
                   "settlement.run")

_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION temoin_records_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql
"""
_PG_PARTICIPANTS = f"""
CREATE OR REPLACE FUNCTION temoin_participants_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'cohort_participants is append-only: DELETE refused';
  END IF;
  IF ({", ".join("NEW." + c for c in PARTICIPANT_COLUMNS)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in PARTICIPANT_COLUMNS)})
     OR EXISTS (SELECT 1 FROM cohort_outcomes WHERE participant_id = OLD.id) THEN
    RAISE EXCEPTION 'cohort_participants is append-only: UPDATE refused (only the arm of a participant without outcomes may change)';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
_PG_CONTRACTS = """
CREATE OR REPLACE FUNCTION temoin_contracts_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'contracts is append-only: DELETE refused';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR NEW.latest_version IS DISTINCT FROM OLD.latest_version + 1 THEN
    RAISE EXCEPTION 'contracts is append-only: UPDATE refused (the latest version only moves on by one)';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
_FUNCTIONS = ("temoin_records_append_only", "temoin_participants_guard", "temoin_contracts_guard")


def _sqlite_refuse(name: str, table: str, op_name: str, when: str = "") -> str:
    cond = f" WHEN {when}" if when else ""
    return (f"CREATE TRIGGER {name} BEFORE {op_name} ON {table}{cond} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END")


def _triggers() -> list[tuple[str, str]]:
    """(trigger name, table) of every trigger this revision creates."""
    out = [(f"{t}_no_update", t) for t in APPEND_ONLY]
    if op.get_bind().dialect.name == "postgresql":
        out += [(f"{t}_no_truncate", t) for t in (*APPEND_ONLY, "cohort_participants", "contracts")]
        out += [("cohort_participants_guard", "cohort_participants"), ("contracts_guard", "contracts")]
    else:
        out += [(f"{t}_no_delete", t) for t in (*APPEND_ONLY, "cohort_participants", "contracts")]
        out += [("cohort_participants_no_update", "cohort_participants"), ("contracts_no_update", "contracts")]
    return out


def upgrade() -> None:
    with op.batch_alter_table("web_api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("scopes", sa.String(300), nullable=True))
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    op.get_bind().execute(sa.text("UPDATE web_api_tokens SET expires_at = :t, scopes = :s"),
                          {"t": expiry, "s": EXISTING_SCOPES})
    with op.batch_alter_table("web_api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column("scopes", existing_type=sa.String(300), nullable=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
        op.execute(_PG_PARTICIPANTS)
        op.execute(_PG_CONTRACTS)
        for t in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {t}_no_update BEFORE UPDATE OR DELETE ON {t} "
                       "FOR EACH ROW EXECUTE FUNCTION temoin_records_append_only()")
        for t in (*APPEND_ONLY, "cohort_participants", "contracts"):
            op.execute(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION temoin_records_append_only()")
        op.execute("CREATE TRIGGER cohort_participants_guard BEFORE UPDATE OR DELETE ON cohort_participants "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_participants_guard()")
        op.execute("CREATE TRIGGER contracts_guard BEFORE UPDATE OR DELETE ON contracts "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_contracts_guard()")
        return
    for t in APPEND_ONLY:
        op.execute(_sqlite_refuse(f"{t}_no_update", t, "UPDATE"))
    for t in (*APPEND_ONLY, "cohort_participants", "contracts"):
        op.execute(_sqlite_refuse(f"{t}_no_delete", t, "DELETE"))
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in PARTICIPANT_COLUMNS)
    op.execute(_sqlite_refuse("cohort_participants_no_update", "cohort_participants", "UPDATE",
                              f"{changed} OR EXISTS (SELECT 1 FROM cohort_outcomes WHERE participant_id = OLD.id)"))
    op.execute(_sqlite_refuse("contracts_no_update", "contracts", "UPDATE",
                              "NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at "
                              "OR NEW.latest_version IS NOT OLD.latest_version + 1"))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in _triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        for fn in _FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    with op.batch_alter_table("web_api_tokens") as batch:
        batch.drop_column("scopes")
        batch.drop_column("expires_at")
