"""Rolling enrolment services: randomise the next batch, list the batches, replay them, each wave's schedule.

A contract whose analysis plan says ``enrolment: {rolling: true, closes: DATE}`` randomises its
enrolled people in batches, as they join: :func:`randomise_next_batch` takes everyone enrolled and
not yet assigned (or the people named), draws their arms continuing the blocks of the earlier
batches, and saves, in one transaction, the arms, the batch (seed, algorithm, members, the state it
leaves) and its ledger entry. An assignment already made never changes (the database refuses it too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.contract.model import Contract, Design
from temoin.errors import ConflictError, InvalidInputError
from temoin.evaluation.cohort_file import CohortFileError, ParticipantRecord, RowError
from temoin.evaluation.enrolment import (
    BatchInput,
    EnrolmentState,
    randomise_batch,
    refusals,
    replay,
)
from temoin.evaluation.plan import canonical_json
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.evaluation.randomisation import Method, assignment_hash
from temoin.evaluation.schedule import WaveCount, due_date, wave_counts
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.cohorts import (
    BatchMember,
    CohortRepository,
    assignment,
    batch_members,
    members_digest,
)
from temoin.store.contracts import ContractRepository
from temoin.store.models.cohorts import (
    EnrolmentBatchMemberRow,
    EnrolmentBatchRow,
    ParticipantRow,
    RandomisationRow,
)

__all__ = ["BatchRecord", "ReplayCheck", "batches", "cohort_schedule", "enrolment_row_errors", "labels_for", "later_enrolment_problem",
           "method_of", "pending", "randomise_next_batch", "replay_batches", "rolling_flow", "rolling_view",
           "update_referral"]

METHODS: dict[Design, Method] = {Design.INDIVIDUAL_RCT: "simple", Design.STRATIFIED_RCT: "stratified",
                                 Design.CLUSTER_RCT: "cluster"}


def method_of(contract: Contract) -> Method:
    return METHODS[contract.evaluation.design]


def labels_for(contract: Contract, attributes: dict[str, dict[str, Any]]) -> dict[str, str] | None:
    """Each person's stratum (stratified) or cluster (cluster design), from their baseline attributes."""
    ev = contract.evaluation
    if ev.design == Design.STRATIFIED_RCT:
        return {k: "|".join(str(a.get(v)) for v in ev.strata) for k, a in attributes.items()}
    if ev.design == Design.CLUSTER_RCT and ev.cluster:
        return {k: str(a.get(ev.cluster)) for k, a in attributes.items()}
    return None


@dataclass(frozen=True)
class BatchRecord:
    """One stored batch, as people read it."""

    number: int
    created_at: dt.datetime
    method: str
    seed: str
    block_size: int
    n: int
    n_treated: int
    list_hash: str
    first_enrolment: dt.date | None
    last_enrolment: dt.date | None

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "created_at": self.created_at.isoformat(), "method": self.method, "seed": self.seed,
                "block_size": self.block_size, "n": self.n, "n_treated": self.n_treated, "list_hash": self.list_hash,
                "first_enrolment": self.first_enrolment.isoformat() if self.first_enrolment else None,
                "last_enrolment": self.last_enrolment.isoformat() if self.last_enrolment else None}


def _rolling_contract(session: Session, contract_id: str) -> tuple[Contract, int]:
    stored = ContractRepository(session).latest(contract_id)
    c = stored.contract
    if not c.evaluation.analysis_plan.rolling:
        raise InvalidInputError("enrolment.not_rolling", Msg("The analysis plan of {contract} does not enrol on a rolling basis.",
                                                             contract=contract_id), path="evaluation.analysis_plan.enrolment",
                                hint=Msg("Add to the analysis plan an 'enrolment' with 'rolling: true' and 'closes: YYYY-MM-DD'."))
    if not c.evaluation.design.randomised:
        raise InvalidInputError("cohort.not_randomised_design",
                                Msg("This design has no randomisation: {design}.", design=c.evaluation.design),
                                path="evaluation.design")
    return c, stored.version


def _digest(lines: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def randomise_next_batch(engine: Engine, contract_id: str, *, seed: int | None = None, actor: str = "cli",
                         members: Sequence[str] | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Randomise the next batch: everyone enrolled and not yet assigned, or the ``members`` named (the
    operator's identifiers, ``settings`` giving the pseudonym secret). A member listed twice, unknown,
    not enrolled or already assigned is refused with its position and reason; nothing is written."""
    with session_scope(engine) as s:
        contract, version = _rolling_contract(s, contract_id)
        ev = contract.evaluation
        repo = CohortRepository(s)
        people = repo.participants(contract_id)
        by_key = {p.pkey: p for p in people}
        if members is not None:
            if settings is None:
                raise InvalidInputError("enrolment.settings", Msg("Naming a batch's members needs the pseudonym secret."))
            key = contract_key(contract_id, master=settings.pseudonym_master)
            keys = [pseudonymise(m, contract_id, key=key) for m in members]
            errors = [RowError(i + 1, "participant_id", m, Msg("unknown participant (import the cohort first)"))
                      for i, (m, k) in enumerate(zip(members, keys, strict=True)) if k not in by_key]
            errors += [RowError(i + 1, "participant_id", m, Msg("participant not enrolled"))
                       for i, (m, k) in enumerate(zip(members, keys, strict=True)) if k in by_key and not by_key[k].enrolled]
            assigned = {p.pkey for p in people if p.arm is not None}
            position = {k: i for i, k in enumerate(keys)}
            ident = dict(zip(keys, members, strict=True))
            errors += [RowError(position[r.key] + 1, "participant_id", ident[r.key], r.reason) for r in refusals(keys, assigned)]
            if errors:
                raise CohortFileError(sorted(errors, key=lambda e: e.row), what=Msg("Batch refused"))
        else:
            keys = [p.pkey for p in people if p.enrolled and p.arm is None]
            if not keys:
                raise ConflictError("enrolment.nobody_waiting", Msg("No enrolled participant is waiting to be randomised."),
                                    path="enrolled", hint=Msg("Import the newly enrolled participants first."))
        done = repo.batches(contract_id)
        state = EnrolmentState.from_dict(json.loads(done[-1].state)) if done else None
        attrs = {k: json.loads(by_key[k].attributes) for k in keys}
        labels = labels_for(contract, attrs)
        method = method_of(contract)
        batch = randomise_batch(keys, method=method, ratio=ev.allocation_ratio,
                                strata=labels if method == "stratified" else None,
                                clusters=labels if method == "cluster" else None, seed=seed, state=state)
        a = batch.assignment
        number = (done[-1].number if done else 0) + 1
        for k, arm in zip(a.keys, a.arms, strict=True):
            by_key[k].arm = arm
            by_key[k].batch = number
        places = [labels[k] if labels else None for k in a.keys]
        members_sha = members_digest([canonical_json([k, lab]) for k, lab in zip(a.keys, places, strict=True)])
        s.add(EnrolmentBatchRow(contract_id=contract_id, number=number, contract_version=version, method=a.method,
                                algorithm=a.algorithm, seed=str(a.seed), ratio=a.ratio, block_size=batch.block_size,
                                n=len(a.keys), n_treated=a.n_treated, list_hash=a.list_hash, labels=canonical_json(places),
                                members_sha256=members_sha, state=canonical_json(batch.state.to_dict()), actor=actor))
        s.add_all([EnrolmentBatchMemberRow(contract_id=contract_id, batch=number, position=i, participant_id=by_key[k].id)
                   for i, k in enumerate(a.keys)])
        s.flush()
        all_keys, all_arms = assignment(s, contract_id)
        whole = assignment_hash(all_keys, all_arms)
        s.add(RandomisationRow(contract_id=contract_id, contract_version=version, method=a.method, algorithm=a.algorithm,
                               seed=str(a.seed), ratio=a.ratio, n=len(all_keys), n_treated=sum(all_arms), list_hash=whole,
                               actor=actor))
        payload = {"contract_version": version, "method": a.method, "algorithm": a.algorithm, "seed": str(a.seed),
                   "ratio": a.ratio, "strata": list(ev.strata), "n": len(all_keys), "n_treated": sum(all_arms),
                   "list_hash": whole, "batch": number, "block_size": batch.block_size, "batch_n": len(a.keys),
                   "batch_n_treated": a.n_treated, "batch_list_hash": a.list_hash, "members_sha256": members_sha,
                   "state_sha256": _digest([canonical_json(batch.state.to_dict())])}
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_RANDOMISED, contract_id=contract_id, payload=payload)
    return payload


def batches(session: Session, contract_id: str) -> list[BatchRecord]:
    """The contract's batches with their enrolment dates (first and last member's)."""
    rows = CohortRepository(session).batches(contract_id)
    dates: dict[int, list[dt.date]] = {}
    for p in CohortRepository(session).participants(contract_id):
        if p.batch is not None and p.enrolment_date is not None:
            dates.setdefault(p.batch, []).append(p.enrolment_date)
    return [BatchRecord(r.number, r.created_at, r.method, r.seed, r.block_size, r.n, r.n_treated, r.list_hash,
                        min(dates[r.number]) if r.number in dates else None,
                        max(dates[r.number]) if r.number in dates else None) for r in rows]


@dataclass(frozen=True)
class ReplayCheck:
    """Replaying every stored batch from its seed and each place's stratum or cluster: how many
    assignments it gave back, the people (keys) whose stored arm or batch differs from the replay, and
    the places of people erased since (drawn again, with no one left to compare)."""

    batches: int
    reproduced: int
    differing: tuple[str, ...]
    erased: int = 0

    @property
    def ok(self) -> bool:
        return not self.differing


def _places(n: int) -> tuple[str, ...]:
    """Stand-in keys for a batch's places: they sort as its members' keys did (the draw depends only
    on that order and each place's label), so a batch is drawn again without any pseudonym."""
    return tuple(f"{i:09d}" for i in range(n))


def replay_batches(engine: Engine, contract_id: str) -> ReplayCheck:
    """Draw every batch again (ledger-vouched seeds, each place's label, in order) and compare with the
    stored arms. A member erased since leaves their place in the draw, so the people drawn after them
    are reproduced; their own place is counted in ``erased``."""
    with session_scope(engine) as s:
        rows = CohortRepository(s).batches(contract_id)
        inputs: list[BatchInput] = []
        stored: list[tuple[int, dict[int, BatchMember]]] = []
        for r in rows:
            labels = json.loads(r.labels)
            keys = _places(len(labels))
            by_place = dict(zip(keys, labels, strict=True))
            inputs.append(BatchInput(keys, int(r.seed), r.method, r.ratio,  # type: ignore[arg-type]
                                     strata=by_place if r.method == "stratified" else None,
                                     clusters=by_place if r.method == "cluster" else None))
            stored.append((r.number, batch_members(s, contract_id, r.number)))
    differing: list[str] = []
    reproduced = erased = 0
    for b, (number, members) in zip(replay(inputs), stored, strict=True):
        for place, arm in enumerate(b.assignment.arms):
            m = members.get(place)
            if m is None:
                erased += 1
            elif (m.arm, m.batch) == (arm, number):
                reproduced += 1
            else:
                differing.append(m.key)
    return ReplayCheck(len(rows), reproduced, tuple(differing), erased)


def enrolment_row_errors(contract: Contract, records: Sequence[Any]) -> list[RowError]:
    """Rows of a participant file a rolling enrolment refuses: an enrolled person without an
    enrolment date, or enrolled after the closing date."""
    enrolment = contract.evaluation.analysis_plan.enrolment
    if enrolment is None or not enrolment.rolling or enrolment.closes is None:
        return []
    errors: list[RowError] = []
    for rec in records:
        if not rec.enrolled:
            continue
        if rec.enrolment_date is None:
            errors.append(RowError(rec.row, "enrolment_date", "",
                                   Msg("enrolment date required: enrolment is rolling, each person is followed from their own date")))
        elif rec.enrolment_date > enrolment.closes:
            errors.append(RowError(rec.row, "enrolment_date", rec.enrolment_date.isoformat(),
                                   Msg("enrolment after the closing date ({closes})", closes=enrolment.closes)))
    return errors


def later_enrolment_problem(stored: ParticipantRow, rec: ParticipantRecord) -> Msg | None:
    """Why a row may not update the participant already registered under its identifier (None: it may).

    A person referred and not enrolled may come back in a later file, enrolled or with a new consent
    or eligibility: the row updates their referral (the first referral's date and source are kept,
    the baseline attributes are the new row's). A person already enrolled is not enrolled twice; a
    row that changes nothing is the same person registered twice."""
    if stored.enrolled or stored.arm is not None:
        return Msg("participant already registered for this contract")
    same = (stored.eligible, stored.consent, stored.enrolled, stored.enrolment_date) == \
        (rec.eligible, rec.consent, rec.enrolled, rec.enrolment_date)
    if same:
        return Msg("participant already registered for this contract")
    return None


def update_referral(stored: ParticipantRow, rec: ParticipantRecord) -> None:
    """Update a referred, not enrolled participant from a later row (see :func:`later_enrolment_problem`)."""
    stored.eligible, stored.consent, stored.enrolled = rec.eligible, rec.consent, rec.enrolled
    stored.enrolment_date = rec.enrolment_date
    stored.attributes = canonical_json(rec.attributes)
    stored.referral_date = stored.referral_date or rec.referral_date
    stored.referral_source = stored.referral_source or rec.referral_source
    stored.consent_date, stored.consent_research = rec.consent_date, rec.consent_research
    stored.consent_guardian = rec.consent_guardian


def pending(session: Session, contract_id: str) -> tuple[int, int]:
    """(the next batch's number, how many enrolled people wait for it)."""
    repo = CohortRepository(session)
    done = repo.batches(contract_id)
    waiting = sum(1 for p in repo.participants(contract_id) if p.enrolled and p.arm is None)
    return (done[-1].number if done else 0) + 1, waiting


def cohort_schedule(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> list[WaveCount]:
    """Per wave, on ``as_of`` (today if None): how many enrolled people are measured, due, overdue, not yet due."""
    as_of = as_of or dt.date.today()
    with session_scope(engine) as s:
        contract = ContractRepository(s).latest(contract_id).contract
        repo = CohortRepository(s)
        people = [p for p in repo.participants(contract_id) if p.enrolled and p.enrolment_date is not None
                  and (p.arm is not None or not contract.evaluation.design.randomised)]
        measured = {(pid, wave) for pid, wave, _ in repo.outcome_table(contract_id)}
        return [wave_counts([p.enrolment_date for p in people if p.enrolment_date is not None],
                            [(p.id, w.id) in measured for p in people], wave=w.id, months=w.months_after_enrolment,
                            as_of=as_of) for w in contract.evaluation.follow_up_waves]



@dataclass(frozen=True)
class RollingView:
    """What the evaluator and the operator see of a rolling enrolment on a date: the batches, each
    wave's schedule, and the next batch with how many enrolled people wait for it."""

    as_of: dt.date
    batches: tuple[BatchRecord, ...]
    schedule: tuple[WaveCount, ...]
    next_batch: int
    waiting: int


def rolling_view(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> RollingView | None:
    """The batches, the schedule and the next batch of a rolling enrolment (None when enrolment is not rolling)."""
    with session_scope(engine) as s:
        if not ContractRepository(s).latest(contract_id).contract.evaluation.analysis_plan.rolling:
            return None
        listed = tuple(batches(s, contract_id))
        number, waiting = pending(s, contract_id)
    schedule = cohort_schedule(engine, contract_id, as_of=as_of)
    return RollingView(as_of or dt.date.today(), listed, tuple(schedule), number, waiting)


@dataclass(frozen=True)
class ArmCounts:
    treated: int
    control: int

    def to_dict(self) -> dict[str, int]:
        return {"treated": self.treated, "control": self.control}


@dataclass(frozen=True)
class WaveFlow:
    """One wave on the flow: per arm, the people due by the date (measured or not) and those measured;
    and the people not yet due."""

    wave: str
    due: ArmCounts
    measured: ArmCounts
    not_yet_due: int

    def to_dict(self) -> dict[str, object]:
        return {"wave": self.wave, "due": self.due.to_dict(), "measured": self.measured.to_dict(),
                "not_yet_due": self.not_yet_due}


@dataclass(frozen=True)
class RollingFlow:
    """The whole story of a rolling enrolment at a date: referred → eligible (exclusions by rule) →
    consented → enrolled → randomised per batch (and those waiting for the next) → due at each wave →
    measured. Counts for the parties (not for publication: the public flow is suppressed separately)."""

    as_of: dt.date
    referred: int
    not_eligible: dict[str, int]
    """People not eligible, by the eligibility rule they fail (a person may fail several)."""
    eligible: int
    consented: int
    enrolled: int
    batches: tuple[tuple[int, ArmCounts], ...]
    waiting: int
    waves: tuple[WaveFlow, ...]

    @property
    def randomised(self) -> ArmCounts:
        return ArmCounts(sum(a.treated for _, a in self.batches), sum(a.control for _, a in self.batches))

    def to_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "referred": self.referred, "not_eligible": self.not_eligible,
                "eligible": self.eligible, "consented": self.consented, "enrolled": self.enrolled,
                "batches": [{"batch": b, **a.to_dict()} for b, a in self.batches], "waiting": self.waiting,
                "randomised": self.randomised.to_dict(), "waves": [w.to_dict() for w in self.waves]}


def _rule_name(rule: Any) -> str:
    return f"{rule.attribute} {rule.op} {rule.value}"


def rolling_flow(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> RollingFlow:
    """The cohort flow of a rolling enrolment on ``as_of`` (today if None), from the stored cohort."""
    as_of = as_of or dt.date.today()
    with session_scope(engine) as s:
        contract, _ = _rolling_contract(s, contract_id)
        repo = CohortRepository(s)
        people = repo.participants(contract_id)
        measured: dict[tuple[int, str], bool] = {}
        primary = contract.evaluation.analysis_plan.primary_outcome
        for pid, wave, values in repo.outcome_table(contract_id):
            v = json.loads(values).get(primary) if primary else None
            measured[(pid, wave)] = v is not None and v == v
        not_eligible: dict[str, int] = {}
        for p in people:
            if p.eligible:
                continue
            attrs = json.loads(p.attributes)
            for rule in contract.population.eligibility:
                if attrs.get(rule.attribute) is None or not rule.admits(attrs):
                    not_eligible[_rule_name(rule)] = not_eligible.get(_rule_name(rule), 0) + 1
        per_batch: dict[int, list[int]] = {}
        for p in people:
            if p.batch is not None and p.arm is not None:
                per_batch.setdefault(p.batch, [0, 0])[1 - p.arm] += 1
        randomised = [p for p in people if p.arm is not None]
        waves = []
        for w in contract.evaluation.follow_up_waves:
            due = [0, 0]
            done = [0, 0]
            later = 0
            for p in randomised:
                arm = p.arm if p.arm is not None else 0
                if p.enrolment_date is None or due_date(p.enrolment_date, w.months_after_enrolment) > as_of:
                    later += 1
                    continue
                due[1 - arm] += 1
                done[1 - arm] += measured.get((p.id, w.id), False)
            waves.append(WaveFlow(w.id, ArmCounts(*due), ArmCounts(*done), later))
        return RollingFlow(
            as_of, len(people), dict(sorted(not_eligible.items())), sum(p.eligible for p in people),
            sum(p.eligible and p.consent for p in people), sum(p.enrolled for p in people),
            tuple((b, ArmCounts(*per_batch[b])) for b in sorted(per_batch)),
            sum(p.enrolled and p.arm is None for p in people), tuple(waves))
