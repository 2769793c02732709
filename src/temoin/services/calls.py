"""Calls for projects drafted, consulted on and applied to in the browser: each state change and its
ledger entry in one transaction.

Who may draft a call: an account the administrator stated acts for a public payer organisation
(:mod:`temoin.services.payer_organisations`), for that organisation; or an account linked to a
person who holds the role of outcome payer in at least one contract, for that payer organisation
(no contract of the new call exists yet: the payer is known by the contracts it already pays).
Committee members are named by their account's user name (or a person's identifier): the call
stores the person each account acts as, so that each member signs in as themself. The draft's author (its ``owner``, a person) alone edits,
publishes, answers the consultation's comments, opens the call and records its decision.

Declarations, scores and the decision go through :mod:`temoin.services.governance`, as for calls
made from a file; this module adds what comes before them (draft, consultation, application with
documents) and the views the pages read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.errors import ForbiddenError, InvalidInputError, NotFoundError
from temoin.governance.call_stages import (
    CallStage,
    CallTerms,
    Timetable,
    check_answer,
    check_application_date,
    check_comment,
    check_open,
    check_publish,
    require_stage,
    validate_terms,
)
from temoin.governance.ledger import LedgerEvent
from temoin.governance.record import progress, public_record
from temoin.governance.selection import Application, Call, CallState, add_application, validate_call
from temoin.messages import Msg
from temoin.services.payer_organisations import own_person, stated_organisations
from temoin.store import ledger, session_scope
from temoin.store.accounts import AccountRepository
from temoin.store.calls import CallDraftRepository, timetable_of
from temoin.store.governance import CallRepository
from temoin.store.models.governance import (
    CallCommentRow,
    CallDocumentRow,
    CallRow,
    PersonRow,
    RoleAssignmentRow,
)

PARIS = ZoneInfo("Europe/Paris")
MAX_DOCUMENTS = 5
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
}
"""The documents an application may carry: PDF or office files, each known by its first bytes too."""


def today() -> dt.date:
    """The day in France: a call's dates are French calendar days."""
    return dt.datetime.now(PARIS).date()


@dataclass(frozen=True)
class CallDraft:
    """What the payer writes: the call (criteria, committee) and its terms (objectives, budget, dates)."""

    call: Call
    terms: CallTerms


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


@dataclass(frozen=True)
class CommentView:
    id: int
    name: str
    network: bool
    """Posted by a signed-in account (a registered network), not by a member of the public."""
    body: str
    created_at: dt.datetime
    answer: str | None
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class DocumentView:
    id: int
    application: str
    filename: str
    size: int
    sha256: str


@dataclass
class CallView:
    """Everything a call's page shows (what the reader may see of it)."""

    state: CallState
    stage: CallStage
    payer: str | None
    owner: str | None
    objectives: str
    budget: Decimal | None
    currency: str
    timetable: Timetable | None
    comments: list[CommentView] = field(default_factory=list)
    documents: list[DocumentView] = field(default_factory=list)
    summaries: dict[str, str] = field(default_factory=dict)
    record: dict[str, Any] | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """The committee members' names by their person ids (the id when no name is known)."""

    @property
    def unanswered(self) -> int:
        return sum(1 for c in self.comments if c.answer is None)


def drafting_organisations(engine: Engine, person_id: str | None) -> list[str]:
    """The payer organisations ``person_id`` may draft calls for: those an account of theirs acts
    for (stated by the administrator), and those they are outcome payer for in some contract."""
    if not person_id:
        return []
    with session_scope(engine) as s:
        q = select(RoleAssignmentRow.organisation).where(
            RoleAssignmentRow.person_id == person_id, RoleAssignmentRow.role == "outcome_payer",
            RoleAssignmentRow.revoked_at.is_(None)).distinct()
        return sorted({str(o) for o in s.execute(q).scalars()} | set(stated_organisations(s, person_id)))


def _members_as_people(s: Session, call: Call) -> Call:
    """``call`` with each committee member named by an account's user name replaced by the person
    that account acts as (a new one if it had none). A known person's identifier stays as written."""
    members = []
    for m in call.committee:
        account = AccountRepository(s).by_username(m.person.strip().lower())
        if (s.get(PersonRow, m.person) is None and account is not None and account.disabled_at is None
                and not account.is_admin):
            m = replace(m, person=own_person(s, account)[0])
        members.append(m)
    return replace(call, committee=tuple(members))


def _not_payer(call_id: str) -> ForbiddenError:
    return ForbiddenError("call.not_owner", Msg("Only the payer who drafted call {id} may do this.", id=call_id),
                             path="call", hint=Msg("Sign in with the account that drafted the call."))


def _require_owner(row: CallRow, person_id: str | None) -> None:
    if not person_id or row.owner != person_id:
        raise _not_payer(row.id)


def _check_draft(engine: Engine, draft: CallDraft, person_id: str | None) -> None:
    if draft.terms.payer not in drafting_organisations(engine, person_id):
        raise ForbiddenError("call.not_payer", Msg("You may not draft a call for '{payer}'.",
                                                      payer=draft.terms.payer[:80]), path="payer",
                                hint=Msg("A call is drafted by a person of a payer organisation (an outcome payer "
                                         "in a contract on Témoin)."))
    validate_call(draft.call)
    validate_terms(draft.terms)


def _definition_payload(draft: CallDraft) -> dict[str, Any]:
    t = draft.terms.timetable
    return {"call": draft.call.id, "payer": draft.terms.payer,
            "objectives_sha256": hashlib.sha256(draft.terms.objectives.encode("utf-8")).hexdigest(),
            "budget": format(draft.terms.budget, "f"), "currency": draft.terms.currency,
            "timetable": {"consultation_start": t.consultation_start.isoformat(),
                          "consultation_end": t.consultation_end.isoformat(),
                          "applications_end": t.applications_end.isoformat(),
                          "decision_date": t.decision_date.isoformat()},
            "criteria": {c.id: format(c.weight, "f") for c in draft.call.criteria},
            "committee": [{"person": m.person, "organisation": m.organisation, "seat": m.seat}
                          for m in draft.call.committee],
            "min_civil_society_seats": draft.call.min_civil_society_seats}


def draft_call(engine: Engine, draft: CallDraft, *, person_id: str | None, actor: str) -> None:
    """The payer's new draft (seen by its author only until published)."""
    _check_draft(engine, draft, person_id)
    with session_scope(engine) as s:
        draft = replace(draft, call=_members_as_people(s, draft.call))
        CallRepository(s).create(draft.call, actor=actor)
        repo = CallDraftRepository(s)
        row = repo.row(draft.call.id)
        row.stage = CallStage.DRAFT.value
        repo.set_terms(row, draft.terms, str(person_id))
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_DRAFTED, payload=_definition_payload(draft))


def edit_draft(engine: Engine, draft: CallDraft, *, person_id: str | None, actor: str) -> None:
    """Replace the draft whole (refused once it is published)."""
    _check_draft(engine, draft, person_id)
    with session_scope(engine) as s:
        draft = replace(draft, call=_members_as_people(s, draft.call))
        repo = CallDraftRepository(s)
        row = repo.row(draft.call.id, for_update=True)
        _require_owner(row, person_id)
        require_stage(CallStage(row.stage), CallStage.DRAFT, row.id, Msg("change it"))
        repo.replace_definition(draft.call)
        repo.set_terms(row, draft.terms, str(person_id))
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_DRAFT_EDITED, payload=_definition_payload(draft))


def publish_call(engine: Engine, call_id: str, *, person_id: str | None, actor: str,
                 on: dt.date | None = None) -> None:
    """The draft becomes public: its consultation period begins (the call no longer changes)."""
    with session_scope(engine) as s:
        repo = CallDraftRepository(s)
        row = repo.row(call_id, for_update=True)
        _require_owner(row, person_id)
        timetable = timetable_of(row)
        if timetable is None:
            raise InvalidInputError("call.no_timetable", Msg("Call {id} has no timetable.", id=call_id),
                                    path="timetable", hint=Msg("Edit the draft's timetable first."))
        check_publish(CallStage(row.stage), call_id, timetable, on or today())
        row.stage = CallStage.CONSULTATION.value
        row.published_at = dt.datetime.now(dt.UTC)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_PUBLISHED, payload={
            "call": call_id, "consultation_start": timetable.consultation_start.isoformat(),
            "consultation_end": timetable.consultation_end.isoformat()})


def sender_digest(secret: str, sender: str) -> str:
    """The rate limit's key: a keyed digest of the account or the address (the address is not kept)."""
    return hashlib.sha256(f"{secret}|{sender}".encode()).hexdigest()


def comment_on_call(engine: Engine, call_id: str, *, name: str, body: str, account: str | None, sender: str,
                    actor: str, at: dt.datetime | None = None) -> int:
    """A comment of the consultation (``account``: the user name of a signed-in network, else
    ``None`` for the public); ``sender`` is the rate limit's key. Returns the comment's number."""
    now = at or dt.datetime.now(dt.UTC)
    name, body = name.strip(), body.strip()
    with session_scope(engine) as s:
        repo = CallDraftRepository(s)
        row = repo.row(call_id, for_update=True)
        timetable = timetable_of(row)
        if timetable is None or CallStage(row.stage) is CallStage.DRAFT:
            raise repo_not_found(call_id)
        recent = repo.recent_comments(call_id, sender, now - dt.timedelta(hours=1))
        day = now.astimezone(PARIS).date() if at is not None else today()
        check_comment(CallStage(row.stage), call_id, timetable, day, name=name, body=body, recent=recent)
        comment = CallCommentRow(call_id=call_id, account=account, name=name, body=body, sender_sha256=sender,
                                 created_at=now)
        repo.add(comment)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_COMMENTED, payload={
            "call": call_id, "comment": comment.id, "network": account is not None,
            "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()})
        return comment.id


def repo_not_found(call_id: str) -> NotFoundError:
    return NotFoundError("call.not_found", Msg("Unknown call for projects: '{id}'.", id=call_id), path="call",
                         hint=Msg("The list of calls is on the page 'Calls for projects'."))


def answer_comment(engine: Engine, call_id: str, comment_id: int, text: str, *, person_id: str | None,
                   actor: str) -> None:
    """The payer's answer, published beside the comment."""
    text = text.strip()
    with session_scope(engine) as s:
        repo = CallDraftRepository(s)
        row = repo.row(call_id, for_update=True)
        _require_owner(row, person_id)
        comment = repo.comment(call_id, comment_id)
        check_answer(CallStage(row.stage), call_id, text, comment.answer is not None)
        comment.answer, comment.answered_at, comment.answered_by = text, dt.datetime.now(dt.UTC), actor
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_COMMENT_ANSWERED, payload={
            "call": call_id, "comment": comment_id, "answer_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})


def open_call(engine: Engine, call_id: str, *, person_id: str | None, actor: str, on: dt.date | None = None) -> None:
    """Applications open: after the consultation has ended, every comment answered."""
    with session_scope(engine) as s:
        repo = CallDraftRepository(s)
        row = repo.row(call_id, for_update=True)
        _require_owner(row, person_id)
        timetable = timetable_of(row)
        if timetable is None:
            raise InvalidInputError("call.no_timetable", Msg("Call {id} has no timetable.", id=call_id),
                                    path="timetable")
        unanswered = sum(1 for c in repo.comments(call_id) if c.answer is None)
        check_open(CallStage(row.stage), call_id, timetable, on or today(), unanswered)
        row.stage = CallStage.OPEN.value
        row.opened_at = dt.datetime.now(dt.UTC)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_OPENED, payload={
            "call": call_id, "comments": len(repo.comments(call_id))})


def check_document(doc: Document, max_bytes: int) -> tuple[str, str]:
    """The document's safe file name and media type, or a clear refusal (type, first bytes, size)."""
    name = PurePath(doc.filename.replace("\\", "/")).name.strip()[:200]
    suffix = PurePath(name).suffix.lower()
    if not name or suffix not in DOCUMENT_TYPES:
        raise InvalidInputError("call.document_type", Msg("Document refused: '{name}' is not a PDF or office file.",
                                                          name=name or "—"), path="documents",
                                hint=Msg("Accepted: {types}.", types=", ".join(sorted(DOCUMENT_TYPES))))
    media, magics = DOCUMENT_TYPES[suffix]
    if not any(doc.content.startswith(m) for m in magics):
        raise InvalidInputError("call.document_content", Msg("Document refused: '{name}' does not hold what its "
                                                             "name says.", name=name), path="documents",
                                hint=Msg("Save it again from the application that made it."))
    if len(doc.content) > max_bytes:
        raise InvalidInputError("call.document_size", Msg("Document refused: '{name}' is larger than {mb} MiB.",
                                                          name=name, mb=max_bytes // (1024 * 1024)), path="documents",
                                hint=Msg("Send a lighter version (a PDF of the text only, for example)."))
    return name, media


def submit_application(engine: Engine, call_id: str, app: Application, *, summary: str, documents: list[Document],
                       max_bytes: int, actor: str, on: dt.date | None = None) -> None:
    """An operator's application and its documents (each kept with its SHA-256, also in the ledger)."""
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidInputError("call.documents_count", Msg("Too many documents ({n}).", n=len(documents)),
                                path="documents", hint=Msg("At most {n} documents.", n=MAX_DOCUMENTS))
    checked = [(check_document(d, max_bytes), d) for d in documents]
    if len(summary) > 8000:
        raise InvalidInputError("call.summary_length", Msg("Summary too long ({n} characters).", n=len(summary)),
                                path="summary", hint=Msg("At most {n} characters.", n=8000))
    with session_scope(engine) as s:
        calls = CallRepository(s)
        state = calls.load(call_id, for_update=True)
        if state.stage == CallStage.DRAFT:
            raise repo_not_found(call_id)
        add_application(state, app)
        repo = CallDraftRepository(s)
        check_application_date(call_id, timetable_of(repo.row(call_id)), on or today())
        calls.add_application(call_id, app)
        added = repo.application_rows(call_id)[-1]
        added.submitted_by, added.summary = actor, summary.strip() or None
        digests = []
        for (name, media), d in checked:
            digest = hashlib.sha256(d.content).hexdigest()
            repo.add(CallDocumentRow(call_id=call_id, application=app.id, filename=name, media_type=media,
                                     size=len(d.content), sha256=digest, content=d.content, uploaded_by=actor))
            digests.append({"file": name, "size": len(d.content), "sha256": digest})
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_APPLICATION_ADDED, contract_id=state.call.contract_id,
                      payload={"call": call_id, "application": app.id, "organisation": app.organisation,
                               "title": app.title})
        for item in digests:
            ledger.append(s, actor=actor, event=LedgerEvent.CALL_DOCUMENT_ADDED,
                          payload={"call": call_id, "application": app.id} | item)


def call_view(engine: Engine, call_id: str, *, person_id: str | None) -> CallView:
    """The call as its page shows it; a draft is shown to its author only (unknown to anyone else)."""
    with session_scope(engine) as s:
        repo = CallDraftRepository(s)
        row = repo.row(call_id)
        stage = CallStage("decided" if row.decided_at is not None else row.stage)
        if stage is CallStage.DRAFT and (not person_id or row.owner != person_id):
            raise repo_not_found(call_id)
        state = CallRepository(s).load(call_id)
        view = CallView(state, stage, row.payer, row.owner, row.objectives or "",
                        Decimal(row.budget) if row.budget is not None else None, row.currency or "EUR",
                        timetable_of(row))
        view.comments = [CommentView(c.id, c.name, c.account is not None, c.body, c.created_at, c.answer,
                                     c.answered_at) for c in repo.comments(call_id)]
        view.documents = [DocumentView(d.id, d.application, d.filename, d.size, d.sha256)
                          for d in repo.documents(call_id)]
        view.summaries = {a.application: a.summary or "" for a in repo.application_rows(call_id)}
        view.progress = progress(state)
        if state.decided:
            view.record = public_record(state)
        members = [m.person for m in state.call.committee]
        known = {pid: name for pid, name in s.execute(select(PersonRow.id, PersonRow.name).where(PersonRow.id.in_(members)))}
        view.names = {p: known.get(p) or p for p in members}
        return view


@dataclass(frozen=True)
class CallListItem:
    id: str
    title_fr: str
    title_en: str
    stage: CallStage
    payer: str | None
    mine: bool


def list_calls_for(engine: Engine, person_id: str | None) -> list[CallListItem]:
    """Every call but other people's drafts."""
    with session_scope(engine) as s:
        out = []
        for row in CallDraftRepository(s).calls():
            stage = CallStage("decided" if row.decided_at is not None else row.stage)
            mine = bool(person_id) and row.owner == person_id
            if stage is CallStage.DRAFT and not mine:
                continue
            out.append(CallListItem(row.id, row.title_fr, row.title_en, stage, row.payer, mine))
        return out


def call_document(engine: Engine, call_id: str, document_id: int) -> tuple[str, str, bytes]:
    """A document's file name, media type and bytes (the caller checks who may read it)."""
    with session_scope(engine) as s:
        d = CallDraftRepository(s).document(call_id, document_id)
        return d.filename, d.media_type, bytes(d.content)
