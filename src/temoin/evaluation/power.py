"""Analytical power, minimum detectable effect and sample size for a two-arm comparison.

The test is the two-sample t test on a difference in means (noncentral t, as
``statsmodels.stats.power.TTestIndPower``), adapted to CIS designs:

- expected attrition: only ``n (1 - attrition)`` participants have an outcome;
- clustering: the design effect ``1 + (m - 1) ICC`` (``m`` people per cluster) divides the
  sample into its effective size, and the t reference has ``G - 2`` degrees of freedom, ``G = n / m``
  the number of clusters (attrition removes people, not clusters): the comparison of cluster means
  (Donner & Klar 2000), which is what the analysis's cluster-robust t test has to go on;
- covariate adjustment: baseline covariates explaining a share ``R²`` of the outcome variance
  shrink the residual standard deviation to ``sd √(1 - R²)``.

Effects are improvements in the indicator's unit (positive = better); ``sd`` is the outcome's
standard deviation in the same unit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from scipy import optimize, stats

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError
from temoin.evaluation.enrolment_curve import EnrolmentCurve, period_samples
from temoin.evaluation.text import significant
from temoin.messages import Msg

__all__ = ["PeriodPower", "PowerReport", "design_effect", "mde", "power", "power_by_period", "power_for_contract", "sample_size"]

Sidedness = Literal["one_sided", "two_sided"]


def design_effect(cluster_size: float = 1.0, icc: float = 0.0) -> float:
    """Variance inflation of a cluster design: 1 + (m − 1) × ICC."""
    if cluster_size < 1 or not 0 <= icc < 1:
        raise InvalidInputError("power.design_effect", Msg('Invalid cluster size {cluster_size} or ICC {icc}.', cluster_size=cluster_size, icc=icc),
                                hint=Msg('Cluster size ≥ 1, 0 ≤ ICC < 1.'))
    return 1.0 + (cluster_size - 1.0) * icc


def _check(n: float, sd: float, allocation: float, alpha: float, attrition: float) -> None:
    problems = []
    if n <= 4:
        problems.append(("n", n))
    if sd <= 0:
        problems.append(("sd", sd))
    if not 0 < allocation < 1:
        problems.append(("allocation", allocation))
    if not 0 < alpha < 0.5:
        problems.append(("alpha", alpha))
    if not 0 <= attrition < 1:
        problems.append(("attrition", attrition))
    if problems:
        name, value = problems[0]
        raise InvalidInputError("power.invalid", Msg('Invalid power parameter: {name} = {value}.', name=name, value=value), path=name,
                                hint=Msg('n > 4, sd > 0, 0 < allocation < 1, 0 < alpha < 0.5, 0 ≤ attrition < 1.'))


def _arms(n: float, allocation: float, attrition: float, deff: float) -> tuple[float, float]:
    eff = n * (1 - attrition) / deff
    return eff * allocation, eff * (1 - allocation)


def _check_clusters(n: float, cluster_size: float) -> None:
    if cluster_size > 1 and n / cluster_size <= 2:
        raise InvalidInputError(
            "power.too_few_clusters",
            Msg("{n} people in clusters of {cluster_size}: {clusters} cluster(s), more than 2 are needed.",
                n=significant(n, 6), cluster_size=significant(cluster_size, 6), clusters=significant(n / cluster_size, 3)),
            path="cluster_size",
            hint=Msg('Increase n or reduce the cluster size (the test compares clusters: G - 2 degrees of freedom).'),
        )


def power(
    *,
    effect: float,
    sd: float,
    n: float,
    allocation: float = 0.5,
    alpha: float = 0.05,
    sidedness: Sidedness = "two_sided",
    attrition: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    r2: float = 0.0,
) -> float:
    """Probability of a significant improvement when the true improvement is ``effect``."""
    _check(n, sd, allocation, alpha, attrition)
    n1, n2 = _arms(n, allocation, attrition, design_effect(cluster_size, icc))
    _check_clusters(n, cluster_size)
    d = effect / (sd * np.sqrt(1 - r2))
    df = n / cluster_size - 2 if cluster_size > 1 else n1 + n2 - 2
    nc = d * np.sqrt(n1 * n2 / (n1 + n2))
    if sidedness == "one_sided":
        return float(stats.nct.sf(stats.t.isf(alpha, df), df, nc))
    crit = stats.t.isf(alpha / 2, df)
    # lower tail as the upper tail of the mirrored distribution (scipy's nct.cdf can return NaN far in the tail)
    lower = float(stats.nct.sf(crit, df, -nc))
    return float(stats.nct.sf(crit, df, nc)) + (0.0 if np.isnan(lower) else lower)


def mde(*, sd: float, n: float, target_power: float = 0.8, **kwargs: float | str) -> float:
    """Minimum detectable effect: the smallest improvement found significant with ``target_power``."""
    def gap(e: float) -> float:
        return power(effect=e, sd=sd, n=n, **kwargs) - target_power  # type: ignore[arg-type]

    hi = sd
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e6 * sd:
            raise InvalidInputError("power.no_mde", Msg('No detectable effect with this sample.'), path="n")
    return float(optimize.brentq(gap, 1e-12 * sd, hi, xtol=1e-10 * sd))


def sample_size(*, effect: float, sd: float, target_power: float = 0.8, **kwargs: float | str) -> int:
    """Smallest number of people to enrol (before attrition) for ``target_power``."""
    if effect <= 0:
        raise InvalidInputError("power.effect", Msg('The expected effect must be positive (got {effect}).', effect=effect), path="effect")
    m = float(kwargs.get("cluster_size", 1.0))
    lo = max(5, int(2 * m))  # more than 2 clusters, and n > 4
    hi = 2 * lo
    while power(effect=effect, sd=sd, n=hi, **kwargs) < target_power:  # type: ignore[arg-type]
        lo, hi = hi, hi * 2
        if hi > 10**9:
            raise InvalidInputError("power.too_large", Msg('Unrealistic sample size.'), path="effect")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(effect=effect, sd=sd, n=mid, **kwargs) >= target_power:  # type: ignore[arg-type]
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class PowerReport:
    contract_id: str
    n: int
    effect: float
    sd: float
    alpha: float
    sidedness: str
    allocation: float
    attrition: float
    design_effect: float
    power: float
    mde: float
    n_for_80: int | None
    periods: tuple[PeriodPower, ...] = ()
    """Under an enrolment curve: each payment period's power on the people due by its end date."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PeriodPower:
    """One payment period under an enrolment curve: the people due at its wave by its end date (``n``,
    rounded down: a person is due or not), those not yet due, and the power and MDE on the due alone."""

    period: str
    wave: str
    end_date: str
    n: int
    not_yet_due: int
    power: float | None
    mde: float | None


def power_by_period(curve: EnrolmentCurve, contract: Contract, *, effect: float, sd: float,
                    **kwargs: float | str) -> tuple[PeriodPower, ...]:
    """Power and MDE of each payment period on the people due by its end date under ``curve`` (None
    where too few are due for a test)."""
    out = []
    for p in period_samples(contract, curve):
        n = int(np.floor(p.due + 1e-9))
        try:
            pw: float | None = power(effect=effect, sd=sd, n=n, **kwargs)  # type: ignore[arg-type]
            m: float | None = mde(sd=sd, n=n, **kwargs)  # type: ignore[arg-type]
        except InvalidInputError:
            pw = m = None
        out.append(PeriodPower(p.period, p.wave, p.end_date.isoformat(), n, round(curve.total) - n, pw, m))
    return tuple(out)


def power_for_contract(contract: Contract, *, n: int | None = None, effect: float | None = None,
                       sd: float | None = None, cluster_size: float = 1.0,
                       curve: EnrolmentCurve | None = None) -> PowerReport:
    """Power of the contract's own design, from its evaluation section (values may be overridden).

    With an enrolment ``curve``, ``n`` is the people it enrols in all, and each payment period is
    judged on the people due by its end date (:attr:`PowerReport.periods`)."""
    ev = contract.evaluation
    plan = ev.analysis_plan
    if curve is not None:
        n = int(np.floor(curve.total + 1e-9))
    n = n or contract.population.expected_size
    effect = effect if effect is not None else ev.expected_effect
    sd = sd if sd is not None else ev.outcome_sd
    if effect is None or sd is None:
        raise InvalidInputError(
            "power.missing_assumption", Msg('The contract gives no expected effect or outcome standard deviation.'),
            path="evaluation.expected_effect" if effect is None else "evaluation.outcome_sd",
            hint=Msg('Fill in evaluation.expected_effect and evaluation.outcome_sd, or pass --effect and --sd.'))
    kw: dict[str, float | str] = {
        "allocation": ev.allocation_ratio, "alpha": plan.alpha or 0.05, "sidedness": plan.sidedness or "two_sided",
        "attrition": ev.expected_attrition, "icc": ev.icc or 0.0, "cluster_size": cluster_size,
    }
    p = power(effect=effect, sd=sd, n=n, **kw)  # type: ignore[arg-type]
    m = mde(sd=sd, n=n, **kw)  # type: ignore[arg-type]
    try:
        n80: int | None = sample_size(effect=effect, sd=sd, **kw) if effect > 0 else None  # type: ignore[arg-type]
    except InvalidInputError:
        n80 = None
    periods = power_by_period(curve, contract, effect=effect, sd=sd, **kw) if curve is not None else ()
    return PowerReport(contract.id, n, effect, sd, float(kw["alpha"]), str(kw["sidedness"]), ev.allocation_ratio,
                       ev.expected_attrition, design_effect(cluster_size, ev.icc or 0.0), p, m, n80, periods)
