"""A contract's signature refuses UPDATE and DELETE, like the other records the ledger vouches for.

The signature (0013) locks a contract at one version; its ledger entry holds the signed version's
hash. Like contract versions and settlements (0008), the row is now written once and never changed
or removed: the PostgreSQL function of 0008, ``temoin_records_append_only``, refuses UPDATE, DELETE
and TRUNCATE; on SQLite, two triggers refuse UPDATE and DELETE.

Revision ID: 0022_signatures_guarded
Revises: 0020_import_jobs
"""

from alembic import op

revision = "0022_signatures_guarded"
down_revision = "0020_import_jobs"
branch_labels = None
depends_on = None

TABLE = "contract_signatures"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_records_append_only()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION temoin_records_append_only()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {action} refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in (f"{TABLE}_no_update", f"{TABLE}_no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
        return
    for name in (f"{TABLE}_no_update", f"{TABLE}_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
