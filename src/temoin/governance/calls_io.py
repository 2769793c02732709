"""Reading a call for projects from its YAML definition, or from a contract's selection committee.

A call file::

    id: appel-aemo-nord-2024
    title: {fr: Appel à projets AEMO renforcée, en: Call for projects, intensified AEMO}
    contract: aemo-renforcee          # optional
    max_score: 10
    min_civil_society_seats: 2
    criteria:
      - {id: besoins, label: {fr: Réponse aux besoins, en: Response to needs}, weight: 3}
    committee:                         # or: committee_from_contract: comite-selection
      - {person: Karim Benali, organisation: union-assos, seat: civil_society, interests: [horizon-familles]}
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError, TemoinError
from temoin.governance.selection import Call, CommitteeMember, Criterion, validate_call
from temoin.messages import Msg
from temoin.money import to_decimal


def _need(data: dict[str, Any], key: str, path: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise InvalidInputError("call.missing_field", Msg("Required field missing: {path}.", path=path), path=path,
                                hint=Msg("See the example call in the documentation."))
    return data[key]


def _text(value: Any, path: str) -> tuple[str, str]:
    if isinstance(value, str) and value.strip():
        return value, value
    if isinstance(value, dict) and str(value.get("fr", "")).strip():
        fr = str(value["fr"])
        return fr, str(value.get("en") or fr)
    raise InvalidInputError("call.text", Msg("Text expected (fr/en): {path}.", path=path),
                            path=path, hint=Msg("Write {{fr: …, en: …}}."))


def committee_from_contract(contract: Contract, committee_id: str) -> tuple[tuple[CommitteeMember, ...], int]:
    """A contract committee's members, each with the organisations named in their declaration."""
    committee = next((k for k in contract.governance.committees if k.id == committee_id), None)
    if committee is None:
        known = ", ".join(k.id for k in contract.governance.committees) or "—"
        raise InvalidInputError("call.unknown_committee",
                                Msg("Contract {id} has no committee '{committee_id}'.", id=contract.id, committee_id=committee_id),
                                path="committee_from_contract", hint=Msg("Committees: {known}.", known=known))
    interests = {d.person: tuple(i.organisation for i in d.interests) for d in contract.governance.declarations}
    members = tuple(CommitteeMember(m.person, m.organisation, m.seat.value, interests.get(m.person, ()))
                    for m in committee.members)
    return members, committee.min_civil_society_seats


def parse_call(data: Any, contract: Contract | None = None) -> Call:
    """Build and validate a :class:`Call` from its YAML data (a mapping)."""
    if not isinstance(data, dict):
        raise InvalidInputError("call.not_a_mapping", Msg("A call definition is a YAML mapping."), path="")
    title_fr, title_en = _text(_need(data, "title", "title"), "title")
    criteria = []
    raw_criteria = _need(data, "criteria", "criteria")
    if not isinstance(raw_criteria, list):
        raise InvalidInputError("call.criteria", Msg("criteria must be a list."), path="criteria")
    for i, c in enumerate(raw_criteria):
        path = f"criteria[{i}]"
        if not isinstance(c, dict):
            raise InvalidInputError("call.criteria", Msg("{path} must be a mapping.", path=path),
                                    path=path)
        fr, en = _text(c.get("label") or c.get("id"), f"{path}.label")
        try:
            weight = to_decimal(_need(c, "weight", f"{path}.weight"), path=f"{path}.weight")
        except TemoinError:
            raise
        criteria.append(Criterion(str(_need(c, "id", f"{path}.id")), fr, en, weight))
    seats_rule = data.get("min_civil_society_seats")
    members: tuple[CommitteeMember, ...]
    if "committee_from_contract" in data:
        if contract is None:
            raise InvalidInputError("call.contract_needed", Msg("committee_from_contract needs a contract (field contract)."), path="contract")
        members, contract_rule = committee_from_contract(contract, str(data["committee_from_contract"]))
        seats_rule = contract_rule if seats_rule is None else seats_rule
    else:
        raw = _need(data, "committee", "committee")
        out = []
        for i, m in enumerate(raw if isinstance(raw, list) else []):
            path = f"committee[{i}]"
            if not isinstance(m, dict):
                raise InvalidInputError("call.committee", Msg("{path} must be a mapping.", path=path),
                                        path=path)
            interests = m.get("interests") or []
            out.append(CommitteeMember(str(_need(m, "person", f"{path}.person")),
                                       str(_need(m, "organisation", f"{path}.organisation")),
                                       str(_need(m, "seat", f"{path}.seat")), tuple(str(x) for x in interests)))
        members = tuple(out)
    try:
        seats = int(seats_rule if seats_rule is not None else 2)
    except (TypeError, ValueError):
        raise InvalidInputError("call.min_seats", Msg("Invalid number of seats: {seats_rule}.", seats_rule=seats_rule), path="min_civil_society_seats") from None
    call = Call(
        id=str(_need(data, "id", "id")), title_fr=title_fr, title_en=title_en, criteria=tuple(criteria),
        committee=members, min_civil_society_seats=seats,
        max_score=to_decimal(data.get("max_score", 10), path="max_score") if data.get("max_score") is not None
        else Decimal(10),
        contract_id=str(data["contract"]) if data.get("contract") else (contract.id if contract else None),
    )
    validate_call(call)
    return call
