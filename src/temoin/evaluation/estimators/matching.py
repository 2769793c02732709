"""Matched comparison: logit propensity score, nearest-neighbour matching with a caliper, and
inverse-probability weighting.

- ``logit_propensity``: maximum likelihood by Newton–Raphson; refuses perfect separation by naming
  the problem instead of returning propensities of 0 or 1.
- ``matching_effect``: effect on the treated (ATT). Each programme participant is matched, with
  replacement, to the control whose logit score is closest; participants with no control within
  ``caliper`` standard deviations of the logit score are left out and counted in the notes.
  Variance: Abadie & Imbens (2006) for one match, with the conditional variance of each control
  estimated from its nearest control neighbour; the estimation of the score itself is not
  accounted for (Abadie & Imbens 2016), as stated in the notes.
- ``ipw_effect``: average effect (ATE) with normalised (Hájek) weights 1/e and 1/(1-e); the
  standard error is the weighted-regression sandwich (HC1), conservative for the ATE because it
  ignores that e is estimated (Hirano, Imbens & Ridder 2003).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate

from ._design import FloatArray, Prepared, bilingual
from .linear import INTERCEPT, t_inference
from .ols import collinear_groups, fit_ols
from .vcov import vcov

__all__ = ["ipw_effect", "logit_propensity", "matching_effect"]


def _covariate_matrix(p: Prepared) -> tuple[FloatArray, list[str]]:
    if not p.covariate_names:
        raise InvalidInputError(
            "evaluation.covariates_needed",
            "Le score de propension demande au moins une covariable.",
            "The propensity score needs at least one covariate.",
            path="covariates",
            hint_fr="Indiquez les caractéristiques de départ qui expliquent l'entrée dans le programme.",
            hint_en="Give the baseline characteristics that explain entry into the programme.",
        )
    z = p.covariates
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
            f"Covariables colinéaires ou constantes dans le score de propension : {shown}.",
            f"Collinear or constant covariates in the propensity score: {shown}.",
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
            "Les covariables prédisent parfaitement l'entrée dans le programme : pas de groupes comparables.",
            "The covariates predict entry into the programme perfectly: no comparable groups.",
            path="covariates",
            hint_fr="Retirez la covariable qui sépare les groupes, ou restreignez l'échantillon au support commun.",
            hint_en="Remove the covariate that separates the groups, or restrict the sample to common support.",
        )
    out: FloatArray = e
    return out


def _nearest(sorted_scores: FloatArray, targets: FloatArray) -> np.ndarray:
    """Index (in the sorted array) of the nearest value to each target; ties go to the lower one."""
    pos = np.searchsorted(sorted_scores, targets)
    left = np.clip(pos - 1, 0, sorted_scores.size - 1)
    right = np.clip(pos, 0, sorted_scores.size - 1)
    take_right = np.abs(sorted_scores[right] - targets) < np.abs(targets - sorted_scores[left])
    out: np.ndarray = np.where(take_right, right, left)
    return out


def matching_effect(p: Prepared, *, alpha: float = 0.05, caliper: float | None = 0.2) -> EffectEstimate:
    """Effect on the treated by 1:1 nearest-neighbour matching on the logit propensity score."""
    e = logit_propensity(p)
    score = special.logit(e)
    treated = np.flatnonzero(p.d == 1)
    control = np.flatnonzero(p.d == 0)
    order = np.argsort(score[control], kind="stable")
    c_sorted = control[order]
    s_sorted = score[c_sorted]
    match = c_sorted[_nearest(s_sorted, score[treated])]
    notes: list[str] = []
    if caliper is not None:
        width = caliper * float(np.std(score, ddof=1))
        ok = np.abs(score[match] - score[treated]) <= width
        dropped = int((~ok).sum())
        if dropped:
            notes.append(
                bilingual(
                    f"{dropped} participant(s) sans témoin comparable (écart > {caliper} écart-type du score) exclu(s).",
                    f"{dropped} participant(s) with no comparable control (gap > {caliper} SD of the score) left out.",
                )
            )
        treated, match = treated[ok], match[ok]
    n1 = treated.size
    if n1 == 0:
        raise InvalidInputError(
            "evaluation.no_match",
            "Aucun participant n'a de témoin comparable dans la marge (caliper).",
            "No participant has a comparable control within the caliper.",
            path="caliper",
            hint_fr="Élargissez le caliper ou revoyez les covariables.",
            hint_en="Widen the caliper or revisit the covariates.",
        )
    y = p.y
    diff = y[treated] - y[match]
    att = float(diff.mean())
    # Abadie-Imbens (2006) variance, M = 1: controls used K times; sigma² from the nearest other control
    k = np.bincount(match, minlength=p.n)[control]
    used = k > 1
    sigma2 = np.zeros(control.size)
    if np.any(used) and control.size > 1:
        pos = np.empty(control.size, dtype=np.int64)
        pos[order] = np.arange(control.size)
        nb_left = np.clip(pos - 1, 0, control.size - 1)
        nb_right = np.clip(pos + 1, 0, control.size - 1)
        gap_l = np.where(pos > 0, np.abs(s_sorted[pos] - s_sorted[nb_left]), np.inf)
        gap_r = np.where(pos < control.size - 1, np.abs(s_sorted[nb_right] - s_sorted[pos]), np.inf)
        neighbour = c_sorted[np.where(gap_r < gap_l, nb_right, nb_left)]
        sigma2 = 0.5 * (y[control] - y[neighbour]) ** 2
    var = (np.sum((diff - att) ** 2) + np.sum(k * (k - 1) * sigma2)) / n1**2
    se = float(np.sqrt(var))
    z = stats.norm.ppf(1 - alpha / 2)
    pval = float(2 * stats.norm.sf(abs(att) / se)) if se > 0 else float("nan")
    notes.append(
        bilingual(
            f"Effet sur les participants appariés ({n1}) ; {int(np.count_nonzero(k))} témoins distincts utilisés ; "
            "variance d'Abadie-Imbens sans correction pour l'estimation du score.",
            f"Effect on the matched participants ({n1}); {int(np.count_nonzero(k))} distinct controls used; "
            "Abadie-Imbens variance without correction for the estimated score.",
        )
    )
    return EffectEstimate(
        estimate=att,
        std_error=se,
        ci_low=att - z * se,
        ci_high=att + z * se,
        p_value=pval,
        df=float("inf"),
        n_treated=int(n1),
        n_control=int(np.count_nonzero(k)),
        se_type="abadie_imbens",
        method="matching",
        alpha=alpha,
        notes=(*p.notes, *notes),
    )


def ipw_effect(p: Prepared, *, alpha: float = 0.05) -> EffectEstimate:
    """Average effect by inverse-probability weighting (normalised weights)."""
    e = logit_propensity(p)
    w = np.where(p.d == 1, 1 / e, 1 / (1 - e))
    notes: list[str] = []
    extreme = int(np.count_nonzero((e < 0.01) | (e > 0.99)))
    if extreme:
        notes.append(
            bilingual(
                f"{extreme} propension(s) hors de [0,01 ; 0,99] : recouvrement faible, poids extrêmes.",
                f"{extreme} propensity score(s) outside [0.01, 0.99]: weak overlap, extreme weights.",
            )
        )
    if p.weights is not None:
        w = w * p.weights
    x = np.column_stack([np.ones(p.n), p.d - np.average(p.d, weights=w)])
    fit = fit_ols(np.asfortranarray(x), p.y, [INTERCEPT, "traitement"], w)
    v = vcov(fit, "HC1", coef=1)
    est = float(fit.beta[1])
    se = float(np.sqrt(v.matrix[1, 1]))
    pval, lo, hi = t_inference(est, se, v.df, alpha)
    notes.append(
        bilingual(
            "Pondération par l'inverse de la propension (poids normalisés) ; erreur type HC1 conservatrice.",
            "Inverse-probability weighting (normalised weights); conservative HC1 standard error.",
        )
    )
    return EffectEstimate(
        estimate=est,
        std_error=se,
        ci_low=lo,
        ci_high=hi,
        p_value=pval,
        df=v.df,
        n_treated=p.n_treated,
        n_control=p.n_control,
        se_type="HC1",
        method="ipw",
        alpha=alpha,
        notes=(*p.notes, *notes),
    )
