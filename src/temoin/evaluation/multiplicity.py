"""Multiple-outcome adjustment of p-values, as the analysis plan says (Holm or Benjamini–Hochberg).

>>> [round(p, 4) for p in adjust_pvalues([0.01, 0.04, 0.03], "holm")]
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["adjust_pvalues"]


def adjust_pvalues(p_values: Sequence[float], method: str) -> list[float]:
    """Adjusted p-values in the input order; ``method`` is ``holm``, ``bh`` or ``none``."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if method == "none" or m <= 1:
        return [float(x) for x in p]
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    elif method == "bh":
        adj = np.minimum.accumulate(np.minimum(1.0, m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
    else:
        raise ValueError(f"unknown multiplicity method {method!r}")
    out = np.empty(m)
    out[order] = adj
    return [float(x) for x in out]
