"""The settlement part of ``make demo``, on the child-protection example: the waterfall from the
stored evaluation, the approvals of each party, the investors' IRR, direct funding, and the risk."""

from __future__ import annotations

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.cli.settlement_view import render_risk, render_settlement
from temoin.i18n import Translator
from temoin.services.contracts import get_contract
from temoin.services.settlements import approve, run_settlement
from temoin.settlement import simulate

CONTRACT = "aemo-renforcee"
# Who gives each approval, in the order the contract asks for them: (kind, party, person).
APPROVERS = (("evaluator_certification", "labo-eval", "Jean Dubois"),
             ("payer_approval", "dept-nord", "Claire Martin"),
             ("observer_acknowledgement", "union-assos", "Karim Benali"))


def show(engine: Engine, console: Console, reader: Translator) -> None:
    """Settle on the evaluation stored by :mod:`temoin.demo.evaluation` (run it first)."""
    console.print(Rule(reader("Settlement and financial risk — {contract}", contract=CONTRACT)))
    stored = get_contract(engine, CONTRACT)
    record, s = run_settlement(engine, CONTRACT, actor="demo")
    console.print(reader("Results: the stored evaluation (synthetic cohort)."))
    render_settlement(s, console, reader, {i.id: i.label.get(reader.lang) for i in stored.contract.indicators},
                      stored.contract)
    for kind, party, person in APPROVERS:
        approve(engine, record.id, kind=kind, party_id=party, person=person, actor="demo")
    console.print(reader("Settlement #{id} recorded; certified by the evaluator, approved by the payer, acknowledged by "
                         "civil society (audit ledger).", id=str(record.id)))
    render_risk(simulate(stored.contract, 200_000, 2026), console, reader, stored.contract)
