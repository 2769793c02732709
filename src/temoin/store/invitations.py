"""Invitations and the roles of one contract, inside the caller's session (the services own the
transactions)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from temoin.store.models.accounts import AccountRow
from temoin.store.models.governance import PersonRow, RoleAssignmentRow
from temoin.store.models.invitations import InvitationRow


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: InvitationRow) -> InvitationRow:
        self.session.add(row)
        self.session.flush()
        return row

    def by_digest(self, token_sha256: str) -> InvitationRow | None:
        return self.session.execute(
            select(InvitationRow).where(InvitationRow.token_sha256 == token_sha256)).scalar_one_or_none()

    def of_contract_by_id(self, contract_id: str, invitation_id: int) -> InvitationRow | None:
        row = self.session.get(InvitationRow, invitation_id)
        return row if row is not None and row.contract_id == contract_id else None

    def of_contract(self, contract_id: str) -> list[InvitationRow]:
        q = select(InvitationRow).where(InvitationRow.contract_id == contract_id).order_by(InvitationRow.id.desc())
        return list(self.session.execute(q).scalars())

    def assignment(self, contract_id: str, assignment_id: int) -> RoleAssignmentRow | None:
        row = self.session.get(RoleAssignmentRow, assignment_id)
        return row if row is not None and row.contract_id == contract_id and row.revoked_at is None else None

    def active_count(self, contract_id: str, role: str) -> int:
        q = select(func.count()).select_from(RoleAssignmentRow).where(
            RoleAssignmentRow.contract_id == contract_id, RoleAssignmentRow.role == role,
            RoleAssignmentRow.revoked_at.is_(None))
        return int(self.session.execute(q).scalar_one())

    def people(self, contract_id: str) -> list[tuple[RoleAssignmentRow, str, str | None]]:
        """Each current role of the contract, with the person's name and the user name of the
        account linked to that person (if any)."""
        q = (select(RoleAssignmentRow, PersonRow.name, AccountRow.username)
             .join(PersonRow, PersonRow.id == RoleAssignmentRow.person_id)
             .outerjoin(AccountRow, AccountRow.person_id == RoleAssignmentRow.person_id)
             .where(RoleAssignmentRow.contract_id == contract_id, RoleAssignmentRow.revoked_at.is_(None))
             .order_by(RoleAssignmentRow.role, PersonRow.name, RoleAssignmentRow.id))
        return [(r, name, username) for r, name, username in self.session.execute(q).all()]

    def free_person_id(self, wanted: str) -> bool:
        """No person and no account go by ``wanted`` yet."""
        if self.session.get(PersonRow, wanted) is not None:
            return False
        taken = select(func.count()).select_from(AccountRow).where(AccountRow.person_id == wanted)
        return int(self.session.execute(taken).scalar_one()) == 0
