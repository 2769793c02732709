"""Calls for projects: weighted criteria, a committee with a composition rule, conflict-of-interest
declarations with automatic recusal, weighted scores, and a reasoned decision.

Everything here is pure: a :class:`CallState` is the whole record of one call, and each function
either returns what to record or raises a :class:`~temoin.errors.TemoinError` that says what is
wrong and what to do. The store and the services persist what these functions accept.

The rules, as civil society asked for them (Uniopss):

* the committee must hold at least ``min_civil_society_seats`` seats of civil society
  (``civil_society`` or ``beneficiary`` seats, as in the contract safeguard S06);
* every member declares, for every application, whether they have a conflict of interest;
* a member is recused from an application when they declare a conflict, when their own
  organisation is the applicant, or when a standing interest of theirs names the applicant;
  a recused member's score is refused;
* an application's score is, for each criterion, the mean of its non-recused members' scores, and
  then the weighted mean over criteria: ``sum(w_c * mean_c) / sum(w_c)``;
* the decision needs every declaration and every score, and reasons; after it, the call is frozen
  and its record (criteria, committee, recusals, scores, reasons) is public.

Aggregation and the decision are in :mod:`temoin.governance.decision`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.messages import Msg

CIVIL_SOCIETY_SEATS: frozenset[str] = frozenset({"civil_society", "beneficiary"})
SEATS: frozenset[str] = frozenset(
    {"civil_society", "beneficiary", "payer", "operator", "investor", "evaluator", "expert"}
)
RecusalReason = Literal["declared", "own_organisation", "standing_interest"]


class CallStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


@dataclass(frozen=True)
class Criterion:
    id: str
    label_fr: str
    label_en: str
    weight: Decimal


@dataclass(frozen=True)
class CommitteeMember:
    person: str
    organisation: str
    seat: str
    interests: tuple[str, ...] = ()
    """Organisations this member has a standing interest in (from their general declaration)."""


@dataclass(frozen=True)
class Application:
    id: str
    organisation: str
    title: str


@dataclass(frozen=True)
class Declaration:
    person: str
    application: str
    conflict: bool
    nature: str = ""
    declared_at: dt.datetime | None = None


@dataclass(frozen=True)
class Score:
    person: str
    application: str
    criterion: str
    value: Decimal


@dataclass(frozen=True)
class Decision:
    selected: tuple[str, ...]
    reasons_fr: str
    reasons_en: str
    decided_by: str
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class Call:
    id: str
    title_fr: str
    title_en: str
    criteria: tuple[Criterion, ...]
    committee: tuple[CommitteeMember, ...]
    min_civil_society_seats: int = 2
    max_score: Decimal = Decimal(10)
    contract_id: str | None = None


@dataclass(frozen=True)
class Recusal:
    person: str
    application: str
    reason: RecusalReason
    nature: str


@dataclass
class CallState:
    """The whole record of a call: its definition and everything recorded since."""

    call: Call
    applications: list[Application] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    decision: Decision | None = None
    stage: str = "open"
    """``draft``, ``consultation``, ``open`` or ``decided`` (:class:`temoin.governance.call_stages.CallStage`);
    calls made whole from a file (by the command line) are open from the start."""

    @property
    def decided(self) -> bool:
        return self.decision is not None

    def member(self, person: str) -> CommitteeMember:
        m = next((m for m in self.call.committee if m.person == person), None)
        if m is None:
            names = ", ".join(x.person for x in self.call.committee)
            raise NotFoundError(
                "call.unknown_member",
                Msg("'{person}' does not sit on the committee of call {id}.", person=person, id=self.call.id),
                path="member",
                hint=Msg("Members: {names}.", names=names),
            )
        return m

    def application(self, app_id: str) -> Application:
        a = next((a for a in self.applications if a.id == app_id), None)
        if a is None:
            known = ", ".join(x.id for x in self.applications) or "—"
            raise NotFoundError(
                "call.unknown_application",
                Msg("Unknown application in call {id}: '{app_id}'.", id=self.call.id, app_id=app_id),
                path="application",
                hint=Msg("Applications: {known}.", known=known),
            )
        return a

    def declaration(self, person: str, app_id: str) -> Declaration | None:
        return next((d for d in self.declarations if d.person == person and d.application == app_id), None)

    def recusal(self, person: str, app_id: str) -> Recusal | None:
        """Why ``person`` may not score ``app_id``, or ``None`` when they may."""
        member = self.member(person)
        app = self.application(app_id)
        decl = self.declaration(person, app_id)
        if decl is not None and decl.conflict:
            return Recusal(person, app_id, "declared", decl.nature)
        if member.organisation == app.organisation:
            return Recusal(person, app_id, "own_organisation", member.organisation)
        if app.organisation in member.interests:
            return Recusal(person, app_id, "standing_interest", app.organisation)
        return None

    def recusals(self) -> list[Recusal]:
        out = []
        for app in self.applications:
            for m in self.call.committee:
                r = self.recusal(m.person, app.id)
                if r is not None:
                    out.append(r)
        return out

    def _require_open(self, action: Msg) -> None:
        if self.decided:
            raise ConflictError(
                "call.decided",
                Msg("Call {id} has been decided: cannot {action}.", id=self.call.id, action=action),
                hint=Msg("A decided call's record is frozen and public; open a new call if needed."),
            )


# --- definition ----------------------------------------------------------------------------------


def civil_society_seats(members: tuple[CommitteeMember, ...] | list[CommitteeMember]) -> int:
    return sum(1 for m in members if m.seat in CIVIL_SOCIETY_SEATS)


IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")


def _check_identifier(value: str, path: str) -> None:
    if not IDENTIFIER.match(value):
        raise InvalidInputError("call.identifier", Msg("Invalid identifier: '{value}'.", value=value), path=path, hint=Msg("Use lower-case letters, digits, - and _ (80 characters at most)."))


def validate_call(call: Call) -> None:
    """Refuse a call whose criteria, weights or committee break the rules (composition rule included)."""
    _check_identifier(call.id, "id")
    if not call.criteria:
        raise InvalidInputError("call.no_criteria", Msg("The call has no selection criteria."), path="criteria", hint=Msg("Add at least one criterion with its weight."))
    seen: set[str] = set()
    for i, c in enumerate(call.criteria):
        if c.id in seen:
            raise InvalidInputError("call.duplicate_criterion", Msg("Duplicate criterion: '{id}'.", id=c.id), path=f"criteria[{i}].id", hint=Msg("Give each criterion a unique id."))
        seen.add(c.id)
        _check_identifier(c.id, f"criteria[{i}].id")
        if not c.weight.is_finite() or c.weight <= 0:
            raise InvalidInputError("call.weight", Msg("Invalid weight for criterion '{id}': {weight} (it must be strictly positive).", id=c.id, weight=c.weight), path=f"criteria[{i}].weight", hint=Msg("Remove the criterion rather than giving it a zero weight."))
    if call.max_score <= 0:
        raise InvalidInputError("call.max_score", Msg("Invalid maximum score: {max_score}.", max_score=call.max_score), path="max_score", hint=Msg("Use for example 10 or 20."))
    if call.min_civil_society_seats < 0:
        raise InvalidInputError("call.min_seats", Msg("The minimum number of seats cannot be negative."), path="min_civil_society_seats", hint=Msg("Give 0 or more (2 recommended)."))
    people: set[str] = set()
    for i, m in enumerate(call.committee):
        if m.seat not in SEATS:
            raise InvalidInputError("call.seat", Msg("Unknown seat: '{seat}'.", seat=m.seat), path=f"committee[{i}].seat", hint=Msg("Possible seats: {v1}.", v1=', '.join(sorted(SEATS))))
        if m.person in people:
            raise InvalidInputError("call.duplicate_member", Msg("'{person}' sits twice on the committee.", person=m.person), path=f"committee[{i}].person", hint=Msg("A member holds one seat only."))
        people.add(m.person)
    seats = civil_society_seats(call.committee)
    if not call.committee or seats < call.min_civil_society_seats:
        raise InvalidInputError("call.composition", Msg("The committee has {seats} civil-society or beneficiary seat(s); its composition rule requires at least {min_civil_society_seats}.", seats=seats, min_civil_society_seats=call.min_civil_society_seats), path="committee", hint=Msg("Add members on civil_society or beneficiary seats (associations, networks, people supported)."))


# --- actions -------------------------------------------------------------------------------------


def add_application(state: CallState, app: Application) -> Application:
    state._require_open(Msg("add an application"))
    if state.stage != "open":
        raise ConflictError("call.not_open", Msg("Call {id} is not open for applications yet.", id=state.call.id),
                            path="application", hint=Msg("Applications open after the public consultation."))
    if not app.id or not app.organisation or not app.title.strip():
        raise InvalidInputError("call.application", Msg("An application needs an id, an organisation and a title."), path="application", hint=Msg("Complete it."))
    _check_identifier(app.id, "application")
    if any(a.id == app.id for a in state.applications):
        raise ConflictError("call.duplicate_application", Msg("Application '{id}' already exists.", id=app.id), path="application",
                            hint=Msg("Choose another id."))
    return app


def add_declaration(state: CallState, decl: Declaration) -> tuple[Declaration, list[Score]]:
    """Accept a declaration; returns it and the scores it voids.

    A member declares once per application. The only change accepted afterwards is to declare a
    conflict not declared before: the member is then recused, and their scores for that application
    are voided (returned so the store deletes them and the ledger records it). Withdrawing a
    declared conflict is refused: a recusal is final.
    """
    state._require_open(Msg("record a declaration"))
    state.member(decl.person)
    state.application(decl.application)
    if decl.conflict and not decl.nature.strip():
        raise InvalidInputError("call.conflict_nature", Msg("A declared conflict of interest must be described."), path="nature", hint=Msg("State its nature, e.g. 'board member of the applicant association'."))
    before = state.declaration(decl.person, decl.application)
    if before is None:
        return decl, []
    if before.conflict or not decl.conflict:
        raise ConflictError(
            "call.already_declared",
            Msg("{person} has already declared for '{application}' (conflict declared: the recusal is final).",
                person=decl.person, application=decl.application) if before.conflict else
            Msg("{person} has already declared for '{application}'.", person=decl.person, application=decl.application),
            path="declaration",
            hint=Msg("Only adding a conflict not declared before is accepted afterwards."),
        )
    voided = [s for s in state.scores if s.person == decl.person and s.application == decl.application]
    return decl, voided


def add_score(state: CallState, score: Score) -> Score:
    """Accept one member's score for one criterion of one application, or say why not."""
    state._require_open(Msg("score"))
    state.member(score.person)
    state.application(score.application)
    if not any(c.id == score.criterion for c in state.call.criteria):
        known = ", ".join(c.id for c in state.call.criteria)
        raise NotFoundError("call.unknown_criterion", Msg("Unknown criterion: '{criterion}'.", criterion=score.criterion), path="criterion",
                            hint=Msg("Criteria: {known}.", known=known))
    recusal = state.recusal(score.person, score.application)
    if recusal is not None:
        raise ConflictError(
            "call.recused",
            Msg("{person} is recused from '{application}' ({why}): the score is refused.", person=score.person,
                application=score.application, why=recusal_words(recusal)),
            path="score",
            hint=Msg("The other committee members score this application."),
        )
    if state.declaration(score.person, score.application) is None:
        raise ConflictError(
            "call.declaration_missing",
            Msg("{person} has not yet declared their interests for '{application}'.", person=score.person, application=score.application),
            path="score",
            hint=Msg("Record their declaration of interests first."),
        )
    if not score.value.is_finite() or not (0 <= score.value <= state.call.max_score):
        raise InvalidInputError("call.score_range", Msg("Score out of range: {value} (0 to {max_score}).", value=score.value, max_score=state.call.max_score), path="value", hint=Msg("Give a score within the call's scale."))
    if any(s.person == score.person and s.application == score.application and s.criterion == score.criterion
           for s in state.scores):
        raise ConflictError("call.already_scored",
                            Msg("{person} has already scored '{application}' on '{criterion}'.", person=score.person, application=score.application, criterion=score.criterion),
                            path="score", hint=Msg("A recorded score is not changed."))
    return score


def recusal_words(r: Recusal) -> Msg:
    """Why a member is recused, as a message."""
    if r.reason == "declared":
        return Msg("conflict of interest in the member's declaration for this application: {nature}", nature=r.nature)
    if r.reason == "own_organisation":
        return Msg("member of the applicant organisation {organisation}", organisation=r.nature)
    return Msg("standing interest in {organisation}, recorded in the committee's composition", organisation=r.nature)
