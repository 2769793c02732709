"""A person referred and not enrolled may be enrolled later: their participant row may then be updated.

Since 0008, a participant row may change only its arm (while it has no outcome). Under rolling
enrolment a child referred in March and not enrolled then may be enrolled in October: the
operator's later file updates the row's eligibility, consent, enrolment, enrolment date, baseline
attributes and (if blank) referral date and source. This revision allows that update, and only
while the stored row is not enrolled, has no arm and no outcome; the identifier (``pkey``), the
contract, the ``synthetic`` mark and the creation time never change; a row enrolled or assigned
stays as 0008 and 0010 guard it. The consent's date and scope (0015) are updated with the rest.
Deleting a participant stays refused but for an erasure in progress (0015's permits). The import
that updates the row records the cohort's new digest in the ledger, as any import does.

Revision ID: 0016_enrolment_referrals
Revises: 0015_rgpd
"""

from alembic import op

revision = "0016_enrolment_referrals"
down_revision = "0015_rgpd"
branch_labels = None
depends_on = None

FIXED = ("id", "contract_id", "pkey", "synthetic", "created_at")
"""Columns no update ever changes."""
REFERRAL = ("referral_date", "referral_source", "attributes", "eligible", "consent", "enrolled", "enrolment_date",
            "consent_date", "consent_research", "consent_guardian")
"""Columns a later enrolment may change, while the stored row is not enrolled, unassigned and without outcome."""
OLD_COLUMNS = ("id", "contract_id", "pkey", "referral_date", "referral_source", "attributes", "eligible", "consent",
               "enrolled", "enrolment_date", "synthetic", "created_at", "consent_date", "consent_research",
               "consent_guardian")
"""0015's list (0008's and the consent's), to put its guard back on downgrade."""

_OUTCOMES = "EXISTS (SELECT 1 FROM cohort_outcomes WHERE participant_id = OLD.id)"


def _pg_function(body: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION temoin_participants_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM rgpd_erasure_permits WHERE participant_id = OLD.id) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'cohort_participants is append-only: DELETE refused';
  END IF;
{body}
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


_PG_NEW = _pg_function(f"""  IF ({", ".join("NEW." + c for c in FIXED)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in FIXED)})
     OR {_OUTCOMES}
     OR (({", ".join("NEW." + c for c in REFERRAL)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in REFERRAL)})
         AND (OLD.enrolled OR OLD.arm IS NOT NULL)) THEN
    RAISE EXCEPTION 'cohort_participants is append-only: UPDATE refused (only the arm of a participant without outcomes may change, or the referral of one not yet enrolled)';
  END IF;""")
_PG_OLD = _pg_function(f"""  IF ({", ".join("NEW." + c for c in OLD_COLUMNS)}) IS DISTINCT FROM ({", ".join("OLD." + c for c in OLD_COLUMNS)})
     OR {_OUTCOMES} THEN
    RAISE EXCEPTION 'cohort_participants is append-only: UPDATE refused (only the arm of a participant without outcomes may change)';
  END IF;""")


def _sqlite_guard(when: str) -> str:
    return ("CREATE TRIGGER cohort_participants_no_update BEFORE UPDATE ON cohort_participants "
            f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'cohort_participants is append-only: UPDATE refused'); END")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_NEW)
        return
    fixed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED)
    referral = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in REFERRAL)
    op.execute("DROP TRIGGER IF EXISTS cohort_participants_no_update")
    op.execute(_sqlite_guard(f"{fixed} OR {_OUTCOMES} OR (({referral}) AND (OLD.enrolled OR OLD.arm IS NOT NULL))"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_OLD)
        return
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in OLD_COLUMNS)
    op.execute("DROP TRIGGER IF EXISTS cohort_participants_no_update")
    op.execute(_sqlite_guard(f"{changed} OR {_OUTCOMES}"))
