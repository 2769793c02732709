"""Repository for cohorts: participants, outcomes, randomisations, plan locks and results."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import case, func, insert, or_, select
from sqlalchemy.orm import Session

from temoin.governance.ledger import canonical_json
from temoin.store.models.cohorts import (
    EnrolmentBatchMemberRow,
    EnrolmentBatchRow,
    EvaluationResultRow,
    OutcomeRow,
    ParticipantRow,
    PlanLockRow,
)

__all__ = ["BatchMember", "CohortRepository", "assignment", "batch_member_lines", "batch_members", "members_digest",
           "participant_lines", "wave_lines"]

IN_BATCH = 1_000
"""Keys per ``IN (…)`` query (well below SQLite's and PostgreSQL's limits on parameters)."""


class ParticipantRef(NamedTuple):
    """What a wave import needs to know of a stored participant."""

    id: int
    enrolled: bool
    arm: int | None
    enrolment_date: dt.date | None = None


class CohortRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def participants(self, contract_id: str) -> list[ParticipantRow]:
        q = select(ParticipantRow).where(ParticipantRow.contract_id == contract_id).order_by(ParticipantRow.id)
        return list(self.session.execute(q).scalars())

    def participant_table(self, contract_id: str) -> list[tuple[Any, ...]]:
        """The participants' columns as plain rows (no ORM objects), in order: ``id``, ``pkey``, ``synthetic``,
        ``eligible``, ``consent``, ``enrolled``, ``referral_date``, ``enrolment_date``, ``arm``, ``attributes``, ``batch``."""
        P = ParticipantRow
        q = (select(P.id, P.pkey, P.synthetic, P.eligible, P.consent, P.enrolled, P.referral_date, P.enrolment_date,
                    P.arm, P.attributes, P.batch).where(P.contract_id == contract_id).order_by(P.id))
        return cast(list[tuple[Any, ...]], list(self.session.execute(q).all()))

    def outcome_table(self, contract_id: str) -> list[tuple[Any, ...]]:
        """(participant_id, wave, values) of every outcome of the contract, as plain rows, in order."""
        q = (select(OutcomeRow.participant_id, OutcomeRow.wave, OutcomeRow.values)
             .where(OutcomeRow.contract_id == contract_id).order_by(OutcomeRow.id))
        return cast(list[tuple[Any, ...]], list(self.session.execute(q).all()))

    def stage_counts(self, contract_id: str) -> list[tuple[bool, bool, bool, int | None, int]]:
        """(eligible, consent, enrolled, arm, how many) for the contract's referred people: SQL counts."""
        P = ParticipantRow
        q = (select(P.eligible, P.consent, P.enrolled, P.arm, func.count()).where(P.contract_id == contract_id)
             .group_by(P.eligible, P.consent, P.enrolled, P.arm))
        return [(bool(e), bool(c), bool(en), arm, int(n)) for e, c, en, arm, n in self.session.execute(q)]

    def followed_counts(self, contract_id: str, indicator: str,
                        waves: Sequence[str]) -> tuple[dict[tuple[str, int | None, bool], int], set[str]]:
        """People with a value of ``indicator`` recorded, by (wave, arm, enrolled); and the waves whose
        files carried the indicator at all (even with every value blank).

        Counted in SQL, without decoding each row: the values are written by
        :func:`~temoin.governance.ledger.canonical_json` (no spaces; an indicator's identifier is
        ``[a-z0-9_-]`` so it is written as is), so ``"<indicator>":`` appears in a row's text exactly when
        the row carries the indicator, and is followed by ``null`` (a blank) or ``NaN`` exactly when it
        carries no value. Plain ``LIKE`` (``_`` escaped) works the same on SQLite and PostgreSQL, where
        their JSON functions would refuse a stored ``NaN``."""
        key = f'"{indicator}":'
        blank = or_(OutcomeRow.values.contains(key + "null", autoescape=True),
                    OutcomeRow.values.contains(key + "NaN", autoescape=True))
        q = (select(OutcomeRow.wave, ParticipantRow.arm, ParticipantRow.enrolled, func.count(),
                    func.sum(case((blank, 1), else_=0)))
             .join(ParticipantRow, ParticipantRow.id == OutcomeRow.participant_id)
             .where(OutcomeRow.contract_id == contract_id, OutcomeRow.wave.in_(list(waves)),
                    OutcomeRow.values.contains(key, autoescape=True))
             .group_by(OutcomeRow.wave, ParticipantRow.arm, ParticipantRow.enrolled))
        out: dict[tuple[str, int | None, bool], int] = {}
        present: set[str] = set()
        for wave, arm, enrolled, rows, blanks in self.session.execute(q):
            present.add(wave)
            if rows - int(blanks or 0):
                k = (wave, arm, bool(enrolled))
                out[k] = out.get(k, 0) + rows - int(blanks or 0)
        return out, present

    def participants_by_key(self, contract_id: str) -> dict[str, ParticipantRow]:
        return {p.pkey: p for p in self.participants(contract_id)}

    def participants_for_keys(self, contract_id: str, pkeys: Sequence[str]) -> dict[str, ParticipantRef]:
        """The participants with these keys, by key (absent keys are left out)."""
        out: dict[str, ParticipantRef] = {}
        for i in range(0, len(pkeys), IN_BATCH):
            q = select(ParticipantRow.pkey, ParticipantRow.id, ParticipantRow.enrolled, ParticipantRow.arm,
                       ParticipantRow.enrolment_date).where(
                ParticipantRow.contract_id == contract_id, ParticipantRow.pkey.in_(pkeys[i:i + IN_BATCH]))
            out.update((k, ParticipantRef(pid, bool(enrolled), arm, date))
                       for k, pid, enrolled, arm, date in self.session.execute(q))
        return out

    def outcome_participants(self, contract_id: str, wave: str, participant_ids: Sequence[int]) -> set[int]:
        """Which of these participants already have an outcome recorded at this wave."""
        out: set[int] = set()
        for i in range(0, len(participant_ids), IN_BATCH):
            q = select(OutcomeRow.participant_id).where(OutcomeRow.contract_id == contract_id, OutcomeRow.wave == wave,
                                                        OutcomeRow.participant_id.in_(participant_ids[i:i + IN_BATCH]))
            out.update(self.session.execute(q).scalars())
        return out

    def add_outcomes(self, rows: list[dict[str, Any]]) -> None:
        """Insert outcome rows in bulk (no ORM objects kept in the session)."""
        if rows:
            self.session.execute(insert(OutcomeRow), rows)

    def outcomes(self, contract_id: str) -> list[OutcomeRow]:
        q = select(OutcomeRow).where(OutcomeRow.contract_id == contract_id).order_by(OutcomeRow.id)
        return list(self.session.execute(q).scalars())

    def outcome_count(self, contract_id: str, wave: str | None = None) -> int:
        q = select(func.count()).select_from(OutcomeRow).where(OutcomeRow.contract_id == contract_id)
        if wave is not None:
            q = q.where(OutcomeRow.wave == wave)
        return int(self.session.execute(q).scalar_one())


    def batches(self, contract_id: str) -> list[EnrolmentBatchRow]:
        """The contract's enrolment batches, in the order they were randomised."""
        q = select(EnrolmentBatchRow).where(EnrolmentBatchRow.contract_id == contract_id).order_by(EnrolmentBatchRow.number)
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


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def participant_lines(session: Session, contract_id: str) -> list[str]:
    """One line per participant of the contract (every stored column but the arm, which the
    randomisation's ``list_hash`` covers), sorted: what the ledger's ``cohort_sha256`` is taken over.

    The consent's date and scope, when recorded, close the line (a line without them is as it was
    before they existed, so earlier digests still hold)."""
    P = ParticipantRow
    q = (select(P.pkey, P.referral_date, P.referral_source, P.attributes, P.eligible, P.consent, P.enrolled,
                P.enrolment_date, P.synthetic, P.consent_date, P.consent_research, P.consent_guardian)
         .where(P.contract_id == contract_id))
    out = []
    for pkey, rd, src, attrs, el, co, en, ed, sy, cd, cr, cg in session.execute(q):
        line: list[Any] = [pkey, _iso(rd), src, attrs, bool(el), bool(co), bool(en), _iso(ed), bool(sy)]
        if (cd, cr, cg) != (None, None, None):
            line.append({"consent_date": _iso(cd), "consent_research": cr, "consent_guardian": cg})
        out.append(canonical_json(line))
    return sorted(out)


def wave_lines(session: Session, contract_id: str, wave: str) -> list[str]:
    """One line per outcome recorded at ``wave`` (participant key and values), sorted: what the
    ledger's ``wave_sha256`` is taken over."""
    q = (select(ParticipantRow.pkey, OutcomeRow.values).join(ParticipantRow, ParticipantRow.id == OutcomeRow.participant_id)
         .where(OutcomeRow.contract_id == contract_id, OutcomeRow.wave == wave))
    return sorted(f"{pkey}|{values}" for pkey, values in session.execute(q))


def assignment(session: Session, contract_id: str) -> tuple[list[str], list[int]]:
    """The participants' keys and arms, for those who have one."""
    q = select(ParticipantRow.pkey, ParticipantRow.arm).where(ParticipantRow.contract_id == contract_id,
                                                               ParticipantRow.arm.is_not(None))
    rows = list(session.execute(q))
    return [k for k, _ in rows], [int(a or 0) for _, a in rows]  # arm is not NULL here


class BatchMember(NamedTuple):
    """A member of an enrolment batch still stored: their key, arm and batch (from their participant row)."""

    key: str
    arm: int | None
    batch: int | None


def batch_members(session: Session, contract_id: str, number: int) -> dict[int, BatchMember]:
    """A batch's members still stored, by their place in the draw (an erased member's place is absent)."""
    M, P = EnrolmentBatchMemberRow, ParticipantRow
    q = (select(M.position, P.pkey, P.arm, P.batch).join(P, P.id == M.participant_id)
         .where(M.contract_id == contract_id, M.batch == number))
    return {int(pos): BatchMember(k, arm, b) for pos, k, arm, b in session.execute(q)}


def batch_member_lines(labels: Sequence[str | None], members: dict[int, BatchMember]) -> list[str]:
    """One line per place of a batch's draw, ``[key, label]``, the key ``null`` where the member was
    erased: what ``members_sha256`` (as drawn) and an erasure's ``batch_members`` digests are taken over."""
    return [canonical_json([members[i].key if i in members else None, label]) for i, label in enumerate(labels)]


def members_digest(lines: Sequence[str]) -> str:
    """SHA-256 of a batch's member lines joined by newlines (the form 0010's ``members_sha256`` took)."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
