"""A call for projects before its applications: the payer's draft, its public consultation, its
timetable, and the rules of each step (pure: the services persist what these functions accept).

The stages, in order (civil society asked for a concertation before the call):

* ``draft``: the payer writes the call (objectives, criteria and weights, budget, timetable,
  committee); only the payer sees it and may change it;
* ``consultation``: the draft is public; registered networks and the public comment, the payer
  answers every comment; the call no longer changes;
* ``open``: operators apply, until the applications' closing date; the committee declares its
  interests and scores (:mod:`temoin.governance.selection`);
* ``decided``: the decision is recorded and the record is public.

A call opens for applications only once its consultation period has ended **and** every comment
has its answer: a consultation whose questions go unanswered is no consultation.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from temoin.errors import ConflictError, InvalidInputError
from temoin.messages import Msg

MAX_COMMENT = 4000
MAX_NAME = 200
MAX_ANSWER = 4000
MAX_OBJECTIVES = 8000
COMMENTS_PER_HOUR = 5
"""Comments one sender (address or account) may post to one call in an hour."""


class CallStage(StrEnum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    OPEN = "open"
    DECIDED = "decided"


@dataclass(frozen=True)
class Timetable:
    """The call's dates (all inclusive): consultation from ``consultation_start`` to
    ``consultation_end``, applications until ``applications_end``, decision on ``decision_date``."""

    consultation_start: dt.date
    consultation_end: dt.date
    applications_end: dt.date
    decision_date: dt.date


@dataclass(frozen=True)
class CallTerms:
    """What the payer writes beside the criteria and the committee."""

    payer: str
    objectives: str
    budget: Decimal
    currency: str
    timetable: Timetable


DATE_NAMES = {
    "consultation_start": Msg("the consultation's first day"),
    "consultation_end": Msg("the consultation's last day"),
    "applications_end": Msg("the applications' closing date"),
    "decision_date": Msg("the decision date"),
}


def validate_terms(terms: CallTerms) -> None:
    """Refuse empty objectives, a budget that is not a positive amount, or dates out of order."""
    if not terms.objectives.strip():
        raise InvalidInputError("call.objectives", Msg("The call states no objectives."), path="objectives",
                                hint=Msg("Say what the call wants to achieve, for whom."))
    if len(terms.objectives) > MAX_OBJECTIVES:
        raise InvalidInputError("call.objectives_length", Msg("Objectives too long ({n} characters).",
                                                              n=len(terms.objectives)), path="objectives",
                                hint=Msg("At most {n} characters.", n=MAX_OBJECTIVES))
    if not terms.budget.is_finite() or terms.budget <= 0:
        raise InvalidInputError("call.budget", Msg("Invalid budget: {budget} (it must be a positive amount).",
                                                   budget=terms.budget), path="budget",
                                hint=Msg("Give the call's total budget, e.g. 1500000."))
    t = terms.timetable
    steps = [("consultation_start", t.consultation_start), ("consultation_end", t.consultation_end),
             ("applications_end", t.applications_end), ("decision_date", t.decision_date)]
    for (first, a), (second, b) in itertools.pairwise(steps):
        if b < a if first == "consultation_start" else b <= a:
            raise InvalidInputError("call.timetable", Msg("The timetable is out of order: {second} ({b}) comes "
                                                          "before {first} ({a}).", first=DATE_NAMES[first],
                                                          second=DATE_NAMES[second], a=a, b=b),
                                    path=second, hint=Msg("Dates follow each other: consultation, then applications, "
                                                          "then the decision."))


def require_stage(stage: CallStage, allowed: CallStage, call_id: str, action: Msg) -> None:
    if stage is not allowed:
        raise ConflictError("call.stage", Msg("Call {id} is at the stage '{stage}': cannot {action}.", id=call_id,
                                              stage=stage, action=action),
                            path="stage", hint=Msg("This is done at the stage '{allowed}'.", allowed=allowed))


def check_publish(stage: CallStage, call_id: str, timetable: Timetable, today: dt.date) -> None:
    """A draft is published (its consultation begins) no later than the consultation's last day."""
    require_stage(stage, CallStage.DRAFT, call_id, Msg("publish it"))
    if today > timetable.consultation_end:
        raise ConflictError("call.consultation_past", Msg("The consultation period ended on {end}: the draft "
                                                          "cannot be published for it.", end=timetable.consultation_end),
                            path="consultation_end", hint=Msg("Edit the draft's timetable first."))


def consultation_is_open(timetable: Timetable, today: dt.date) -> bool:
    return timetable.consultation_start <= today <= timetable.consultation_end


def check_comment(stage: CallStage, call_id: str, timetable: Timetable, today: dt.date, *, name: str,
                  body: str, recent: int) -> None:
    """A comment is accepted during the consultation period, with a name or an organisation, a body
    of at most ``MAX_COMMENT`` characters, and fewer than ``COMMENTS_PER_HOUR`` from the same sender
    in the last hour (``recent``)."""
    require_stage(stage, CallStage.CONSULTATION, call_id, Msg("comment"))
    if not consultation_is_open(timetable, today):
        raise ConflictError("call.consultation_closed", Msg("The consultation runs from {start} to {end}: comments "
                                                            "are not taken today.", start=timetable.consultation_start,
                                                            end=timetable.consultation_end), path="body")
    if not name.strip():
        raise InvalidInputError("call.comment_name", Msg("A comment needs a name or an organisation."), path="name",
                                hint=Msg("Say who is commenting (a person or a network)."))
    if len(name) > MAX_NAME:
        raise InvalidInputError("call.comment_name_length", Msg("Name too long ({n} characters).", n=len(name)),
                                path="name", hint=Msg("At most {n} characters.", n=MAX_NAME))
    if not body.strip():
        raise InvalidInputError("call.comment_empty", Msg("The comment is empty."), path="body",
                                hint=Msg("Write your comment on the draft."))
    if len(body) > MAX_COMMENT:
        raise InvalidInputError("call.comment_length", Msg("Comment too long ({n} characters).", n=len(body)),
                                path="body", hint=Msg("At most {n} characters.", n=MAX_COMMENT))
    if recent >= COMMENTS_PER_HOUR:
        raise ConflictError("call.comment_rate", Msg("Too many comments from you on this call in the last hour."),
                            path="body", hint=Msg("Wait an hour, or gather your remarks in one comment."))


def check_answer(stage: CallStage, call_id: str, text: str, already: bool) -> None:
    if stage not in (CallStage.CONSULTATION, CallStage.OPEN):
        require_stage(stage, CallStage.CONSULTATION, call_id, Msg("answer a comment"))
    if already:
        raise ConflictError("call.answered", Msg("This comment has already been answered."), path="answer",
                            hint=Msg("A published answer is not changed."))
    if not text.strip():
        raise InvalidInputError("call.answer_empty", Msg("The answer is empty."), path="answer",
                                hint=Msg("Write the payer's answer to the comment."))
    if len(text) > MAX_ANSWER:
        raise InvalidInputError("call.answer_length", Msg("Answer too long ({n} characters).", n=len(text)),
                                path="answer", hint=Msg("At most {n} characters.", n=MAX_ANSWER))


def check_open(stage: CallStage, call_id: str, timetable: Timetable, today: dt.date, unanswered: int) -> None:
    """Applications open only after the consultation has ended and every comment has its answer."""
    require_stage(stage, CallStage.CONSULTATION, call_id, Msg("open it for applications"))
    if today <= timetable.consultation_end:
        raise ConflictError("call.consultation_running", Msg("The consultation runs until {end}: the call cannot "
                                                             "open for applications before it has ended.",
                                                             end=timetable.consultation_end), path="stage",
                            hint=Msg("Open the call from {day}.", day=timetable.consultation_end + dt.timedelta(days=1)))
    if unanswered:
        raise ConflictError("call.unanswered", Msg("{n} comment(s) of the consultation have no answer yet.",
                                                   n=unanswered), path="stage",
                            hint=Msg("Answer every comment: the answers are published with the call."))


def check_application_date(call_id: str, timetable: Timetable | None, today: dt.date) -> None:
    if timetable is not None and today > timetable.applications_end:
        raise ConflictError("call.applications_closed", Msg("Applications to call {id} closed on {end}.", id=call_id,
                                                            end=timetable.applications_end), path="application")
