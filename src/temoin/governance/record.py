"""The public record of a decided call: criteria, committee, declarations, recusals, scores, reasons.

Before the decision only the progress is shown (how many declarations and scores are in), so that
no partial score can weigh on members still scoring. After it, everything is public: this is the
open, non-opaque process civil society asked for.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from temoin.errors import ConflictError
from temoin.governance.decision import departs_from_ranking, missing_steps, results
from temoin.governance.selection import CallState, CallStatus, recusal_words
from temoin.messages import Msg


def _iso(moment: dt.datetime | None) -> str | None:
    """UTC, to the second: the same text whether the database hands back an aware or a naive time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _num(d: object) -> str | None:
    return None if d is None else format(d, "f")


def _round2(d: object) -> str | None:
    if d is None:
        return None
    return format(Decimal(str(d)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def progress(state: CallState) -> dict[str, Any]:
    """What anyone may see while the call is open."""
    c = state.call
    return {
        "call": c.id,
        "title": {"fr": c.title_fr, "en": c.title_en},
        "contract": c.contract_id,
        "status": CallStatus.DECIDED if state.decided else CallStatus.OPEN,
        "criteria": [{"id": k.id, "label": {"fr": k.label_fr, "en": k.label_en}, "weight": _num(k.weight)}
                     for k in c.criteria],
        "committee": [{"person": m.person, "organisation": m.organisation, "seat": m.seat} for m in c.committee],
        "min_civil_society_seats": c.min_civil_society_seats,
        "max_score": _num(c.max_score),
        "applications": [{"id": a.id, "organisation": a.organisation, "title": a.title} for a in state.applications],
        "declarations_recorded": len(state.declarations),
        "scores_recorded": len(state.scores),
        "missing": [m.to_dict() for m in missing_steps(state)],
    }


def public_record(state: CallState) -> dict[str, Any]:
    """The full record of a decided call (refused while the call is open)."""
    if state.decision is None:
        raise ConflictError(
            "call.not_decided",
            Msg("Call {id} is not decided yet: its full record becomes public after the decision.", id=state.call.id),
            hint=Msg("See the call's progress on its page."),
        )
    out = progress(state)
    d = state.decision
    out["declarations"] = [
        {"person": x.person, "application": x.application, "conflict": x.conflict, "nature": x.nature,
         "declared_at": _iso(x.declared_at)}
        for x in state.declarations
    ]
    out["recusals"] = []
    for r in state.recusals():
        out["recusals"].append({"person": r.person, "application": r.application, "reason": r.reason,
                                "explanation": recusal_words(r).to_dict()})
    out["scores"] = [{"person": s.person, "application": s.application, "criterion": s.criterion,
                      "value": _num(s.value)} for s in state.scores]
    out["results"] = [
        {"application": r.application, "organisation": r.organisation, "title": r.title, "rank": r.rank,
         "total": _round2(r.total), "criterion_means": {k: _round2(v) for k, v in r.criterion_means.items()},
         "scorers": list(r.scorers), "recused": list(r.recused),
         "civil_society_scorers": r.civil_society_scorers,
         "below_composition_rule": r.civil_society_scorers < state.call.min_civil_society_seats}
        for r in results(state)
    ]
    out["decision"] = {
        "selected": list(d.selected),
        "reasons": {"fr": d.reasons_fr, "en": d.reasons_en},
        "decided_by": d.decided_by,
        "decided_at": _iso(d.decided_at),
        "departs_from_ranking": departs_from_ranking(state),
    }
    return out
