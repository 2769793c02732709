"""Calls for projects, pure rules: composition, declarations, automatic recusal, weighted scores, decision."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.governance.calls_io import parse_call
from temoin.governance.decision import decide, departs_from_ranking, results
from temoin.governance.record import progress, public_record
from temoin.governance.selection import (
    Application,
    Call,
    CallState,
    CommitteeMember,
    Criterion,
    Decision,
    Declaration,
    Score,
    add_declaration,
    add_score,
    validate_call,
)
from temoin.i18n import Translator

D = Decimal
CRITERIA = (Criterion("besoins", "Besoins", "Needs", D(3)), Criterion("evaluation", "Évaluation", "Evaluation", D(2)),
            Criterion("cout", "Coût", "Cost", D(1)))
COMMITTEE = (
    CommitteeMember("Claire", "dept", "payer"),
    CommitteeMember("Karim", "union", "civil_society", ("horizon-org",)),
    CommitteeMember("Sophie", "collectif", "beneficiary"),
    CommitteeMember("Jean", "labo", "expert"),
)


def _state() -> CallState:
    call = Call("appel", "Appel", "Call", CRITERIA, COMMITTEE, min_civil_society_seats=2)
    validate_call(call)
    st = CallState(call)
    st.applications = [Application("a1", "horizon-org", "Horizon"), Application("a2", "passerelle", "Passerelle"),
                       Application("a3", "dept", "Régie départementale")]
    return st


def _declare_all(st: CallState, conflicts: dict[tuple[str, str], str] | None = None) -> None:
    conflicts = conflicts or {}
    for app in st.applications:
        for m in st.call.committee:
            nature = conflicts.get((m.person, app.id), "")
            d, _ = add_declaration(st, Declaration(m.person, app.id, bool(nature), nature))
            st.declarations.append(d)


def _score(st: CallState, person: str, app: str, values: tuple[int, int, int]) -> None:
    for c, v in zip(CRITERIA, values, strict=True):
        st.scores.append(add_score(st, Score(person, app, c.id, D(v))))


def test_committee_breaking_its_composition_rule_is_refused() -> None:
    members = (CommitteeMember("Claire", "dept", "payer"), CommitteeMember("Karim", "union", "civil_society"),
               CommitteeMember("Anne", "bank", "investor"))
    with pytest.raises(InvalidInputError) as info:
        validate_call(Call("c", "C", "C", CRITERIA, members, min_civil_society_seats=2))
    assert info.value.code == "call.composition"
    assert "1" in info.value.message() and "2" in info.value.message()
    # A beneficiary seat counts as civil society (as in the contract safeguard S06).
    validate_call(Call("c", "C", "C", CRITERIA, (*members, CommitteeMember("Sophie", "coll", "beneficiary")), 2))


@pytest.mark.parametrize("weight", ["0", "-1", "NaN"])
def test_criteria_weights_must_be_positive(weight: str) -> None:
    bad = (Criterion("x", "X", "X", D(weight)),)
    with pytest.raises(InvalidInputError) as info:
        validate_call(Call("c", "C", "C", bad, COMMITTEE))
    assert info.value.code == "call.weight" and info.value.path == "criteria[0].weight"


def test_recusal_is_automatic_for_declared_conflicts_own_organisation_and_standing_interests() -> None:
    st = _state()
    _declare_all(st, {("Jean", "a2"): "co-auteur du projet"})
    reasons = {(r.person, r.application): r.reason for r in st.recusals()}
    assert reasons == {("Karim", "a1"): "standing_interest",  # declared interest in the applicant
                       ("Jean", "a2"): "declared",
                       ("Claire", "a3"): "own_organisation"}  # the payer's own department applies


def test_a_recused_member_cannot_score() -> None:
    st = _state()
    _declare_all(st, {("Jean", "a2"): "co-auteur du projet"})
    for person, app in [("Jean", "a2"), ("Karim", "a1"), ("Claire", "a3")]:
        with pytest.raises(ConflictError) as info:
            add_score(st, Score(person, app, "besoins", D(5)))
        assert info.value.code == "call.recused"
        assert person in Translator("fr").error_message(info.value) and app in info.value.message()


def test_a_score_needs_a_declaration_first_and_a_value_on_the_scale() -> None:
    st = _state()
    with pytest.raises(ConflictError, match="declared"):
        add_score(st, Score("Sophie", "a2", "besoins", D(5)))
    _declare_all(st)
    for bad in ("11", "-0.5"):
        with pytest.raises(InvalidInputError) as info:
            add_score(st, Score("Sophie", "a2", "besoins", D(bad)))
        assert info.value.code == "call.score_range"
    with pytest.raises(NotFoundError):
        add_score(st, Score("Sophie", "a2", "prix", D(5)))
    with pytest.raises(NotFoundError):
        add_score(st, Score("Mallory", "a2", "besoins", D(5)))


def test_late_conflict_voids_the_members_scores_and_a_recusal_cannot_be_withdrawn() -> None:
    st = _state()
    _declare_all(st)
    _score(st, "Sophie", "a2", (7, 7, 7))
    decl, voided = add_declaration(st, Declaration("Sophie", "a2", True, "sœur salariée du candidat"))
    assert len(voided) == 3 and decl.conflict
    st.declarations = [d for d in st.declarations if (d.person, d.application) != ("Sophie", "a2")] + [decl]
    with pytest.raises(ConflictError, match="final"):
        add_declaration(st, Declaration("Sophie", "a2", False))
    with pytest.raises(InvalidInputError):
        add_declaration(st, Declaration("Jean", "a1", True, "  "))


def _full_call() -> CallState:
    st = _state()
    _declare_all(st)
    grid = {("Claire", "a1"): (8, 6, 5), ("Sophie", "a1"): (9, 7, 4), ("Jean", "a1"): (7, 8, 6),
            ("Claire", "a2"): (6, 6, 9), ("Karim", "a2"): (5, 7, 8), ("Sophie", "a2"): (6, 5, 7), ("Jean", "a2"): (7, 6, 8),
            ("Karim", "a3"): (4, 3, 6), ("Sophie", "a3"): (5, 4, 5), ("Jean", "a3"): (3, 3, 7)}
    for (person, app), values in grid.items():
        _score(st, person, app, values)
    return st


def test_weighted_scores_match_an_independent_computation() -> None:
    st = _full_call()
    got = {r.application: r.total for r in results(st)}
    # Hand-worked for a1: means 8, 7, 5 -> (3*8 + 2*7 + 1*5) / 6 = 43/6.
    assert got["a1"] == D(43) / D(6)
    # numpy: per-criterion mean of non-recused scores, then a weighted average over criteria.
    for app in ("a1", "a2", "a3"):
        m = np.array([[float(s.value) for s in st.scores if s.application == app and s.criterion == c.id]
                      for c in CRITERIA], dtype=object)
        means = [np.mean(row) for row in m]
        expected = np.average(means, weights=[3, 2, 1])
        np.testing.assert_allclose(float(got[app] or 0), expected, rtol=1e-12, err_msg=f"weighted total of {app}")
    ranks = [(r.application, r.rank) for r in results(st)]
    assert ranks == [("a1", 1), ("a2", 2), ("a3", 3)]


def test_decision_needs_every_declaration_and_score_and_reasons() -> None:
    st = _state()
    _declare_all(st)
    _score(st, "Claire", "a1", (8, 6, 5))
    with pytest.raises(ConflictError) as info:
        decide(st, Decision(("a1",), "motifs", "reasons", "comite"))
    assert info.value.code == "call.incomplete" and "Sophie" in info.value.message()
    st = _full_call()
    with pytest.raises(InvalidInputError) as info2:
        decide(st, Decision(("a1",), " ", "reasons", "comite"))
    assert info2.value.code == "call.reasons"
    with pytest.raises(NotFoundError):
        decide(st, Decision(("zzz",), "motifs", "reasons", "comite"))
    st.decision = decide(st, Decision(("a1",), "Meilleure note", "Best score", "comite"))
    assert not departs_from_ranking(st)
    with pytest.raises(ConflictError) as info3:
        add_score(st, Score("Claire", "a2", "besoins", D(1)))
    assert info3.value.code == "call.decided"


def test_public_record_after_the_decision_only_and_departure_from_ranking_is_shown() -> None:
    st = _full_call()
    with pytest.raises(ConflictError):
        public_record(st)
    assert "scores" not in progress(st)
    st.decision = decide(st, Decision(("a2",), "Coût plus bas", "Lower cost", "comite"))
    rec = public_record(st)
    assert rec["decision"]["departs_from_ranking"] is True
    assert {(r["person"], r["application"]) for r in rec["recusals"]} == {("Karim", "a1"), ("Claire", "a3")}
    assert len(rec["scores"]) == 30 and rec["results"][0]["total"] == "7.17"
    # a1 was scored by Sophie alone among civil-society seats after Karim's recusal: shown publicly.
    a1 = next(r for r in rec["results"] if r["application"] == "a1")
    assert a1["civil_society_scorers"] == 1 and a1["below_composition_rule"] is True


def test_parse_call_reads_weights_and_the_contracts_committee(example_path) -> None:  # type: ignore[no-untyped-def]
    from temoin.contract import load_contract

    contract = load_contract(example_path("aemo-renforcee"))
    call = parse_call({"id": "x", "title": {"fr": "Appel", "en": "Call"}, "committee_from_contract": "comite-selection",
                       "criteria": [{"id": "a", "label": {"fr": "A", "en": "A"}, "weight": "2.5"}]}, contract)
    assert call.min_civil_society_seats == 2 and call.criteria[0].weight == D("2.5")
    karim = next(m for m in call.committee if m.person == "Karim Benali")
    assert karim.interests == ("horizon-familles",) and call.contract_id == "aemo-renforcee"
    with pytest.raises(InvalidInputError) as info:
        parse_call({"id": "x", "title": "T", "criteria": [{"id": "a", "weight": 1}],
                    "committee": [{"person": "P", "organisation": "o", "seat": "payer"}]})
    assert info.value.code == "call.composition"


def test_identifiers_are_checked() -> None:
    with pytest.raises(InvalidInputError) as info:
        validate_call(Call("Appel 2024!", "A", "A", CRITERIA, COMMITTEE))
    assert info.value.code == "call.identifier" and info.value.path == "id"
    from temoin.governance.selection import add_application

    with pytest.raises(InvalidInputError):
        add_application(_state(), Application("a b", "org", "Titre"))


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.integers(1, 20), min_size=1, max_size=5),
    data=st.data(),
)
def test_weighted_total_lies_between_criterion_means_and_ignores_weight_scale(weights: list[int], data) -> None:  # type: ignore[no-untyped-def]
    from temoin.governance.decision import aggregate_scores

    crit = tuple(Criterion(f"c{i}", "x", "x", D(w)) for i, w in enumerate(weights))
    scores = {c.id: [D(v) for v in data.draw(st.lists(st.integers(0, 10), min_size=1, max_size=6))] for c in crit}
    total = aggregate_scores(crit, scores)
    means = [sum(v) / len(v) for v in scores.values()]
    assert total is not None and min(means) <= total <= max(means)
    scaled = tuple(Criterion(c.id, "x", "x", c.weight * 7) for c in crit)
    assert aggregate_scores(scaled, scores) == total
