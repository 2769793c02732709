"""No significance from numerical noise: the degenerate-variance rule, and the few-clusters warning.

A standard error that is zero, zero up to rounding, infinite or NaN carries no information about
uncertainty: an exact fit (``y = 3.1·x + 1.7``), an outcome constant within each arm, one cluster
per arm (the cluster scores of a difference in means sum to zero), or an overflow (values near
1e300). Dividing an estimate by such a number gives p = 0.0, p = 1.0 or a confidence bound equal
to the estimate, any of which could trigger a payment. Every estimator therefore passes its
standard error through :func:`degenerate_se`; where it is degenerate the result carries NaN for
the standard error, the p-value and both confidence bounds, and a note that says why
(:func:`guarded_inference` does it for one estimate).

The tolerance: a standard error at or below ``DEGENERATE_RTOL`` = 1e-10 times the outcome's scale
(its largest absolute value) is zero up to rounding. Rounding noise in least-squares residuals is a
few ulps of that scale (about 1e-16 to 1e-13 of it, the upper end for designs close to the
collinearity limit ``ols.RANK_TOL``), so noise sits at least a thousand times below the threshold;
a real standard error sits far above it: with outcomes of standard deviation ``s`` and largest value
at most 1e4·s, any sample under 1e8 people gives an SE of at least 2e-4·s, that is 2e-8 of the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from temoin.evaluation.text import significant
from temoin.messages import Msg

from ._design import FloatArray, IntArray

__all__ = [
    "DEGENERATE_RTOL",
    "FEW_CLUSTERS",
    "Inference",
    "cluster_counts",
    "cluster_warnings",
    "degenerate_se",
    "guarded_inference",
    "not_estimable_note",
    "outcome_scale",
]

#: Relative tolerance of :func:`degenerate_se`: an SE at or below this share of the outcome's scale is zero.
DEGENERATE_RTOL = 1e-10

#: Below this many clusters, clustered standard errors are flagged as unreliable (Cameron & Miller 2015).
FEW_CLUSTERS = 10


def degenerate_se(
    std_error: ArrayLike, outcome_scale: ArrayLike, rtol: float = DEGENERATE_RTOL
) -> NDArray[np.bool_]:
    """True where a standard error cannot support inference: NaN, infinite, or at most
    ``rtol × |outcome_scale|`` (zero up to rounding; see the module doc for the tolerance). A scale
    that is not finite flags its entries too. Broadcasts like numpy (one scale for many SEs).

    >>> degenerate_se([0.0, 2.7e-16, 0.3, float("inf"), float("nan")], 5.0).tolist()
    [True, True, False, True, True]
    """
    se = np.asarray(std_error, dtype=np.float64)
    scale = np.abs(np.asarray(outcome_scale, dtype=np.float64))
    with np.errstate(invalid="ignore", over="ignore"):
        out: NDArray[np.bool_] = ~np.isfinite(se) | ~np.isfinite(scale) | (se <= rtol * scale)
    return out


def outcome_scale(y: FloatArray) -> float:
    """The outcome's scale for :func:`degenerate_se`: its largest absolute value (0.0 when empty)."""
    if y.size == 0:
        return 0.0
    return max(abs(float(np.max(y))), abs(float(np.min(y))))  # no n-long temporary


def _word(value: float) -> str:
    return "NaN" if math.isnan(value) else ("+∞" if value > 0 else "-∞")


def not_estimable_note(std_error: float, estimate: float = 0.0) -> Msg:
    """The note of a degenerate result, saying which case it is (a stable message)."""
    if not math.isfinite(estimate):
        return Msg("Effect not estimable: the estimate is not finite ({value}) — numerical overflow, values too large? "
                   "Express them in another unit. No p-value or interval.", value=_word(estimate))
    if math.isinf(std_error):
        return Msg("Effect not estimable: the standard error is not finite ({value}) — numerical overflow, values too large? "
                   "Express them in another unit. No p-value or interval.", value=_word(std_error))
    if math.isnan(std_error):
        return Msg("Effect not estimable: the standard error is undefined (NaN) — numerical overflow (values too large? "
                   "express them in another unit), or a variance the data cannot estimate (a single control, for "
                   "example). No p-value or interval.")
    return Msg("Effect not estimable: the standard error is zero up to rounding ({std_error}) — an exact fit, an outcome "
               "constant within each group, or one cluster per arm. No p-value or interval.",
               std_error=significant(std_error, 3))


@dataclass(frozen=True)
class Inference:
    """Standard error, p-value and interval of one estimate, NaN with a note when degenerate."""

    std_error: float
    p_value: float
    ci_low: float
    ci_high: float
    notes: tuple[Msg, ...] = ()

    @property
    def estimable(self) -> bool:
        return not self.notes


def guarded_inference(estimate: float, std_error: float, df: float, alpha: float, scale: float) -> Inference:
    """Two-sided p-value and 1 - alpha interval from a t reference (normal when ``df`` is infinite
    or not positive), unless the standard error is degenerate for ``scale`` (:func:`degenerate_se`)
    or the estimate is not finite: then NaN everywhere, with the note that says why."""
    if not math.isfinite(estimate) or bool(degenerate_se(std_error, scale)):
        nan = float("nan")
        return Inference(nan, nan, nan, nan, (not_estimable_note(std_error, estimate),))
    if math.isfinite(df) and df > 0:
        p = float(2 * stats.t.sf(abs(estimate / std_error), df))
        q = float(stats.t.ppf(1 - alpha / 2, df))
    else:
        p = float(2 * stats.norm.sf(abs(estimate) / std_error))
        q = float(stats.norm.ppf(1 - alpha / 2))
    return Inference(std_error, p, estimate - q * std_error, estimate + q * std_error)


def cluster_counts(cluster: IntArray, n_clusters: int, d: FloatArray, *, enough: int | None = None) -> tuple[int, int]:
    """Clusters holding at least one treated unit, and at least one control unit. By blocks of rows
    (``np.bincount`` copies a read-only input: no n-long array is added to the peak); with
    ``enough``, stops as soon as both counts have reached it (they are then lower bounds)."""
    treated = np.zeros(n_clusters)
    size = np.zeros(n_clusters)
    step = max(1 << 16, n_clusters)
    counts = (0, 0)
    for i in range(0, cluster.shape[0], step):
        codes = cluster[i : i + step]
        treated += np.bincount(codes, weights=d[i : i + step], minlength=n_clusters)
        size += np.bincount(codes, minlength=n_clusters)
        counts = int(np.count_nonzero(treated > 0)), int(np.count_nonzero(treated < size))
        if enough is not None and min(counts) >= enough:
            break
    return counts


def cluster_warnings(n_clusters: int, treated: int, control: int) -> tuple[Msg, ...]:
    """Warning notes for clustered inference on few clusters or a single treated (control) cluster."""
    notes: list[Msg] = []
    if treated == 1 or control == 1:
        notes.append(
            Msg("A single treated cluster: the effect cannot be told apart from a shock specific to that cluster, and the "
                "clustered standard error is badly underestimated (MacKinnon & Webb 2017); p-value and interval "
                "unreliable." if treated == 1 else
                "A single control cluster: the effect cannot be told apart from a shock specific to that cluster, and the "
                "clustered standard error is badly underestimated (MacKinnon & Webb 2017); p-value and interval "
                "unreliable.")
        )
    if n_clusters < FEW_CLUSTERS:
        notes.append(
            Msg("Only {n_clusters} clusters (fewer than about ten): clustered standard errors are unreliable and p-values "
                "too small (Cameron & Miller 2015); prefer CR2 with its degrees of freedom, or randomisation inference.",
                n_clusters=n_clusters)
        )
    return tuple(notes)
