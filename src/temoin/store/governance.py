"""Governance repositories: rows ↔ the pure records of ``temoin.governance``.

Repositories read and write inside the caller's session; the services own the transactions.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy.orm import Session

from temoin.contract.model import Role
from temoin.errors import ConflictError, NotFoundError
from temoin.governance.budget import BudgetRow
from temoin.governance.roles import RoleAssignment
from temoin.governance.selection import (
    Application,
    Call,
    CallState,
    CommitteeMember,
    Criterion,
    Decision,
    Declaration,
    Score,
)
from temoin.messages import Msg
from temoin.store.models.base import utcnow
from temoin.store.models.governance import (
    ApplicationRow,
    BudgetLineRow,
    CallRow,
    CommitteeMemberRow,
    CriterionRow,
    DeclarationRow,
    PersonRow,
    RoleAssignmentRow,
    ScoreRow,
)


def call_row(session: Session, call_id: str, *, for_update: bool = False) -> CallRow:
    """A call's row (locked for update if asked), or a clear 404."""
    q = select(CallRow).where(CallRow.id == call_id)
    if for_update:
        q = q.with_for_update()
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        raise NotFoundError("call.not_found", Msg("Unknown call for projects: '{id}'.", id=call_id), path="call",
                            hint=Msg("Check the call's identifier in the list of calls."))
    return row


class CallRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, call_id: str) -> bool:
        return self.session.get(CallRow, call_id) is not None

    def create(self, call: Call, *, actor: str) -> None:
        if self.exists(call.id):
            raise ConflictError("call.exists", Msg("Call '{id}' already exists.", id=call.id), path="id",
                                hint=Msg("Choose another id."))
        self.session.add(CallRow(id=call.id, title_fr=call.title_fr, title_en=call.title_en,
                                 contract_id=call.contract_id, min_civil_society_seats=call.min_civil_society_seats,
                                 max_score=call.max_score, created_by=actor))
        self.session.flush()
        for i, c in enumerate(call.criteria):
            self.session.add(CriterionRow(call_id=call.id, position=i, criterion=c.id, label_fr=c.label_fr,
                                          label_en=c.label_en, weight=c.weight))
        for i, m in enumerate(call.committee):
            self.session.add(CommitteeMemberRow(call_id=call.id, position=i, person=m.person,
                                                organisation=m.organisation, seat=m.seat,
                                                interests=json.dumps(list(m.interests))))
        self.session.flush()

    def load(self, call_id: str, *, for_update: bool = False) -> CallState:
        row = call_row(self.session, call_id, for_update=for_update)
        crit = self.session.execute(select(CriterionRow).where(CriterionRow.call_id == call_id)
                                    .order_by(CriterionRow.position)).scalars()
        members = self.session.execute(select(CommitteeMemberRow).where(CommitteeMemberRow.call_id == call_id)
                                       .order_by(CommitteeMemberRow.position)).scalars()
        call = Call(
            id=row.id, title_fr=row.title_fr, title_en=row.title_en,
            criteria=tuple(Criterion(c.criterion, c.label_fr, c.label_en, Decimal(c.weight).normalize()) for c in crit),
            committee=tuple(CommitteeMember(m.person, m.organisation, m.seat, tuple(json.loads(m.interests)))
                            for m in members),
            min_civil_society_seats=row.min_civil_society_seats, max_score=Decimal(row.max_score).normalize(),
            contract_id=row.contract_id,
        )
        state = CallState(call, stage="decided" if row.decided_at is not None else row.stage)
        state.applications = [Application(a.application, a.organisation, a.title) for a in self.session.execute(
            select(ApplicationRow).where(ApplicationRow.call_id == call_id).order_by(ApplicationRow.id)).scalars()]
        state.declarations = [Declaration(d.person, d.application, d.conflict, d.nature, d.declared_at)
                              for d in self.session.execute(select(DeclarationRow).where(DeclarationRow.call_id == call_id)
                                                            .order_by(DeclarationRow.id)).scalars()]
        state.scores = [Score(s.person, s.application, s.criterion, Decimal(s.value).normalize())
                        for s in self.session.execute(select(ScoreRow).where(ScoreRow.call_id == call_id)
                                                      .order_by(ScoreRow.id)).scalars()]
        if row.decided_at is not None:
            state.decision = Decision(tuple(json.loads(row.selected or "[]")), row.reasons_fr or "",
                                      row.reasons_en or "", row.decided_by or "", row.decided_at)
        return state

    def list_calls(self) -> list[CallRow]:
        return list(self.session.execute(select(CallRow).order_by(CallRow.created_at, CallRow.id)).scalars())

    def add_application(self, call_id: str, app: Application) -> None:
        self.session.add(ApplicationRow(call_id=call_id, application=app.id, organisation=app.organisation,
                                        title=app.title))
        self.session.flush()

    def add_declaration(self, call_id: str, decl: Declaration, voided: list[Score]) -> None:
        if voided:
            self.session.execute(delete(ScoreRow).where(ScoreRow.call_id == call_id, ScoreRow.person == decl.person,
                                                        ScoreRow.application == decl.application))
        self.session.execute(delete(DeclarationRow).where(
            DeclarationRow.call_id == call_id, DeclarationRow.person == decl.person,
            DeclarationRow.application == decl.application))
        self.session.add(DeclarationRow(call_id=call_id, person=decl.person, application=decl.application,
                                        conflict=decl.conflict, nature=decl.nature))
        self.session.flush()

    def add_score(self, call_id: str, score: Score) -> None:
        self.session.add(ScoreRow(call_id=call_id, person=score.person, application=score.application,
                                  criterion=score.criterion, value=score.value))
        self.session.flush()

    def decide(self, call_id: str, decision: Decision) -> None:
        row = self.session.get(CallRow, call_id)
        if row is None:  # load() was called first by the service; a vanished call is a conflict
            raise ConflictError("call.vanished", Msg("The call has vanished."),
                                hint=Msg("Reload the page and try again (the situation may already have changed)."))
        row.decided_at = decision.decided_at or utcnow()
        row.decided_by = decision.decided_by
        row.selected = json.dumps(list(decision.selected))
        row.reasons_fr = decision.reasons_fr
        row.reasons_en = decision.reasons_en
        row.stage = "decided"
        self.session.flush()


_ACTIVE_ROLES = select(RoleAssignmentRow.contract_id, RoleAssignmentRow.role).where(
    RoleAssignmentRow.person_id == bindparam("person_id"), RoleAssignmentRow.revoked_at.is_(None))  # built once


def active_roles(db: Connection | Session, person_id: str) -> list[tuple[str, str]]:
    """(contract, role) of each role a person holds now: what every signed-in request checks."""
    return [(c, r) for c, r in db.execute(_ACTIVE_ROLES, {"person_id": person_id})]


class RoleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure_person(self, person_id: str, name: str | None) -> PersonRow:
        row = self.session.get(PersonRow, person_id)
        if row is None:
            row = PersonRow(id=person_id, name=name or person_id)
            self.session.add(row)
            self.session.flush()
        elif name and name != row.name:
            row.name = name
        return row

    def active_for_person(self, person_id: str) -> list[RoleAssignment]:
        rows = self.session.execute(select(RoleAssignmentRow).where(
            RoleAssignmentRow.person_id == person_id, RoleAssignmentRow.revoked_at.is_(None))).scalars()
        return [RoleAssignment(r.contract_id, r.person_id, r.organisation, Role(r.role)) for r in rows]

    def add(self, a: RoleAssignment, *, actor: str) -> None:
        self.session.add(RoleAssignmentRow(contract_id=a.contract_id, person_id=a.person, organisation=a.organisation,
                                           role=a.role, assigned_by=actor))
        self.session.flush()

    def revoke(self, contract_id: str, person_id: str, role: str) -> RoleAssignmentRow:
        row = self.session.execute(select(RoleAssignmentRow).where(
            RoleAssignmentRow.contract_id == contract_id, RoleAssignmentRow.person_id == person_id,
            RoleAssignmentRow.role == role, RoleAssignmentRow.revoked_at.is_(None))).scalar_one_or_none()
        if row is None:
            raise NotFoundError("role.not_found", Msg("{name} does not hold the role {role} in contract {id}.",
                                                      name=person_id, role=Role(role) if role in set(Role) else role,
                                                      id=contract_id), path="role")
        row.revoked_at = utcnow()
        self.session.flush()
        return row

    def listing(self, *, contract_id: str | None = None, person_id: str | None = None,
                include_revoked: bool = False) -> list[dict[str, object]]:
        q = select(RoleAssignmentRow, PersonRow.name).join(PersonRow, PersonRow.id == RoleAssignmentRow.person_id)
        if contract_id:
            q = q.where(RoleAssignmentRow.contract_id == contract_id)
        if person_id:
            q = q.where(RoleAssignmentRow.person_id == person_id)
        if not include_revoked:
            q = q.where(RoleAssignmentRow.revoked_at.is_(None))
        q = q.order_by(RoleAssignmentRow.contract_id, RoleAssignmentRow.person_id, RoleAssignmentRow.role)
        return [{"contract": r.contract_id, "person": r.person_id, "name": name, "organisation": r.organisation,
                 "role": r.role, "assigned_at": r.assigned_at.isoformat(), "assigned_by": r.assigned_by,
                 "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None}
                for r, name in self.session.execute(q).all()]


class BudgetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, rows: list[BudgetRow], *, source_sha256: str) -> tuple[int, int]:
        """Store rows, replacing the same payer/year/code; returns (added, replaced)."""
        added = replaced = 0
        for r in rows:
            old = self.session.execute(select(BudgetLineRow).where(
                BudgetLineRow.payer == r.payer, BudgetLineRow.year == r.year, BudgetLineRow.code == r.code)
            ).scalar_one_or_none()
            if old is not None:
                self.session.delete(old)
                self.session.flush()
                replaced += 1
            else:
                added += 1
            self.session.add(BudgetLineRow(payer=r.payer, function=r.function, year=r.year, code=r.code,
                                           label_fr=r.label_fr, label_en=r.label_en, mandatory=r.mandatory,
                                           amount=r.amount, price_index=r.price_index, source_sha256=source_sha256))
        self.session.flush()
        return added, replaced

    def for_payers(self, payers: list[str]) -> list[BudgetRow]:
        q = select(BudgetLineRow).where(BudgetLineRow.payer.in_(payers)).order_by(
            BudgetLineRow.payer, BudgetLineRow.year, BudgetLineRow.code)
        return [BudgetRow(r.payer, r.function, r.year, r.code, r.label_fr, r.label_en, r.mandatory,
                          Decimal(r.amount), Decimal(r.price_index)) for r in self.session.execute(q).scalars()]
