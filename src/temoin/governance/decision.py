"""Scoring and deciding a call: weighted aggregation, ranking, what is missing, the decision.

An application's score is, for each criterion, the mean of its non-recused members' scores, and
then the weighted mean over criteria: ``sum(w_c * mean_c) / sum(w_c)``.

>>> crit = (Criterion("impact", "Impact", "Impact", Decimal(2)), Criterion("cost", "Coût", "Cost", Decimal(1)))
>>> aggregate_scores(crit, {"impact": [Decimal(8), Decimal(6)], "cost": [Decimal(4)]})
Decimal('6')
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from temoin.errors import ConflictError, InvalidInputError
from temoin.governance.selection import (
    CallState,
    Criterion,
    Decision,
    civil_society_seats,
)
from temoin.messages import Msg

__all__ = ["ApplicationResult", "aggregate_scores", "decide", "departs_from_ranking", "missing_steps", "results"]



def aggregate_scores(criteria: tuple[Criterion, ...], by_criterion: dict[str, list[Decimal]]) -> Decimal | None:
    """Weighted mean over criteria of the mean score per criterion; ``None`` if a criterion has no score.

    Computed exactly (fractions), then rounded once to a Decimal: a single criterion's total is
    exactly its mean, and the total always lies between the lowest and highest criterion means.
    """
    total = Fraction(0)
    weights = Fraction(0)
    for c in criteria:
        values = by_criterion.get(c.id, [])
        if not values:
            return None
        total += Fraction(c.weight) * sum((Fraction(v) for v in values), Fraction(0)) / len(values)
        weights += Fraction(c.weight)
    exact = total / weights
    return Decimal(exact.numerator) / Decimal(exact.denominator)


@dataclass(frozen=True)
class ApplicationResult:
    application: str
    organisation: str
    title: str
    criterion_means: dict[str, Decimal | None]
    total: Decimal | None
    scorers: tuple[str, ...]
    recused: tuple[str, ...]
    civil_society_scorers: int
    rank: int | None = None


def results(state: CallState) -> list[ApplicationResult]:
    """Each application's criterion means and weighted total, ranked (best first; ties share a rank)."""
    recused = {(r.person, r.application) for r in state.recusals()}
    rows: list[ApplicationResult] = []
    for app in state.applications:
        by_c: dict[str, list[Decimal]] = {c.id: [] for c in state.call.criteria}
        for s in state.scores:
            if s.application == app.id and (s.person, app.id) not in recused:
                by_c[s.criterion].append(s.value)
        means = {cid: (sum(v, Decimal(0)) / len(v) if v else None) for cid, v in by_c.items()}
        scorers = tuple(m.person for m in state.call.committee if (m.person, app.id) not in recused)
        rec = tuple(m.person for m in state.call.committee if (m.person, app.id) in recused)
        cs = civil_society_seats([m for m in state.call.committee if m.person in scorers])
        rows.append(ApplicationResult(app.id, app.organisation, app.title, means,
                                      aggregate_scores(state.call.criteria, by_c), scorers, rec, cs))
    scored = sorted((r for r in rows if r.total is not None), key=lambda r: (-(r.total or 0), r.application))
    ranked: list[ApplicationResult] = []
    for i, r in enumerate(scored):
        rank = ranked[-1].rank if ranked and ranked[-1].total == r.total else i + 1
        ranked.append(ApplicationResult(**{**r.__dict__, "rank": rank}))
    return ranked + [r for r in rows if r.total is None]


def missing_steps(state: CallState) -> list[Msg]:
    """What must still be recorded before the decision, as messages."""
    out: list[Msg] = []
    if not state.applications:
        out.append(Msg("No application."))
    for app in state.applications:
        for m in state.call.committee:
            if state.declaration(m.person, app.id) is None:
                out.append(Msg("Declaration of interests by {person} for '{application}'.", person=m.person,
                               application=app.id))
                continue
            if state.recusal(m.person, app.id) is not None:
                continue
            done = {s.criterion for s in state.scores if s.person == m.person and s.application == app.id}
            todo = [c.id for c in state.call.criteria if c.id not in done]
            if todo:
                out.append(Msg("Scores by {person} for '{application}': {criteria}.", person=m.person,
                               application=app.id, criteria=", ".join(todo)))
        if all(state.recusal(m.person, app.id) is not None for m in state.call.committee):
            out.append(Msg("Every member is recused from '{application}': nobody can score it.", application=app.id))
    return out


def decide(state: CallState, decision: Decision) -> Decision:
    """Accept the decision when every declaration and score is in and reasons are given."""
    state._require_open(Msg("decide again"))
    missing = missing_steps(state)
    if missing:
        raise ConflictError(
            "call.incomplete",
            Msg("Cannot decide yet, still missing: {steps}{more}", steps=missing[:5],
                more=f" (+{len(missing) - 5})" if len(missing) > 5 else ""),
            hint=Msg("Collect every declaration and every score before deciding."),
        )
    for app_id in decision.selected:
        state.application(app_id)
    if len(set(decision.selected)) != len(decision.selected):
        raise InvalidInputError("call.duplicate_selection", Msg("An application is selected twice."), path="selected",
                                hint=Msg("Name each once."))
    if not decision.reasons_fr.strip() or not decision.reasons_en.strip():
        raise InvalidInputError("call.reasons", Msg("The decision must give its reasons (in French and English)."),
                                path="reasons", hint=Msg("Explain why these applications are selected and the others not."))
    return decision


def departs_from_ranking(state: CallState) -> bool:
    """True when the selection is not the best-ranked applications (shown publicly, with the reasons)."""
    if state.decision is None:
        return False
    ranked = [r for r in results(state) if r.total is not None]
    k = len(state.decision.selected)
    if k == 0:
        return False
    cutoff = ranked[k - 1].total if k <= len(ranked) else None
    if cutoff is None:
        return True
    must = {r.application for r in ranked if r.total is not None and r.total > cutoff}
    may = {r.application for r in ranked if r.total is not None and r.total >= cutoff}
    chosen = set(state.decision.selected)
    return not (must <= chosen <= may)
