"""The pre-registered analysis plan: its status, its lock (before any outcome) and its amendments.

Locking and amending each own one transaction, with its ledger entry.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.errors import ConflictError, InvalidInputError
from temoin.evaluation.plan import (
    Amendment,
    PlanRecordKind,
    PlanStatus,
    canonical_json,
    check_plan,
    diff_plans,
    plan_document,
    plan_hash,
)
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.services.cohort_frame import latest_contract as _contract
from temoin.store import ledger, session_scope
from temoin.store.cohorts import CohortRepository
from temoin.store.models.cohorts import PlanLockRow

__all__ = ["PlanStatus", "amend_plan", "lock_plan", "plan_state", "plan_status"]


def plan_state(session: Session, contract_id: str) -> PlanStatus:
    """The plan's lock, amendments and whether the contract still matches it (within a session)."""
    stored = _contract(session, contract_id)
    current = plan_hash(plan_document(stored.contract))
    locks = CohortRepository(session).plan_locks(contract_id)
    if not locks:
        return PlanStatus(False, None, None, (), current, None)
    amendments = tuple(Amendment(r.created_at.isoformat(), r.reason or "", r.previous_hash or "", r.plan_hash,
                                 tuple(c["field"] for c in json.loads(r.changes))) for r in locks if r.kind == PlanRecordKind.AMENDMENT)
    return PlanStatus(True, locks[-1].plan_hash, locks[0].created_at.isoformat(), amendments, current, json.loads(locks[-1].plan))


def plan_status(engine: Engine, contract_id: str) -> PlanStatus:
    with session_scope(engine) as s:
        return plan_state(s, contract_id)


def lock_plan(engine: Engine, contract_id: str, *, actor: str = "cli") -> PlanStatus:
    """Lock (pre-register) the contract's analysis plan, before any outcome exists."""
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        check_plan(stored.contract)
        status = plan_state(s, contract_id)
        if status.locked:
            raise ConflictError("plan.already_locked", Msg('The plan is already locked ({plan_hash}).', plan_hash=status.plan_hash), path="analysis_plan",
                                hint=Msg('To change it, record an amendment of the plan with its reason.'))
        n_out = CohortRepository(s).outcome_count(contract_id)
        if n_out:
            raise ConflictError("plan.outcomes_exist", Msg("Lock refused: {n} outcome(s) already exist.", n=n_out), path="analysis_plan",
                                hint=Msg('A pre-registered plan is locked before the first outcomes.'))
        doc = plan_document(stored.contract)
        h = plan_hash(doc)
        s.add(PlanLockRow(contract_id=contract_id, contract_version=stored.version, kind=PlanRecordKind.LOCK.value, plan_hash=h,
                          previous_hash=None, plan=canonical_json(doc), reason=None, changes="[]", actor=actor))
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.PLAN_LOCKED, contract_id=contract_id,
                      payload={"plan_hash": h, "contract_version": stored.version,
                               "locked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
        return plan_state(s, contract_id)


def amend_plan(engine: Engine, contract_id: str, *, reason: str, actor: str = "cli") -> PlanStatus:
    """Record the latest contract version's plan as an amendment of the locked plan, with its reason."""
    if not reason or not reason.strip():
        raise InvalidInputError("plan.amend_reason", Msg('An amendment must state its reason.'),
                                path="reason", hint=Msg('State the reason for the amendment.'))
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        check_plan(stored.contract)
        status = plan_state(s, contract_id)
        if not status.locked or status.in_force is None or status.plan_hash is None:
            raise ConflictError("plan.not_locked", Msg('The plan is not locked: nothing to amend.'), path="analysis_plan",
                                hint=Msg('Lock the plan first.'))
        doc = plan_document(stored.contract)
        h = plan_hash(doc)
        if h == status.plan_hash:
            raise ConflictError("plan.unchanged", Msg("The contract's plan is the same as the plan in force."), path="analysis_plan",
                                hint=Msg('Import the new version of the contract first.'))
        changes = diff_plans(status.in_force, doc)
        s.add(PlanLockRow(contract_id=contract_id, contract_version=stored.version, kind=PlanRecordKind.AMENDMENT.value, plan_hash=h,
                          previous_hash=status.plan_hash, plan=canonical_json(doc), reason=reason.strip(),
                          changes=canonical_json(changes), actor=actor))
        s.flush()
        n_out = CohortRepository(s).outcome_count(contract_id)
        ledger.append(s, actor=actor, event=LedgerEvent.PLAN_AMENDED, contract_id=contract_id,
                      payload={"from_hash": status.plan_hash, "to_hash": h, "reason": reason.strip(),
                               "changes": changes, "contract_version": stored.version, "outcomes_already_recorded": n_out})
        return plan_state(s, contract_id)
