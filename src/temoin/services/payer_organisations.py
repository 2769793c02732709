"""Accounts that act for a public payer organisation, and the person an account acts as.

Rule (how a brand-new platform gets its first call for projects): the administrator states, on the
accounts page, that an account acts for a public payer organisation (its identifier and name). It
is an identity fact of the account, like its employer, recorded in the ledger; it gives no role in
any contract. Such an account may draft calls for projects for that organisation
(:func:`temoin.services.calls.drafting_organisations`). The role of outcome payer in a contract
still comes only from creating the contract or from an invitation to it.

An account acts as one person of the governance store. An account made on the accounts page has
none until it needs one: :func:`own_person` then gives it a new person named after it, never an
existing person (that would hand over their roles).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.store import ledger, session_scope
from temoin.store.accounts import AccountRepository
from temoin.store.governance import RoleRepository
from temoin.store.invitations import InvitationRepository
from temoin.store.models.accounts import AccountRow, PayerOrganisationRow

ORGANISATION_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
MAX_NAME = 200


@dataclass(frozen=True)
class PayerOrganisation:
    username: str
    organisation: str
    name: str
    stated_by: str
    stated_at: dt.datetime


def own_person(s: Session, account: AccountRow) -> tuple[str, str | None]:
    """The person ``account`` acts as; a new one, named after the account, if it has none yet (then
    the name to give that new person is returned too, else None)."""
    if account.person_id:
        return account.person_id, None
    invitations = InvitationRepository(s)
    wanted = account.username
    while not invitations.free_person_id(wanted):
        wanted = f"{account.username[:70]}-{secrets.token_hex(3)}"
    account.person_id = wanted
    RoleRepository(s).ensure_person(wanted, account.display_name)
    return wanted, account.display_name


def _active_account(s: Session, username: str) -> AccountRow:
    account = AccountRepository(s).by_username(username.strip().lower())
    if account is None or account.disabled_at is not None:
        raise NotFoundError("payer_org.account", Msg("No active account '{username}'.", username=username[:80]),
                            path="username", hint=Msg("Choose an account from the list."))
    return account


def state_payer_organisation(engine: Engine, username: str, organisation: str, name: str, *,
                             actor: str) -> PayerOrganisation:
    """Record that ``username`` acts for the payer organisation ``organisation`` called ``name``."""
    organisation, name = organisation.strip(), name.strip()
    if not ORGANISATION_ID.match(organisation) or len(organisation) > 80:
        raise InvalidInputError("payer_org.id", Msg("Invalid organisation identifier: '{value}'.",
                                                    value=organisation[:80]), path="organisation",
                                hint=Msg("Lower-case letters, digits and dashes, e.g. departement-nord "
                                         "(the identifier the organisation has in its contracts)."))
    if not name or len(name) > MAX_NAME:
        raise InvalidInputError("payer_org.name", Msg("The organisation's name is missing or too long."),
                                path="organisation_name", hint=Msg("At most {n} characters.", n=MAX_NAME))
    with session_scope(engine) as s:
        account = _active_account(s, username)
        if account.is_admin:
            raise ConflictError("payer_org.admin", Msg("An administrator's account does not act for a payer "
                                                       "organisation."), path="username",
                                hint=Msg("Make a separate account for the person who acts for the payer."))
        row = s.execute(select(PayerOrganisationRow).where(
            PayerOrganisationRow.account_id == account.id,
            PayerOrganisationRow.organisation == organisation)).scalar_one_or_none()
        if row is not None and row.withdrawn_at is None:
            raise ConflictError("payer_org.exists", Msg("Account '{username}' already acts for '{organisation}'.",
                                                        username=account.username, organisation=organisation),
                                path="organisation")
        person, _ = own_person(s, account)
        if row is None:
            row = PayerOrganisationRow(account_id=account.id, organisation=organisation, name=name, stated_by=actor)
            s.add(row)
        else:  # stated again after a withdrawal
            row.name, row.stated_by, row.stated_at, row.withdrawn_at = name, actor, dt.datetime.now(dt.UTC), None
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_PAYER_ORGANISATION, payload={
            "username": account.username, "person": person, "organisation": organisation, "name": name})
        return PayerOrganisation(account.username, organisation, name, actor, row.stated_at)


def withdraw_payer_organisation(engine: Engine, username: str, organisation: str, *, actor: str) -> None:
    """The statement that ``username`` acts for ``organisation`` is withdrawn (a mistake, or the person
    left): the account drafts no new call for it. Calls it already drafted stay its own."""
    with session_scope(engine) as s:
        account = _active_account(s, username)
        row = s.execute(select(PayerOrganisationRow).where(
            PayerOrganisationRow.account_id == account.id, PayerOrganisationRow.organisation == organisation,
            PayerOrganisationRow.withdrawn_at.is_(None))).scalar_one_or_none()
        if row is None:
            raise NotFoundError("payer_org.unknown", Msg("Account '{username}' does not act for '{organisation}'.",
                                                         username=account.username, organisation=organisation[:80]),
                                path="organisation", hint=Msg("Choose an account from the list."))
        row.withdrawn_at = dt.datetime.now(dt.UTC)
        ledger.append(s, actor=actor, event=LedgerEvent.ACCOUNT_PAYER_ORGANISATION_WITHDRAWN, payload={
            "username": account.username, "person": account.person_id, "organisation": organisation})


def _listing(s: Session) -> list[tuple[PayerOrganisationRow, AccountRow]]:
    q = (select(PayerOrganisationRow, AccountRow).join(AccountRow, AccountRow.id == PayerOrganisationRow.account_id)
         .where(PayerOrganisationRow.withdrawn_at.is_(None), AccountRow.disabled_at.is_(None))
         .order_by(AccountRow.username, PayerOrganisationRow.organisation))
    return [(p, a) for p, a in s.execute(q).all()]


def list_payer_organisations(engine: Engine) -> list[PayerOrganisation]:
    with session_scope(engine) as s:
        return [PayerOrganisation(a.username, p.organisation, p.name, p.stated_by, p.stated_at)
                for p, a in _listing(s)]


def stated_organisations(s: Session, person_id: str) -> dict[str, str]:
    """The payer organisations the active accounts of ``person_id`` act for: identifier → name."""
    return {p.organisation: p.name for p, a in _listing(s) if a.person_id == person_id}


def organisation_name(engine: Engine, organisation: str) -> str | None:
    """The name the administrator gave ``organisation``, if an account acts for it."""
    with session_scope(engine) as s:
        q = select(PayerOrganisationRow.name).where(PayerOrganisationRow.organisation == organisation,
                                                    PayerOrganisationRow.withdrawn_at.is_(None))
        return s.execute(q.order_by(PayerOrganisationRow.id)).scalars().first()
