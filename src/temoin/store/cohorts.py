"""Repository for cohorts: participants, outcomes, randomisations, plan locks and results."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from temoin.store.models.cohorts import (
    EvaluationResultRow,
    OutcomeRow,
    ParticipantRow,
    PlanLockRow,
    RandomisationRow,
)

__all__ = ["CohortRepository"]


class CohortRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def participants(self, contract_id: str) -> list[ParticipantRow]:
        q = select(ParticipantRow).where(ParticipantRow.contract_id == contract_id).order_by(ParticipantRow.id)
        return list(self.session.execute(q).scalars())

    def participants_by_key(self, contract_id: str) -> dict[str, ParticipantRow]:
        return {p.pkey: p for p in self.participants(contract_id)}

    def outcomes(self, contract_id: str) -> list[OutcomeRow]:
        q = select(OutcomeRow).where(OutcomeRow.contract_id == contract_id).order_by(OutcomeRow.id)
        return list(self.session.execute(q).scalars())

    def outcome_count(self, contract_id: str, wave: str | None = None) -> int:
        q = select(func.count()).select_from(OutcomeRow).where(OutcomeRow.contract_id == contract_id)
        if wave is not None:
            q = q.where(OutcomeRow.wave == wave)
        return int(self.session.execute(q).scalar_one())

    def randomisations(self, contract_id: str) -> list[RandomisationRow]:
        q = select(RandomisationRow).where(RandomisationRow.contract_id == contract_id).order_by(RandomisationRow.id)
        return list(self.session.execute(q).scalars())

    def plan_locks(self, contract_id: str) -> list[PlanLockRow]:
        q = select(PlanLockRow).where(PlanLockRow.contract_id == contract_id).order_by(PlanLockRow.id)
        return list(self.session.execute(q).scalars())

    def latest_run(self, contract_id: str) -> list[EvaluationResultRow]:
        last = self.session.execute(
            select(EvaluationResultRow).where(EvaluationResultRow.contract_id == contract_id)
            .order_by(EvaluationResultRow.id.desc()).limit(1)).scalar_one_or_none()
        if last is None:
            return []
        q = select(EvaluationResultRow).where(EvaluationResultRow.run_id == last.run_id).order_by(EvaluationResultRow.id)
        return list(self.session.execute(q).scalars())

    def add(self, row: object) -> None:
        self.session.add(row)
