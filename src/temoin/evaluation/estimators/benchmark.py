"""Benchmark comparison: an observed rate against a reference rate that has its own uncertainty.

The effect is ``p̂ - r``; its standard error adds the sampling variance of the observed rate,
``p̂(1 - p̂)/n``, and the reference's own variance ``se_ref²`` (independent sources). Inference is
normal (large-sample). Without a control cohort this cannot prove impact: the result says so.
A standard error of zero (a rate of 0 or 1 against an exact reference) gives no p-value and no
interval, with a note (:mod:`.degenerate`; rates have scale 1).
"""

from __future__ import annotations

import numpy as np

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EffectEstimate
from temoin.messages import Msg

from ._design import check_alpha
from .degenerate import guarded_inference

__all__ = ["benchmark_compare"]


def benchmark_compare(
    successes: int,
    n: int,
    reference_rate: float,
    reference_std_error: float = 0.0,
    *,
    alpha: float = 0.05,
) -> EffectEstimate:
    """Observed rate ``successes / n`` minus ``reference_rate``, with a normal-theory interval."""
    check_alpha(alpha)
    if n <= 0 or not 0 <= successes <= n:
        raise InvalidInputError(
            "evaluation.bad_counts",
            Msg('Invalid counts: {successes} successes out of {n}.', successes=successes, n=n),
            path="successes",
            hint=Msg('Successes must be between 0 and the number of people (> 0).'),
        )
    if not 0 <= reference_rate <= 1 or reference_std_error < 0 or not np.isfinite(reference_std_error):
        raise InvalidInputError(
            "evaluation.bad_reference",
            Msg('Invalid reference rate {reference_rate} or standard error {reference_std_error}.', reference_rate=reference_rate, reference_std_error=reference_std_error),
            path="benchmark",
        )
    rate = successes / n
    se = float(np.sqrt(rate * (1 - rate) / n + reference_std_error**2))
    est = rate - reference_rate
    notes = [
        Msg('Comparison with an external benchmark: without a control cohort, impact is not proven.')
    ]
    inference = guarded_inference(est, se, float("inf"), alpha, 1.0)
    notes.extend(inference.notes)
    return EffectEstimate(
        estimate=est,
        std_error=inference.std_error,
        ci_low=inference.ci_low,
        ci_high=inference.ci_high,
        p_value=inference.p_value,
        df=float("inf"),
        n_treated=n,
        n_control=0,
        se_type="normal",
        method="benchmark",
        alpha=alpha,
        notes=tuple(notes),
    )
