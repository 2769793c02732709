"""Adjusting p-values for several outcomes: Holm (family-wise error) and Benjamini–Hochberg (FDR).

>>> [round(p, 4) for p in adjust_pvalues([0.01, 0.04, 0.03], "holm")]
[0.03, 0.06, 0.06]
>>> [round(p, 4) for p in adjust_pvalues([0.01, 0.04, 0.03], "bh")]
[0.03, 0.04, 0.04]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["MULTIPLICITY_METHODS", "adjust_pvalues"]

MULTIPLICITY_METHODS: tuple[str, ...] = ("none", "holm", "bh")


def adjust_pvalues(pvalues: Sequence[float], method: str = "holm") -> list[float]:
    """Adjusted p-values, in the input order. ``method``: ``"holm"``, ``"bh"`` or ``"none"``."""
    if method not in MULTIPLICITY_METHODS:
        raise InvalidInputError(
            "evaluation.bad_multiplicity",
            Msg('Unknown multiplicity adjustment: {method}.', method=repr(method)),
            path="multiplicity",
            hint=Msg("Choose 'holm', 'bh' or 'none'."),
        )
    p = np.asarray(pvalues, dtype=np.float64)
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            "evaluation.bad_pvalue",
            Msg("p-value no. {position} is invalid: {value} (expected between 0 and 1).", position=i + 1, value=repr(p[i])),
            path=f"pvalues[{i}]",
        )
    m = p.size
    if m == 0 or method == "none":
        return [float(v) for v in p]
    order = np.argsort(p, kind="stable")
    ps = p[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ps)
    else:
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ps[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return [float(v) for v in out]
