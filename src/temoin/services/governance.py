"""Governance services: each state change and its audit-ledger entry in one transaction.

Calls for projects (create, applications, declarations, scores, decision), roles per contract,
budget import and budget watch, and the ledger's verification. A refused action raises before
anything is written: the whole transaction rolls back, ledger entry included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from temoin.contract.model import Role
from temoin.errors import InvalidInputError
from temoin.governance.budget import BudgetBasis, BudgetWatch, budget_watch, parse_budget_csv
from temoin.governance.calls_io import parse_call
from temoin.governance.decision import decide
from temoin.governance.ledger import GENESIS, AuditStatus, ChainStatus, LedgerEvent
from temoin.governance.record import progress, public_record
from temoin.governance.roles import (
    RoleAssignment,
    check_assignment,
    check_organisation_in_contract,
    check_revocation,
    check_role,
)
from temoin.governance.selection import (
    Application,
    Call,
    CallStatus,
    Decision,
    Declaration,
    Score,
    add_application,
    add_declaration,
    add_score,
    validate_call,
)
from temoin.messages import Msg
from temoin.services.budget import store_budget
from temoin.store import ledger, session_scope
from temoin.store.audit import verify_records
from temoin.store.contracts import ContractRepository
from temoin.store.governance import BudgetRepository, CallRepository, RoleRepository
from temoin.store.invitations import InvitationRepository
from temoin.store.settlements import payments_by_year

# --- calls for projects ----------------------------------------------------------------------------


def create_call(engine: Engine, source: Call | dict[str, Any] | str | Path, *, actor: str) -> Call:
    """Create a call from a :class:`Call`, its YAML data, or a YAML file."""
    with session_scope(engine) as s:
        if isinstance(source, Call):
            call = source
            validate_call(call)
        else:
            data = source
            if isinstance(source, Path | str):
                try:
                    data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
                except (OSError, yaml.YAMLError) as exc:
                    raise InvalidInputError("call.file", Msg("Unreadable call file: {source} ({exc}).", source=source, exc=exc), path=str(source)) from None
            contract = None
            if isinstance(data, dict) and data.get("contract"):
                contract = ContractRepository(s).latest(str(data["contract"])).contract
            call = parse_call(data, contract)
        if call.contract_id:
            ContractRepository(s).latest(call.contract_id)
        CallRepository(s).create(call, actor=actor)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_CREATED, contract_id=call.contract_id, payload={
            "call": call.id, "criteria": {c.id: format(c.weight, "f") for c in call.criteria},
            "committee": [{"person": m.person, "organisation": m.organisation, "seat": m.seat} for m in call.committee],
            "min_civil_society_seats": call.min_civil_society_seats})
    return call


def apply_to_call(engine: Engine, call_id: str, app: Application, *, actor: str) -> None:
    with session_scope(engine) as s:
        repo = CallRepository(s)
        state = repo.load(call_id, for_update=True)
        add_application(state, app)
        repo.add_application(call_id, app)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_APPLICATION_ADDED, contract_id=state.call.contract_id,
                      payload={"call": call_id, "application": app.id, "organisation": app.organisation,
                               "title": app.title})


def declare_interests(engine: Engine, call_id: str, decl: Declaration, *, actor: str) -> list[Score]:
    """Record a member's declaration for an application; returns the scores it voided (if any)."""
    with session_scope(engine) as s:
        repo = CallRepository(s)
        state = repo.load(call_id, for_update=True)
        decl, voided = add_declaration(state, decl)
        repo.add_declaration(call_id, decl, voided)
        state.declarations.append(decl)
        recusal = state.recusal(decl.person, decl.application)
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_DECLARATION, contract_id=state.call.contract_id, payload={
            "call": call_id, "person": decl.person, "application": decl.application, "conflict": decl.conflict,
            "nature": decl.nature, "recused": recusal is not None,
            "recusal_reason": recusal.reason if recusal else None, "voided_scores": len(voided)})
    return voided


def record_scores(engine: Engine, call_id: str, person: str, application: str, values: dict[str, Decimal],
                  *, actor: str) -> None:
    """Several criteria at once, all accepted or none (one transaction)."""
    with session_scope(engine) as s:
        repo = CallRepository(s)
        state = repo.load(call_id, for_update=True)
        for criterion, value in values.items():
            score = Score(person, application, criterion, value)
            add_score(state, score)
            repo.add_score(call_id, score)
            state.scores.append(score)
            ledger.append(s, actor=actor, event=LedgerEvent.CALL_SCORE, contract_id=state.call.contract_id, payload={
                "call": call_id, "person": person, "application": application, "criterion": criterion,
                "value": format(value, "f")})


def decide_call(engine: Engine, call_id: str, selected: list[str], reasons_fr: str, reasons_en: str,
                *, actor: str) -> dict[str, Any]:
    """Record the decision; returns the call's public record, whose digest goes into the ledger."""
    with session_scope(engine) as s:
        repo = CallRepository(s)
        state = repo.load(call_id, for_update=True)
        decision = decide(state, Decision(tuple(selected), reasons_fr, reasons_en or reasons_fr, actor,
                                          dt.datetime.now(dt.UTC)))
        repo.decide(call_id, decision)
        state.decision = decision
        record = public_record(state)
        digest = hashlib.sha256(ledger_json(record).encode("utf-8")).hexdigest()
        ledger.append(s, actor=actor, event=LedgerEvent.CALL_DECIDED, contract_id=state.call.contract_id, payload={
            "call": call_id, "selected": list(selected), "record_sha256": digest,
            "departs_from_ranking": record["decision"]["departs_from_ranking"]})
    return record


def ledger_json(obj: Any) -> str:
    from temoin.governance.ledger import canonical_json

    return canonical_json(obj)


def call_record(engine: Engine, call_id: str) -> dict[str, Any]:
    """The full public record once decided, with whether it still matches the digest written in the
    ledger at the decision (``integrity``); the progress only while the call is open."""
    with session_scope(engine) as s:
        state = CallRepository(s).load(call_id)
        if not state.decided:
            return progress(state)
        record = public_record(state)
        digest = hashlib.sha256(ledger_json(record).encode("utf-8")).hexdigest()
        entry = next((e for e in ledger.entries(s, contract_id=state.call.contract_id)
                      if e.event == LedgerEvent.CALL_DECIDED and json.loads(e.payload).get("call") == call_id), None)
        recorded = json.loads(entry.payload).get("record_sha256") if entry is not None else None
        if recorded is not None and recorded != digest:
            older = hashlib.sha256(ledger_json(_record_as_before(record)).encode("utf-8")).hexdigest()
            if older == recorded:  # decided by an earlier release: its digest covered the record's older form
                digest = older
        record["integrity"] = {"record_sha256": digest, "ledger_seq": entry.seq if entry is not None else None,
                               "matches_ledger": recorded == digest}
        return record


# The recusal explanations as a release before messages wrote them in a decided call's public record
# (French and English texts): the digest written in the ledger at those decisions covers them.
_RECUSAL_TEXTS_BEFORE = {
    "declared": ("conflit déclaré : {nature}", "declared conflict: {nature}"),
    "own_organisation": ("membre de l'organisation candidate {nature}", "member of the applicant organisation {nature}"),
    "standing_interest": ("intérêt déclaré dans {nature}", "declared interest in {nature}"),
}


def _record_as_before(record: dict[str, Any]) -> dict[str, Any]:
    """A decided call's public record in the form an earlier release hashed (recusals explained in
    French and English texts, nothing missing): to check the digest of a call decided then."""
    recusals = []
    for r in record.get("recusals") or []:
        fr, en = _RECUSAL_TEXTS_BEFORE[r["reason"]]
        nature = next(iter((r["explanation"].get("params") or {}).values()), "")
        recusals.append({**r, "explanation": {"fr": fr.format(nature=nature), "en": en.format(nature=nature)}})
    return {**record, "recusals": recusals}


def list_calls(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as s:
        return [{"id": r.id, "title": {"fr": r.title_fr, "en": r.title_en}, "contract": r.contract_id,
                 "status": CallStatus.DECIDED if r.decided_at else CallStatus.OPEN} for r in CallRepository(s).list_calls()]


# --- roles ----------------------------------------------------------------------------------------


def assign_role(engine: Engine, contract_id: str, person: str, organisation: str, role: Role | str, *,
                actor: str, name: str | None = None) -> None:
    checked = check_role(role)
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        check_organisation_in_contract(contract, organisation, checked)
        repo = RoleRepository(s)
        assignment = RoleAssignment(contract_id, person, organisation, checked)
        check_assignment(repo.active_for_person(person), assignment)
        repo.ensure_person(person, name)
        repo.add(assignment, actor=actor)
        ledger.append(s, actor=actor, event=LedgerEvent.ROLE_ASSIGNED, contract_id=contract_id,
                      payload={"person": person, "organisation": organisation, "role": checked.value})


def revoke_role(engine: Engine, contract_id: str, person: str, role: Role | str, *, actor: str) -> None:
    with session_scope(engine) as s:
        ledger.serialise(s)  # two revocations at once: the last payer's check sees the other
        checked = check_role(role) if isinstance(role, str) else role
        repos = RoleRepository(s)
        row = repos.revoke(contract_id, person, checked.value)  # an unknown role: a clear 404 first
        check_revocation(checked, holders=InvitationRepository(s).active_count(contract_id, checked.value) + 1,
                         name=repos.ensure_person(person, None).name, contract_id=contract_id)
        ledger.append(s, actor=actor, event=LedgerEvent.ROLE_REVOKED, contract_id=contract_id,
                      payload={"person": person, "organisation": row.organisation, "role": checked.value})


def list_roles(engine: Engine, *, contract_id: str | None = None, person: str | None = None,
               include_revoked: bool = False) -> list[dict[str, object]]:
    with session_scope(engine) as s:
        return RoleRepository(s).listing(contract_id=contract_id, person_id=person, include_revoked=include_revoked)


# --- budget watch ---------------------------------------------------------------------------------


def import_budget(engine: Engine, path: str | Path, *, actor: str) -> dict[str, Any]:
    """Import a budget CSV: every row is checked first; a refused file writes nothing."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError("budget.file", Msg("Unreadable file: {path} ({strerror}).", path=path, strerror=exc.strerror), path=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError("budget.encoding", Msg("{path} is not UTF-8.", path=path),
                                path=str(path), hint=Msg("Save the file as UTF-8.")) from None
    rows = parse_budget_csv(text, source=str(path))
    return store_budget(engine, rows, raw, name=Path(path).name, actor=actor)


def check_budget(engine: Engine, contract_id: str) -> BudgetWatch:
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        payers = [p.id for p in contract.parties_with(Role.OUTCOME_PAYER)]
        rows = BudgetRepository(s).for_payers(payers)
        payments = payments_by_year(s, contract_id)  # approved by the payer; None before any
        watch = budget_watch(contract, rows, payments)
        if payments is None:
            watch.notes.append(Msg("No CIS payment approved by the payer yet: the watch uses the planned commitments."))
        elif watch.basis is BudgetBasis.COMMITMENTS:
            watch.notes.append(Msg("The settlements approved by the payer have paid nothing so far: the watch uses the "
                                   "planned commitments."))
        return watch


# --- audit ledger ---------------------------------------------------------------------------------


def verify_ledger(engine: Engine) -> ChainStatus:
    with session_scope(engine) as s:
        return ledger.verify(s)


def ledger_head(engine: Engine) -> dict[str, Any]:
    """The ledger's last entry (number and hash), to publish: anyone who kept an earlier head can
    check later that the ledger still contains it (``temoin audit verify``), so a truncated or
    rewritten ledger shows. Read in one look-up, without walking the chain."""
    with session_scope(engine) as s:
        last = ledger.entries(s, limit=1)
    return {"entries": last[0].seq if last else 0, "head": last[0].hash if last else GENESIS,
            "at": last[0].at if last else None}


def verify_audit(engine: Engine) -> AuditStatus:
    """The chain, and every stored record the ledger vouches for against its entry (contract
    versions, participants, outcomes, assignment, plan, evaluation results, settlements, sign-offs)."""
    with session_scope(engine) as s:
        chain = ledger.verify(s)
        records = verify_records(s)
    return AuditStatus(chain, records.checked, tuple(records.problems), records.counted_only, tuple(records.erasures))
