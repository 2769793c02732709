"""Shared helpers for the calls tests (no tests here): a payer's draft and a site where it runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from temoin.governance.call_stages import CallTerms, Timetable
from temoin.governance.selection import Call, CommitteeMember, Criterion
from temoin.services.calls import CallDraft

DAY = dt.date(2027, 1, 10)
TIMETABLE = Timetable(DAY, DAY + dt.timedelta(days=20), DAY + dt.timedelta(days=50), DAY + dt.timedelta(days=70))
PAYER_PERSON = "demo-payeur"
COMMITTEE = (
    CommitteeMember("demo-observateur", "union-assos", "civil_society"),
    CommitteeMember("demo-benevole", "reseau-familles", "beneficiary", ("horizon-familles",)),
    CommitteeMember("demo-expert", "universite", "expert"),
)


def draft(call_id: str = "aap-2027", *, committee: tuple[CommitteeMember, ...] = COMMITTEE,
          weights: tuple[str, str] = ("3", "2"), timetable: Timetable = TIMETABLE) -> CallDraft:
    call = Call(call_id, "Appel 2027 : prévention", "Call 2027: prevention",
                (Criterion("impact", "Impact attendu", "Expected impact", Decimal(weights[0])),
                 Criterion("faisabilite", "Faisabilité", "Feasibility", Decimal(weights[1]))),
                committee, min_civil_society_seats=2, max_score=Decimal(10))
    terms = CallTerms("dept-nord", "Réduire les placements d'enfants.", Decimal("1500000"), "EUR", timetable)
    return CallDraft(call, terms)
