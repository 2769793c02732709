"""Calls drafted, consulted on and applied to through the services, on SQLite and PostgreSQL: each
step's rule, its refusal, and its ledger entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text

from calls_support import COMMITTEE, PAYER_PERSON, TIMETABLE, draft
from temoin.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from temoin.governance.call_stages import COMMENTS_PER_HOUR, MAX_COMMENT, CallStage, Timetable
from temoin.governance.selection import Application, CommitteeMember, Declaration
from temoin.services.calls import (
    Document,
    answer_comment,
    call_view,
    comment_on_call,
    draft_call,
    drafting_organisations,
    edit_draft,
    list_calls_for,
    open_call,
    publish_call,
    submit_application,
)
from temoin.services.contracts import import_contract
from temoin.services.governance import (
    assign_role,
    decide_call,
    declare_interests,
    record_scores,
    verify_audit,
    verify_ledger,
)

PDF = b"%PDF-1.4\n% a small test document\n"
DOCX = b"PK\x03\x04" + b"\x00" * 40
MB = 1024 * 1024
IN_CONSULTATION = dt.datetime(2027, 1, 12, 10, tzinfo=dt.UTC)
AFTER = TIMETABLE.consultation_end + dt.timedelta(days=1)


@pytest.fixture
def payer(engine: Engine, example_path) -> Engine:  # type: ignore[no-untyped-def]
    import_contract(engine, example_path("aemo-renforcee"), actor="test")
    assign_role(engine, "aemo-renforcee", PAYER_PERSON, "dept-nord", "outcome_payer", actor="test", name="Élise")
    return engine


def _events(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT event, payload FROM audit_ledger ORDER BY seq")).all()
    return [(e, json.loads(p) if isinstance(p, str) else p) for e, p in rows]


def _published(engine: Engine) -> None:
    draft_call(engine, draft(), person_id=PAYER_PERSON, actor="web:payeur")
    publish_call(engine, "aap-2027", person_id=PAYER_PERSON, actor="web:payeur", on=TIMETABLE.consultation_start)


def test_a_payer_drafts_a_call_seen_by_them_alone_until_published(payer: Engine) -> None:
    assert drafting_organisations(payer, PAYER_PERSON) == ["dept-nord"]
    assert drafting_organisations(payer, "demo-observateur") == [] and drafting_organisations(payer, None) == []
    draft_call(payer, draft(), person_id=PAYER_PERSON, actor="web:payeur")
    view = call_view(payer, "aap-2027", person_id=PAYER_PERSON)
    assert view.stage is CallStage.DRAFT and view.budget == Decimal("1500000") and view.timetable == TIMETABLE
    assert [m.person for m in view.state.call.committee] == [m.person for m in COMMITTEE]
    for other in ("demo-observateur", None):
        with pytest.raises(NotFoundError):
            call_view(payer, "aap-2027", person_id=other)
        assert list_calls_for(payer, other) == []
    assert [c.id for c in list_calls_for(payer, PAYER_PERSON)] == ["aap-2027"]
    event, payload = _events(payer)[-1]
    assert event == "call.drafted" and payload["criteria"] == {"impact": "3", "faisabilite": "2"}
    assert payload["timetable"]["consultation_end"] == "2027-01-30"  # type: ignore[index]


def test_a_draft_is_refused_by_its_rules(payer: Engine) -> None:
    with pytest.raises(ForbiddenError) as e:
        draft_call(payer, draft(), person_id="demo-observateur", actor="web:observateur")
    assert e.value.code == "call.not_payer"
    one_seat = (COMMITTEE[0], CommitteeMember("x", "y", "payer"))
    with pytest.raises(InvalidInputError) as e:
        draft_call(payer, draft(committee=one_seat), person_id=PAYER_PERSON, actor="t")
    assert e.value.code == "call.composition"
    with pytest.raises(InvalidInputError) as e:
        draft_call(payer, draft(weights=("3", "0")), person_id=PAYER_PERSON, actor="t")
    assert e.value.code == "call.weight"
    late = Timetable(TIMETABLE.consultation_start, TIMETABLE.consultation_end, TIMETABLE.consultation_end,
                     TIMETABLE.decision_date)
    with pytest.raises(InvalidInputError) as e:
        draft_call(payer, draft(timetable=late), person_id=PAYER_PERSON, actor="t")
    assert e.value.code == "call.timetable" and e.value.path == "applications_end"
    assert _events(payer)[-1][0] == "role.assigned"  # nothing written by a refusal


def test_the_draft_changes_until_published_then_never(payer: Engine) -> None:
    draft_call(payer, draft(), person_id=PAYER_PERSON, actor="web:payeur")
    edit_draft(payer, draft(weights=("4", "1")), person_id=PAYER_PERSON, actor="web:payeur")
    weights = {c.id: c.weight for c in call_view(payer, "aap-2027", person_id=PAYER_PERSON).state.call.criteria}
    assert weights == {"impact": Decimal(4), "faisabilite": Decimal(1)}
    with pytest.raises(ForbiddenError):
        publish_call(payer, "aap-2027", person_id="demo-observateur", actor="t", on=TIMETABLE.consultation_start)
    with pytest.raises(ConflictError) as e:
        publish_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="t", on=AFTER)
    assert e.value.code == "call.consultation_past"
    publish_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="web:payeur", on=TIMETABLE.consultation_start)
    assert call_view(payer, "aap-2027", person_id=None).stage is CallStage.CONSULTATION  # public now
    with pytest.raises(ConflictError) as e:
        edit_draft(payer, draft(weights=("1", "1")), person_id=PAYER_PERSON, actor="web:payeur")
    assert e.value.code == "call.stage"
    assert [ev for ev, _ in _events(payer)][-3:] == ["call.drafted", "call.draft_edited", "call.published"]


def test_the_consultation_takes_comments_answers_them_and_only_then_opens(payer: Engine) -> None:
    _published(payer)
    n = comment_on_call(payer, "aap-2027", name="Réseau des familles", body="Quels critères pour l'accès ?",
                        account="observateur", sender="acct:observateur", actor="web:observateur", at=IN_CONSULTATION)
    comment_on_call(payer, "aap-2027", name="Jeanne", body="Et les familles rurales ?", account=None,
                    sender="ip:203.0.113.9", actor="web:anonymous", at=IN_CONSULTATION)
    with pytest.raises(InvalidInputError) as e:
        comment_on_call(payer, "aap-2027", name="Jeanne", body="x" * (MAX_COMMENT + 1), account=None, sender="ip:2",
                        actor="t", at=IN_CONSULTATION)
    assert e.value.code == "call.comment_length"
    with pytest.raises(InvalidInputError):
        comment_on_call(payer, "aap-2027", name=" ", body="Bonjour", account=None, sender="ip:2", actor="t",
                        at=IN_CONSULTATION)
    for _ in range(COMMENTS_PER_HOUR - 1):
        comment_on_call(payer, "aap-2027", name="Jeanne", body="encore", account=None, sender="ip:203.0.113.9",
                        actor="t", at=IN_CONSULTATION)
    with pytest.raises(ConflictError) as e:
        comment_on_call(payer, "aap-2027", name="Jeanne", body="encore", account=None, sender="ip:203.0.113.9",
                        actor="t", at=IN_CONSULTATION)
    assert e.value.code == "call.comment_rate"
    later = IN_CONSULTATION + dt.timedelta(hours=1, minutes=1)  # an hour later, the sender may comment again
    comment_on_call(payer, "aap-2027", name="Jeanne", body="encore", account=None, sender="ip:203.0.113.9",
                    actor="t", at=later)
    with pytest.raises(ConflictError) as e:
        comment_on_call(payer, "aap-2027", name="Jeanne", body="trop tard", account=None, sender="ip:3", actor="t",
                        at=dt.datetime(2027, 2, 1, 10, tzinfo=dt.UTC))
    assert e.value.code == "call.consultation_closed"

    with pytest.raises(ConflictError) as e:  # the consultation runs until its last day
        open_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="t", on=TIMETABLE.consultation_end)
    assert e.value.code == "call.consultation_running"
    with pytest.raises(ConflictError) as e:
        open_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="t", on=AFTER)
    assert e.value.code == "call.unanswered"
    with pytest.raises(ForbiddenError):
        answer_comment(payer, "aap-2027", n, "Oui.", person_id="demo-observateur", actor="t")
    for c in call_view(payer, "aap-2027", person_id=None).comments:
        answer_comment(payer, "aap-2027", c.id, f"Réponse {c.id}", person_id=PAYER_PERSON, actor="web:payeur")
    with pytest.raises(ConflictError):
        answer_comment(payer, "aap-2027", n, "Encore", person_id=PAYER_PERSON, actor="web:payeur")
    open_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="web:payeur", on=AFTER)
    view = call_view(payer, "aap-2027", person_id=None)
    assert view.stage is CallStage.OPEN and view.unanswered == 0
    assert view.comments[0].network and not view.comments[1].network
    assert view.comments[0].answer == f"Réponse {n}"
    commented = [p for e, p in _events(payer) if e == "call.commented"]
    assert len(commented) == COMMENTS_PER_HOUR + 2
    assert commented[0]["body_sha256"] == hashlib.sha256("Quels critères pour l'accès ?".encode()).hexdigest()


def _opened(engine: Engine) -> None:
    _published(engine)
    open_call(engine, "aap-2027", person_id=PAYER_PERSON, actor="web:payeur", on=AFTER)


def test_an_application_keeps_its_documents_with_their_sha256(payer: Engine) -> None:
    draft_call(payer, draft(), person_id=PAYER_PERSON, actor="web:payeur")
    app = Application("horizon", "horizon-familles", "Horizon : accompagner les familles")
    with pytest.raises(NotFoundError):  # a draft takes no application (it is not even public)
        submit_application(payer, "aap-2027", app, summary="", documents=[], max_bytes=MB, actor="t", on=AFTER)
    publish_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="t", on=TIMETABLE.consultation_start)
    with pytest.raises(ConflictError) as e:
        submit_application(payer, "aap-2027", app, summary="", documents=[], max_bytes=MB, actor="t", on=AFTER)
    assert e.value.code == "call.not_open"
    open_call(payer, "aap-2027", person_id=PAYER_PERSON, actor="web:payeur", on=AFTER)
    for doc, code in ((Document("virus.exe", b"MZ"), "call.document_type"),
                      (Document("projet.pdf", b"<html>"), "call.document_content"),
                      (Document("gros.pdf", PDF + b"0" * MB), "call.document_size")):
        with pytest.raises(InvalidInputError) as e:
            submit_application(payer, "aap-2027", app, summary="", documents=[doc], max_bytes=MB, actor="t", on=AFTER)
        assert e.value.code == code
    with pytest.raises(ConflictError) as e:
        submit_application(payer, "aap-2027", app, summary="", documents=[], max_bytes=MB, actor="t",
                           on=TIMETABLE.applications_end + dt.timedelta(days=1))
    assert e.value.code == "call.applications_closed"
    submit_application(payer, "aap-2027", app, summary="Un projet.", actor="web:operateur", max_bytes=MB, on=AFTER,
                       documents=[Document("C:\\dossier\\projet.pdf", PDF), Document("budget.docx", DOCX)])
    view = call_view(payer, "aap-2027", person_id=None)
    assert [(d.filename, d.sha256) for d in view.documents] == [
        ("projet.pdf", hashlib.sha256(PDF).hexdigest()), ("budget.docx", hashlib.sha256(DOCX).hexdigest())]
    assert view.summaries == {"horizon": "Un projet."}
    docs = [p for e, p in _events(payer) if e == "call.document_added"]
    assert [d["sha256"] for d in docs] == [hashlib.sha256(PDF).hexdigest(), hashlib.sha256(DOCX).hexdigest()]
    assert verify_ledger(payer).whole
    assert verify_audit(payer).problems == ()
    with payer.begin() as conn:  # a document's bytes changed behind Témoin's back: the audit sees it
        conn.execute(text("UPDATE gov_call_documents SET content = :c WHERE filename = 'projet.pdf'"),
                     {"c": PDF + b"%changed"})
    problems = verify_audit(payer).problems
    assert [(p.kind, p.ref) for p in problems] == [("call_document", "aap-2027/horizon/projet.pdf")]


def test_declarations_recuse_scores_and_the_decision_make_the_public_record(payer: Engine) -> None:
    _opened(payer)
    submit_application(payer, "aap-2027", Application("horizon", "horizon-familles", "Horizon"), summary="",
                       documents=[], max_bytes=MB, actor="t", on=AFTER)
    submit_application(payer, "aap-2027", Application("relais", "relais-asso", "Relais"), summary="",
                       documents=[], max_bytes=MB, actor="t", on=AFTER)
    for person in ("demo-observateur", "demo-benevole", "demo-expert"):
        for app in ("horizon", "relais"):
            conflict = person == "demo-expert" and app == "relais"
            declare_interests(payer, "aap-2027", Declaration(person, app, conflict, "ancien salarié" if conflict else ""),
                              actor=f"web:{person}")
    view = call_view(payer, "aap-2027", person_id=None)
    recused = {(r.person, r.application, r.reason) for r in view.state.recusals()}
    assert recused == {("demo-benevole", "horizon", "standing_interest"), ("demo-expert", "relais", "declared")}
    with pytest.raises(ConflictError) as e:
        record_scores(payer, "aap-2027", "demo-expert", "relais", {"impact": Decimal(5)}, actor="t")
    assert e.value.code == "call.recused"
    for person, app in (("demo-observateur", "horizon"), ("demo-observateur", "relais"), ("demo-benevole", "relais"),
                        ("demo-expert", "horizon")):
        record_scores(payer, "aap-2027", person, app, {"impact": Decimal(8), "faisabilite": Decimal(6)}, actor="t")
    record = decide_call(payer, "aap-2027", ["horizon"], "Le mieux noté.", "Ranked first.", actor="web:payeur")
    assert record["decision"]["selected"] == ["horizon"]
    assert call_view(payer, "aap-2027", person_id=None).stage is CallStage.DECIDED
    totals = {r["application"]: r["total"] for r in record["results"]}
    assert totals == {"horizon": "7.20", "relais": "7.20"}  # (3*8 + 2*6) / 5 for both
