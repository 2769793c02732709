"""To-do items of a running contract's steps before its settlement: the operator imports the
referred people, the evaluator draws the groups, locks the plan and runs it once outcomes arrive,
the payer records the settlement of a new evaluation (:mod:`temoin.services.todo` lists the
sign-offs that follow). Each reads counts and the contract's latest ledger entries of each kind:
every step appends one, so "outcomes imported after the last evaluation" is a comparison of two
entry numbers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func, select

from temoin.contract.model import Role
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.services.cohort_frame import latest_contract
from temoin.services.plans import plan_state
from temoin.services.todo import Roles, TodoItem, todo_provider
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository
from temoin.store.models.ledger import LedgerRow

__all__ = ["evaluation_steps", "participants_to_import", "settlement_to_record"]

PLAN_NOT_LOCKED = Msg("the analysis plan is not locked yet")
_STEPS = (LedgerEvent.COHORT_OUTCOMES_IMPORTED, LedgerEvent.EVALUATION_RECORDED, LedgerEvent.SETTLEMENT_RECORDED)


def _last(engine: Engine, contract_id: str) -> dict[str, int]:
    """The number of the contract's latest ledger entry of each step's kind (absent: none yet)."""
    q = (select(LedgerRow.event, func.max(LedgerRow.seq))
         .where(LedgerRow.contract_id == contract_id, LedgerRow.event.in_([e.value for e in _STEPS]))
         .group_by(LedgerRow.event))
    with session_scope(engine) as s:
        return {str(event): int(seq) for event, seq in s.execute(q)}


@todo_provider
def participants_to_import(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """For the operator: a contract with nobody referred yet."""
    out = []
    for contract_id, held in roles.items():
        if Role.OPERATOR.value not in held:
            continue
        with session_scope(engine) as s:
            if CohortRepository(s).stage_counts(contract_id):
                continue
        out.append(TodoItem("participants", contract_id,
                            Msg("Import the referred people: the participant file (its template is on the page)."),
                            f"/contracts/{contract_id}/data"))
    return out


@todo_provider
def evaluation_steps(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """For the evaluator: enrolled people waiting for the draw; the plan to lock before any outcome;
    the locked plan to run on outcomes imported since the last evaluation (blocked while unlocked)."""
    out = []
    for contract_id, held in roles.items():
        if Role.EVALUATOR.value not in held:
            continue
        link = f"/contracts/{contract_id}/evaluation"
        with session_scope(engine) as s:
            randomised = latest_contract(s, contract_id).contract.evaluation.design.randomised
            counts = CohortRepository(s).stage_counts(contract_id)
            outcomes = CohortRepository(s).outcome_count(contract_id)
            locked = plan_state(s, contract_id).locked
        waiting = sum(n for _, _, enrolled, arm, n in counts if enrolled and arm is None)
        if randomised and waiting:
            out.append(TodoItem("draw", contract_id, Msg("Draw the groups: {n} enrolled people wait for the random draw.",
                                                         n=waiting), link))
        if not locked and not outcomes:
            out.append(TodoItem("lock_plan", contract_id, Msg("Lock the analysis plan before the first outcomes arrive."),
                                link))
        last = _last(engine, contract_id)
        imported = last.get(LedgerEvent.COHORT_OUTCOMES_IMPORTED.value, 0)
        if imported > last.get(LedgerEvent.EVALUATION_RECORDED.value, 0):
            out.append(TodoItem("evaluate", contract_id,
                                Msg("Run the locked plan: outcomes arrived since the last evaluation."), link,
                                None if locked else PLAN_NOT_LOCKED))
    return out


@todo_provider
def settlement_to_record(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """For the payer: an evaluation recorded after the last settlement (or with none yet)."""
    out = []
    for contract_id, held in roles.items():
        if Role.OUTCOME_PAYER.value not in held:
            continue
        last = _last(engine, contract_id)
        evaluated = last.get(LedgerEvent.EVALUATION_RECORDED.value, 0)
        if evaluated > last.get(LedgerEvent.SETTLEMENT_RECORDED.value, 0):
            out.append(TodoItem("settle", contract_id,
                                Msg("Record the settlement: the latest evaluation has none yet."),
                                f"/contracts/{contract_id}/settlement"))
    return out
