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
from typing import Any

from temoin.contract.model import Contract, Role
from temoin.errors import ConflictError, InvalidInputError

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "outcome_payer": ("payeur aux résultats", "outcome payer"),
    "operator": ("opérateur", "operator"),
    "investor": ("investisseur", "investor"),
    "evaluator": ("évaluateur indépendant", "independent evaluator"),
    "structurer": ("structureur", "structurer"),
    "civil_society_observer": ("observateur de la société civile", "civil-society observer"),
    "beneficiary_representative": ("représentant des personnes accompagnées", "beneficiary representative"),
    "guarantor": ("garant", "guarantor"),
}
# Pairs of roles one person may not hold in the same contract.
INCOMPATIBLE: frozenset[frozenset[str]] = frozenset(
    frozenset(p)
    for p in [
        ("evaluator", "investor"),
        ("evaluator", "operator"),
        ("evaluator", "structurer"),
        ("evaluator", "outcome_payer"),
        ("civil_society_observer", "investor"),
        ("civil_society_observer", "structurer"),
        ("beneficiary_representative", "investor"),
        ("beneficiary_representative", "structurer"),
    ]
)


@dataclass(frozen=True)
class RoleAssignment:
    contract_id: str
    person: str
    organisation: str
    role: str


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInputError(
            "role.unknown",
            f"Rôle inconnu : « {role} ».",
            f"Unknown role: '{role}'.",
            path="role",
            hint_fr=f"Rôles possibles : {', '.join(ROLES)}.",
            hint_en=f"Possible roles: {', '.join(ROLES)}.",
        )
    return role


def check_assignment(existing: list[RoleAssignment], new: RoleAssignment) -> None:
    """Refuse an unknown role, a duplicate, or a role incompatible with one the person already holds
    in the same contract. ``existing`` holds the person's current roles (any contract)."""
    check_role(new.role)
    for field_name in ("contract_id", "person", "organisation"):
        if not str(getattr(new, field_name)).strip():
            raise InvalidInputError("role.missing", f"Champ obligatoire vide : {field_name}.",
                                    f"Required field is empty: {field_name}.", path=field_name)
    same_contract = [a for a in existing if a.contract_id == new.contract_id and a.person == new.person]
    for a in same_contract:
        if a.role == new.role:
            raise ConflictError(
                "role.duplicate",
                f"{new.person} est déjà {ROLE_LABELS[new.role][0]} dans le contrat {new.contract_id}.",
                f"{new.person} is already {ROLE_LABELS[new.role][1]} in contract {new.contract_id}.",
                path="role",
            )
        if frozenset((a.role, new.role)) in INCOMPATIBLE:
            raise ConflictError(
                "role.incompatible",
                f"{new.person} est {ROLE_LABELS[a.role][0]} dans le contrat {new.contract_id} : "
                f"il ou elle ne peut pas y être aussi {ROLE_LABELS[new.role][0]}.",
                f"{new.person} is {ROLE_LABELS[a.role][1]} in contract {new.contract_id}: "
                f"they cannot also be {ROLE_LABELS[new.role][1]} there.",
                path="role",
                hint_fr="Confiez ce rôle à une autre personne, sans lien avec la première.",
                hint_en="Give this role to another person, with no link to the first.",
            )


def contract_organisations(contract: Contract) -> dict[str, dict[str, Any]]:
    """The organisations named in a contract and their roles there (from its parties)."""
    return {p.id: {"name": p.name, "kind": p.kind, "roles": [r.value for r in p.roles]} for p in contract.parties}


def check_organisation_in_contract(contract: Contract, organisation: str, role: str) -> None:
    """A person acts for an organisation that is a party to the contract, in a role that party holds
    (civil-society observers and beneficiary representatives may also come from outside)."""
    party = contract.party(organisation)
    if party is None:
        raise InvalidInputError(
            "role.unknown_organisation",
            f"L'organisation « {organisation} » n'est pas partie au contrat {contract.id}.",
            f"Organisation '{organisation}' is not a party to contract {contract.id}.",
            path="organisation",
            hint_fr=f"Parties : {', '.join(p.id for p in contract.parties)}.",
            hint_en=f"Parties: {', '.join(p.id for p in contract.parties)}.",
        )
    if role not in {r.value for r in party.roles} and role not in ("civil_society_observer", "beneficiary_representative"):
        raise InvalidInputError(
            "role.not_party_role",
            f"{party.name} n'a pas le rôle {ROLE_LABELS[role][0]} dans le contrat {contract.id}.",
            f"{party.name} does not hold the role {ROLE_LABELS[role][1]} in contract {contract.id}.",
            path="role",
            hint_fr=f"Ses rôles : {', '.join(ROLE_LABELS[r.value][0] for r in party.roles)}.",
            hint_en=f"Its roles: {', '.join(ROLE_LABELS[r.value][1] for r in party.roles)}.",
        )
