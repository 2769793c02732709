"""The payer's call form, as a browser sends it, read into a :class:`~temoin.services.calls.CallDraft`.

Criteria and committee are written one per line, fields separated by ``|``:

* criterion: ``id | label in French | label in English | weight`` (the English label may be empty);
* member: ``person | organisation | seat | interests`` (interests: organisations, comma-separated).

Every refusal names the field (and the line) and says what to write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from temoin.errors import InvalidInputError
from temoin.governance.call_stages import CallTerms, Timetable
from temoin.governance.selection import Call, CommitteeMember, Criterion
from temoin.messages import Msg
from temoin.services.calls import CallDraft

LABELS = {
    "id": Msg("Identifier of the call (lower-case letters, digits, -)"), "title_fr": Msg("Title in French"),
    "title_en": Msg("Title in English (optional)"), "payer": Msg("Payer"), "objectives": Msg("Objectives"),
    "budget": Msg("Total budget"), "currency": Msg("Currency"), "consultation_start": Msg("Consultation: first day"),
    "consultation_end": Msg("Consultation: last day"), "applications_end": Msg("Applications: closing date"),
    "decision_date": Msg("Decision date"), "max_score": Msg("Highest score of a criterion"),
    "min_civil_society_seats": Msg("Civil-society seats required (associations, networks, people supported)"),
    "criteria": Msg("Selection criteria"), "committee": Msg("Selection committee"),
}
"""Each field by the words of its label on the form (an error names the field as the reader sees it)."""


def _label(name: str) -> Msg | str:
    return LABELS.get(name, name)


FIELDS = ("id", "title_fr", "title_en", "payer", "objectives", "budget", "currency", "consultation_start",
          "consultation_end", "applications_end", "decision_date", "min_civil_society_seats", "max_score",
          "criteria", "committee")


def _text(form: Mapping[str, str], name: str, *, limit: int = 300, required: bool = True) -> str:
    value = str(form.get(name) or "").strip()
    if required and not value:
        raise InvalidInputError("call.form_missing", Msg("The field '{field}' is empty.", field=_label(name)), path=name,
                                hint=Msg("Fill it in."))
    if len(value) > limit:
        raise InvalidInputError("call.form_length", Msg("The field '{field}' is too long ({n} characters).",
                                                        field=_label(name), n=len(value)), path=name,
                                hint=Msg("At most {n} characters.", n=limit))
    return value


def parse_decimal(value: str, name: str) -> Decimal:
    cleaned = value.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInputError("call.form_number", Msg("Not a number in '{field}': '{value}'.", field=_label(name),
                                                        value=value[:40]), path=name,
                                hint=Msg("Write digits, e.g. 1500000 or 2,5.")) from None
    if not number.is_finite():
        raise InvalidInputError("call.form_number", Msg("Not a number in '{field}': '{value}'.", field=_label(name),
                                                        value=value[:40]), path=name,
                                hint=Msg("Write digits, e.g. 1500000 or 2,5."))
    return number


def _date(form: Mapping[str, str], name: str) -> dt.date:
    value = _text(form, name, limit=10)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("call.form_date", Msg("Not a date in '{field}': '{value}'.", field=_label(name),
                                                      value=value[:20]), path=name,
                                hint=Msg("Write the date as 2027-01-31 (the date picker does it).")) from None


def _lines(form: Mapping[str, str], name: str) -> list[tuple[int, list[str]]]:
    text = _text(form, name, limit=20_000)
    return [(n, [p.strip() for p in line.split("|")]) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _criteria(form: Mapping[str, str]) -> tuple[Criterion, ...]:
    out = []
    for n, parts in _lines(form, "criteria"):
        if len(parts) != 4 or not parts[0] or not parts[1]:
            raise InvalidInputError("call.form_criterion", Msg("Line {line} of the criteria does not read "
                                                               "'id | label in French | label in English | weight'.",
                                                               line=n), path="criteria",
                                    hint=Msg("For example: impact | Impact attendu | Expected impact | 3"))
        out.append(Criterion(parts[0], parts[1], parts[2] or parts[1], parse_decimal(parts[3], "criteria")))
    return tuple(out)


def _committee(form: Mapping[str, str]) -> tuple[CommitteeMember, ...]:
    out = []
    for n, parts in _lines(form, "committee"):
        if len(parts) not in (3, 4) or not all(parts[:3]):
            raise InvalidInputError("call.form_member", Msg("Line {line} of the committee does not read "
                                                            "'person | organisation | seat | interests'.", line=n),
                                    path="committee",
                                    hint=Msg("For example: demo-observateur | union-assos | civil_society"))
        interests = tuple(i.strip() for i in (parts[3] if len(parts) == 4 else "").split(",") if i.strip())
        out.append(CommitteeMember(parts[0], parts[1], parts[2], interests))
    return tuple(out)


def draft_from_form(form: Mapping[str, str]) -> CallDraft:
    """The draft a form describes (the domain's own rules are checked by the service)."""
    seats = _text(form, "min_civil_society_seats", limit=3)
    if not seats.isdigit():
        raise InvalidInputError("call.form_number", Msg("Not a number in '{field}': '{value}'.",
                                                        field=_label("min_civil_society_seats"), value=seats[:40]),
                                path="min_civil_society_seats", hint=Msg("Give 0 or more (2 recommended)."))
    call = Call(_text(form, "id", limit=80), _text(form, "title_fr"), _text(form, "title_en", required=False)
                or _text(form, "title_fr"), _criteria(form), _committee(form), min_civil_society_seats=int(seats),
                max_score=parse_decimal(_text(form, "max_score", limit=10), "max_score"))
    timetable = Timetable(_date(form, "consultation_start"), _date(form, "consultation_end"),
                          _date(form, "applications_end"), _date(form, "decision_date"))
    currency = _text(form, "currency", limit=3, required=False).upper() or "EUR"
    terms = CallTerms(_text(form, "payer", limit=80), _text(form, "objectives", limit=8000),
                      parse_decimal(_text(form, "budget", limit=30), "budget"), currency, timetable)
    return CallDraft(call, terms)


def form_of(draft: CallDraft) -> dict[str, str]:
    """The form that describes ``draft`` (to edit it)."""
    c, t = draft.call, draft.terms
    return {
        "id": c.id, "title_fr": c.title_fr, "title_en": c.title_en, "payer": t.payer, "objectives": t.objectives,
        "budget": format(t.budget, "f"), "currency": t.currency,
        "consultation_start": t.timetable.consultation_start.isoformat(),
        "consultation_end": t.timetable.consultation_end.isoformat(),
        "applications_end": t.timetable.applications_end.isoformat(),
        "decision_date": t.timetable.decision_date.isoformat(),
        "min_civil_society_seats": str(c.min_civil_society_seats), "max_score": format(c.max_score, "f"),
        "criteria": "\n".join(f"{k.id} | {k.label_fr} | {k.label_en} | {format(k.weight, 'f')}" for k in c.criteria),
        "committee": "\n".join(f"{m.person} | {m.organisation} | {m.seat}" + (f" | {', '.join(m.interests)}"
                                                                              if m.interests else "")
                               for m in c.committee),
    }
