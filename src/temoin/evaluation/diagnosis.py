"""Design diagnosis: simulate the contract's own evaluation AND payment rule many times.

For each assumed true improvement (zero included), Témoin draws thousands of trials like the
contract's: participants resampled from a template population (a stored cohort's control
outcomes, the synthetic cohort of a bundled example, or normal outcomes with the contract's
``outcome_sd``), assigned by the contract's randomisation (complete, or permuted blocks within
strata), followed with the contract's expected attrition, analysed by the locked plan (OLS of the
outcome on the assignment and the plan's covariates, HC2 standard errors, t with n − k degrees of
freedom; no estimate when the standard error is degenerate), and paid by the contract's own rule,
the one a settlement runs (``pay``, given by the settlement layer: the verified impact, thresholds,
tiers or grid, every cap in its order; nothing when attrition is past the WWC boundary unless the
contract pays without the evidence standard).

It reports power, bias, RMSE, coverage of the confidence interval, the probability that the payer
pays when the true effect is zero (a wrongful payment), the probability that a real effect goes
unpaid, and the distribution of payments. Everything is vectorised across simulations: each trial
is a row of counts over the template's distinct regression rows, and all trials of a chunk are
fitted by a few matrix products (see :mod:`temoin.evaluation._trials`), not a loop of fits. Chunks
have a size set by the problem alone and their own random stream (``SeedSequence(seed).spawn``),
and run on every core: the report depends on the seed only.

The effect is added to every treated person's outcome (constant additive effect); attrition is
missing completely at random. Both are stated assumptions, printed with the results.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from temoin.contract.model import Contract, Design
from temoin.errors import InvalidInputError
from temoin.evaluation._trials import draw_counts, fit_counts_hc2, population
from temoin.evaluation.diagnostics.attrition import _table
from temoin.evaluation.estimators.degenerate import degenerate_se, outcome_scale
from temoin.evaluation.text import significant
from temoin.messages import Msg, Share

__all__ = ["POWER_CURVE_POINTS", "DiagnosisReport", "EffectDiagnosis", "Template", "default_effects", "diagnose_design", "normal_template", "template_from_frame"]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Template:
    """The population trials are resampled from: covariates, outcome without the programme, strata."""

    covariates: F  # (N, p)
    y0: F  # (N,)
    strata: npt.NDArray[np.int64]  # (N,) codes 0..K-1 (all 0 when not stratified)
    covariate_names: tuple[str, ...]
    source: Msg
    """Where the population comes from, in words."""


def normal_template(*, sd: float, size: int = 5000, seed: int = 0) -> Template:
    rng = np.random.default_rng(seed)
    return Template(np.zeros((size, 0)), rng.normal(0.0, sd, size), np.zeros(size, dtype=np.int64), (),
                    Msg("normal outcomes, standard deviation {sd} (the contract's outcome_sd)", sd=significant(sd, 6)))


def _numeric(series: pd.Series) -> pd.DataFrame:
    if series.dtype == bool or str(series.dtype) == "boolean":
        return pd.DataFrame({series.name: series.astype(float)})
    num = pd.to_numeric(series, errors="coerce")
    if num.notna().sum() == series.notna().sum():
        return pd.DataFrame({series.name: num.astype(float)})
    lowered = series.astype(str).str.lower()
    if set(lowered.unique()) <= {"true", "false"}:
        return pd.DataFrame({series.name: (lowered == "true").astype(float)})
    return pd.get_dummies(series.astype(str), prefix=str(series.name), drop_first=True, dtype=float)


def template_from_frame(frame: pd.DataFrame, *, outcome: str, covariates: Sequence[str] = (),
                        strata: Sequence[str] = (), source: Msg | None = None) -> Template:
    """A template from one row per person: the outcome without the programme, covariates, strata."""
    missing = [c for c in [outcome, *covariates, *strata] if c not in frame.columns]
    if missing:
        raise InvalidInputError("diagnosis.missing_column", Msg("Columns missing from the template population: {columns}.", columns=", ".join(missing)), path=missing[0],
                                hint=Msg('Check the analysis plan and the cohort.'))
    data = frame.dropna(subset=[outcome, *covariates, *strata])
    if len(data) < 10:
        raise InvalidInputError("diagnosis.too_small", Msg("Template population too small ({rows} complete rows).", rows=len(data)), path=outcome,
                                hint=Msg('At least 10 people with an outcome and covariates are needed.'))
    parts = [_numeric(data[c]) for c in covariates]
    cov = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index)
    codes = (data[list(strata)].astype(str).agg("|".join, axis=1).astype("category").cat.codes.to_numpy()
             if strata else np.zeros(len(data), dtype=np.int64))
    return Template(cov.to_numpy(float), pd.to_numeric(data[outcome]).to_numpy(float), codes.astype(np.int64),
                    tuple(cov.columns), source or Msg("a cohort of {n} people", n=len(data)))


@dataclass(frozen=True)
class EffectDiagnosis:
    true_effect: float
    sims: int
    power: float
    bias: float
    rmse: float
    coverage: float
    mean_std_error: float
    p_paid: float
    p_evidence_gate_failed: float
    payment_mean: float
    payment_quantiles: dict[str, float]

    @property
    def p_unpaid(self) -> float:
        return 1.0 - self.p_paid

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return d | {"p_unpaid": self.p_unpaid}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EffectDiagnosis:
        """The diagnosis of one effect from :meth:`to_dict`'s form (a kept job's result)."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DiagnosisReport:
    contract_id: str
    n: int
    sims: int
    seed: int
    indicator: str
    wave: str | None
    estimator: str
    covariates: tuple[str, ...]
    alpha: float
    sidedness: str
    basis: str
    template: Msg
    effects: tuple[EffectDiagnosis, ...]
    assumptions: tuple[Msg, ...] = field(default_factory=tuple)
    """What the simulation takes for granted, as messages."""

    @property
    def wrongful_payment(self) -> float | None:
        """Probability that the payer pays when the true effect is zero."""
        zero = [e for e in self.effects if e.true_effect == 0]
        return zero[0].p_paid if zero else None

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("effects", "template", "assumptions")}
        return d | {"template": self.template.to_dict(), "assumptions": [a.to_dict() for a in self.assumptions],
                    "effects": [e.to_dict() for e in self.effects], "wrongful_payment": self.wrongful_payment}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiagnosisReport:
        """The report from :meth:`to_dict`'s form (a kept job's result): the same report again."""
        plain = {k: data[k] for k in cls.__dataclass_fields__ if k not in ("effects", "template", "assumptions")}
        return cls(**plain | {"covariates": tuple(data["covariates"]), "template": Msg.from_dict(data["template"]),
                              "effects": tuple(EffectDiagnosis.from_dict(e) for e in data["effects"]),
                              "assumptions": tuple(Msg.from_dict(a) for a in data["assumptions"])})


PayRule = Callable[[F, F, F, npt.NDArray[np.bool_]], F]
"""The contract's payment rule for simulated trials: from each trial's improvement, its lower
confidence bound, the programme participants followed and whether the evidence standard is met,
what the payer pays. The settlement layer provides it (``settlement.scenarios.trial_payments``),
so that the diagnosis pays exactly as a settlement would."""


def _low_attrition(overall_pct: F, differential_pp: F, boundary: str) -> F:
    table = _table()[boundary]
    limits = np.array([table.get(i) if table.get(i) is not None else -1.0 for i in range(101)], dtype=float)
    key = np.clip(np.floor(overall_pct + 0.5).astype(int), 0, 100)
    lim = limits[key]
    low: F = ((lim >= 0) & (np.round(differential_pp, 1) <= lim)).astype(float)
    return low


POWER_CURVE_POINTS = 9
"""Evenly spaced assumed effects on a power curve (from no effect to 1.5 × the largest one named)."""


def default_effects(expected: float | None, minimum: float | None) -> list[float]:
    """The assumed true effects a diagnosis simulates by default: no effect, the contract's expected
    and minimum effects, and an even grid from 0 to 1.5 × the largest of them, so that the power
    curve is drawn through enough points to read (just the named effects when none is given)."""
    named = sorted({0.0, *([float(expected)] if expected else []), *([float(minimum)] if minimum else [])})
    top = max(abs(v) for v in named) * 1.5
    if top == 0:
        return named
    sign = -1.0 if max(named, key=abs) < 0 else 1.0
    grid = [sign * top * k / (POWER_CURVE_POINTS - 1) for k in range(POWER_CURVE_POINTS)]
    return sorted({*named, *(round(g, 12) for g in grid)})


def diagnose_design(
    contract: Contract,
    template: Template,
    *,
    effects: Sequence[float] | None = None,
    sims: int = 1000,
    n: int | None = None,
    seed: int = 20260101,
    chunk_cells: int = 200_000,
    pay: PayRule,
    progress: Callable[[float], None] | None = None,
) -> DiagnosisReport:
    """Simulate the contract's evaluation and payment rule (``pay``) under each assumed true improvement
    (``progress``: told the share of the trials simulated, after each chunk of them)."""
    ev = contract.evaluation
    plan = ev.analysis_plan
    if ev.design not in (Design.INDIVIDUAL_RCT, Design.STRATIFIED_RCT):
        raise InvalidInputError(
            "diagnosis.design_not_supported",
            Msg("Design diagnosis covers individual and stratified randomised trials, not {design}.", design=ev.design),
            path="evaluation.design",
            hint=Msg('For this design, compute the power analytically (power calculation).'))
    indicator_id = plan.primary_outcome
    indicator = contract.indicator(indicator_id) if indicator_id else None
    if indicator is None:
        raise InvalidInputError("diagnosis.no_primary", Msg('The plan has no known primary outcome.'), path="evaluation.analysis_plan.primary_outcome")
    if sims < 1:
        raise InvalidInputError("diagnosis.sims", Msg('Invalid number of simulations: {sims}.', sims=sims),
                                path="sims")
    sign = 1 if indicator.direction == "increase" else -1
    n = n or contract.population.expected_size
    alpha = plan.alpha or 0.05
    sidedness = plan.sidedness or "two_sided"
    if effects is None:
        effects = default_effects(ev.expected_effect, plan.minimum_effect)
    use_cov = plan.estimator != "diff_in_means"
    tpl = template if use_cov else Template(np.zeros((len(template.y0), 0)), template.y0, template.strata, (), template.source)
    stratified = ev.design == Design.STRATIFIED_RCT
    # Common random numbers: the same trials serve every assumed effect. With a constant additive
    # effect and the assignment among the regressors, OLS moves by exactly the effect and the
    # residuals (hence the HC2 errors) do not change, so each trial is fitted once, at effect 0.
    pop = population(tpl.covariates, tpl.y0, tpl.strata)
    scale = outcome_scale(np.asarray(tpl.y0, dtype=float))
    per_chunk = max(32, chunk_cells // pop.rows.shape[0])
    bounds = [*range(0, sims, per_chunk), sims]
    # one independent stream per chunk, and chunks of a size set by the problem alone: the report
    # depends on the seed only, not on the number of cores or threads
    streams = np.random.SeedSequence(seed).spawn(len(bounds) - 1)

    def run_chunk(i: int) -> tuple[F, ...]:
        tc = draw_counts(np.random.default_rng(streams[i]), pop, n=n, sims=bounds[i + 1] - bounds[i],
                         ratio=ev.allocation_ratio, stratified=stratified, attrition=ev.expected_attrition)
        est, se, df = fit_counts_hc2(pop, tc.counts)
        # a degenerate standard error gives no estimate, so no payment (as in the evaluation itself)
        flat = degenerate_se(se, scale)
        est = np.where(flat, np.nan, est)
        se = np.where(flat, np.nan, se)
        (rand_c, rand_t), (fol_c, fol_t) = tc.randomised.T, tc.followed.T
        overall = 100.0 * (1 - (fol_t + fol_c) / n)
        diff = 100.0 * np.abs((1 - fol_t / rand_t) - (1 - fol_c / rand_c))
        return est, se, df, fol_t, _low_attrition(overall, diff, ev.attrition_boundary)

    workers = min(len(bounds) - 1, os.cpu_count() or 1)
    # A chunk's matrix products are small (a few hundred trials): BLAS threads woken for each cost
    # more than they give, and the chunks already run on every core, so BLAS runs on one thread.
    # threadpoolctl's limit is process-wide (the BLAS library keeps one setting), so it is set once,
    # around all the chunks, and restored after them; meanwhile any other BLAS call of the process
    # runs on one thread too (slower, with the same results).
    with threadpool_limits(limits=1, user_api="blas"):
        chunks = len(bounds) - 1
        parts = []
        if workers > 1:  # numpy releases the GIL in the heavy calls: chunks run on every core
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for part in pool.map(run_chunk, range(chunks)):
                    parts.append(part)
                    if progress is not None:
                        progress(len(parts) / chunks)
        else:
            for i in range(chunks):
                parts.append(run_chunk(i))
                if progress is not None:
                    progress(len(parts) / chunks)
    est_v, se_v, df_v, fol_t_v, gate_v = (np.concatenate(col) for col in zip(*parts, strict=True))
    imp0 = sign * est_v
    ok = ~np.isnan(imp0)
    # t quantiles for the few distinct residual df, not for every trial
    dfs, df_index = np.unique(df_v, return_inverse=True)
    t_half = stats.t.ppf(1 - alpha / 2, dfs)[df_index]
    q = stats.t.ppf(1 - alpha, dfs)[df_index] if sidedness == "one_sided" else t_half
    half = t_half * se_v
    out: list[EffectDiagnosis] = []
    for effect in effects:
        imp_v = imp0 + effect
        low_v = imp_v - q * se_v
        pay_v = pay(imp_v, low_v, fol_t_v, gate_v > 0)
        qs = np.percentile(pay_v, [5, 25, 50, 75, 95])
        out.append(EffectDiagnosis(
            true_effect=float(effect), sims=sims,
            power=float(np.mean(low_v[ok] > 0)),
            bias=float(np.mean(imp_v[ok]) - effect),
            rmse=float(np.sqrt(np.mean((imp_v[ok] - effect) ** 2))),
            coverage=float(np.mean(np.abs(imp_v[ok] - effect) <= half[ok])),
            mean_std_error=float(np.mean(se_v[ok])),
            p_paid=float(np.mean(pay_v > 0)),
            p_evidence_gate_failed=float(1 - np.mean(gate_v)),
            payment_mean=float(pay_v.mean()),
            payment_quantiles={f"p{k}": float(v) for k, v in zip((5, 25, 50, 75, 95), qs, strict=True)},
        ))
    wave = next((p.wave for p in reversed(contract.payments.periods) if p.wave), None)
    assumptions = (
        Msg("constant additive effect on every treated participant"),
        Msg("outcomes missing completely at random, expected attrition {attrition}", attrition=Share(ev.expected_attrition)),
        Msg("participants resampled from: {source}", source=template.source),
        Msg("payment gated on the WWC attrition boundary only (baseline-equivalence rescue not simulated)"),
        Msg("one result, at the last paid wave: earlier periods pay nothing, the last pays the cumulative entitlement "
            "under every cap of the contract (as a settlement with that result alone)"),
    )
    return DiagnosisReport(contract.id, n, sims, seed, indicator.id, wave, plan.estimator or "ols",
                           tpl.covariate_names, alpha, sidedness, contract.payments.basis, template.source,
                           tuple(out), assumptions)
