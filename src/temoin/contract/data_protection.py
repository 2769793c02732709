"""Data protection in the contract: how long each kind of personal data is kept, what happens at the
end, and how sensitive each population attribute is (pure Python, no storage).

A contract may declare ``data_protection``: the data controller, the legal basis of the processing,
and a retention period for the participants' data, their outcomes and the research extracts, each
counted in months from the contract's end date (the usual form: "the contract's duration plus N
years"). At the end of a period the data are erased (``erase``) or listed for the data protection
officer to decide (``review``). An attribute may be classed (``data_class``): identifying,
quasi-identifying, or sensitive (health, justice: GDPR articles 9 and 10); a sensitive attribute
needs a purpose stated in the analysis plan (``analysis_plan.purposes``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DataClass", "DataProtection", "ErasureRule", "LegalBasis", "RequestKind", "RequestOutcome", "Retention",
           "RetentionEnd", "RiskLevel", "answer_due", "retention_end"]


class DataClass(StrEnum):
    """How much an attribute says about who a person is."""

    IDENTIFYING = "identifying"
    QUASI_IDENTIFYING = "quasi_identifying"
    ORDINARY = "ordinary"
    HEALTH = "health"
    JUSTICE = "justice"

    @property
    def sensitive(self) -> bool:
        return self in (DataClass.HEALTH, DataClass.JUSTICE)


class RetentionEnd(StrEnum):
    """What happens when a retention period ends."""

    ERASE = "erase"
    REVIEW = "review"


class RiskLevel(StrEnum):
    """The CNIL's four levels, for a risk's severity and for its likelihood (in increasing order)."""

    NEGLIGIBLE = "negligible"
    LIMITED = "limited"
    SIGNIFICANT = "significant"
    MAXIMUM = "maximum"

    def raised(self, steps: int) -> RiskLevel:
        """This level raised by ``steps`` (at most :attr:`MAXIMUM`)."""
        levels = list(RiskLevel)
        return levels[min(len(levels) - 1, levels.index(self) + steps)]


class ErasureRule(StrEnum):
    """Why personal data were erased (recorded in the erasure's ledger entry)."""

    RETENTION_PARTICIPANTS = "retention_participants"
    RETENTION_OUTCOMES = "retention_outcomes"
    ERASURE_REQUEST = "erasure_request"
    OBJECTION = "objection"


class LegalBasis(StrEnum):
    """The lawful basis of the processing (GDPR article 6)."""

    PUBLIC_TASK = "public_task"
    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


class RequestKind(StrEnum):
    """A person's request about their data (GDPR articles 15, 16, 17, 21)."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    OBJECTION = "objection"


class RequestOutcome(StrEnum):
    """How a request was answered."""

    DONE = "done"
    REFUSED = "refused"


def answer_due(received_on: dt.date) -> dt.date:
    """The legal deadline of an answer: one month after receipt (GDPR art. 12-3), the same day of
    the next month or, when it has no such day, its last day.

    >>> answer_due(dt.date(2026, 1, 31))
    datetime.date(2026, 2, 28)
    """
    return _months_after(received_on, 1)


def _months_after(day: dt.date, months: int) -> dt.date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retention(_Strict):
    months_after_end: int = Field(ge=0, le=600, description="Months kept after the contract's end date.")
    at_end: RetentionEnd = RetentionEnd.ERASE


class DataProtection(_Strict):
    controller: str | None = Field(None, description="The party that is the data controller (responsable de traitement).")
    legal_basis: LegalBasis = LegalBasis.PUBLIC_TASK
    participants: Retention | None = Field(None, description="The participants' data (baseline, consent, withdrawals).")
    outcomes: Retention | None = Field(None, description="The follow-up outcomes.")
    research_extracts: Retention | None = Field(None, description="Extracts given to researchers (they destroy them).")


def retention_end(contract_end: dt.date, retention: Retention) -> dt.date:
    """The last day the data may be kept: ``months_after_end`` months after the contract's end
    (the same day of the month, or the month's last day when it has fewer days).

    >>> retention_end(dt.date(2030, 1, 31), Retention(months_after_end=13))
    datetime.date(2031, 2, 28)
    """
    return _months_after(contract_end, retention.months_after_end)
