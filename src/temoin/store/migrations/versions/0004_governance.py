"""Governance: people and roles per contract, calls for projects (criteria, committee,
applications, declarations, scores, decision) and the payer's budget lines.

Revision ID: 0004_governance
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_governance"
down_revision = "0001_foundation"
branch_labels = ("governance",)
depends_on = None


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _call_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("gov_calls.id", name=f"fk_{table}_call_id_gov_calls")


def upgrade() -> None:
    op.create_table(
        "gov_people",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
    )
    op.create_table(
        "gov_role_assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(80),
                  sa.ForeignKey("contracts.id", name="fk_gov_role_assignments_contract_id_contracts"), nullable=False),
        sa.Column("person_id", sa.String(80),
                  sa.ForeignKey("gov_people.id", name="fk_gov_role_assignments_person_id_gov_people"), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("assigned_at", _tz(), nullable=False),
        sa.Column("assigned_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", _tz(), nullable=True),
    )
    op.create_index("ix_gov_role_assignments_contract_id", "gov_role_assignments", ["contract_id"])
    op.create_index("ix_gov_role_assignments_person_id", "gov_role_assignments", ["person_id"])
    op.create_table(
        "gov_calls",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title_fr", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("contract_id", sa.String(80),
                  sa.ForeignKey("contracts.id", name="fk_gov_calls_contract_id_contracts"), nullable=True),
        sa.Column("min_civil_society_seats", sa.Integer, nullable=False),
        sa.Column("max_score", sa.Numeric(12, 4), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("decided_at", _tz(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("selected", sa.Text, nullable=True),
        sa.Column("reasons_fr", sa.Text, nullable=True),
        sa.Column("reasons_en", sa.Text, nullable=True),
    )
    op.create_table(
        "gov_call_criteria",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(80), _call_fk("gov_call_criteria"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("criterion", sa.String(80), nullable=False),
        sa.Column("label_fr", sa.String(300), nullable=False),
        sa.Column("label_en", sa.String(300), nullable=False),
        sa.Column("weight", sa.Numeric(12, 4), nullable=False),
        sa.UniqueConstraint("call_id", "criterion", name="uq_gov_call_criteria_call_id"),
    )
    op.create_table(
        "gov_call_members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(80), _call_fk("gov_call_members"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("seat", sa.String(40), nullable=False),
        sa.Column("interests", sa.Text, nullable=False),
        sa.UniqueConstraint("call_id", "person", name="uq_gov_call_members_call_id"),
    )
    op.create_table(
        "gov_applications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(80), _call_fk("gov_applications"), nullable=False),
        sa.Column("application", sa.String(80), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.UniqueConstraint("call_id", "application", name="uq_gov_applications_call_id"),
    )
    op.create_table(
        "gov_declarations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(80), _call_fk("gov_declarations"), nullable=False),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("application", sa.String(80), nullable=False),
        sa.Column("conflict", sa.Boolean, nullable=False),
        sa.Column("nature", sa.Text, nullable=False),
        sa.Column("declared_at", _tz(), nullable=False),
        sa.UniqueConstraint("call_id", "person", "application", name="uq_gov_declarations_call_id"),
    )
    op.create_table(
        "gov_scores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(80), _call_fk("gov_scores"), nullable=False),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("application", sa.String(80), nullable=False),
        sa.Column("criterion", sa.String(80), nullable=False),
        sa.Column("value", sa.Numeric(12, 4), nullable=False),
        sa.Column("scored_at", _tz(), nullable=False),
        sa.UniqueConstraint("call_id", "person", "application", "criterion", name="uq_gov_scores_call_id"),
    )
    for table in ("gov_call_criteria", "gov_call_members", "gov_applications", "gov_declarations", "gov_scores"):
        op.create_index(f"ix_{table}_call_id", table, ["call_id"])
    op.create_table(
        "gov_budget_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("payer", sa.String(80), nullable=False),
        sa.Column("function", sa.String(80), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("code", sa.String(80), nullable=False),
        sa.Column("label_fr", sa.String(300), nullable=False),
        sa.Column("label_en", sa.String(300), nullable=False),
        sa.Column("mandatory", sa.Boolean, nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("price_index", sa.Numeric(12, 4), nullable=False),
        sa.Column("imported_at", _tz(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("payer", "year", "code", name="uq_gov_budget_lines_payer"),
        sa.CheckConstraint("amount >= 0", name="ck_gov_budget_lines_amount_non_negative"),
    )
    op.create_index("ix_gov_budget_lines_payer", "gov_budget_lines", ["payer"])


def downgrade() -> None:
    op.drop_index("ix_gov_budget_lines_payer", "gov_budget_lines")
    op.drop_table("gov_budget_lines")
    for table in ("gov_scores", "gov_declarations", "gov_applications", "gov_call_members", "gov_call_criteria"):
        op.drop_index(f"ix_{table}_call_id", table)
        op.drop_table(table)
    op.drop_table("gov_calls")
    op.drop_index("ix_gov_role_assignments_person_id", "gov_role_assignments")
    op.drop_index("ix_gov_role_assignments_contract_id", "gov_role_assignments")
    op.drop_table("gov_role_assignments")
    op.drop_table("gov_people")
