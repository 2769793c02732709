"""Cohorts: pseudonymous participants, follow-up outcomes, randomisations, plan locks and
evaluation results.

Revision ID: 0002_cohorts
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_cohorts"
down_revision = "0001_foundation"
branch_labels = ("cohorts",)
depends_on = None


def _contract_fk(table: str) -> sa.Column[str]:
    return sa.Column("contract_id", sa.String(80), sa.ForeignKey("contracts.id", name=f"fk_{table}_contract_id_contracts"),
                     nullable=False)


def _created() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "cohort_participants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contract_fk("cohort_participants"),
        sa.Column("pkey", sa.String(64), nullable=False),
        sa.Column("referral_date", sa.Date, nullable=True),
        sa.Column("referral_source", sa.String(200), nullable=True),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("consent", sa.Boolean, nullable=False),
        sa.Column("enrolled", sa.Boolean, nullable=False),
        sa.Column("enrolment_date", sa.Date, nullable=True),
        sa.Column("arm", sa.Integer, nullable=True),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        _created(),
        sa.UniqueConstraint("contract_id", "pkey", name="uq_cohort_participants_contract_id"),
    )
    op.create_index("ix_cohort_participants_contract_id", "cohort_participants", ["contract_id"])
    op.create_table(
        "cohort_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contract_fk("cohort_outcomes"),
        sa.Column("participant_id", sa.Integer,
                  sa.ForeignKey("cohort_participants.id", name="fk_cohort_outcomes_participant_id_cohort_participants"),
                  nullable=False),
        sa.Column("wave", sa.String(80), nullable=False),
        sa.Column("values", sa.Text, nullable=False),
        _created(),
        sa.UniqueConstraint("participant_id", "wave", name="uq_cohort_outcomes_participant_id"),
    )
    op.create_index("ix_cohort_outcomes_contract_id", "cohort_outcomes", ["contract_id"])
    op.create_index("ix_cohort_outcomes_participant_id", "cohort_outcomes", ["participant_id"])
    op.create_table(
        "cohort_randomisations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contract_fk("cohort_randomisations"),
        sa.Column("contract_version", sa.Integer, nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        sa.Column("algorithm", sa.String(300), nullable=False),
        sa.Column("seed", sa.String(80), nullable=False),
        sa.Column("ratio", sa.Float, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("n_treated", sa.Integer, nullable=False),
        sa.Column("list_hash", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        _created(),
    )
    op.create_index("ix_cohort_randomisations_contract_id", "cohort_randomisations", ["contract_id"])
    op.create_table(
        "plan_locks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contract_fk("plan_locks"),
        sa.Column("contract_version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("plan_hash", sa.String(64), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        _created(),
    )
    op.create_index("ix_plan_locks_contract_id", "plan_locks", ["contract_id"])
    op.create_table(
        "evaluation_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _contract_fk("evaluation_results"),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("contract_version", sa.Integer, nullable=False),
        sa.Column("indicator", sa.String(80), nullable=False),
        sa.Column("wave", sa.String(80), nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("result_hash", sa.String(64), nullable=False),
        sa.Column("diagnostics", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        _created(),
    )
    op.create_index("ix_evaluation_results_contract_id", "evaluation_results", ["contract_id"])
    op.create_index("ix_evaluation_results_run_id", "evaluation_results", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_results_run_id", "evaluation_results")
    op.drop_index("ix_evaluation_results_contract_id", "evaluation_results")
    op.drop_table("evaluation_results")
    op.drop_index("ix_plan_locks_contract_id", "plan_locks")
    op.drop_table("plan_locks")
    op.drop_index("ix_cohort_randomisations_contract_id", "cohort_randomisations")
    op.drop_table("cohort_randomisations")
    op.drop_index("ix_cohort_outcomes_participant_id", "cohort_outcomes")
    op.drop_index("ix_cohort_outcomes_contract_id", "cohort_outcomes")
    op.drop_table("cohort_outcomes")
    op.drop_index("ix_cohort_participants_contract_id", "cohort_participants")
    op.drop_table("cohort_participants")
