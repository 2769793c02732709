"""People, organisations and their roles in each contract.

A person holds roles per contract: the same person may be an evaluator in one contract and a
civil-society observer in another. Within one contract some combinations are refused because
they defeat the safeguards: the evaluator may not also be an investor, the operator or the
structurer (independence of the evaluation), and a civil-society observer or a beneficiary
representative may not also be an investor or the structurer (independence of the observers).

>>> check_assignment([], RoleAssignment("c1", "alice", "labo", "evaluator"))
>>> check_assignment([RoleAssignment("c1", "alice", "labo", "evaluator")], RoleAssignment("c2", "alice", "bank", "investor"))
"""

from __future__ import annotations

from dataclasses import dataclass

from temoin.contract.model import Contract, Role
from temoin.errors import ConflictError, InvalidInputError
from temoin.messages import Msg

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
# Pairs of roles one person may not hold in the same contract.
INCOMPATIBLE: frozenset[frozenset[Role]] = frozenset(
    frozenset(p)
    for p in [
        (Role.EVALUATOR, Role.INVESTOR),
        (Role.EVALUATOR, Role.OPERATOR),
        (Role.EVALUATOR, Role.STRUCTURER),
        (Role.EVALUATOR, Role.OUTCOME_PAYER),
        (Role.OBSERVER, Role.INVESTOR),
        (Role.OBSERVER, Role.STRUCTURER),
        (Role.BENEFICIARY_REP, Role.INVESTOR),
        (Role.BENEFICIARY_REP, Role.STRUCTURER),
    ]
)
# Roles a person may hold without their organisation being a party that holds it.
FROM_OUTSIDE: frozenset[Role] = frozenset({Role.OBSERVER, Role.BENEFICIARY_REP})


@dataclass(frozen=True)
class RoleAssignment:
    contract_id: str
    person: str
    organisation: str
    role: Role


def check_role(role: str) -> Role:
    """The role named ``role``, or a clear error listing the roles."""
    if role not in ROLES:
        raise InvalidInputError(
            "role.unknown",
            Msg("Unknown role: '{role}'.", role=role),
            path="role",
            hint=Msg("Possible roles: {roles}.", roles=", ".join(ROLES)),
        )
    return Role(role)


def check_assignment(existing: list[RoleAssignment], new: RoleAssignment) -> None:
    """Refuse an unknown role, a duplicate, or a role incompatible with one the person already holds
    in the same contract. ``existing`` holds the person's current roles (any contract)."""
    role = check_role(new.role)
    for field_name in ("contract_id", "person", "organisation"):
        if not str(getattr(new, field_name)).strip():
            raise InvalidInputError("role.missing", Msg("Required field is empty: {field_name}.", field_name=field_name), path=field_name)
    same_contract = [a for a in existing if a.contract_id == new.contract_id and a.person == new.person]
    for a in same_contract:
        if a.role == role:
            raise ConflictError(
                "role.duplicate",
                Msg("{person} is already {role} in contract {contract_id}.", person=new.person, role=role,
                    contract_id=new.contract_id),
                path="role",
            )
        if frozenset((Role(a.role), role)) in INCOMPATIBLE:
            raise ConflictError(
                "role.incompatible",
                Msg("{person} is {held} in contract {contract_id}: they cannot also be {role} there.", person=new.person,
                    held=Role(a.role), contract_id=new.contract_id, role=role),
                path="role",
                hint=Msg("Give this role to another person, with no link to the first."),
            )


def check_organisation_in_contract(contract: Contract, organisation: str, role: Role) -> None:
    """A person acts for an organisation that is a party to the contract, in a role that party holds
    (civil-society observers and beneficiary representatives may also come from outside)."""
    party = contract.party(organisation)
    if party is None:
        raise InvalidInputError(
            "role.unknown_organisation",
            Msg("Organisation '{organisation}' is not a party to contract {id}.", organisation=organisation, id=contract.id),
            path="organisation",
            hint=Msg("Parties: {parties}.", parties=", ".join(p.id for p in contract.parties)),
        )
    if role not in party.roles and role not in FROM_OUTSIDE:
        raise InvalidInputError(
            "role.not_party_role",
            Msg("{name} does not hold the role {role} in contract {id}.", name=party.name, role=role, id=contract.id),
            path="role",
            hint=Msg("Its roles: {roles}.", roles=list(party.roles)),
        )


def check_revocation(role: Role, *, holders: int, name: str, contract_id: str) -> None:
    """Refuse to revoke the last outcome payer's role: someone must always be able to manage the
    contract (invite, revoke, approve). ``holders`` counts the role's current holders, this one
    included. The one rule for every way of revoking (the web's people page, ``temoin role revoke``)."""
    if role == Role.OUTCOME_PAYER and holders <= 1:
        raise ConflictError("role.last_payer",
                            Msg("{name} is the last outcome payer of contract {contract}: their role cannot be "
                                "revoked.", name=name, contract=contract_id), path="assignment",
                            hint=Msg("Invite another person to the outcome payer's role first, then revoke "
                                     "this one."))
