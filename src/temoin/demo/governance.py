"""The governance part of ``make demo``, on the child-protection example: the selection committee's
public record (declarations, recusal, scores, decision), the audit ledger, and the budget watch."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from sqlalchemy import Engine

from temoin.cli.governance_view import print_budget_watch, print_call_record, print_ledger_status
from temoin.errors import NotFoundError
from temoin.examples import EXAMPLE_BUDGET, example_path
from temoin.governance.selection import Application, Declaration
from temoin.i18n import Translator
from temoin.services.contracts import import_contract
from temoin.services.governance import (
    apply_to_call,
    call_record,
    check_budget,
    create_call,
    decide_call,
    declare_interests,
    import_budget,
    list_calls,
    record_scores,
    verify_ledger,
)

CONTRACT = "aemo-renforcee"
DEMO_CALL = "appel-aemo-nord-2024"


def seed_call(engine: Engine) -> None:
    """The selection of the child-protection example: two applications, the committee of the
    contract (Karim Benali, who sits on an operator's board, is recused from its application).
    Done once: a call already recorded is left as it is."""
    if any(c["id"] == DEMO_CALL for c in list_calls(engine)):
        return
    actor = "demo"
    create_call(engine, {
        "id": DEMO_CALL, "contract": CONTRACT, "max_score": 10,
        "title": {"fr": "Appel à projets : AEMO renforcée dans le Nord (synthétique)",
                  "en": "Call for projects: intensified AEMO in the Nord (synthetic)"},
        "committee_from_contract": "comite-selection",
        "criteria": [
            {"id": "besoins", "label": {"fr": "Réponse aux besoins des familles", "en": "Response to families' needs"},
             "weight": 3},
            {"id": "evaluation", "label": {"fr": "Qualité de l'évaluation", "en": "Quality of the evaluation"},
             "weight": 3},
            {"id": "cout", "label": {"fr": "Coût et économies", "en": "Cost and savings"}, "weight": 2},
            {"id": "participation", "label": {"fr": "Participation des familles", "en": "Families' participation"},
             "weight": 2},
        ]}, actor=actor)
    apply_to_call(engine, DEMO_CALL, Application("horizon", "horizon-familles", "AEMO renforcée, Horizon Familles"),
                  actor=actor)
    apply_to_call(engine, DEMO_CALL, Application("passerelle", "passerelle-nord", "Passerelle Familles (fictive)"),
                  actor=actor)
    people = ["Claire Martin", "Karim Benali", "Sophie Lefebvre", "Jean Dubois"]
    for person in people:
        for app in ("horizon", "passerelle"):
            declare_interests(engine, DEMO_CALL, Declaration(person, app, False), actor=person)
    grid = {
        ("Claire Martin", "horizon"): (8, 9, 7, 7), ("Claire Martin", "passerelle"): (7, 6, 8, 6),
        ("Karim Benali", "passerelle"): (6, 6, 7, 8),
        ("Sophie Lefebvre", "horizon"): (9, 8, 6, 9), ("Sophie Lefebvre", "passerelle"): (6, 5, 7, 7),
        ("Jean Dubois", "horizon"): (8, 9, 7, 6), ("Jean Dubois", "passerelle"): (7, 6, 7, 6),
    }
    for (person, app), values in grid.items():
        record_scores(engine, DEMO_CALL, person, app,
                      dict(zip(("besoins", "evaluation", "cout", "participation"), map(Decimal, values), strict=True)),
                      actor=person)
    decide_call(engine, DEMO_CALL, ["horizon"],
                "Meilleure note pondérée ; évaluation par essai randomisé stratifié ; K. Benali récusé (administrateur "
                "d'une association adhérente).",
                "Best weighted score; stratified randomised evaluation; K. Benali recused (board member of a member "
                "association).", actor="comite-selection")


def show(engine: Engine, console: Console, reader: Translator) -> None:
    """Committee record, ledger status and budget watch (the payer's budget imported once)."""
    import_contract(engine, example_path(CONTRACT), actor="demo")
    seed_call(engine)
    try:
        check_budget(engine, CONTRACT)
    except NotFoundError:  # no budget line of the payer yet
        import_budget(engine, EXAMPLE_BUDGET, actor="demo")
    console.rule(reader("Governance — {contract}", contract=CONTRACT))
    print_call_record(console, call_record(engine, DEMO_CALL), reader)
    print_ledger_status(console, verify_ledger(engine), reader)
    print_budget_watch(console, check_budget(engine, CONTRACT), reader)
