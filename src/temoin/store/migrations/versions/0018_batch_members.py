"""An enrolment batch's record keeps no pseudonym: its members get rows of their own, erasable.

Since 0010 ``cohort_batches.members`` held each member's key (pseudonym) with their stratum or
cluster, in an append-only row: an erasure deleted the person everywhere else but left their key
there. This revision splits it: ``cohort_batch_members`` holds each member's place in the draw and
their participant row (no key of its own; append-only, deleted only under an erasure permit like the
participant's other rows, 0015), and the batch keeps only what the draw needs without an identifier:
each place's stratum or cluster (``labels``) and the digest of the member list as drawn
(``members_sha256``, the one its ledger entry holds). Existing batches are converted; the key of a
member already erased (no participant row any more) is dropped, which is the point.

Downgrade puts ``members`` back from the member rows; a member erased meanwhile cannot be given
back: their place holds ``null`` instead of a key.

Revision ID: 0018_batch_members
Revises: 0017_jobs
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0018_batch_members"
down_revision = "0017_jobs"
branch_labels = None
depends_on = None

BATCHES = sa.table("cohort_batches", sa.column("id", sa.Integer), sa.column("contract_id", sa.String),
                   sa.column("number", sa.Integer), sa.column("members", sa.Text), sa.column("labels", sa.Text),
                   sa.column("members_sha256", sa.String))
MEMBERS = sa.table("cohort_batch_members", sa.column("contract_id", sa.String), sa.column("batch", sa.Integer),
                   sa.column("position", sa.Integer), sa.column("participant_id", sa.Integer))
PARTICIPANTS = sa.table("cohort_participants", sa.column("id", sa.Integer), sa.column("contract_id", sa.String),
                        sa.column("pkey", sa.String))
SQLITE_BATCH_GUARDS = [f"CREATE TRIGGER cohort_batches_no_{o.lower()} BEFORE {o} ON cohort_batches "
                       f"BEGIN SELECT RAISE(ABORT, 'cohort_batches is append-only: {o} refused'); END"
                       for o in ("UPDATE", "DELETE")]
"""0010's guards, made again after SQLite rebuilds the table."""
AFTER_MEMBERS = (("state", sa.Text()), ("actor", sa.String(200)), ("created_at", sa.DateTime(timezone=True)))
"""0010's columns after ``members``, in order."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _guards(on: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE cohort_batches {'ENABLE' if on else 'DISABLE'} TRIGGER cohort_batches_no_update")
    elif on:
        for sql in SQLITE_BATCH_GUARDS:
            op.execute(sql)
    else:
        op.execute("DROP TRIGGER cohort_batches_no_update")
        op.execute("DROP TRIGGER cohort_batches_no_delete")


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "cohort_batch_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(80), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"], name="fk_cohort_batch_members_contract_id_contracts"),
        sa.ForeignKeyConstraint(["participant_id"], ["cohort_participants.id"],
                                name="fk_cohort_batch_members_participant_id_cohort_participants"),
        sa.PrimaryKeyConstraint("id", name="pk_cohort_batch_members"),
        sa.UniqueConstraint("contract_id", "batch", "position", name="uq_cohort_batch_members_contract_id_batch_position"),
        sa.UniqueConstraint("participant_id", name="uq_cohort_batch_members_participant_id"),
    )
    op.create_index("ix_cohort_batch_members_contract_id", "cohort_batch_members", ["contract_id"])
    if pg:
        op.execute("CREATE TRIGGER cohort_batch_members_guard BEFORE UPDATE OR DELETE ON cohort_batch_members "
                   "FOR EACH ROW EXECUTE FUNCTION temoin_erasure_guard('participant_id')")
    else:
        op.execute("CREATE TRIGGER cohort_batch_members_no_update BEFORE UPDATE ON cohort_batch_members "
                   "BEGIN SELECT RAISE(ABORT, 'cohort_batch_members is append-only: UPDATE refused'); END")
        op.execute("CREATE TRIGGER cohort_batch_members_no_delete BEFORE DELETE ON cohort_batch_members WHEN NOT EXISTS "
                   "(SELECT 1 FROM rgpd_erasure_permits WHERE participant_id = OLD.participant_id) "
                   "BEGIN SELECT RAISE(ABORT, 'cohort_batch_members is append-only: DELETE refused'); END")
    op.add_column("cohort_batches", sa.Column("labels", sa.Text(), nullable=True))
    op.add_column("cohort_batches", sa.Column("members_sha256", sa.String(64), nullable=True))
    bind = op.get_bind()
    _guards(False)
    for bid, cid, number, members in bind.execute(sa.select(BATCHES.c.id, BATCHES.c.contract_id, BATCHES.c.number,
                                                            BATCHES.c.members)).all():
        listed = json.loads(members)
        digest = hashlib.sha256("\n".join(_json(m) for m in listed).encode("utf-8")).hexdigest()
        bind.execute(sa.update(BATCHES).where(BATCHES.c.id == bid).values(
            labels=_json([label for _, label in listed]), members_sha256=digest))
        ids = dict(bind.execute(sa.select(PARTICIPANTS.c.pkey, PARTICIPANTS.c.id).where(
            PARTICIPANTS.c.contract_id == cid, PARTICIPANTS.c.pkey.in_([k for k, _ in listed]))).all()) if listed else {}
        rows = [{"contract_id": cid, "batch": number, "position": i, "participant_id": ids[k]}
                for i, (k, _) in enumerate(listed) if k in ids]
        if rows:
            bind.execute(sa.insert(MEMBERS), rows)
    if pg:
        op.alter_column("cohort_batches", "labels", nullable=False)
        op.alter_column("cohort_batches", "members_sha256", nullable=False)
        op.drop_column("cohort_batches", "members")
    else:
        with op.batch_alter_table("cohort_batches", recreate="always") as batch:
            batch.alter_column("labels", existing_type=sa.Text(), nullable=False)
            batch.alter_column("members_sha256", existing_type=sa.String(64), nullable=False)
            batch.drop_column("members")
    _guards(True)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column("cohort_batches", sa.Column("members", sa.Text(), nullable=True))
    bind = op.get_bind()
    _guards(False)
    for bid, cid, number, labels in bind.execute(sa.select(BATCHES.c.id, BATCHES.c.contract_id, BATCHES.c.number,
                                                           BATCHES.c.labels)).all():
        keys = dict(bind.execute(sa.select(MEMBERS.c.position, PARTICIPANTS.c.pkey)
                                 .select_from(MEMBERS.join(PARTICIPANTS, MEMBERS.c.participant_id == PARTICIPANTS.c.id))
                                 .where(MEMBERS.c.contract_id == cid, MEMBERS.c.batch == number)).all())
        bind.execute(sa.update(BATCHES).where(BATCHES.c.id == bid).values(
            members=_json([[keys.get(i), label] for i, label in enumerate(json.loads(labels))])))
    if pg:
        op.alter_column("cohort_batches", "members", nullable=False)
        op.drop_column("cohort_batches", "members_sha256")
        op.drop_column("cohort_batches", "labels")
        for name, kind in AFTER_MEMBERS:  # moved behind ``members`` again, where 0010 put them
            op.add_column("cohort_batches", sa.Column(f"{name}_", kind, nullable=True))
            op.execute(f"UPDATE cohort_batches SET {name}_ = {name}")
            op.drop_column("cohort_batches", name)
            op.alter_column("cohort_batches", f"{name}_", new_column_name=name, nullable=False)
        op.execute("DROP TRIGGER cohort_batch_members_guard ON cohort_batch_members")
    else:
        with op.batch_alter_table("cohort_batches", recreate="always",
                                  partial_reordering=[("members", *(n for n, _ in AFTER_MEMBERS))]) as batch:
            batch.alter_column("members", existing_type=sa.Text(), nullable=False)
            batch.drop_column("members_sha256")
            batch.drop_column("labels")
        op.execute("DROP TRIGGER cohort_batch_members_no_delete")
        op.execute("DROP TRIGGER cohort_batch_members_no_update")
    _guards(True)
    op.drop_index("ix_cohort_batch_members_contract_id", table_name="cohort_batch_members")
    op.drop_table("cohort_batch_members")
