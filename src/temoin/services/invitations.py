"""People and roles of a contract, managed by its payer: invitations and revocations.

The payer of a contract invites a person to a role in it (an administrator manages accounts, never
parties' roles). An invitation is a link holding a random token, valid once and for a few days;
only the token's SHA-256 digest is stored. Accepting it creates an account (with the password rules
of :mod:`temoin.services.passwords`) or links the signed-in one, and gives the role. The payer lists
and revokes the contract's roles, but never the last outcome payer's.

Each function is one transaction with its ledger entries: an invitation made
(``invitation.created``), accepted (``invitation.accepted``, with ``role.assigned`` and, for a new
account, ``account.created``), withdrawn (``invitation.withdrawn``), a role revoked (``role.revoked``). The first refused use of an
expired, used or withdrawn link is recorded too (``invitation.refused``), once per invitation, so a
leaked link cannot fill the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.contract.model import Contract, Role
from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.governance.ledger import LedgerEvent
from temoin.governance.roles import FROM_OUTSIDE, RoleAssignment, check_assignment, check_revocation
from temoin.messages import Msg
from temoin.services.accounts import AccountView, check_new_account, hash_password
from temoin.store import ledger, session_scope
from temoin.store.accounts import AccountRepository
from temoin.store.contracts import ContractRepository
from temoin.store.governance import RoleRepository
from temoin.store.invitations import InvitationRepository
from temoin.store.models.accounts import AccountRow
from temoin.store.models.invitations import InvitationRow

__all__ = [
    "DEFAULT_DAYS", "Accepted", "InvitationView", "Invited", "NewAccount", "PersonRole", "accept_invitation",
    "invitable_roles", "invitation_for", "invite", "list_invitations", "list_people", "revoke_person_role",
    "withdraw_invitation",
]

DEFAULT_DAYS = 7
MAX_DAYS = 90
# One address, as people write it: no spaces, one @, a dotted domain (RFC 5321's 254 characters at most).
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class Status:
    PENDING = "pending"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class InvitationView:
    """An invitation as the payer and the invitee see it (never its token)."""

    id: int
    contract_id: str
    role: Role
    organisation: str
    email: str
    name: str
    language: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    accepted_by: str | None
    withdrawn_at: dt.datetime | None = None

    def status(self, now: dt.datetime | None = None) -> str:
        if self.accepted_at is not None:
            return Status.ACCEPTED
        if self.withdrawn_at is not None:
            return Status.WITHDRAWN
        return Status.EXPIRED if _aware(self.expires_at) <= (now or _now()) else Status.PENDING

    @classmethod
    def of(cls, row: InvitationRow) -> InvitationView:
        return cls(row.id, row.contract_id, Role(row.role), row.organisation, row.email, row.name, row.language,
                   _aware(row.created_at), row.created_by, _aware(row.expires_at),
                   _aware(row.accepted_at) if row.accepted_at else None, row.accepted_by,
                   _aware(row.withdrawn_at) if row.withdrawn_at else None)


class Invited(NamedTuple):
    """A new invitation and its token (shown once: only its digest is kept)."""

    invitation: InvitationView
    token: str


class NewAccount(NamedTuple):
    """The account an invitee makes while accepting (the password is hashed before the transaction)."""

    username: str
    password: str
    display_name: str = ""


class Accepted(NamedTuple):
    account: AccountView
    invitation: InvitationView
    new_account: bool


@dataclass(frozen=True)
class PersonRole:
    """A current role in the contract: who holds it, for which party, since when, by whose act."""

    id: int
    person: str
    name: str
    username: str | None
    organisation: str
    role: Role
    assigned_at: dt.datetime
    assigned_by: str


# --- checks ---------------------------------------------------------------------------------------


def check_email(email: str) -> str:
    """The address, trimmed, or a clear error."""
    text = email.strip()
    if len(text) > 254 or not EMAIL.match(text):
        raise InvalidInputError("invitation.email", Msg("Not an e-mail address: '{email}'.", email=text[:100]),
                                path="email", hint=Msg("Write it as name@example.org."))
    return text


def invitable_roles(contract: Contract) -> list[tuple[Role, list[str]]]:
    """Each role one may be invited to in ``contract`` (a role some party holds), with the parties
    holding it (civil-society observers and beneficiary representatives may also be named for
    another party, as :func:`temoin.governance.roles.check_organisation_in_contract` allows)."""
    out: list[tuple[Role, list[str]]] = []
    for role in Role:
        holders = [p.id for p in contract.parties if role in p.roles]
        if holders:
            out.append((role, holders))
    return out


def _role_and_party(contract: Contract, role: str, organisation: str | None) -> tuple[Role, str]:
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInputError("invitation.role_unknown", Msg("Unknown role: '{role}'.", role=role[:80]), path="role",
                                hint=Msg("Possible roles: {roles}.", roles=list(Role))) from None
    roles = dict(invitable_roles(contract))
    if chosen not in roles:
        raise InvalidInputError("invitation.role_not_in_contract",
                                Msg("Contract {contract} has no party in the role {role}.", contract=contract.id,
                                    role=chosen),
                                path="role", hint=Msg("Roles in this contract: {roles}.", roles=list(roles)))
    parties = roles[chosen]
    if not organisation:
        if len(parties) > 1:
            raise InvalidInputError("invitation.organisation_needed",
                                    Msg("Several parties hold the role {role}: choose the one the person acts for.",
                                        role=chosen), path="organisation",
                                    hint=Msg("Parties in this role: {parties}.", parties=parties))
        return chosen, parties[0]
    if organisation not in parties and not (chosen in FROM_OUTSIDE and contract.party(organisation) is not None):
        raise InvalidInputError("invitation.organisation",
                                Msg("'{organisation}' does not hold the role {role} in contract {contract}.",
                                    organisation=organisation[:80], role=chosen, contract=contract.id),
                                path="organisation", hint=Msg("Parties in this role: {parties}.", parties=parties))
    return chosen, organisation


# --- invitations ----------------------------------------------------------------------------------


def invite(engine: Engine, contract_id: str, *, email: str, role: str, organisation: str | None = None,
           name: str = "", language: str = "fr", days: int = DEFAULT_DAYS, actor: str,
           now: dt.datetime | None = None) -> Invited:
    """Invite a person to ``role`` in the contract, for ``organisation`` (the party holding that
    role, if only one does). The caller checked that the actor is the contract's payer."""
    address = check_email(email)
    name = name.strip()
    if len(name) > 200:
        raise InvalidInputError("invitation.name", Msg("Name too long ({n} characters).", n=len(name)), path="name",
                                hint=Msg("At most {n} characters.", n=200))
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError("invitation.days", Msg("Lifetime refused: {days} days.", days=days), path="days",
                                hint=Msg("Between 1 and {n} days.", n=MAX_DAYS))
    token = secrets.token_urlsafe(32)
    created = now or _now()
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        chosen, party = _role_and_party(contract, role, (organisation or "").strip() or None)
        row = InvitationRepository(s).add(InvitationRow(
            contract_id=contract_id, role=chosen.value, organisation=party, email=address, name=name or address,
            language=language if language in ("fr", "en") else "fr", token_sha256=_digest(token),
            created_at=created, created_by=actor, expires_at=created + dt.timedelta(days=days)))
        ledger.append(s, actor=actor, event=LedgerEvent.INVITATION_CREATED, contract_id=contract_id, payload={
            "invitation": row.id, "role": chosen.value, "organisation": party,
            "email_sha256": _digest(address.lower()), "expires_at": row.expires_at.isoformat(timespec="seconds")})
        return Invited(InvitationView.of(row), token)


def _unknown() -> NotFoundError:
    return NotFoundError("invitation.unknown", Msg("This invitation link is not known."), path="token",
                         hint=Msg("Check that the whole link was copied, or ask the contract's payer for a new one."))


def _refusal(row: InvitationRow, now: dt.datetime) -> ConflictError | None:
    if row.accepted_at is not None:
        return ConflictError("invitation.used", Msg("This invitation link was already used, on {when}.",
                                                    when=_aware(row.accepted_at)), path="token",
                             hint=Msg("Sign in with the account that accepted it, or ask the contract's payer "
                                      "for a new invitation."))
    if row.withdrawn_at is not None:
        return ConflictError("invitation.withdrawn", Msg("This invitation link was withdrawn by the contract's payer."),
                             path="token", hint=Msg("Ask the contract's payer for a new invitation."))
    if _aware(row.expires_at) <= now:
        return ConflictError("invitation.expired", Msg("This invitation link expired on {when}.",
                                                       when=_aware(row.expires_at)), path="token",
                             hint=Msg("Ask the contract's payer for a new invitation."))
    return None


def invitation_for(engine: Engine, token: str, *, now: dt.datetime | None = None) -> InvitationView:
    """The invitation a link opens, or why it opens none (unknown, used, expired). Writes nothing."""
    with session_scope(engine) as s:
        row = InvitationRepository(s).by_digest(_digest(token))
        if row is None:
            raise _unknown()
        refused = _refusal(row, now or _now())
        if refused is not None:
            raise refused
        return InvitationView.of(row)


def _new_person_id(repo: InvitationRepository, username: str) -> str:
    """An identifier no person and no account have used: the user name, else with a random suffix
    (never an existing person's: that would hand over their roles)."""
    wanted = username
    while not repo.free_person_id(wanted):
        wanted = f"{username[:70]}-{secrets.token_hex(3)}"
    return wanted


def accept_invitation(engine: Engine, token: str, *, account_id: int | None = None,
                      new_account: NewAccount | None = None, actor: str, language: str = "fr",
                      now: dt.datetime | None = None) -> Accepted:
    """Accept the invitation of ``token``: with the signed-in account (``account_id``), or by making
    ``new_account``. The role is given to the account's person (a new one if the account had none).
    A refused use of an expired, used or withdrawn link is recorded in the ledger (the first one)
    and raised."""
    if (account_id is None) == (new_account is None):
        raise ValueError("accept_invitation needs either account_id or new_account")
    at = now or _now()
    with session_scope(engine) as s:  # the link first: an unknown, used or expired one needs no password
        first = InvitationRepository(s).by_digest(_digest(token))
        if first is None:
            raise _unknown()
        refused = _refusal(first, at)
    made: _Made | None = None
    if new_account is not None and refused is None:  # checked and hashed before the transaction (argon2)
        username = check_new_account(new_account.username, new_account.password)
        made = _Made(username, hash_password(new_account.password), new_account.display_name.strip()[:200])
    with session_scope(engine) as s:
        ledger.serialise(s)  # one acceptance at a time: a link is used once, even by two clicks at once
        invitations = InvitationRepository(s)
        row = invitations.by_digest(_digest(token))
        if row is None:
            raise _unknown()
        refused = _refusal(row, at)
        if refused is not None:
            if row.refused_at is None:
                row.refused_at = at
                ledger.append(s, actor=actor, event=LedgerEvent.INVITATION_REFUSED, contract_id=row.contract_id,
                              payload={"invitation": row.id, "reason": refused.code.removeprefix("invitation.")})
        elif account_id is None and made is None:  # refused at first look, not now: a refusal never ends
            raise _unknown()
        else:
            return _accept(s, invitations, row, account_id, made, actor, language, at)
    if refused is None:  # unreachable: the block returned
        raise _unknown()
    raise refused


class _Made(NamedTuple):
    username: str
    password_hash: str
    display_name: str


def _accept(s: Session, invitations: InvitationRepository, row: InvitationRow, account_id: int | None,
            made: _Made | None, actor: str, language: str, at: dt.datetime) -> Accepted:
    accounts = AccountRepository(s)
    roles = RoleRepository(s)
    role = Role(row.role)
    contract = ContractRepository(s).latest(row.contract_id).contract
    _role_and_party(contract, role.value, row.organisation)  # the contract may have changed since the invitation
    if made is None:
        account = accounts.by_id(account_id or 0)
        if account is None or account.disabled_at is not None:
            raise NotFoundError("invitation.account", Msg("Your account is unknown or disabled."), path="account",
                                hint=Msg("Sign in again, or accept with a new account."))
        if account.is_admin:
            raise ConflictError("invitation.admin", Msg("An administrator's account cannot take a party's role."),
                                path="account", hint=Msg("Sign out, then accept the invitation with a new account."))
        created = False
    else:
        username = made.username
        if accounts.by_username(username) is not None:
            raise ConflictError("invitation.username_taken", Msg("User name '{username}' already exists.",
                                                                 username=username), path="username",
                                hint=Msg("Choose another user name, or sign in with that account to accept."))
        account = accounts.add(AccountRow(username=username, password_hash=made.password_hash,
                                          display_name=made.display_name or row.name,
                                          person_id=None, is_admin=False,
                                          language=language if language in ("fr", "en") else "fr"))
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_CREATED,
                      payload={"username": username, "person": None, "admin": False, "invitation": row.id})
        created = True
    person = account.person_id or _new_person_id(invitations, account.username)
    assignment = RoleAssignment(row.contract_id, person, row.organisation, role)
    held = roles.active_for_person(person)
    if any(a.contract_id == row.contract_id and a.role == role for a in held):
        raise ConflictError("invitation.role_held", Msg("You already hold the role {role} in contract {contract}.",
                                                        role=role, contract=row.contract_id), path="role",
                            hint=Msg("Nothing to accept: open the contract from your list."))
    check_assignment(held, assignment)
    roles.ensure_person(person, account.display_name if account.person_id is None else None)
    account.person_id = person
    roles.add(assignment, actor=actor)
    ledger.append(s, actor=actor, event=LedgerEvent.ROLE_ASSIGNED, contract_id=row.contract_id,
                  payload={"person": person, "organisation": row.organisation, "role": role.value,
                           "invitation": row.id})
    row.accepted_at, row.accepted_by, row.person_id = at, account.username, person
    s.flush()
    ledger.append(s, actor=actor, event=LedgerEvent.INVITATION_ACCEPTED, contract_id=row.contract_id, payload={
        "invitation": row.id, "username": account.username, "person": person, "role": role.value,
        "organisation": row.organisation, "new_account": created})
    return Accepted(AccountView.of(account), InvitationView.of(row), created)


def withdraw_invitation(engine: Engine, contract_id: str, invitation_id: int, *, actor: str) -> InvitationView:
    """Withdraw an invitation not yet accepted (a link sent to a wrong address): it opens nothing
    any more. Withdrawing it again changes nothing."""
    with session_scope(engine) as s:
        ledger.serialise(s)  # not while someone accepts it
        row = InvitationRepository(s).of_contract_by_id(contract_id, invitation_id)
        if row is None:
            raise NotFoundError("invitation.not_found", Msg("No invitation number {id} in contract {contract}.",
                                                            id=str(invitation_id), contract=contract_id),
                                path="invitation", hint=Msg("Reload the page: the list shows the invitations."))
        if row.accepted_at is not None:
            raise ConflictError("invitation.accepted", Msg("This invitation was already accepted, by {username}.",
                                                           username=row.accepted_by or ""), path="invitation",
                                hint=Msg("Revoke the role it gave, in the list of current roles."))
        if row.withdrawn_at is None:
            row.withdrawn_at = _now()
            s.flush()
            ledger.append(s, actor=actor, event=LedgerEvent.INVITATION_WITHDRAWN, contract_id=contract_id,
                          payload={"invitation": row.id})
        return InvitationView.of(row)


def list_invitations(engine: Engine, contract_id: str) -> list[InvitationView]:
    with session_scope(engine) as s:
        return [InvitationView.of(r) for r in InvitationRepository(s).of_contract(contract_id)]


# --- roles ----------------------------------------------------------------------------------------


def list_people(engine: Engine, contract_id: str) -> list[PersonRole]:
    """The contract's current roles, with who holds them."""
    with session_scope(engine) as s:
        ContractRepository(s).latest(contract_id)  # an unknown contract is a clear 404
        return [PersonRole(r.id, r.person_id, name, username, r.organisation, Role(r.role), _aware(r.assigned_at),
                           r.assigned_by) for r, name, username in InvitationRepository(s).people(contract_id)]


def revoke_person_role(engine: Engine, contract_id: str, assignment_id: int, *, actor: str) -> PersonRole:
    """Revoke one current role of the contract (by its number on the payer's page); the last
    outcome payer's role is never revoked, so that someone can always manage the contract."""
    with session_scope(engine) as s:
        ledger.serialise(s)  # two payers revoking each other at once: one of them stays
        repo = InvitationRepository(s)
        row = repo.assignment(contract_id, assignment_id)
        if row is None:
            raise NotFoundError("role.assignment_unknown",
                                Msg("No current role number {id} in contract {contract}.", id=str(assignment_id),
                                    contract=contract_id), path="assignment",
                                hint=Msg("Reload the page: the list shows the current roles."))
        person = RoleRepository(s).ensure_person(row.person_id, None)
        check_revocation(Role(row.role), holders=repo.active_count(contract_id, row.role), name=person.name,
                         contract_id=contract_id)
        row.revoked_at = _now()
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.ROLE_REVOKED, contract_id=contract_id,
                      payload={"person": row.person_id, "organisation": row.organisation, "role": row.role,
                               "assignment": row.id})
        return PersonRole(row.id, row.person_id, person.name, None, row.organisation, Role(row.role),
                          _aware(row.assigned_at), row.assigned_by)
