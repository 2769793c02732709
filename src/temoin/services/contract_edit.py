"""Contracts written, saved, compared and signed in the browser.

A signed-in person creates a contract from its YAML text (uploaded, typed or made by the guided
form) and becomes its outcome payer, for the party of the contract that holds that role, under the
same independence rules as any role (an administrator never does: they act for no party). Each
save is a new version (the existing version mechanism, with its ``contract.version_created``
entry); the payer signs one version, which locks the contract: a later change is an amendment, and
is refused here (``contract.signed`` in the ledger).

Each function that changes something is one transaction with its ledger entries. ``preview`` only
reads: every problem of the text in one pass, then the safeguard report of a readable contract.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.contract import Contract, Outcome, Role, Text, check_contract, parse_contract
from temoin.errors import (
    ConflictError,
    ContractValidationError,
    InvalidInputError,
    NotFoundError,
    TemoinError,
)
from temoin.governance.ledger import LedgerEvent
from temoin.governance.roles import RoleAssignment, check_assignment
from temoin.governance.selection import CallState
from temoin.messages import Msg
from temoin.services.calls import PARIS
from temoin.services.payer_organisations import organisation_name, own_person
from temoin.store import ledger, read_scope, session_scope
from temoin.store.accounts import AccountRepository
from temoin.store.contracts import ContractRepository, StoredContract
from temoin.store.governance import CallRepository, RoleRepository
from temoin.store.models.contracts import ContractRow, ContractSignatureRow
from temoin.store.models.governance import CallRow

__all__ = ["Preview", "Saved", "SelectedApplication", "Signature", "create_contract", "draft_from_application",
           "preview", "save_version", "selected_applications", "sign_version", "signature_of", "versions_of"]

MAX_TEXT = 200_000
"""Largest contract text accepted (characters): the bundled examples are about 12 000."""


@dataclass(frozen=True)
class Preview:
    """What the page shows beside the text: every problem found (none when the text is a valid
    contract), and the safeguard report of a valid one."""

    contract: Contract | None
    problems: list[TemoinError] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def blocking(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.blocking]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


@dataclass(frozen=True)
class Saved:
    contract_id: str
    version: int
    created: bool
    """False when the text means what the latest version already says (no new version)."""


@dataclass(frozen=True)
class Signature:
    contract_id: str
    version: int
    content_hash: str
    person: str
    signed_at: dt.datetime
    signed_by: str


def _too_long(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise InvalidInputError("contract_edit.too_long", Msg("The contract text is too long ({n} characters).", n=len(text)),
                                path="document", hint=Msg("A contract holds at most {limit} characters.", limit=MAX_TEXT))


def _parse(text: str) -> Contract:
    _too_long(text)
    if not text.strip():
        raise InvalidInputError("contract_edit.empty", Msg("The contract text is empty."), path="document",
                                hint=Msg("Choose a YAML file, paste the contract's text, or start from an example."))
    return parse_contract(text, source="YAML")


def preview(text: str) -> Preview:
    """Every problem of ``text`` in one pass; a readable contract's safeguard report. Writes nothing."""
    try:
        contract = _parse(text)
    except ContractValidationError as exc:
        return Preview(None, list(exc.problems))
    except TemoinError as exc:
        return Preview(None, [exc])
    return Preview(contract, [], check_contract(contract))


def _signature(s: Session, contract_id: str) -> Signature | None:
    row = s.get(ContractSignatureRow, contract_id)
    if row is None:
        return None
    signed_at = row.signed_at if row.signed_at.tzinfo else row.signed_at.replace(tzinfo=dt.UTC)
    return Signature(row.contract_id, row.version, row.content_hash, row.person_id, signed_at, row.signed_by)


def signature_of(engine: Engine, contract_id: str) -> Signature | None:
    """The contract's signature, or None while it is a draft."""
    with session_scope(engine) as s:
        return _signature(s, contract_id)


def versions_of(engine: Engine, contract_id: str) -> list[StoredContract]:
    """Every version of the contract, the first first."""
    with read_scope(engine) as db:
        latest = db.execute(select(ContractRow.latest_version).where(ContractRow.id == contract_id)).scalar_one_or_none()
    if latest is None:
        raise NotFoundError("contract.not_found", Msg("Unknown contract: '{contract}'.", contract=contract_id),
                            path="contract_id")
    with session_scope(engine) as s:
        repo = ContractRepository(s)
        return [repo.get(contract_id, v) for v in range(1, latest + 1)]


def _record_version(s: Session, contract: Contract, actor: str) -> Saved:
    stored, created = ContractRepository(s).add_version(contract, actor=actor)
    if created:
        blocking = [o.code for o in check_contract(contract) if o.blocking]
        ledger.append(s, actor=actor, event=LedgerEvent.CONTRACT_VERSION_CREATED, contract_id=contract.id,
                      payload={"version": stored.version, "content_hash": stored.content_hash,
                               "safeguard_errors": blocking})
    return Saved(contract.id, stored.version, created)


def _person_of(s: Session, account_id: int) -> tuple[str, str | None]:
    """The person an account acts as (a new one, named after the account, if it has none yet)."""
    account = AccountRepository(s).by_id(account_id)
    if account is None or account.disabled_at is not None:
        raise NotFoundError("contract_edit.account", Msg("Your account is unknown or disabled."), path="account",
                            hint=Msg("Sign in again."))
    if account.is_admin:
        raise ConflictError("contract_edit.admin", Msg("An administrator's account cannot create a contract: it would "
                                                       "make them a party's outcome payer."), path="account",
                            hint=Msg("Sign in with the account of the person who acts for the payer."))
    return own_person(s, account)


def create_contract(engine: Engine, text: str, *, account_id: int, payer: str | None = None, actor: str) -> Saved:
    """A new contract from its text, stored as version 1; the account's person becomes its outcome
    payer for ``payer`` (the party holding that role; it may be left out when only one does)."""
    contract = _parse(text)
    payers = contract.parties_with(Role.OUTCOME_PAYER)
    if not payers:
        raise InvalidInputError("contract_edit.no_payer", Msg("The contract names no outcome payer among its parties."),
                                path="parties", hint=Msg("Give the role {role} to the party you act for.",
                                                         role=Role.OUTCOME_PAYER))
    chosen = next((p for p in payers if p.id == payer), None) if payer else (payers[0] if len(payers) == 1 else None)
    if chosen is None:
        raise InvalidInputError("contract_edit.which_payer",
                                Msg("Choose the party you act for among the outcome payers: {parties}.",
                                    parties=[p.name for p in payers]), path="payer")
    with session_scope(engine) as s:
        if s.get(ContractRow, contract.id) is not None:
            raise ConflictError("contract_edit.exists", Msg("A contract with the identifier '{contract}' already exists.",
                                                            contract=contract.id), path="id",
                                hint=Msg("Give the new contract another identifier (id), or open the existing one."))
        person, name = _person_of(s, account_id)
        roles = RoleRepository(s)
        assignment = RoleAssignment(contract.id, person, chosen.id, Role.OUTCOME_PAYER)
        check_assignment(roles.active_for_person(person), assignment)
        saved = _record_version(s, contract, actor)
        roles.ensure_person(person, name)
        roles.add(assignment, actor=actor)
        ledger.append(s, actor=actor, event=LedgerEvent.ROLE_ASSIGNED, contract_id=contract.id,
                      payload={"person": person, "organisation": chosen.id, "role": Role.OUTCOME_PAYER.value,
                               "creator": True})
    return saved


def _refuse_if_signed(s: Session, contract_id: str) -> None:
    signed = _signature(s, contract_id)
    if signed is not None:
        raise ConflictError("contract_edit.signed",
                            Msg("Version {version} of this contract was signed on {when}: a signed contract is not "
                                "edited.", version=signed.version, when=signed.signed_at),
                            path="document",
                            hint=Msg("A change to a signed contract is an amendment, agreed by the parties and "
                                     "signed again."))


def save_version(engine: Engine, contract_id: str, text: str, *, actor: str) -> Saved:
    """A new version of an unsigned contract (none when the text means what the latest one says)."""
    contract = _parse(text)
    if contract.id != contract_id:
        raise InvalidInputError("contract_edit.other_id",
                                Msg("The text describes the contract '{given}', not '{contract}'.", given=contract.id,
                                    contract=contract_id), path="id",
                                hint=Msg("Keep the identifier (id: {contract}): it cannot change.", contract=contract_id))
    with session_scope(engine) as s:
        row = s.get(ContractRow, contract_id, with_for_update=True)
        if row is None:
            raise NotFoundError("contract.not_found", Msg("Unknown contract: '{contract}'.", contract=contract_id),
                                path="contract_id")
        _refuse_if_signed(s, contract_id)
        return _record_version(s, contract, actor)


def sign_version(engine: Engine, contract_id: str, version: int, *, person: str, actor: str) -> Signature:
    """The payer signs ``version``, which must be the latest and pass every blocking safeguard."""
    with session_scope(engine) as s:
        row = s.get(ContractRow, contract_id, with_for_update=True)
        if row is None:
            raise NotFoundError("contract.not_found", Msg("Unknown contract: '{contract}'.", contract=contract_id),
                                path="contract_id")
        _refuse_if_signed(s, contract_id)
        if version != row.latest_version:
            raise ConflictError("contract_edit.not_latest",
                                Msg("Version {version} is not the latest: version {latest} was saved since.",
                                    version=version, latest=row.latest_version), path="version",
                                hint=Msg("Read the latest version, then sign it."))
        stored = ContractRepository(s).get(contract_id, version)
        blocking = [o for o in check_contract(stored.contract) if o.blocking]
        if blocking:
            raise ConflictError("contract_edit.safeguards",
                                Msg("Safeguards not met, which block signing: {rules}.",
                                    rules=[o.title for o in blocking]), path="version",
                                hint=Msg("Correct the contract (each safeguard says what to do), save, then sign."))
        s.add(ContractSignatureRow(contract_id=contract_id, version=version, content_hash=stored.content_hash,
                                   person_id=person, signed_by=actor))
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.CONTRACT_SIGNED, contract_id=contract_id,
                      payload={"version": version, "content_hash": stored.content_hash, "person": person})
        signed = _signature(s, contract_id)
    if signed is None:  # written just above, in the same transaction
        raise RuntimeError(f"the signature of {contract_id} was not stored")
    return signed


# --- a contract started from a selected application -------------------------------------------------


@dataclass(frozen=True)
class SelectedApplication:
    """An application a decided call selected: a contract can start from it."""

    call_id: str
    call_title: Text
    application: str
    organisation: str
    title: str


def selected_applications(engine: Engine) -> list[SelectedApplication]:
    """Every application selected by a decided call, call by call."""
    out: list[SelectedApplication] = []
    with session_scope(engine) as s:
        calls = CallRepository(s)
        for row in calls.list_calls():
            if row.decided_at is None:
                continue
            state = calls.load(row.id)
            chosen = set(state.decision.selected) if state.decision else set()
            out += [SelectedApplication(row.id, Text(fr=row.title_fr, en=row.title_en), a.id, a.organisation, a.title)
                    for a in state.applications if a.id in chosen]
    return out


def draft_from_application(engine: Engine, call_id: str, application_id: str, blank: dict[str, Any]) -> dict[str, Any]:
    """``blank`` (a contract's data with its fields empty) pre-filled from a selected application:
    the programme's title, the operator that applied, the payer of the call's contract (or, for a call
    drafted in the browser, the payer organisation it was drafted for), and the
    call's committee as the selection committee. Refused unless the call selected it."""
    found = next((a for a in selected_applications(engine) if a.call_id == call_id and a.application == application_id),
                 None)
    if found is None:
        raise NotFoundError("contract_edit.application", Msg("No application '{application}' was selected by a decided "
                                                             "call '{call}'.", application=application_id, call=call_id),
                            path="application", hint=Msg("Start from an application a decided call selected."))
    data = copy.deepcopy(blank)
    with session_scope(engine) as s:
        state = CallRepository(s).load(call_id)
        source = ContractRepository(s).latest(state.call.contract_id).contract if state.call.contract_id else None
        row = s.get(CallRow, call_id)
        drafted_for = row.payer if source is None and row is not None else None  # a call drafted in the browser
    payer_name = organisation_name(engine, drafted_for) if drafted_for else None
    data["title"] = {"fr": found.title, "en": found.title}
    parties: list[dict[str, Any]] = [p for p in data.get("parties", []) if isinstance(p, dict)]
    known = {p.id: p for p in source.parties} if source else {}
    for p in parties:
        if Role.OPERATOR.value in p.get("roles", []):
            party = known.get(found.organisation)
            p.update({"id": found.organisation, "name": party.name if party else found.organisation})
        elif Role.OUTCOME_PAYER.value in p.get("roles", []) and source and source.parties_with(Role.OUTCOME_PAYER):
            payer = source.parties_with(Role.OUTCOME_PAYER)[0]
            p.update({"id": payer.id, "name": payer.name, "kind": payer.kind})
        elif Role.OUTCOME_PAYER.value in p.get("roles", []) and drafted_for:
            p.update({"id": drafted_for, "name": payer_name or drafted_for})
    committees = data.setdefault("governance", {}).setdefault("committees", [])
    members = [{"person": m.person, "organisation": m.organisation, "seat": m.seat} for m in state.call.committee]
    selection = next((c for c in committees if isinstance(c, dict) and c.get("kind") == "selection"), None)
    if selection is not None and members:
        selection.update({"id": f"selection-{call_id}"[:60], "members": members})
        data["governance"]["declarations"] = _declarations_from_call(state, call_id, parties)
    return data


def _declarations_from_call(state: CallState, call_id: str, parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each committee member's declarations to the call, as the contract's declaration of interests:
    dated the day of their last one (in France), with the interests they declared in an applicant
    that is a party of the contract (the others' stay in the call's public record). A member who
    declared nothing gets no declaration: the safeguard then asks for one."""
    in_contract = {str(p.get("id")) for p in parties}
    organisation_of = {a.id: a.organisation for a in state.applications}
    out = []
    for m in state.call.committee:
        mine = [d for d in state.declarations if d.person == m.person]
        if not mine:
            continue
        days = [d.declared_at.astimezone(PARIS).date() for d in mine if d.declared_at is not None]
        interests = [{"organisation": organisation_of[d.application],
                      "nature": d.nature or f"declared in call {call_id}"}
                     for d in mine if d.conflict and organisation_of.get(d.application) in in_contract]
        interests += [{"organisation": o, "nature": f"standing interest declared in call {call_id}"}
                      for o in m.interests if o in in_contract and o not in {i["organisation"] for i in interests}]
        out.append({"person": m.person, "date": max(days) if days else dt.datetime.now(PARIS).date(),
                    "interests": interests})
    return out
