"""Evaluation services: randomisation, evaluation runs, their stored results and the cohort flow.

By concept, the rest lives beside it and is named here too (as before): the imports of the files
people fill in (:mod:`temoin.services.cohort_imports`), the stored cohort as a frame
(:mod:`~temoin.services.cohort_frame`), the analysis plan's lock and amendments
(:mod:`~temoin.services.plans`), the design diagnosis (:mod:`~temoin.services.diagnosis`) and the
synthetic data of the examples (:mod:`~temoin.services.synthetic`).

Each function that changes state owns one transaction, in which it also writes its audit-ledger
entry: the change and its record are saved together or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.contract.model import Contract, Design
from temoin.errors import ConflictError, InvalidInputError
from temoin.evaluation.plan import PlanStatus, canonical_json
from temoin.evaluation.randomisation import randomise
from temoin.evaluation.result import ImpactResult
from temoin.evaluation.run import outcome_column, run_plan
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.services.cohort_frame import latest_contract as _contract
from temoin.services.cohort_frame import participants_frame
from temoin.services.cohort_imports import (
    OUTCOME_CHUNK_ROWS,
    ImportSummary,
    import_outcomes,
    import_participants,
)
from temoin.services.diagnosis import diagnose
from temoin.services.enrolment import randomise_next_batch
from temoin.services.plans import amend_plan, lock_plan, plan_state, plan_status
from temoin.services.synthetic import generate_synthetic
from temoin.store import ledger, session_scope
from temoin.store.cohorts import CohortRepository
from temoin.store.models.cohorts import EvaluationResultRow, RandomisationRow

__all__ = [
    "OUTCOME_CHUNK_ROWS",
    "ImportSummary",
    "PlanStatus",
    "amend_plan",
    "diagnose",
    "due_dates",
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
    "stored_cohort_flow",
]


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
        status = plan_state(s, contract_id)
        if not status.locked:
            raise ConflictError("plan.not_locked", Msg('Evaluation refused: the analysis plan is not locked.'), path="analysis_plan",
                                hint=Msg('Lock the plan before the first outcomes.'))
        if not status.matches_contract:
            raise ConflictError("plan.changed_without_amendment",
                                Msg("The contract's plan differs from the locked plan and no amendment was recorded."),
                                path="analysis_plan",
                                hint=Msg('Record an amendment of the plan with its reason.'))
        frame = participants_frame(s, contract_id)
        if frame.empty:
            raise InvalidInputError("evaluation.empty_cohort", Msg('No participant recorded.'),
                                    path="contract_id", hint=Msg('Import the participants first.'))
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

