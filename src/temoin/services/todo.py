"""Each person's to-do list: what awaits them in the contracts where they hold a role.

A to-do item says what to do, in which contract, with a link to the page where it is done; an
action the person may not take yet carries the reason (``blocked``: « en attente de la
certification »), so that a page shows it disabled instead of letting it fail.

Items come from **providers**, one small function per area, registered with :func:`todo_provider`:
``provider(engine, person_id, roles, today) -> list[TodoItem]``, where ``roles`` maps each contract
to the person's roles in it (``Role`` values). Another area adds its items (consultations open,
rights requests due) by writing one such function and decorating it; nothing else changes.

The list only reads. It is kept per process for a given audit-ledger head, person and day: every
change to what it reads (a settlement, an approval, a declaration, an outcome imported, a role)
appends to the ledger in the same transaction, so a new head means it is read again.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from temoin.contract.model import Role
from temoin.governance.selection import CallStatus
from temoin.i18n.contract_labels import wave_words
from temoin.messages import Msg
from temoin.services.contracts import get_contract
from temoin.services.enrolment import cohort_schedule
from temoin.services.governance import list_calls
from temoin.services.requests import list_requests
from temoin.services.settlements import list_settlements
from temoin.settlement.approvals import ApprovalKind
from temoin.store import ledger, read_scope, session_scope
from temoin.store.governance import CallRepository

__all__ = ["TodoItem", "TodoProvider", "todo_list", "todo_provider"]


@dataclass(frozen=True)
class TodoItem:
    """One thing a person has to do."""

    kind: str
    """What sort of task: ``certify``, ``approve``, ``acknowledge``, ``declare``, ``wave_due``… (one per provider's task)."""
    contract_id: str
    what: Msg
    """What to do, as a message."""
    link: str
    """The page where it is done."""
    blocked: Msg | None = None
    """Why it cannot be done yet (None: it can be done now)."""
    due: dt.date | None = None
    overdue: bool = False
    """Its deadline has passed (shown first, and marked)."""


Roles = Mapping[str, frozenset[str]]
TodoProvider = Callable[[Engine, str, Roles, dt.date], list[TodoItem]]
_PROVIDERS: list[TodoProvider] = []


def todo_provider(fn: TodoProvider) -> TodoProvider:
    """Register ``fn`` as a source of to-do items (a decorator); it is asked for each list."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


_KEPT: weakref.WeakKeyDictionary[Engine, dict[tuple[str, int, dt.date, tuple[tuple[str, tuple[str, ...]], ...]],
                                              list[TodoItem]]] = weakref.WeakKeyDictionary()


def todo_list(engine: Engine, person_id: str | None, roles: Roles, *, today: dt.date | None = None) -> list[TodoItem]:
    """What awaits ``person_id`` (holding ``roles``) today: every provider's items, those that can be
    done now first, overdue ones before the others, then by contract and deadline."""
    if not person_id or not roles:
        return []
    today = today or dt.date.today()
    with read_scope(engine) as db:
        head = ledger.head_seq(db)
    key = (person_id, head, today, tuple(sorted((c, tuple(sorted(r))) for c, r in roles.items())))
    kept = _KEPT.setdefault(engine, {})
    found = kept.get(key)
    if found is None:
        items = [item for provider in _PROVIDERS for item in provider(engine, person_id, roles, today)]
        found = sorted(items, key=lambda i: (i.blocked is not None, not i.overdue, i.contract_id, i.due or dt.date.max,
                                                 i.kind))
        if len(kept) > 512:
            kept.clear()
        kept[key] = found
    return list(found)


# --- the providers of this package ---------------------------------------------------------------------------

_SIGN_OFF = {Role.EVALUATOR.value: ApprovalKind.EVALUATOR_CERTIFICATION, Role.OUTCOME_PAYER.value: ApprovalKind.PAYER_APPROVAL,
             Role.OBSERVER.value: ApprovalKind.OBSERVER_ACKNOWLEDGEMENT}
_WHAT = {ApprovalKind.EVALUATOR_CERTIFICATION: ("certify", "Certify the results of settlement no. {number}."),
         ApprovalKind.PAYER_APPROVAL: ("approve", "Approve the payment of settlement no. {number}."),
         ApprovalKind.OBSERVER_ACKNOWLEDGEMENT: ("acknowledge", "Acknowledge settlement no. {number} as observer.")}
WAITING_FOR_CERTIFICATION = Msg("waiting for the evaluator's certification")


@todo_provider
def settlements_to_sign(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """Current settlements still missing the sign-off the person's role gives (the payer's approval
    waits for the evaluator's certification: shown, blocked, with that reason)."""
    out = []
    for contract_id, held in roles.items():
        kinds = [_SIGN_OFF[r] for r in sorted(held) if r in _SIGN_OFF]
        if not kinds:
            continue
        for rec in list_settlements(engine, contract_id):
            if rec.superseded_by is not None:
                continue
            for kind in kinds:
                if rec.approval(kind) is not None:
                    continue
                task, text = _WHAT[kind]
                blocked = (WAITING_FOR_CERTIFICATION if kind.requires is not None and rec.approval(kind.requires) is None
                           else None)
                out.append(TodoItem(task, contract_id, Msg(text, number=str(rec.id)),
                                    f"/contracts/{contract_id}/settlement", blocked))
    return out


@todo_provider
def declarations_to_file(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """Open calls for projects where the person sits on the committee and has not yet declared
    their interests for an application."""
    out = []
    for call in list_calls(engine):
        if call["status"] != CallStatus.OPEN or call["contract"] not in roles:
            continue
        with session_scope(engine) as s:
            state = CallRepository(s).load(str(call["id"]))
        if not any(m.person == person_id for m in state.call.committee):
            continue
        missing = [a.id for a in state.applications if state.declaration(person_id, a.id) is None]
        if missing:
            out.append(TodoItem("declare", str(call["contract"]), Msg(
                "Declare your interests for call “{call}”: {count} application(s) without your declaration.",
                call=str(call["id"]), count=len(missing)), f"/contracts/{call['contract']}/committee"))
    return out


@todo_provider
def waves_due(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """For the evaluator and the operator: follow-up waves whose outcomes are due or overdue today
    (:mod:`temoin.evaluation.schedule`)."""
    out = []
    for contract_id, held in roles.items():
        if not held & {Role.EVALUATOR.value, Role.OPERATOR.value}:
            continue
        contract = None
        for w in cohort_schedule(engine, contract_id, as_of=today):
            if w.due + w.overdue:
                contract = contract or get_contract(engine, contract_id).contract
                out.append(TodoItem("wave_due", contract_id, Msg(
                    "Wave {wave}: {due} outcome(s) to collect, {overdue} of them overdue.", wave=wave_words(contract, w.wave),
                    due=w.due + w.overdue, overdue=w.overdue), f"/contracts/{contract_id}/data"))
    return out


@todo_provider
def rights_requests_due(engine: Engine, person_id: str, roles: Roles, today: dt.date) -> list[TodoItem]:
    """For the operator: each open rights request (access, rectification, erasure, objection) with its
    legal deadline (one month after receipt, GDPR art. 12-3); those past it are overdue."""
    out = []
    for contract_id, held in roles.items():
        if Role.OPERATOR.value not in held:
            continue
        for r in list_requests(engine, contract_id):
            if r.answered_on is not None:
                continue
            late = r.late(today)
            text = ("Answer request no. {number} ({kind}, received on {received}): the answer was due on {due}." if late
                    else "Answer request no. {number} ({kind}, received on {received}) by {due}.")
            out.append(TodoItem("rights_request", contract_id, Msg(text, number=str(r.id), kind=r.kind, received=r.received_on,
                                                                   due=r.due_on),
                                f"/contracts/{contract_id}/rgpd#request-{r.id}", due=r.due_on, overdue=late))
    return out
