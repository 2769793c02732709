"""Settlement services: run and record a settlement, approvals, supersession.

Each function owns one transaction: the record and its audit-ledger entry are saved together or
not at all. A settlement is computed *before* anything is written, so refused input (an
evaluation result from another contract version, a settlement date before the contract starts,
…) leaves no trace. Records are never edited: a correction is a new settlement that supersedes
the old one, with a reason; both stay visible.

Approvals, one of each per settlement, by a party holding the matching role in the contract:
the evaluator *certifies* the results used, then the payer *approves* the amounts, and a
civil-society observer *acknowledges* it (at any time). A superseded settlement takes no approval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.result import ImpactResult
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.settlement import OutcomeClaim, Settlement, settle
from temoin.settlement.approvals import ApprovalKind
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository, StoredContract
from temoin.store.settlements import SettlementRecord, SettlementRepository, digest

__all__ = ["approve", "compute", "get_settlement", "list_settlements", "run_settlement", "supersede"]

APPROVAL_EVENTS = {ApprovalKind.EVALUATOR_CERTIFICATION: LedgerEvent.SETTLEMENT_EVALUATOR_CERTIFICATION,
                   ApprovalKind.PAYER_APPROVAL: LedgerEvent.SETTLEMENT_PAYER_APPROVAL,
                   ApprovalKind.OBSERVER_ACKNOWLEDGEMENT: LedgerEvent.SETTLEMENT_OBSERVER_ACKNOWLEDGEMENT}


@dataclass(frozen=True)
class Computed:
    stored: StoredContract
    results: list[ImpactResult]
    settlement: Settlement


def _stored_results(session: Session, contract_id: str) -> list[ImpactResult]:
    from temoin.services.evaluations import latest_results

    results = latest_results(session, contract_id)
    if not results:
        raise NotFoundError("settlement.no_results", Msg("No evaluation results for '{contract_id}'.", contract_id=contract_id),
                            path="contract_id",
                            hint=Msg('Run the evaluation first, or settle from results the evaluator certified.'))
    return results


def _compute(session: Session, contract_id: str, *, as_of: dt.date | None, version: int | None,
             results: Sequence[ImpactResult] | None, claims: Sequence[OutcomeClaim]) -> Computed:
    stored = ContractRepository(session).get(contract_id, version)
    res = list(results) if results is not None else _stored_results(session, contract_id)
    s = settle(stored.contract, res, contract_version=stored.version, as_of=as_of, claims=claims)
    return Computed(stored, res, s)


def compute(engine: Engine, contract_id: str, *, as_of: dt.date | None = None, version: int | None = None,
            results: Sequence[ImpactResult] | None = None, claims: Sequence[OutcomeClaim] = ()) -> Settlement:
    """Settle without recording (a preview)."""
    with session_scope(engine) as s:
        return _compute(s, contract_id, as_of=as_of, version=version, results=results, claims=claims).settlement


def _inputs(c: Computed, as_of: dt.date | None, claims: Sequence[OutcomeClaim]) -> dict[str, Any]:
    return {
        "contract_version": c.stored.version, "contract_hash": c.stored.content_hash,
        "as_of": as_of.isoformat() if as_of else None,
        "results": [{**r.to_dict(), "result_hash": r.result_hash} for r in c.results],
        "claims": [{"participant": x.participant, "outcome": x.outcome, "period": x.period} for x in claims],
    }


def run_settlement(engine: Engine, contract_id: str, *, actor: str, as_of: dt.date | None = None,
                   version: int | None = None, results: Sequence[ImpactResult] | None = None,
                   claims: Sequence[OutcomeClaim] = (), supersedes: int | None = None,
                   reason: str | None = None) -> tuple[SettlementRecord, Settlement]:
    """Settle a stored contract and record the settlement with its ledger entry (one transaction).

    ``results`` default to the contract's latest stored evaluation. With ``supersedes``, the new
    settlement replaces that one (a ``reason`` is required).
    """
    with session_scope(engine) as s:
        ledger.serialise(s)  # one recorder at a time: the duplicate check below sees the other's record
        repo = SettlementRepository(s)
        if supersedes is not None:
            old = repo.get(supersedes)
            if not reason or not reason.strip():
                raise InvalidInputError("settlement.reason_required", Msg('A correction must give its reason.'), path="reason",
                                        hint=Msg("Give the reason for the correction."))
            if old.contract_id != contract_id:
                raise InvalidInputError("settlement.other_contract", Msg("Settlement #{number} is for '{contract_id}'.", number=str(old.id),
                                                            contract_id=old.contract_id), path="supersedes")
            if old.superseded_by is not None:
                raise ConflictError("settlement.already_superseded",
                                    Msg("Settlement #{number} is already superseded by #{newer}.", number=str(old.id),
                                        newer=str(old.superseded_by)),
                                    hint=Msg("Correct #{newer} instead.", newer=str(old.superseded_by)))
        c = _compute(s, contract_id, as_of=as_of, version=version, results=results, claims=claims)
        st = c.settlement
        if supersedes is None:
            _refuse_duplicate(repo, contract_id, digest(_inputs(c, as_of, claims)), digest(st.to_dict()))
            _refuse_beside(repo, contract_id, {p.period for p in st.periods})
        record = repo.add(contract_id=contract_id, contract_version=c.stored.version, contract_hash=c.stored.content_hash,
                          as_of=as_of, currency=st.currency, total_paid=st.total_paid.amount, final=st.final,
                          inputs=_inputs(c, as_of, claims), outputs=st.to_dict(), actor=actor,
                          supersedes_id=supersedes, reason=reason.strip() if reason else None)
        ledger.append(s, actor=actor, event=LedgerEvent.SETTLEMENT_SUPERSEDED if supersedes else LedgerEvent.SETTLEMENT_RECORDED,
                      contract_id=contract_id, payload={
                          "settlement_id": record.id, "contract_version": record.contract_version,
                          "contract_hash": record.contract_hash, "inputs_hash": record.inputs_hash,
                          "outputs_hash": record.outputs_hash, "result_hashes": list(st.result_hashes),
                          "total_paid": str(st.total_paid.amount), "currency": st.currency,
                          "supersedes": supersedes, "reason": record.reason})
        return record, st


def _refuse_duplicate(repo: SettlementRepository, contract_id: str, inputs_hash: str, outputs_hash: str) -> None:
    """A current settlement with the same inputs and outputs is already recorded: a second one
    would count the same payment twice."""
    for rec in repo.list(contract_id):
        if rec.superseded_by is None and rec.inputs_hash == inputs_hash and rec.outputs_hash == outputs_hash:
            raise ConflictError("settlement.duplicate",
                                Msg("This settlement is already recorded (#{id}, same inputs and same amounts).",
                                    id=str(rec.id)),
                                path="contract_id",
                                hint=Msg("See #{id}; to correct it, replace it with a new one, giving the reason.",
                                         id=str(rec.id)))


def _refuse_beside(repo: SettlementRepository, contract_id: str, periods: set[str]) -> None:
    """A settlement in force already covers one of these periods: a second one beside it would pay
    them twice. The new one must replace it (a correction, with its reason), never stand beside it."""
    for rec in repo.list(contract_id):
        shared = periods & {str(p.get("period")) for p in rec.outputs.get("periods", [])}
        if rec.superseded_by is None and shared:
            raise ConflictError("settlement.in_force",
                                Msg("Settlement #{number} is in force for the same periods ({periods}): a second "
                                    "settlement cannot stand beside it.", number=str(rec.id), periods=sorted(shared)),
                                path="supersedes",
                                hint=Msg("Replace settlement #{number} instead: record the new one in its place, with "
                                         "the reason for the correction.", number=str(rec.id)))


def supersede(engine: Engine, settlement_id: int, *, reason: str, actor: str, as_of: dt.date | None = None,
              version: int | None = None, results: Sequence[ImpactResult] | None = None,
              claims: Sequence[OutcomeClaim] = ()) -> tuple[SettlementRecord, Settlement]:
    """Correct a settlement: a new one replaces it, with a reason; both stay visible."""
    contract_id = get_settlement(engine, settlement_id).contract_id
    return run_settlement(engine, contract_id, actor=actor, as_of=as_of, version=version, results=results,
                          claims=claims, supersedes=settlement_id, reason=reason)


def approve(engine: Engine, settlement_id: int, *, kind: ApprovalKind | str, party_id: str, person: str, actor: str,
            comment: str | None = None) -> SettlementRecord:
    """Record the evaluator's certification, the payer's approval or the observer's acknowledgement."""
    kinds = [k.value for k in ApprovalKind]
    if kind not in kinds:
        raise InvalidInputError("settlement.approval_kind", Msg("Unknown approval kind: '{kind}'.", kind=kind), path="kind",
                                hint=Msg("Choose one of {choices}.", choices=kinds))
    kind = ApprovalKind(kind)
    role = kind.role
    with session_scope(engine) as s:
        ledger.serialise(s)  # one approval at a time: a second, concurrent one sees the first and is refused
        repo = SettlementRepository(s)
        rec = repo.get(settlement_id)
        if rec.superseded_by is not None:
            raise ConflictError("settlement.superseded", Msg("Settlement #{number} is superseded by #{newer}.", number=str(rec.id),
                                    newer=str(rec.superseded_by)),
                                hint=Msg("Approve #{newer} instead.", newer=str(rec.superseded_by)))
        contract = ContractRepository(s).get(rec.contract_id, rec.contract_version).contract
        party = contract.party(party_id)
        if party is None or role not in party.roles:
            holders = [p.id for p in contract.parties_with(role)]
            raise InvalidInputError("settlement.approval_role", Msg("'{party}' does not hold the role {role} in this contract.", party=party_id, role=role),
                                    path="party", hint=Msg("Parties allowed: {holders}.", holders=holders))
        if rec.approval(kind) is not None:
            raise ConflictError("settlement.already_approved", Msg("Already recorded for this settlement: {kind}.", kind=kind))
        if kind.requires is not None and rec.approval(kind.requires) is None:
            raise ConflictError("settlement.not_certified", Msg('The payer cannot approve before the evaluator certifies.'),
                                hint=Msg("The evaluator certifies the results first; the approval is possible once they have."))
        if not person.strip():
            raise InvalidInputError("settlement.approval_person", Msg("Person's name missing."), path="person",
                                    hint=Msg("Write the person's name."))
        repo.add_approval(settlement_id, kind=kind, party_id=party_id, person=person.strip(), comment=comment)
        ledger.append(s, actor=actor, event=APPROVAL_EVENTS[kind], contract_id=rec.contract_id,
                      payload={"settlement_id": rec.id, "party": party_id, "person": person.strip(),
                               "outputs_hash": rec.outputs_hash, "comment": comment})
        return repo.get(settlement_id)


def get_settlement(engine: Engine, settlement_id: int) -> SettlementRecord:
    with session_scope(engine) as s:
        return SettlementRepository(s).get(settlement_id)


def list_settlements(engine: Engine, contract_id: str | None = None) -> list[SettlementRecord]:
    with session_scope(engine) as s:
        return SettlementRepository(s).list(contract_id)
