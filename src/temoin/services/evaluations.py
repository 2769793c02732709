"""Evaluation services: cohorts, randomisation, the locked plan, evaluation runs, design diagnosis.

Each function that changes state owns one transaction, in which it also writes its audit-ledger
entry: the change and its record are saved together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.contract.model import Contract, Design
from temoin.errors import ConflictError, InvalidInputError
from temoin.evaluation.cohort_file import (
    CohortFileError,
    Normalised,
    RowError,
    check_outcomes,
    check_participants,
    read_table,
    rename_headers,
)
from temoin.evaluation.diagnosis import (
    DiagnosisReport,
    diagnose_design,
    normal_template,
    template_from_frame,
)
from temoin.evaluation.enrolment_curve import EnrolmentCurve, period_samples
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
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.evaluation.randomisation import randomise
from temoin.evaluation.result import ImpactResult
from temoin.evaluation.run import outcome_column, run_plan
from temoin.evaluation.schedule import due_date
from temoin.evaluation.text import significant
from temoin.governance.ledger import LedgerEvent, rows_digest
from temoin.messages import Msg
from temoin.services._tables import iter_table
from temoin.services.cohort_columns import header_aliases, participant_columns, wave_columns
from temoin.services.enrolment import (
    enrolment_row_errors,
    later_enrolment_problem,
    pending,
    randomise_next_batch,
    update_referral,
)
from temoin.settings import Settings
from temoin.settlement.scenarios import trial_payments
from temoin.store import ledger, session_scope
from temoin.store.cohorts import CohortRepository, participant_lines, wave_lines
from temoin.store.contracts import ContractRepository, StoredContract
from temoin.store.models.cohorts import (
    EvaluationResultRow,
    ParticipantRow,
    PlanLockRow,
    RandomisationRow,
)

__all__ = [
    "ImportSummary",
    "PlanStatus",
    "amend_plan",
    "diagnose",
    "evaluate_contract",
    "generate_synthetic",
    "import_outcomes",
    "import_participants",
    "latest_diagnostics",
    "latest_results",
    "lock_plan",
    "participants_frame",
    "plan_status",
    "randomise_cohort",
]


@dataclass(frozen=True)
class ImportSummary:
    contract_id: str
    rows: int
    enrolled: int = 0
    eligible: int = 0
    blanks: dict[str, int] | None = None
    batch: int | None = None
    """Rolling enrolment: the number of the batch the newly enrolled people wait for."""
    waiting: int | None = None
    """Rolling enrolment: how many enrolled people wait for that batch (this file's and earlier ones')."""
    updated: int = 0
    """People already registered, not enrolled then, whose row this file updates (referred, later enrolled)."""
    left_out: int | None = None
    """Enrolled by this file after a one-time randomisation (no rolling enrolment): they will not be randomised."""
    joining: tuple[str, ...] = ()
    """Rolling enrolment: the operator's identifiers of this file's newly enrolled people, who join ``batch``
    (for the operator's own answer; never stored nor written in the ledger)."""
    normalised: tuple[Normalised, ...] = ()
    """Values read as an allowed one (``Lille`` as ``lille``, ``Oui`` as 1), per column and value."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["normalised"] = [n.to_dict() for n in self.normalised]
        return out


def _contract(session: Session, contract_id: str) -> StoredContract:
    return ContractRepository(session).latest(contract_id)


def import_participants(engine: Engine, contract_id: str, path: str | Path, *, settings: Settings,
                        actor: str = "cli") -> ImportSummary:
    """Import referred people from CSV/XLSX: all rows or none, with a row-level error report."""
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        frame = rename_headers(read_table(path), header_aliases(participant_columns(stored.contract)))
        records, errors, normalised = check_participants(frame, stored.contract)
        key = contract_key(contract_id, master=settings.pseudonym_master)
        repo = CohortRepository(s)
        existing = repo.participants_by_key(contract_id)
        rows: list[ParticipantRow] = []
        updated: list[ParticipantRow] = []
        for rec in records:  # the rows that passed: checked against those already registered, in the same pass
            pkey = pseudonymise(rec.identifier, contract_id, key=key)
            if pkey in existing:
                problem = later_enrolment_problem(existing[pkey], rec)
                if problem is not None:
                    errors.append(RowError(rec.row, "participant_id", rec.identifier, problem))
                else:
                    updated.append(existing[pkey])
                continue
            rows.append(ParticipantRow(
                contract_id=contract_id, pkey=pkey, referral_date=rec.referral_date, referral_source=rec.referral_source,
                attributes=canonical_json(rec.attributes), eligible=rec.eligible, consent=rec.consent,
                enrolled=rec.enrolled, enrolment_date=rec.enrolment_date, arm=None, synthetic=rec.synthetic))
        errors += enrolment_row_errors(stored.contract, records)
        if errors:
            raise CohortFileError(sorted(errors, key=lambda e: e.row))
        by_pkey = {pseudonymise(rec.identifier, contract_id, key=key): rec for rec in records}
        for person in updated:
            update_referral(person, by_pkey[person.pkey])
        s.add_all(rows)
        s.flush()
        # the digest covers every participant, those of an import that committed meanwhile too:
        # taken once this transaction is the only writer (READ COMMITTED then sees the other's rows)
        ledger.serialise(s)
        both = rows + updated
        summary = ImportSummary(contract_id, len(both), sum(r.enrolled for r in both), sum(r.eligible for r in both),
                                normalised=tuple(normalised), updated=len(updated))
        if stored.contract.evaluation.analysis_plan.rolling:
            batch, waiting = pending(s, contract_id)
            summary = replace(summary, batch=batch, waiting=waiting,
                              joining=tuple(sorted(rec.identifier for rec in records if rec.enrolled)))
        elif summary.enrolled and stored.contract.evaluation.design.randomised and \
                any(p.arm is not None for p in existing.values()):
            summary = replace(summary, left_out=summary.enrolled)
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_PARTICIPANTS_IMPORTED, contract_id=contract_id,
                      payload={"rows": summary.rows, "enrolled": summary.enrolled, "eligible": summary.eligible,
                               "updated": summary.updated,
                               "synthetic": any(r.synthetic for r in rows), "file": Path(path).name,
                               "cohort_sha256": rows_digest(participant_lines(s, contract_id))})
    return summary


OUTCOME_CHUNK_ROWS = 5_000
"""Rows of a wave file read, checked and saved at a time (memory does not grow with the file)."""


def _shifted(errors: list[RowError], offset: int) -> list[RowError]:
    return [replace(e, row=e.row + offset) if e.row > 1 else e for e in errors]


def import_outcomes(engine: Engine, contract_id: str, wave: str, path: str | Path, *, settings: Settings,
                    actor: str = "cli", as_of: dt.date | None = None) -> ImportSummary:
    """Import one follow-up wave (one row per participant followed): all rows or none.

    The file is streamed: each chunk of rows is checked, its participants looked up and its outcomes
    written inside the one transaction, which any refused row rolls back. Every problem is reported
    in one pass: the header's, every row's (identifiers, numbers, ranges, duplicates) and the rows'
    against the stored cohort (unknown participants, not enrolled, already recorded). Under rolling enrolment, a row for
    someone whose wave is not yet due on ``as_of`` (today if None) is refused.
    """
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        key = contract_key(contract_id, master=settings.pseudonym_master)
        repo = CohortRepository(s)
        randomised = stored.contract.evaluation.design.randomised
        months = next((w.months_after_enrolment for w in stored.contract.evaluation.follow_up_waves if w.id == wave), None)
        rolling_months = months if stored.contract.evaluation.analysis_plan.rolling else None
        today = as_of or dt.date.today()
        aliases = header_aliases(wave_columns(stored.contract))
        errors: list[RowError] = []
        blanks: dict[str, int] = {}
        normalised: dict[tuple[str, str, str], int] = {}
        seen: set[str] = set()
        saved = 0
        for start, chunk in iter_table(path, OUTCOME_CHUNK_ROWS):
            frame = rename_headers(chunk, aliases)
            here: set[str] = set()
            duplicates: list[RowError] = []  # an identifier already met in an earlier chunk
            for i, ident in enumerate(frame["participant_id"] if "participant_id" in frame.columns else ()):
                if ident and ident in seen and ident not in here:
                    duplicates.append(RowError(start + i + 2, "participant_id", ident, Msg("duplicate identifier")))
                here.add(ident)
            seen |= here - {""}
            parsed, chunk_blanks, problems, read_as = check_outcomes(frame, stored.contract, wave, header=start == 0)
            errors += duplicates + _shifted(problems, start)
            for n in read_as:
                normalised[(n.column, n.written, n.read_as)] = normalised.get((n.column, n.written, n.read_as), 0) + n.rows
            for k, v in chunk_blanks.items():
                blanks[k] = blanks.get(k, 0) + v
            keys = [pseudonymise(ident, contract_id, key=key) for _, ident, _ in parsed]
            people = repo.participants_for_keys(contract_id, keys)
            already = repo.outcome_participants(contract_id, wave, [p.id for p in people.values()])
            rows: list[dict[str, Any]] = []
            for (line, ident, values), pkey in zip(parsed, keys, strict=True):
                p = people.get(pkey)
                line += start
                if p is None:
                    errors.append(RowError(line, "participant_id", ident, Msg("unknown participant (import the cohort first)")))
                elif not p.enrolled:
                    errors.append(RowError(line, "participant_id", ident, Msg("participant not enrolled")))
                elif randomised and p.arm is None:
                    errors.append(RowError(line, "participant_id", ident, Msg("participant not randomised")))
                elif rolling_months is not None and p.enrolment_date is not None and \
                        (due := due_date(p.enrolment_date, rolling_months)) > today:
                    errors.append(RowError(line, "participant_id", ident,
                                           Msg("wave {wave} not yet due for this participant (due on {due})", wave=wave, due=due)))
                elif p.id in already:
                    errors.append(RowError(line, "participant_id", ident,
                                           Msg("outcome for wave {wave} already recorded", wave=wave)))
                else:
                    rows.append({"contract_id": contract_id, "participant_id": p.id, "wave": wave,
                                 "values": canonical_json(values)})
            if not errors:  # nothing more is saved once a problem is found; the rest is still checked
                repo.add_outcomes(rows)
                saved += len(rows)
        if errors:
            raise CohortFileError(sorted(errors, key=lambda e: e.row))
        ledger.serialise(s)  # the wave's digest, once this transaction is the only writer (see import_participants)
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_OUTCOMES_IMPORTED, contract_id=contract_id,
                      payload={"wave": wave, "rows": saved, "blank_values": blanks, "file": Path(path).name,
                               "wave_sha256": rows_digest(wave_lines(s, contract_id, wave))})
    return ImportSummary(contract_id, saved, blanks=blanks,
                         normalised=tuple(Normalised(c, w, r, n) for (c, w, r), n in sorted(normalised.items())))


def randomise_cohort(engine: Engine, contract_id: str, *, seed: int | None = None, actor: str = "cli") -> dict[str, Any]:
    """Assign the enrolled participants by the contract's design; refused once outcomes exist.

    Under rolling enrolment, randomise the next batch instead (everyone enrolled and not yet assigned;
    earlier assignments never change): :func:`temoin.services.enrolment.randomise_next_batch`."""
    with session_scope(engine) as s:
        rolling = _contract(s, contract_id).contract.evaluation.analysis_plan.rolling
    if rolling:
        return randomise_next_batch(engine, contract_id, seed=seed, actor=actor)
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        ev = stored.contract.evaluation
        if not ev.design.randomised:
            raise InvalidInputError("cohort.not_randomised_design",
                                    Msg("This design has no randomisation: {design}.", design=ev.design), path="evaluation.design")
        repo = CohortRepository(s)
        n_out = repo.outcome_count(contract_id)
        if n_out:
            raise ConflictError("cohort.rerandomise_refused",
                                Msg("Randomisation refused: {n} follow-up outcome(s) are already recorded.", n=n_out),
                                path="contract_id",
                                hint=Msg('A cohort with outcomes cannot be re-randomised; the recorded assignment stands.'))
        people = [p for p in repo.participants(contract_id) if p.enrolled]
        if len(people) < 2:
            raise InvalidInputError("cohort.too_few", Msg("Too few enrolled participants ({n}).", n=len(people)), path="enrolled",
                                    hint=Msg('Import the cohort first.'))
        attrs = {p.pkey: json.loads(p.attributes) for p in people}
        method = {Design.INDIVIDUAL_RCT: "simple", Design.STRATIFIED_RCT: "stratified", Design.CLUSTER_RCT: "cluster"}[ev.design]
        strata = {k: "|".join(str(a.get(v)) for v in ev.strata) for k, a in attrs.items()} if method == "stratified" else None
        clusters = {k: str(a.get(ev.cluster)) for k, a in attrs.items()} if method == "cluster" and ev.cluster else None
        a = randomise(list(attrs), method=method, ratio=ev.allocation_ratio, strata=strata, clusters=clusters, seed=seed)  # type: ignore[arg-type]
        arms = a.as_dict()
        for p in people:
            p.arm = arms[p.pkey]
        s.add(RandomisationRow(contract_id=contract_id, contract_version=stored.version, method=a.method, algorithm=a.algorithm,
                               seed=str(a.seed), ratio=a.ratio, n=len(a.keys), n_treated=a.n_treated, list_hash=a.list_hash,
                               actor=actor))
        payload = {"contract_version": stored.version, "method": a.method, "algorithm": a.algorithm, "seed": str(a.seed),
                   "ratio": a.ratio, "strata": list(ev.strata), "n": len(a.keys), "n_treated": a.n_treated,
                   "list_hash": a.list_hash}
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_RANDOMISED, contract_id=contract_id, payload=payload)
    return payload


def _status(session: Session, contract_id: str) -> PlanStatus:
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
        return _status(s, contract_id)


def lock_plan(engine: Engine, contract_id: str, *, actor: str = "cli") -> PlanStatus:
    """Lock (pre-register) the contract's analysis plan, before any outcome exists."""
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        check_plan(stored.contract)
        status = _status(s, contract_id)
        if status.locked:
            raise ConflictError("plan.already_locked", Msg('The plan is already locked ({plan_hash}).', plan_hash=status.plan_hash), path="analysis_plan",
                                hint=Msg('To change it: `temoin plan amend CONTRACT --reason …`.'))
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
        return _status(s, contract_id)


def amend_plan(engine: Engine, contract_id: str, *, reason: str, actor: str = "cli") -> PlanStatus:
    """Record the latest contract version's plan as an amendment of the locked plan, with its reason."""
    if not reason or not reason.strip():
        raise InvalidInputError("plan.amend_reason", Msg('An amendment must state its reason.'),
                                path="reason", hint=Msg('Add --reason "…".'))
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        check_plan(stored.contract)
        status = _status(s, contract_id)
        if not status.locked or status.in_force is None or status.plan_hash is None:
            raise ConflictError("plan.not_locked", Msg('The plan is not locked: nothing to amend.'), path="analysis_plan",
                                hint=Msg('Lock it first: `temoin plan lock CONTRACT`.'))
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
        return _status(s, contract_id)


def participants_frame(session: Session, contract_id: str) -> pd.DataFrame:
    """One row per referred person: pseudonymous key, baseline attributes, arm, outcomes per wave.

    Columns: ``pkey``, ``synthetic``, ``eligible``, ``consent``, ``enrolled``, ``referral_date``,
    ``enrolment_date``, ``arm`` (1 programme, 0 control, empty if not randomised), one column per
    population attribute, and ``<indicator>__<wave>`` per outcome (empty when not followed); under
    rolling enrolment, ``batch`` too (the number of the batch that randomised each person).
    """
    repo = CohortRepository(session)  # plain rows, not ORM objects: a large cohort loads several times faster
    records: dict[int, dict[str, Any]] = {}
    rolling = False
    for pid, pkey, synthetic, eligible, consent, enrolled, referral_date, enrolment_date, arm, attributes, batch in \
            repo.participant_table(contract_id):
        records[pid] = {"pkey": pkey, "synthetic": synthetic, "eligible": eligible, "consent": consent,
                        "enrolled": enrolled, "referral_date": referral_date, "enrolment_date": enrolment_date,
                        "arm": arm, **json.loads(attributes)}
        if batch is not None:
            records[pid]["batch"] = batch
            rolling = True
    for participant_id, wave, values in repo.outcome_table(contract_id):
        for ind, v in json.loads(values).items():
            records[participant_id][outcome_column(ind, wave)] = v
    frame = pd.DataFrame(list(records.values()))
    if frame.empty:
        return pd.DataFrame(columns=["pkey", "synthetic", "eligible", "consent", "enrolled", "referral_date",
                                     "enrolment_date", "arm"])
    frame["arm"] = frame["arm"].astype("Int64")
    if rolling:
        frame["batch"] = frame["batch"].astype("Int64")
    return frame


def due_dates(contract: Contract, as_of: dt.date) -> dict[str, dt.date] | None:
    """Rolling enrolment: the date each wave is evaluated at. A payment period settles on the people
    whose wave was due by its end date: a wave paid by a period that has ended (on ``as_of``) is
    evaluated at that period's end (the latest such period), any other wave at ``as_of``. None when
    enrolment is not rolling (everyone followed counts)."""
    if not contract.evaluation.analysis_plan.rolling:
        return None
    out: dict[str, dt.date] = {}
    for w in contract.evaluation.follow_up_waves:
        ended = [p.end_date for p in contract.payments.periods if p.wave == w.id and p.end_date <= as_of]
        out[w.id] = max(ended) if ended else as_of
    return out


def evaluate_contract(engine: Engine, contract_id: str, *, actor: str = "cli", as_of: dt.date | None = None) -> list[ImpactResult]:
    """Run the locked plan on the stored cohort; store the results and their diagnostics; audit.

    Under rolling enrolment, each wave uses only the people whose wave was due by its date
    (:func:`due_dates`, from ``as_of``, today if None)."""
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        status = _status(s, contract_id)
        if not status.locked:
            raise ConflictError("plan.not_locked", Msg('Evaluation refused: the analysis plan is not locked.'), path="analysis_plan",
                                hint=Msg('Lock it before the outcomes: `temoin plan lock CONTRACT`.'))
        if not status.matches_contract:
            raise ConflictError("plan.changed_without_amendment",
                                Msg("The contract's plan differs from the locked plan and no amendment was recorded."),
                                path="analysis_plan",
                                hint=Msg('Record the amendment and its reason: `temoin plan amend CONTRACT --reason …`.'))
        frame = participants_frame(s, contract_id)
        if frame.empty:
            raise InvalidInputError("evaluation.empty_cohort", Msg('No participant recorded.'),
                                    path="contract_id", hint=Msg('Import the cohort: `temoin cohort import`.'))
        out = run_plan(stored.contract, stored.version, frame, plan_hash=status.plan_hash or "",
                       amendments=[a.label() for a in status.amendments],
                       due_by=due_dates(stored.contract, as_of or dt.date.today()))
        run_id = uuid.uuid4().hex
        for r in out.results:
            s.add(EvaluationResultRow(contract_id=contract_id, run_id=run_id, contract_version=stored.version,
                                      indicator=r.indicator, wave=r.wave, result=canonical_json(_jsonable(r.to_dict())),
                                      result_hash=r.result_hash,
                                      diagnostics=canonical_json(_jsonable(out.diagnostics[outcome_column(r.indicator, r.wave)])),
                                      actor=actor))
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.EVALUATION_RECORDED, contract_id=contract_id,
                      payload={"run_id": run_id, "plan_hash": status.plan_hash, "contract_version": stored.version,
                               "results": [{"indicator": r.indicator, "wave": r.wave, "result_hash": r.result_hash,
                                            "grade": r.grade.value, "improvement": r.improvement,
                                            "improvement_lower": r.improvement_lower} for r in out.results]})
    return out.results


def _jsonable(obj: Any) -> Any:
    """NaN and infinities become None (JSON has no NaN); tuples become lists."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        return _jsonable(obj.item())
    return obj


def _result_from_json(text: str) -> ImpactResult:
    return ImpactResult.from_dict(json.loads(text))


def stored_cohort_flow(session: Session, contract: Contract) -> dict[str, Any] | None:
    """The cohort flow (CONSORT counts, as ``temoin.reports`` draws them) of the stored cohort, from
    SQL counts: the same figures as from the participants frame, without loading every participant
    (tested equal)."""
    repo = CohortRepository(session)
    stages = repo.stage_counts(contract.id)
    if not stages:
        return None
    primary = contract.evaluation.analysis_plan.primary_outcome or (contract.indicators[0].id if contract.indicators else "")
    waves = [w.id for w in contract.evaluation.follow_up_waves]
    followed, recorded = repo.followed_counts(contract.id, primary, waves)
    flow: dict[str, Any] = {"referred": sum(n for *_, n in stages),
                            "eligible": sum(n for e, _, _, _, n in stages if e),
                            "consented": sum(n for e, c, _, _, n in stages if e and c)}
    arms = {a: sum(n for _, _, _, arm, n in stages if arm == a) for a in (0, 1)}
    if contract.evaluation.design.randomised and any(arm is not None for *_, arm, _ in stages):
        flow["randomised"] = {"treated": arms[1], "control": arms[0]}
        flow["waves"] = [{"wave": w, "treated": sum(n for (wv, a, _), n in followed.items() if wv == w and a == 1),
                          "control": sum(n for (wv, a, _), n in followed.items() if wv == w and a == 0)}
                         for w in waves if w in recorded]
    else:
        flow["enrolled"] = sum(n for _, _, en, _, n in stages if en)
        flow["waves"] = [{"wave": w, "treated": sum(n for (wv, _, en), n in followed.items() if wv == w and en)}
                         for w in waves if w in recorded]
    return flow


def latest_results(session: Session, contract_id: str) -> list[ImpactResult]:
    """The results of the contract's latest evaluation run (empty when never evaluated)."""
    return [_result_from_json(r.result) for r in CohortRepository(session).latest_run(contract_id)]


def latest_diagnostics(session: Session, contract_id: str) -> dict[str, dict[str, Any]]:
    """Diagnostics of the latest run, keyed ``<indicator>__<wave>``."""
    return {outcome_column(r.indicator, r.wave): json.loads(r.diagnostics) for r in CohortRepository(session).latest_run(contract_id)}


def _template(session: Session, contract: Contract, wave: str | None) -> Any:
    plan = contract.evaluation.analysis_plan
    frame = participants_frame(session, contract.id)
    col = outcome_column(plan.primary_outcome or "", wave or "")
    if not frame.empty and col in frame.columns:
        control = frame[(frame["arm"] == 0) & frame[col].notna()]
        if len(control) >= 30:
            return template_from_frame(control, outcome=col, covariates=plan.covariates, strata=contract.evaluation.strata,
                                       source=Msg("stored control cohort, wave {wave} ({n} people)", wave=wave, n=len(control)))
    from temoin.examples import EXAMPLES, synthetic_cohort

    if contract.id in EXAMPLES and wave:
        synth = synthetic_cohort(contract.id).control_outcomes(wave)
        return template_from_frame(synth, outcome=plan.primary_outcome or "", covariates=plan.covariates,
                                   strata=contract.evaluation.strata,
                                   source=Msg("synthetic cohort of {contract} (no outcome without the programme stored yet)",
                                              contract=contract.id))
    if contract.evaluation.outcome_sd:
        return normal_template(sd=contract.evaluation.outcome_sd)
    raise InvalidInputError("diagnosis.no_template", Msg('Neither a stored control cohort nor an outcome standard deviation in the contract.'),
                            path="evaluation.outcome_sd", hint=Msg('Fill in evaluation.outcome_sd.'))


def diagnose(engine: Engine, contract_id: str, *, sims: int = 1000, effects: Sequence[float] | None = None,
             n: int | None = None, seed: int = 20260101, curve: EnrolmentCurve | None = None) -> DiagnosisReport:
    """Design diagnosis of the contract's evaluation and payment rule (read-only).

    With an enrolment ``curve``, the trials have the people due at the last paid period's wave by its
    end date (the people the curve enrols later are not yet due, and left out, as in the evaluation)."""
    with session_scope(engine) as s:
        stored = _contract(s, contract_id)
        c = stored.contract
        if c.evaluation.design.randomised:
            check_plan(c)
        wave = next((p.wave for p in reversed(c.payments.periods) if p.wave), None) or \
            (c.evaluation.follow_up_waves[-1].id if c.evaluation.follow_up_waves else None)
        template = _template(s, c, wave) if c.evaluation.design.randomised else normal_template(sd=c.evaluation.outcome_sd or 1.0)
    note: Msg | None = None
    if curve is not None:
        last = next((p for p in reversed(period_samples(c, curve)) if p.wave == wave), None)
        if last is None:
            raise InvalidInputError("diagnosis.no_paid_wave", Msg("No payment period settles a follow-up wave."),
                                    path="payments.periods")
        n = int(last.due + 1e-9)
        pace = (Msg("{n} people a month", n=significant(curve.per_month[0], 3)) if len(set(curve.per_month)) == 1 else
                Msg("{first} people in the first month, rising to {last} a month", first=significant(curve.per_month[0], 3),
                    last=significant(curve.per_month[-1], 3)))
        note = Msg("expected enrolment of {pace} from {opens} to {closes} ({total} in all): {due} due at "
                   "wave {wave} by the end of period {period} ({end}), {later} not yet due and left out",
                   pace=pace, opens=curve.opens, closes=curve.closes,
                   total=int(curve.total + 1e-9), due=n, wave=last.wave, period=last.period, end=last.end_date,
                   later=int(curve.total + 1e-9) - n)
    report = diagnose_design(c, template, effects=effects, sims=sims, n=n, seed=seed, pay=trial_payments(c))
    return replace(report, assumptions=(*report.assumptions, note)) if note is not None else report


def generate_synthetic(engine: Engine | None, contract_id: str, path: str | Path, *, settings: Settings,
                       wave: str | None = None, seed: int = 2026, creaming: float = 0.0) -> int:
    """Write SYNTHETIC data for a bundled example: the referred people, or (with ``wave``) the
    outcomes of the stored, randomised cohort at that wave. Returns the number of rows written."""
    from temoin.examples import synthetic_cohort

    cohort = synthetic_cohort(contract_id, seed=seed, creaming=creaming)
    out = Path(path)
    if wave is None:
        frame = cohort.referred.copy()
        frame["synthetic"] = "oui"
    else:
        if wave not in cohort.potential:
            raise InvalidInputError("synthetic.unknown_wave", Msg("Unknown wave: '{wave}'.", wave=wave),
                                    path="wave", hint=Msg("Waves: {waves}.", waves=", ".join(cohort.potential)))
        arms: dict[str, int] | None = None
        if engine is not None:
            with session_scope(engine) as s:
                randomised = _contract(s, contract_id).contract.evaluation.design.randomised
                stored = participants_frame(s, contract_id)
            if randomised:
                if stored.empty or stored["arm"].isna().all():
                    raise ConflictError("synthetic.not_randomised", Msg('The stored cohort is not randomised.'), path="contract_id",
                                        hint=Msg('Import then randomise the synthetic cohort first.'))
                key = contract_key(contract_id, master=settings.pseudonym_master)
                by_key = dict(zip(stored["pkey"], stored["arm"], strict=True))
                arms = {}
                for pid in cohort.enrolled["participant_id"]:
                    a = by_key.get(pseudonymise(pid, contract_id, key=key))
                    if a is not None and not pd.isna(a):
                        arms[pid] = int(a)
                if not arms:
                    raise ConflictError("synthetic.cohort_mismatch",
                                        Msg('The stored cohort is not the synthetic cohort of this seed.'), path="seed",
                                        hint=Msg('Use the same --seed as when generating the participants.'))
        frame = cohort.outcomes(wave, arms)
    if out.suffix.lower() == ".xlsx":
        frame.to_excel(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return len(frame)
