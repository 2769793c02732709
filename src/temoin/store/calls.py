"""Calls drafted in the browser: terms, timetable, consultation comments and application documents,
inside the caller's session (the services own the transactions)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from temoin.errors import NotFoundError
from temoin.governance.call_stages import CallTerms, Timetable
from temoin.governance.selection import Call
from temoin.messages import Msg
from temoin.store.governance import call_row
from temoin.store.models.governance import (
    ApplicationRow,
    CallCommentRow,
    CallDocumentRow,
    CallRow,
    CommitteeMemberRow,
    CriterionRow,
)


def timetable_of(row: CallRow) -> Timetable | None:
    if None in (row.consultation_start, row.consultation_end, row.applications_end, row.decision_date):
        return None
    return Timetable(row.consultation_start, row.consultation_end, row.applications_end,  # type: ignore[arg-type]
                     row.decision_date)  # type: ignore[arg-type]


class CallDraftRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def row(self, call_id: str, *, for_update: bool = False) -> CallRow:
        return call_row(self.session, call_id, for_update=for_update)

    def set_terms(self, row: CallRow, terms: CallTerms, owner: str) -> None:
        t = terms.timetable
        row.payer, row.owner, row.objectives = terms.payer, owner, terms.objectives
        row.budget, row.currency = terms.budget, terms.currency
        row.consultation_start, row.consultation_end = t.consultation_start, t.consultation_end
        row.applications_end, row.decision_date = t.applications_end, t.decision_date
        self.session.flush()

    def replace_definition(self, call: Call) -> None:
        """A draft's criteria and committee, replaced whole (a draft changes freely until published)."""
        row = self.row(call.id)
        row.title_fr, row.title_en = call.title_fr, call.title_en
        row.min_civil_society_seats, row.max_score = call.min_civil_society_seats, call.max_score
        self.session.execute(delete(CriterionRow).where(CriterionRow.call_id == call.id))
        self.session.execute(delete(CommitteeMemberRow).where(CommitteeMemberRow.call_id == call.id))
        for i, c in enumerate(call.criteria):
            self.session.add(CriterionRow(call_id=call.id, position=i, criterion=c.id, label_fr=c.label_fr,
                                          label_en=c.label_en, weight=c.weight))
        for i, m in enumerate(call.committee):
            self.session.add(CommitteeMemberRow(call_id=call.id, position=i, person=m.person,
                                                organisation=m.organisation, seat=m.seat,
                                                interests=json.dumps(list(m.interests))))
        self.session.flush()

    def comments(self, call_id: str) -> list[CallCommentRow]:
        q = select(CallCommentRow).where(CallCommentRow.call_id == call_id).order_by(CallCommentRow.id)
        return list(self.session.execute(q).scalars())

    def comment(self, call_id: str, comment_id: int) -> CallCommentRow:
        row = self.session.get(CallCommentRow, comment_id)
        if row is None or row.call_id != call_id:
            raise NotFoundError("call.comment_not_found", Msg("Unknown comment: {n}.", n=comment_id), path="comment")
        return row

    def recent_comments(self, call_id: str, sender_sha256: str, since: dt.datetime) -> int:
        q = select(func.count()).select_from(CallCommentRow).where(
            CallCommentRow.call_id == call_id, CallCommentRow.sender_sha256 == sender_sha256,
            CallCommentRow.created_at >= since)
        return int(self.session.execute(q).scalar_one())

    def add(self, row: CallCommentRow | CallDocumentRow) -> None:
        self.session.add(row)
        self.session.flush()

    def documents(self, call_id: str) -> list[CallDocumentRow]:
        q = select(CallDocumentRow).where(CallDocumentRow.call_id == call_id).order_by(CallDocumentRow.id)
        return list(self.session.execute(q).scalars())

    def document(self, call_id: str, document_id: int) -> CallDocumentRow:
        row = self.session.get(CallDocumentRow, document_id)
        if row is None or row.call_id != call_id:
            raise NotFoundError("call.document_not_found", Msg("Unknown document: {n}.", n=document_id),
                                path="document")
        return row

    def application_rows(self, call_id: str) -> list[ApplicationRow]:
        q = select(ApplicationRow).where(ApplicationRow.call_id == call_id).order_by(ApplicationRow.id)
        return list(self.session.execute(q).scalars())

    def calls(self) -> list[CallRow]:
        return list(self.session.execute(select(CallRow).order_by(CallRow.created_at.desc(), CallRow.id)).scalars())
