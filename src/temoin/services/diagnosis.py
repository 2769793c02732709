"""Design diagnosis of a stored contract: its evaluation and payment rule simulated (read-only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError
from temoin.evaluation.diagnosis import (
    DiagnosisReport,
    diagnose_design,
    normal_template,
    template_from_frame,
)
from temoin.evaluation.enrolment_curve import (
    EnrolmentCurve,
    curve_for_contract,
    parse_per_month,
    period_samples,
)
from temoin.evaluation.plan import check_plan
from temoin.evaluation.run import outcome_column
from temoin.evaluation.text import significant
from temoin.messages import Msg
from temoin.services.cohort_frame import latest_contract as _contract
from temoin.services.cohort_frame import participants_frame
from temoin.settlement.scenarios import trial_payments
from temoin.store import session_scope

__all__ = ["DIAGNOSIS_SIMS", "diagnose", "expected_curve"]

DIAGNOSIS_SIMS = (1_000, 5_000, 10_000)
"""The numbers of simulated trials per effect the diagnosis page offers."""


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
             n: int | None = None, seed: int = 20260101, curve: EnrolmentCurve | None = None,
             progress: Callable[[float], None] | None = None) -> DiagnosisReport:
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
    report = diagnose_design(c, template, effects=effects, sims=sims, n=n, seed=seed, pay=trial_payments(c), progress=progress)
    return replace(report, assumptions=(*report.assumptions, note)) if note is not None else report


def expected_curve(contract: Contract, per_month: str, closes: str) -> EnrolmentCurve | None:
    """The expected enrolment the diagnosis form gives: people per month, closing date (None when both
    are empty)."""
    if not per_month.strip() and not closes.strip():
        return None
    try:
        closing = dt.date.fromisoformat(closes.strip()) if closes.strip() else None
    except ValueError:
        raise InvalidInputError("web.diagnosis_closes", Msg("Invalid closing date: '{value}'.", value=closes), path="closes",
                                hint=Msg("A date: YYYY-MM-DD.")) from None
    return curve_for_contract(contract, per_month=parse_per_month(per_month) if per_month.strip() else None, closes=closing)
