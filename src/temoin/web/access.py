"""Who may do what: a role in a contract grants permissions in that contract only.

The same table is written out in ``docs/access-matrix.md`` and a test checks every entry there
against the running application. An API token narrows its account's permissions to its scopes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Permission(StrEnum):
    """What a role (or an API token's scope) allows in a contract."""

    READ = "contract.read"
    UPLOAD_PARTICIPANTS = "data.participants"
    UPLOAD_WAVES = "data.waves"
    CERTIFY = "evaluation.certify"
    RUN_EVALUATION = "evaluation.run"
    RUN_SETTLEMENT = "settlement.run"
    APPROVE_PAYMENT = "payment.approve"
    MANAGE_ROLES = "roles.manage"
    IMPORT_BUDGET = "budget.import"
    AMEND_PLAN = "plan.amend"
    ACKNOWLEDGE = "settlement.acknowledge"
    DECIDE_EXTRACT = "extract.decide"
    EDIT_CONTRACT = "contract.edit"


READ = Permission.READ
SCOPE = "x-temoin-scope"
"""An API operation's key in the OpenAPI schema for what it needs: a permission (its token's scope), "account" (any
account or token), "session" (a browser session, not a token); operations under /api/v1/public need nothing."""
UPLOAD_PARTICIPANTS = Permission.UPLOAD_PARTICIPANTS
UPLOAD_WAVES = Permission.UPLOAD_WAVES
CERTIFY = Permission.CERTIFY
RUN_EVALUATION = Permission.RUN_EVALUATION
RUN_SETTLEMENT = Permission.RUN_SETTLEMENT
APPROVE_PAYMENT = Permission.APPROVE_PAYMENT
MANAGE_ROLES = Permission.MANAGE_ROLES
IMPORT_BUDGET = Permission.IMPORT_BUDGET
AMEND_PLAN = Permission.AMEND_PLAN
ACKNOWLEDGE = Permission.ACKNOWLEDGE
DECIDE_EXTRACT = Permission.DECIDE_EXTRACT
EDIT_CONTRACT = Permission.EDIT_CONTRACT

# Contract roles (governance store) -> permissions in that contract.
ROLE_PERMISSIONS: Mapping[str, frozenset[str]] = {
    "outcome_payer": frozenset({READ, APPROVE_PAYMENT, RUN_SETTLEMENT, MANAGE_ROLES, IMPORT_BUDGET, AMEND_PLAN,
                                DECIDE_EXTRACT, EDIT_CONTRACT}),
    "operator": frozenset({READ, UPLOAD_PARTICIPANTS}),
    "investor": frozenset({READ}),
    "evaluator": frozenset({READ, UPLOAD_WAVES, RUN_EVALUATION, CERTIFY, AMEND_PLAN}),
    "structurer": frozenset({READ}),
    "civil_society_observer": frozenset({READ, ACKNOWLEDGE}),
    "beneficiary_representative": frozenset({READ}),
    "guarantor": frozenset({READ}),
}
# A platform administrator manages accounts and reads every contract, but never acts for a party
# (and cannot link an account to a party's person): the payer of a contract invites its people.
ADMIN_PERMISSIONS = frozenset({READ})


def permissions(roles: frozenset[str], *, is_admin: bool, scopes: frozenset[str] | None = None) -> frozenset[str]:
    out: set[str] = set(ADMIN_PERMISSIONS) if is_admin else set()
    for role in roles:
        out |= ROLE_PERMISSIONS.get(role, frozenset())
    if scopes is not None:  # an API token: what its account may do, within the token's scopes
        out &= scopes
    return frozenset(out)
