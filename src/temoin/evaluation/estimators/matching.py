"""Matched comparison: logit propensity score, nearest-neighbour matching with a caliper, and
inverse-probability weighting.

- ``logit_propensity``: maximum likelihood by Newton–Raphson; refuses perfect separation by naming
  the problem instead of returning propensities of 0 or 1.
- ``matching_effect``: effect on the treated (ATT). Each programme participant is matched, with
  replacement, to the control whose logit score is closest; controls tied at that distance (scores
  within ``TIE_TOL``, e.g. the same covariates) are all used, each with weight 1/(number tied), the
  Abadie–Imbens convention (R's ``Matching`` with ``ties=TRUE``), so the result does not depend on
  the order of the rows. Participants with no control within ``caliper`` standard deviations of the
  logit score are left out and counted in the notes. Variance: Abadie & Imbens (2006) for one match,
  ``[Σ_treated (Y_i - Ŷ_i(0) - ATT)² + Σ_controls (K_j² - K'_j) σ²_j] / N1²`` with K_j the sum of
  the control's match weights and K'_j the sum of their squares; σ²_j from its nearest other
  control(s), ``J/(J+1) (Y_j - mean of the J tied nearest)²``. The estimation of the score itself is
  not accounted for (Abadie & Imbens 2016), as stated in the notes. Weights are refused.
- ``ipw_effect``: average effect (ATE) with normalised (Hájek) weights 1/e and 1/(1-e), or effect on
  the treated (ATT) with odds weights 1 and e/(1-e); the standard error is the weighted-regression
  sandwich (HC1), which ignores that e is estimated: conservative for the ATE (Hirano, Imbens &
  Ridder 2003), not necessarily for the ATT.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate
from temoin.messages import Msg

from ._design import FloatArray, IntArray, Prepared
from .degenerate import guarded_inference, outcome_scale
from .linear import INTERCEPT
from .ols import collinear_groups, fit_ols
from .vcov import vcov

__all__ = ["ipw_effect", "logit_propensity", "matching_effect"]


def _covariate_matrix(p: Prepared) -> tuple[FloatArray, list[str]]:
    if not p.covariate_names:
        raise InvalidInputError(
            "evaluation.covariates_needed",
            Msg('The propensity score needs at least one covariate.'),
            path="covariates",
            hint=Msg('Give the baseline characteristics that explain entry into the programme.'),
        )
    z = p.covariates
    with np.errstate(over="ignore", invalid="ignore"):
        sd = z.std(axis=0)
    if not np.all(np.isfinite(sd)):  # values so large that their squares overflow: standardise them scaled down
        top = np.max(np.abs(z), axis=0)
        z = z / np.where(top > 0, top, 1.0)
        sd = z.std(axis=0)
    sd = np.where(sd == 0, 1.0, sd)
    x = np.column_stack([np.ones(p.n), (z - z.mean(axis=0)) / sd])
    return x, [INTERCEPT, *p.covariate_names]


def logit_propensity(p: Prepared, max_iter: int = 100) -> FloatArray:
    """P(treatment = 1 | covariates) from a logit fitted by maximum likelihood."""
    x, names = _covariate_matrix(p)
    groups = collinear_groups(x.T @ x, names)
    if groups:
        shown = "; ".join(" ~ ".join(g) for g in groups)
        raise InvalidInputError(
            "evaluation.collinear",
            Msg('Collinear or constant covariates in the propensity score: {shown}.', shown=shown),
            path="covariates",
        )
    beta = np.zeros(x.shape[1])
    d = p.d
    for _ in range(max_iter):
        e = special.expit(x @ beta)
        w = e * (1 - e)
        grad = x.T @ (d - e)
        hess = x.T @ (x * w[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    e = special.expit(x @ beta)
    if np.max(np.abs(beta)) > 30 or np.min(np.minimum(e, 1 - e)) < 1e-10:
        raise InvalidInputError(
            "evaluation.separation",
            Msg('The covariates predict entry into the programme perfectly: no comparable groups.'),
            path="covariates",
            hint=Msg('Remove the covariate that separates the groups, or restrict the sample to common support.'),
        )
    out: FloatArray = e
    return out


#: Logit-score distances that differ by at most this much are ties (identical covariates give
#: scores equal to a few ulps; row order moves them by ~1e-14).
TIE_TOL = 1e-9


def _tie_groups(sorted_scores: FloatArray) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Groups of consecutive sorted scores closer than ``TIE_TOL``: first index, lowest and highest
    score, and size of each group."""
    starts = np.flatnonzero(np.r_[True, np.diff(sorted_scores) > TIE_TOL])
    ends = np.r_[starts[1:], sorted_scores.size]
    return starts, sorted_scores[starts], sorted_scores[ends - 1], ends - starts


def _nearest_groups(
    low: FloatArray, high: FloatArray, targets: FloatArray
) -> tuple[IntArray, IntArray, np.ndarray, np.ndarray, FloatArray]:
    """For each target, the group just below and just above it, whether each is at the smallest
    distance (both when tied within ``TIE_TOL``), and that distance."""
    n_groups = low.size
    left = np.searchsorted(low, targets, side="right") - 1
    right = left + 1
    has_left, has_right = left >= 0, right < n_groups
    li, ri = np.clip(left, 0, n_groups - 1), np.clip(right, 0, n_groups - 1)
    d_left = np.where(has_left, np.maximum(targets - high[li], 0.0), np.inf)
    d_right = np.where(has_right, low[ri] - targets, np.inf)
    take_left = has_left & (d_left <= d_right + TIE_TOL)
    take_right = has_right & (d_right <= d_left + TIE_TOL)
    return li, ri, take_left, take_right, np.minimum(d_left, d_right)


def _control_variances(y_sorted: FloatArray, starts: IntArray, low: FloatArray, high: FloatArray,
                       size: IntArray) -> FloatArray:
    """σ² of each control (sorted order) from its nearest other control(s): J/(J+1)·(y - their mean)²,
    J the number tied at the smallest distance (the rest of its own tie group when it has one).
    NaN when there is no other control."""
    n_groups = size.size
    group = np.repeat(np.arange(n_groups), size)
    sums = np.add.reduceat(y_sorted, starts) if y_sorted.size else np.zeros(0)
    # a control alone in its group: the nearest neighbouring group(s)
    g = np.arange(n_groups)
    has_left, has_right = g > 0, g < n_groups - 1
    li, ri = np.clip(g - 1, 0, n_groups - 1), np.clip(g + 1, 0, n_groups - 1)
    d_left = np.where(has_left, low - high[li], np.inf)
    d_right = np.where(has_right, low[ri] - high, np.inf)
    take_left = has_left & (d_left <= d_right + TIE_TOL)
    take_right = has_right & (d_right <= d_left + TIE_TOL)
    nb_count = np.where(take_left, size[li], 0) + np.where(take_right, size[ri], 0)
    nb_sum = np.where(take_left, sums[li], 0.0) + np.where(take_right, sums[ri], 0.0)
    own = size[group] > 1
    j = np.where(own, size[group] - 1, nb_count[group]).astype(np.float64)
    total = np.where(own, sums[group] - y_sorted, nb_sum[group])
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(j > 0, j / (j + 1) * (y_sorted - total / j) ** 2, np.nan)
    return out


def matching_effect(p: Prepared, *, alpha: float = 0.05, caliper: float | None = 0.2) -> EffectEstimate:
    """Effect on the treated by nearest-neighbour matching on the logit propensity score, ties averaged."""
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise InvalidInputError(
            "evaluation.bad_caliper",
            Msg('Invalid caliper {caliper}: it must be a strictly positive number of standard deviations.', caliper=repr(caliper)),
            path="caliper",
            hint=Msg('For example 0.2; or None to match without a margin.'),
        )
    if p.weights is not None:
        raise InvalidInputError(
            "evaluation.matching_weights",
            Msg('Matching takes no weights: they would be ignored.'),
            path="weights",
            hint=Msg("Remove the weights, or use method='ipw'."),
        )
    e = logit_propensity(p)
    score = special.logit(e)
    treated = np.flatnonzero(p.d == 1)
    control = np.flatnonzero(p.d == 0)
    c_sorted = control[np.argsort(score[control], kind="stable")]
    s_sorted = score[c_sorted]
    y = p.y
    y_sorted = y[c_sorted]
    starts, low, high, size = _tie_groups(s_sorted)
    li, ri, take_l, take_r, dist = _nearest_groups(low, high, score[treated])
    notes: list[Msg] = []
    if caliper is not None:
        width = caliper * float(np.std(score, ddof=1))
        ok = dist <= width
        dropped = int((~ok).sum())
        if dropped:
            notes.append(
                Msg("{dropped} participant(s) with no comparable control (gap > {caliper} SD of the score) left out.",
                    dropped=dropped, caliper=caliper)
            )
        treated, li, ri, take_l, take_r = treated[ok], li[ok], ri[ok], take_l[ok], take_r[ok]
    n1 = treated.size
    if n1 == 0:
        raise InvalidInputError(
            "evaluation.no_match",
            Msg('No participant has a comparable control within the caliper.'),
            path="caliper",
            hint=Msg('Widen the caliper or revisit the covariates.'),
        )
    sums = np.add.reduceat(y_sorted, starts)
    m = np.where(take_l, size[li], 0) + np.where(take_r, size[ri], 0)
    matched = (np.where(take_l, sums[li], 0.0) + np.where(take_r, sums[ri], 0.0)) / m
    diff = y[treated] - matched
    att = float(diff.mean())
    # Abadie-Imbens (2006) variance, one match with ties: K = sum of a control's match weights, K' of their squares
    n_groups = size.size
    inv = 1.0 / m
    k_group = np.bincount(li[take_l], weights=inv[take_l], minlength=n_groups) + np.bincount(
        ri[take_r], weights=inv[take_r], minlength=n_groups
    )
    k2_group = np.bincount(li[take_l], weights=inv[take_l] ** 2, minlength=n_groups) + np.bincount(
        ri[take_r], weights=inv[take_r] ** 2, minlength=n_groups
    )
    k = np.repeat(k_group, size)
    factor = k * k - np.repeat(k2_group, size)
    sigma2 = _control_variances(y_sorted, starts, low, high, size)
    with np.errstate(invalid="ignore"):
        control_term = np.sum(np.where(factor > 0, factor * sigma2, 0.0))
    var = (np.sum((diff - att) ** 2) + control_term) / n1**2
    se = float(np.sqrt(var))
    used = int(np.count_nonzero(k))
    inference = guarded_inference(att, se, float("inf"), alpha, outcome_scale(y))
    notes.append(
        Msg("Effect on the matched participants ({n1}); {used} distinct controls used (ties averaged); Abadie-Imbens "
            "variance without correction for the estimated score.", n1=n1, used=used)
    )
    return EffectEstimate(
        estimate=att,
        std_error=inference.std_error,
        ci_low=inference.ci_low,
        ci_high=inference.ci_high,
        p_value=inference.p_value,
        df=float("inf"),
        n_treated=int(n1),
        n_control=used,
        se_type="abadie_imbens",
        method="matching",
        alpha=alpha,
        notes=(*p.notes, *notes, *inference.notes),
        estimand="ATT",
    )


def ipw_effect(p: Prepared, *, alpha: float = 0.05, estimand: str = "ATE") -> EffectEstimate:
    """Average effect (``estimand="ATE"``) or effect on the treated (``"ATT"``) by inverse-probability
    weighting (normalised weights)."""
    if estimand not in ("ATE", "ATT"):
        raise InvalidInputError(
            "evaluation.bad_estimand",
            Msg('Unknown estimand {estimand} for weighting: ATE or ATT.', estimand=repr(estimand)),
            path="estimand",
        )
    e = logit_propensity(p)
    if estimand == "ATE":
        w = np.where(p.d == 1, 1 / e, 1 / (1 - e))
    else:
        w = np.where(p.d == 1, 1.0, e / (1 - e))
    notes: list[Msg] = []
    extreme = int(np.count_nonzero((e < 0.01) | (e > 0.99)))
    if extreme:
        notes.append(
            Msg("{extreme} propensity score(s) outside [0.01, 0.99]: weak overlap, extreme weights.", extreme=extreme)
        )
    if p.weights is not None:
        w = w * p.weights
    x = np.column_stack([np.ones(p.n), p.d - np.average(p.d, weights=w)])
    fit = fit_ols(np.asfortranarray(x), p.y, [INTERCEPT, "traitement"], w)
    v = vcov(fit, "HC1", coef=1)
    est = float(fit.beta[1])
    se = float(np.sqrt(max(v.matrix[1, 1], 0.0)))
    inference = guarded_inference(est, se, v.df, alpha, outcome_scale(p.y))
    if estimand == "ATE":
        notes.append(
            Msg('Inverse-probability weighting (normalised weights); conservative HC1 standard error.')
        )
    else:
        notes.append(
            Msg("Effect on the participants (ATT): controls weighted by the propensity odds e/(1-e) (normalised weights); "
                "HC1 standard error that ignores the estimation of the score.")
        )
    return EffectEstimate(
        estimate=est,
        std_error=inference.std_error,
        ci_low=inference.ci_low,
        ci_high=inference.ci_high,
        p_value=inference.p_value,
        df=v.df,
        n_treated=p.n_treated,
        n_control=p.n_control,
        se_type="HC1",
        method="ipw",
        alpha=alpha,
        notes=(*p.notes, *notes, *inference.notes),
        estimand=estimand,
    )
