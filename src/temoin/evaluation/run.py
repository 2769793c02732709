"""Running the locked analysis plan on a cohort table: estimates, diagnostics, grades.

Input: one row per referred person (as ``services.evaluations.participants_frame`` builds it):
``eligible``, ``consent``, ``enrolled``, ``arm`` (1 programme, 0 control, empty if not
randomised), the baseline attributes, and one column ``<indicator>__<wave>`` per outcome
(empty when the person was not followed). Output: one :class:`ImpactResult` per indicator of the
plan and follow-up wave that has data, with the diagnostics behind its grade.

The estimate follows the plan: ``estimate_effect`` (OLS / Lin / difference in means, the plan's
standard errors) on the people followed, adjusted for the plan's covariates (boolean attributes as
0/1, categorical ones as indicator columns); a cluster trial clusters on the contract's cluster
attribute. A benchmark comparison compares the programme's mean with the reference rate (normal
approximation; both standard errors combined). An absolute target reports the count of
successes (no counterfactual: graded "does not meet").

An effect that is not estimable (degenerate standard error: zero up to rounding, infinite or NaN)
has a NaN lower bound and is graded "does not meet", so it never pays; a cluster trial with a single
cluster in one arm does not meet either, and one with fewer than ten clusters meets with
reservations at best (see ``diagnostics.grade``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from temoin.contract.model import Contract, Design
from temoin.errors import InvalidInputError
from temoin.evaluation.batches import (
    BLOCK,
    balance_by_batch,
    batch_blocks,
    creaming_by_batch,
    representativeness_by_batch,
)
from temoin.evaluation.diagnostics import (
    attrition,
    baseline_balance,
    creaming,
    evidence_grade,
    lee_bounds,
    missing_outcome_sensitivity,
    representativeness,
    volatility,
)
from temoin.evaluation.diagnostics._common import as_bool
from temoin.evaluation.estimators.degenerate import guarded_inference, outcome_scale
from temoin.evaluation.estimators.multiplicity import adjust_pvalues
from temoin.evaluation.result import EffectEstimate, ImpactResult
from temoin.evaluation.schedule import due_date
from temoin.evaluation.text import label, significant
from temoin.messages import Msg

__all__ = ["RunOutput", "outcome_column", "run_plan"]


def outcome_column(indicator: str, wave: str) -> str:
    return f"{indicator}__{wave}"


@dataclass
class RunOutput:
    results: list[ImpactResult] = field(default_factory=list)
    diagnostics: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Keyed ``<indicator>__<wave>``: attrition, balance, creaming, representativeness, volatility, grade."""


def _numeric_covariates(frame: pd.DataFrame, contract: Contract, names: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    out = pd.DataFrame(index=frame.index)
    for name in names:
        attr = contract.population.attribute(name)
        s = frame[name]
        if attr is not None and attr.type == "boolean":
            out[name] = as_bool(s).astype("Float64").astype(float)
        elif attr is not None and attr.type == "categorical":
            cats = attr.categories or sorted(s.dropna().astype(str).unique().tolist())
            for c in cats[1:]:
                out[f"{name}={c}"] = (s.astype(str) == c).astype(float)
        else:
            out[name] = pd.to_numeric(s, errors="coerce").astype(float)
    return out, list(out.columns)


def _improvement(est: EffectEstimate, sign: int, alpha: float, sidedness: str) -> tuple[float, float]:
    imp = sign * est.estimate
    if not est.estimable:
        return imp, float("nan")
    if sidedness == "one_sided":
        q = float(stats.t.ppf(1 - alpha, est.df)) if np.isfinite(est.df) else float(stats.norm.ppf(1 - alpha))
        return imp, imp - q * est.std_error
    return imp, (est.ci_low if sign > 0 else -est.ci_high)


def _benchmark(y: np.ndarray, ref: float, ref_se: float, alpha: float) -> EffectEstimate:
    n = len(y)
    diff = float(y.mean() - ref)
    se = float(np.sqrt(y.var(ddof=1) / n + ref_se**2)) if n > 1 else float("nan")
    inf = guarded_inference(diff, se, float("inf"), alpha, max(outcome_scale(y), abs(ref)))
    return EffectEstimate(diff, inf.std_error, inf.ci_low, inf.ci_high, inf.p_value, float("inf"),
                          n, 0, "normal", "benchmark", alpha,
                          (Msg("Comparison with the reference rate"), *inf.notes))


def _withdrawn(sample: pd.DataFrame, followed: pd.Series) -> dict[str, int] | None:
    """How many of the people analysed at a wave withdrew their consent (by arm), and how many of
    them have no outcome there (they count as attrition); None when nobody withdrew."""
    if "withdrawn_on" not in sample.columns:
        return None
    gone = sample["withdrawn_on"].notna()
    if not gone.any():
        return None
    return {"withdrawn": int(gone.sum()), "treated": int((gone & (sample["arm"] == 1)).sum()),
            "control": int((gone & (sample["arm"] == 0)).sum()), "without_outcome": int((gone & ~followed).sum())}


def run_plan(
    contract: Contract,
    contract_version: int,
    frame: pd.DataFrame,
    *,
    plan_hash: str,
    amendments: Sequence[Msg] = (),
    due_by: Mapping[str, dt.date] | None = None,
) -> RunOutput:
    """Estimate every outcome of the plan at every wave with data, with the diagnostics of its grade.

    ``due_by`` (rolling enrolment: a date per wave) keeps, at each wave, only the people whose wave
    was due by that date (``enrolment_date`` plus the wave's months); the others are not yet due:
    neither measured nor missing, they are counted and said in a note and in the diagnostics."""
    from temoin.evaluation.estimate import estimate_effect

    ev = contract.evaluation
    plan = ev.analysis_plan
    alpha = plan.alpha or 0.05
    sidedness = plan.sidedness or "two_sided"
    design = ev.design
    enrolled = frame[as_bool(frame["enrolled"]).fillna(False).to_numpy(dtype=bool)]
    if design.randomised:
        arms = pd.to_numeric(enrolled["arm"], errors="coerce")
        if arms.isna().all():
            raise InvalidInputError("evaluation.not_randomised", Msg('The cohort has not been randomised.'), path="arm",
                                    hint=Msg('Randomise the cohort first.'))
        sample = enrolled[arms.notna()].copy()
        sample["arm"] = arms[arms.notna()].astype(int)
    else:
        sample = enrolled.copy()
        sample["arm"] = 1
    if sample.empty:
        raise InvalidInputError("evaluation.empty_cohort", Msg('No enrolled participant.'),
                                path="enrolled", hint=Msg('Import the cohort first.'))

    attributes = [(a.name, a.type) for a in contract.population.attributes]
    difficulty = {a.name: a.difficulty_when for a in contract.population.attributes if a.difficulty_when}
    cream = creaming(frame, difficulty=difficulty) if difficulty else None
    cream_by_batch = creaming_by_batch(frame, difficulty=difficulty) \
        if difficulty and "batch" in frame.columns and frame["batch"].notna().any() else {}
    margins = representativeness(enrolled, [(m.attribute, m.source, m.shares) for m in contract.population.reference_margins]) \
        if contract.population.reference_margins else []
    sample_all = sample
    by_batch = due_by is not None and "batch" in sample_all.columns and sample_all["batch"].notna().any()
    margins_by_batch = representativeness_by_batch(
        enrolled[enrolled["batch"].notna()], [(m.attribute, m.source, m.shares) for m in contract.population.reference_margins]) \
        if by_batch and contract.population.reference_margins else {}
    covs_all, cov_cols = _numeric_covariates(sample_all, contract, plan.covariates)
    method = {"diff_in_means": "diff_in_means", "ols": "ols", "lin": "lin"}.get(plan.estimator or "ols", "ols")
    out = RunOutput()
    for ind_id in [plan.primary_outcome, *plan.secondary_outcomes]:
        indicator = contract.indicator(ind_id) if ind_id else None
        if indicator is None:
            continue
        sign = 1 if indicator.direction == "increase" else -1
        for wave in ev.follow_up_waves:
            col = outcome_column(indicator.id, wave.id)
            if col not in sample_all.columns or sample_all[col].notna().sum() == 0:
                continue
            sample = _due(sample_all, wave.id, wave.months_after_enrolment, due_by)
            schedule: dict[str, Any] | None = None
            if due_by is not None and wave.id in due_by:
                schedule = {"due_by": due_by[wave.id].isoformat(), "due": len(sample),
                            "not_yet_due": len(sample_all) - len(sample)}
                if sample[col].notna().sum() == 0:
                    continue
            y = pd.to_numeric(sample[col], errors="coerce")
            covs = covs_all.loc[sample.index]
            followed = y.notna()
            data = pd.concat([sample[["arm"]], covs], axis=1).assign(_y=y)[followed]
            rand = (int((sample["arm"] == 1).sum()), int((sample["arm"] == 0).sum()))
            fol = (int((data["arm"] == 1).sum()), int((data["arm"] == 0).sum()))
            att = attrition(wave=wave.id, indicator=indicator.id, randomised=rand, followed=fol, boundary=ev.attrition_boundary)
            balance = None
            batch_balance: dict[str, Any] | None = None
            vol = None
            clusters: tuple[int, int, int] | None = None
            if design.randomised:
                if fol[0] < 2 or fol[1] < 2:
                    continue
                if ev.cluster:
                    data["_cluster"] = sample.loc[data.index, ev.cluster].astype(str)
                    clusters = (int(data["_cluster"].nunique()), int(data.loc[data["arm"] == 1, "_cluster"].nunique()),
                                int(data.loc[data["arm"] == 0, "_cluster"].nunique()))
                blocked, block_note = data, None
                if by_batch and design == Design.STRATIFIED_RCT:
                    blocked, block_note = batch_blocks(data, sample, ev.strata)
                est = estimate_effect(blocked, "_y", "arm", covariates=cov_cols if method != "diff_in_means" else (),
                                      cluster="_cluster" if ev.cluster else None, se=plan.se_type or "HC2",
                                      method=method, alpha=alpha, df_method=plan.df_method,
                                      block=BLOCK if block_note is not None else None)
                if block_note is not None:
                    est = replace(est, notes=(*est.notes, block_note))
                balance = baseline_balance(sample.loc[data.index], attributes=attributes, adjusted_for=plan.covariates)
                if by_batch:
                    batch_balance = balance_by_batch(sample.loc[data.index], attributes=attributes,
                                                     adjusted_for=plan.covariates)
                yt, yc = data.loc[data["arm"] == 1, "_y"].to_numpy(), data.loc[data["arm"] == 0, "_y"].to_numpy()
                lee = lee_bounds(yt, yc, n_treated=rand[0], n_control=rand[1])
                if not att.low:
                    vol = volatility([wave.id], data_source=indicator.data_source, lee=lee,
                                     sensitivity=missing_outcome_sensitivity(yt, yc, n_treated=rand[0], sign=sign))
                else:
                    vol = volatility([], data_source=indicator.data_source,
                                     lee=lee if plan.missing_outcomes == "lee_bounds" else None)
                improvement, lower = _improvement(est, sign, alpha, sidedness)
            elif design == Design.BENCHMARK and ev.benchmark is not None:
                est = _benchmark(data["_y"].to_numpy(float), ev.benchmark.reference_rate, ev.benchmark.reference_std_error, alpha)
                improvement, lower = _improvement(est, sign, alpha, sidedness)
            elif design == Design.ABSOLUTE_TARGET:
                count = float(data["_y"].sum()) if indicator.direction == "increase" else float(len(data) - data["_y"].sum())
                est = EffectEstimate(count, 0.0, count, count, float("nan"), float("nan"), len(data), 0, "none", "target", alpha,
                                     (Msg("Absolute target: a count, not an effect"),))
                improvement, lower = count, count
            else:
                raise InvalidInputError(
                    "evaluation.design_not_supported",
                    Msg("Automatic evaluation does not cover this design yet: {design}.", design=design), path="evaluation.design",
                    hint=Msg('Have the evaluator estimate the effect.'))
            if schedule is not None and due_by is not None:
                when = due_by[wave.id]
                note = Msg("{n} participant(s) not yet due at wave {wave} on {date}: left out", n=schedule["not_yet_due"],
                           wave=wave.id, date=when) if schedule["not_yet_due"] else \
                    Msg("Every participant due at wave {wave} by {date}", wave=wave.id, date=when)
                est = replace(est, notes=(*est.notes, note))
            gone = _withdrawn(sample, followed)
            if gone is not None:
                est = replace(est, notes=(*est.notes, Msg(
                    "{n} participant(s) withdrew their consent ({missing} without an outcome at wave {wave}): no outcome "
                    "is collected after a withdrawal, and a missing one counts as attrition under the plan's rule",
                    n=gone["withdrawn"], missing=gone["without_outcome"], wave=wave.id)))
            grade = evidence_grade(design=design, attrition=att, balance=balance, creaming=cream,
                                   representativeness=margins, amended=bool(amendments),
                                   estimable=est.estimable or design == Design.ABSOLUTE_TARGET, clusters=clusters)
            out.results.append(ImpactResult(
                contract_id=contract.id, contract_version=contract_version, indicator=indicator.id, wave=wave.id,
                effect=est, improvement=float(improvement), improvement_lower=float(lower),
                n_treated_followed=fol[0], grade=grade.grade, grade_reasons=grade.reasons, plan_hash=plan_hash,
                amendments=tuple(amendments)))
            out.diagnostics[col] = {
                "attrition": att.to_dict(),
                "balance": balance.to_dict() if balance else None,
                "creaming": cream.to_dict() if cream else None,
                "representativeness": [m.to_dict() for m in margins],
                "volatility": vol.to_dict() if vol else None,
                "grade": grade.to_dict(),
            }
            if gone is not None:
                out.diagnostics[col]["withdrawn"] = gone
            if schedule is not None:
                out.diagnostics[col]["schedule"] = schedule
            if batch_balance is not None:
                out.diagnostics[col]["balance_by_batch"] = batch_balance
            if margins_by_batch:
                out.diagnostics[col]["representativeness_by_batch"] = margins_by_batch
            if cream_by_batch:
                out.diagnostics[col]["creaming_by_batch"] = cream_by_batch
    if out.results:
        _adjust_for_multiplicity(out, plan.multiplicity)
    if not out.results:
        raise InvalidInputError("evaluation.no_outcomes", Msg('No follow-up outcome to evaluate.'),
                                path="outcomes", hint=Msg('Import a follow-up wave first.'))
    return out


def _due(sample: pd.DataFrame, wave: str, months: int, due_by: Mapping[str, dt.date] | None) -> pd.DataFrame:
    """The people of ``sample`` whose ``wave`` was due by its date in ``due_by`` (everyone without one)."""
    if due_by is None or wave not in due_by:
        return sample
    if "enrolment_date" not in sample.columns:
        raise InvalidInputError("evaluation.no_enrolment_date", Msg("Rolling enrolment needs each participant's enrolment date."),
                                path="enrolment_date", hint=Msg("Import the participants with their enrolment date."))
    limit = due_by[wave]
    dates = pd.to_datetime(sample["enrolment_date"], errors="coerce")
    due = [not pd.isna(d) and due_date(d.date(), months) <= limit for d in dates]
    return sample[np.array(due, dtype=bool)]


def _adjust_for_multiplicity(out: RunOutput, method: str) -> None:
    """Within each wave, adjust the p-values of the plan's outcomes (a note on each estimate)."""
    if method == "none":
        return
    for wave in sorted({r.wave for r in out.results}):
        idx = [i for i, r in enumerate(out.results) if r.wave == wave and np.isfinite(r.effect.p_value)]
        if len(idx) < 2:
            continue
        adjusted = adjust_pvalues([out.results[i].effect.p_value for i in idx], method)
        for i, p_adj in zip(idx, adjusted, strict=True):
            r = out.results[i]
            note = Msg("Adjusted p ({method}, {count} outcomes) = {p}", method=label("multiplicity", method), count=len(idx),
                       p=significant(p_adj, 4))
            out.results[i] = replace(r, effect=replace(r.effect, notes=(*r.effect.notes, note)))
            out.diagnostics[outcome_column(r.indicator, r.wave)]["adjusted_p_value"] = {"method": method, "p": p_adj}
