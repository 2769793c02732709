"""Least squares on the cross-product, with a rank check that names collinear columns.

The design is centred (weighted means) before the cross-product is formed: this re-parametrises
only the intercept, leaves every other coefficient and its variance unchanged, and keeps X'X well
conditioned, so a Cholesky solve is accurate. Weighted least squares works on the whitened data
``sqrt(w) * X`` and ``sqrt(w) * y``, as statsmodels does; every variance formula then applies as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from temoin.errors import InvalidInputError
from temoin.messages import Msg

from ._design import FloatArray

__all__ = ["OLSFit", "collinear_groups", "fit_ols"]

#: Relative eigenvalue of the scaled cross-product under which columns count as collinear.
RANK_TOL = 1e-10


@dataclass(frozen=True)
class OLSFit:
    """A fitted linear model, in whitened coordinates (identical to raw ones without weights)."""

    beta: FloatArray
    bread: FloatArray
    """(X'WX)^-1."""
    xw: FloatArray
    """Whitened design, (n, k)."""
    resid_w: FloatArray
    """Whitened residuals sqrt(w) * (y - X beta)."""
    names: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.xw.shape[0])

    @property
    def k(self) -> int:
        return int(self.xw.shape[1])


def collinear_groups(xtx: FloatArray, names: Sequence[str], tol: float = RANK_TOL) -> list[list[str]]:
    """Groups of columns that are (nearly) linear combinations of each other, by name.

    Works on the correlation-scaled cross-product; each near-null eigenvector gives one group
    (the columns with a non-negligible loading on it).
    """
    s = np.sqrt(np.diag(xtx))
    zero = s == 0
    groups: list[list[str]] = [[names[int(i)]] for i in np.flatnonzero(zero)]
    s = np.where(zero, 1.0, s)
    c = xtx / np.outer(s, s)
    vals, vecs = np.linalg.eigh(c)
    top = float(vals[-1]) if vals.size else 1.0
    for i in np.flatnonzero(vals < tol * top):
        v = vecs[:, i]
        members = [names[int(j)] for j in np.flatnonzero(np.abs(v) > 1e-3) if not zero[j]]
        if members and members not in groups:
            groups.append(members)
    return groups


def fit_ols(x: FloatArray, y: FloatArray, names: Sequence[str], weights: FloatArray | None = None) -> OLSFit:
    """Fit y on x (x already holds the intercept); refuse collinear columns by name."""
    if weights is not None:
        sw = np.sqrt(weights)
        xw = np.asarray(x * sw[:, None], order="F")
        yw = y * sw
    else:
        xw, yw = x, y
    n, k = xw.shape
    if n <= k:
        raise InvalidInputError(
            "evaluation.too_few_rows",
            Msg('Too few observations ({n}) for {k} parameters.', n=n, k=k),
            hint=Msg('Remove covariates or gather more data.'),
        )
    xtx = xw.T @ xw
    groups = collinear_groups(xtx, names)
    if groups:
        shown = "; ".join(" ~ ".join(g) for g in groups)
        raise InvalidInputError(
            "evaluation.collinear",
            Msg('Collinear variables (one is a combination of the others, or constant): {shown}.', shown=shown),
            path="covariates",
            hint=Msg('Remove one variable of each group from the analysis plan.'),
        )
    cho = sla.cho_factor(xtx, lower=False, check_finite=False)
    beta = sla.cho_solve(cho, xw.T @ yw, check_finite=False)
    bread = sla.cho_solve(cho, np.eye(k), check_finite=False)
    bread = (bread + bread.T) / 2
    resid = yw - xw @ beta
    return OLSFit(beta=beta, bread=bread, xw=xw, resid_w=resid, names=tuple(names))
