"""Who validates a recorded settlement, and in what order; whether a record is still in force.

The evaluator *certifies* the results used, then the payer *approves* the amounts, and a
civil-society observer *acknowledges* it (at any time). Each is given once per settlement, by a
party holding the matching role in the contract. A correction is a new settlement that
*supersedes* the old one: the old record stays, no longer in force. Each kind and status is shown
by its label (``label:approval_kind:…``, ``label:settlement_status:…`` in the catalogue).
"""

from __future__ import annotations

from enum import StrEnum

from temoin.contract.model import Role

__all__ = ["ApprovalKind", "SettlementStatus"]


class SettlementStatus(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"


class ApprovalKind(StrEnum):
    EVALUATOR_CERTIFICATION = "evaluator_certification"
    PAYER_APPROVAL = "payer_approval"
    OBSERVER_ACKNOWLEDGEMENT = "observer_acknowledgement"

    @property
    def role(self) -> Role:
        """The contract role a party needs to give this approval."""
        return {ApprovalKind.EVALUATOR_CERTIFICATION: Role.EVALUATOR, ApprovalKind.PAYER_APPROVAL: Role.OUTCOME_PAYER,
                ApprovalKind.OBSERVER_ACKNOWLEDGEMENT: Role.OBSERVER}[self]

    @property
    def requires(self) -> ApprovalKind | None:
        """The approval that must come first (the payer approves only certified results)."""
        return ApprovalKind.EVALUATOR_CERTIFICATION if self is ApprovalKind.PAYER_APPROVAL else None
