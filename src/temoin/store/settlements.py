"""The settlement repository: append-only records ↔ plain dataclasses."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from temoin.errors import NotFoundError
from temoin.governance.ledger import canonical_json
from temoin.messages import Msg
from temoin.money import Money
from temoin.settlement.approvals import ApprovalKind, SettlementStatus
from temoin.store.models.settlements import SettlementApprovalRow, SettlementRow


def payments_by_year(session: Session, contract_id: str) -> dict[int, Decimal] | None:
    """Outcome payments approved by the payer under a contract, by year of their payment date.

    Only current (not superseded) settlements with a payer approval count. A later settlement that
    covers a period again (a settlement covers every period due by its date) replaces the earlier
    figure for that period. ``None`` when no settlement of the contract has been approved yet.
    """
    superseded = select(SettlementRow.supersedes_id).where(SettlementRow.supersedes_id.is_not(None))
    approved = select(SettlementApprovalRow.settlement_id).where(SettlementApprovalRow.kind == ApprovalKind.PAYER_APPROVAL.value)
    rows = session.execute(
        select(SettlementRow.outputs).where(SettlementRow.contract_id == contract_id,
                                            SettlementRow.id.not_in(superseded), SettlementRow.id.in_(approved))
        .order_by(SettlementRow.id)
    ).scalars().all()
    if not rows:
        return None
    by_period: dict[str, tuple[int, Decimal]] = {}
    for outputs in rows:
        for p in json.loads(outputs)["periods"]:
            by_period[p["period"]] = (dt.date.fromisoformat(p["payment_date"]).year, Decimal(p["amount_due"]))
    out: dict[int, Decimal] = {}
    for year, amount in by_period.values():
        out[year] = out.get(year, Decimal("0")) + amount
    return out


def digest(obj: Any) -> str:
    """SHA-256 of the ledger's canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Approval:
    kind: ApprovalKind
    party_id: str
    person: str
    comment: str | None
    at: dt.datetime

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "party_id": self.party_id, "person": self.person, "comment": self.comment,
                "at": self.at.isoformat()}


@dataclass(frozen=True)
class SettlementRecord:
    id: int
    contract_id: str
    contract_version: int
    contract_hash: str
    as_of: dt.date | None
    total_paid: Money
    final: bool
    inputs: dict[str, Any]
    inputs_hash: str
    outputs: dict[str, Any]
    outputs_hash: str
    supersedes_id: int | None
    reason: str | None
    created_at: dt.datetime
    created_by: str
    superseded_by: int | None
    approvals: tuple[Approval, ...]

    @property
    def status(self) -> SettlementStatus:
        return SettlementStatus.SUPERSEDED if self.superseded_by is not None else SettlementStatus.CURRENT

    def approval(self, kind: ApprovalKind) -> Approval | None:
        return next((a for a in self.approvals if a.kind == kind), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "contract_id": self.contract_id, "contract_version": self.contract_version,
            "contract_hash": self.contract_hash, "as_of": self.as_of.isoformat() if self.as_of else None,
            "total_paid": str(self.total_paid.amount), "currency": self.total_paid.currency, "final": self.final,
            "status": self.status, "supersedes_id": self.supersedes_id, "superseded_by": self.superseded_by,
            "reason": self.reason, "created_at": self.created_at.isoformat(), "created_by": self.created_by,
            "inputs_hash": self.inputs_hash, "outputs_hash": self.outputs_hash,
            "approvals": [a.to_dict() for a in self.approvals], "inputs": self.inputs, "outputs": self.outputs,
        }


class SettlementRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, contract_id: str, contract_version: int, contract_hash: str, as_of: dt.date | None,
            currency: str, total_paid: Decimal, final: bool, inputs: dict[str, Any], outputs: dict[str, Any],
            actor: str, supersedes_id: int | None = None, reason: str | None = None) -> SettlementRecord:
        row = SettlementRow(contract_id=contract_id, contract_version=contract_version, contract_hash=contract_hash,
                            as_of=as_of, currency=currency, total_paid=total_paid, final=final,
                            inputs=canonical_json(inputs), inputs_hash=digest(inputs), outputs=canonical_json(outputs),
                            outputs_hash=digest(outputs), supersedes_id=supersedes_id, reason=reason, created_by=actor)
        self.session.add(row)
        self.session.flush()
        return self._record(row)

    def add_approval(self, settlement_id: int, *, kind: ApprovalKind, party_id: str, person: str,
                     comment: str | None) -> Approval:
        row = SettlementApprovalRow(settlement_id=settlement_id, kind=kind, party_id=party_id, person=person, comment=comment)
        self.session.add(row)
        self.session.flush()
        return Approval(ApprovalKind(row.kind), row.party_id, row.person, row.comment, row.at)

    def get(self, settlement_id: int) -> SettlementRecord:
        row = self.session.get(SettlementRow, settlement_id)
        if row is None:
            raise NotFoundError("settlement.not_found", Msg("Unknown settlement: #{id}.", id=str(settlement_id)),
                                path="settlement_id", hint=Msg("Choose a settlement from the contract's list of settlements."))
        return self._record(row)

    def list(self, contract_id: str | None = None) -> list[SettlementRecord]:
        q = select(SettlementRow).order_by(SettlementRow.id)
        if contract_id is not None:
            q = q.where(SettlementRow.contract_id == contract_id)
        return [self._record(r) for r in self.session.execute(q).scalars()]

    def _record(self, row: SettlementRow) -> SettlementRecord:
        by = self.session.execute(select(SettlementRow.id).where(SettlementRow.supersedes_id == row.id)).scalar_one_or_none()
        approvals = self.session.execute(
            select(SettlementApprovalRow).where(SettlementApprovalRow.settlement_id == row.id).order_by(SettlementApprovalRow.id)
        ).scalars()
        return SettlementRecord(
            id=row.id, contract_id=row.contract_id, contract_version=row.contract_version, contract_hash=row.contract_hash,
            as_of=row.as_of, total_paid=Money(Decimal(row.total_paid), row.currency), final=row.final,
            inputs=json.loads(row.inputs), inputs_hash=row.inputs_hash, outputs=json.loads(row.outputs),
            outputs_hash=row.outputs_hash, supersedes_id=row.supersedes_id, reason=row.reason,
            created_at=row.created_at, created_by=row.created_by, superseded_by=by,
            approvals=tuple(Approval(ApprovalKind(a.kind), a.party_id, a.person, a.comment, a.at) for a in approvals))
