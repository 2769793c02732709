"""Baseline balance between the programme and the control cohort.

For each baseline attribute (categorical attributes become one 0/1 column per category):

- the effect size used by the What Works Clearinghouse (Standards Handbook v4.1): Hedges' *g*
  with the small-sample correction for continuous attributes, the Cox index
  (difference in log-odds / 1.65, same correction) for 0/1 attributes;
- the variance ratio (programme / control) for continuous attributes (flagged outside 0.5–2);
- the WWC band: |g| ≤ 0.05 satisfies baseline equivalence, 0.05–0.25 requires statistical
  adjustment for that attribute, > 0.25 fails.

A joint test regresses the assignment on every attribute (linear probability model, F test of
all slopes = 0): a small p-value says the arms differ more than chance would make them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg
from scipy import stats

from temoin.evaluation.diagnostics._common import Verdict, as_bool, require_columns
from temoin.evaluation.text import Text, significant, text_to_stored
from temoin.messages import Msg

__all__ = ["BalanceBand", "BalanceReport", "BalanceRow", "Band", "baseline_balance", "cox_index", "hedges_g", "wwc_band"]

BalanceBand = Literal["satisfies", "needs_adjustment", "fails"]
"""The WWC band of a baseline difference (``label:balance_band:*``)."""
Band = BalanceBand


def _omega(n: int) -> float:
    return 1.0 - 3.0 / (4.0 * n - 9.0)


def hedges_g(x_t: np.ndarray, x_c: np.ndarray) -> float:
    """Hedges' g with the small-sample correction (WWC Handbook v4.1, appendix E)."""
    n_t, n_c = len(x_t), len(x_c)
    pooled = np.sqrt(((n_t - 1) * np.var(x_t, ddof=1) + (n_c - 1) * np.var(x_c, ddof=1)) / (n_t + n_c - 2))
    if pooled == 0:
        return 0.0 if np.mean(x_t) == np.mean(x_c) else float(np.sign(np.mean(x_t) - np.mean(x_c)) * np.inf)
    return float(_omega(n_t + n_c) * (np.mean(x_t) - np.mean(x_c)) / pooled)


def cox_index(p_t: float, p_c: float, n: int) -> float:
    """Cox index for a 0/1 attribute (WWC): difference in log-odds / 1.65, small-sample corrected.

    Shares of exactly 0 or 1 are moved half an observation inwards so the log-odds stay finite.
    """
    def logit(p: float) -> float:
        p = min(max(p, 0.5 / n), 1 - 0.5 / n)
        return float(np.log(p / (1 - p)))

    return _omega(n) * (logit(p_t) - logit(p_c)) / 1.65


def wwc_band(effect_size: float) -> Band:
    a = abs(effect_size)
    if a <= 0.05:
        return "satisfies"
    if a <= 0.25:
        return "needs_adjustment"
    return "fails"


@dataclass(frozen=True)
class BalanceRow:
    variable: str
    attribute: str
    kind: Literal["continuous", "binary"]
    mean_treated: float
    mean_control: float
    effect_size: float
    variance_ratio: float | None
    band: Band
    adjusted: bool

    @property
    def ok(self) -> bool:
        return self.band == "satisfies" or (self.band == "needs_adjustment" and self.adjusted)

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"ok": self.ok}


@dataclass(frozen=True)
class BalanceReport:
    rows: tuple[BalanceRow, ...]
    joint_f: float
    joint_df: tuple[int, int]
    joint_p: float
    n_treated: int
    n_control: int
    verdict: Verdict
    dropped_missing: int = 0
    notes: tuple[Text, ...] = field(default_factory=tuple)

    @property
    def equivalent(self) -> bool:
        """WWC baseline equivalence: every attribute satisfies, or is adjusted for in 0.05–0.25."""
        return all(r.ok for r in self.rows)

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": [r.to_dict() for r in self.rows],
            "joint_test": {"f": self.joint_f, "df": list(self.joint_df), "p_value": self.joint_p},
            "n_treated": self.n_treated, "n_control": self.n_control,
            "equivalent": self.equivalent, "verdict": self.verdict.to_dict(),
            "dropped_missing": self.dropped_missing, "notes": [text_to_stored(n) for n in self.notes],
        }


def _design_columns(frame: pd.DataFrame, attributes: Sequence[tuple[str, str]]) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """Numeric columns for each attribute: (column, attribute, kind)."""
    cols: dict[str, pd.Series] = {}
    meta: list[tuple[str, str, str]] = []
    for name, typ in attributes:
        s = frame[name]
        if typ == "numeric":
            cols[name] = pd.to_numeric(s, errors="coerce").astype(float)
            meta.append((name, name, "continuous"))
        elif typ == "boolean":
            cols[name] = as_bool(s).astype("Float64").astype(float)
            meta.append((name, name, "binary"))
        else:
            values = s.astype("string")
            for cat in sorted(values.dropna().unique().tolist()):
                col = f"{name}={cat}"
                cols[col] = (values == cat).astype("Float64").where(values.notna()).astype(float)
                meta.append((col, name, "binary"))
    return pd.DataFrame(cols, index=frame.index), meta


def joint_f_test(x: np.ndarray, d: np.ndarray) -> tuple[float, int, int, float]:
    """F test that every slope is zero in the OLS regression of ``d`` on ``x`` (with intercept)."""
    n = len(d)
    xx = np.column_stack([np.ones(n), x])
    # drop columns that are linear combinations of others (e.g. the last category of a factor)
    if xx.shape[0] >= xx.shape[1]:
        _q, r = np.linalg.qr(xx)
        keep = np.abs(np.diag(r)) > 1e-10 * max(1.0, float(np.abs(np.diag(r)).max()))
        xx = xx[:, keep]
    else:  # fewer people than columns (a small batch): a column-pivoted QR finds a basis of the same span
        r, piv = scipy.linalg.qr(xx, mode="r", pivoting=True)
        diag = np.abs(np.diag(r))
        rank = int((diag > 1e-10 * max(1.0, float(diag.max()))).sum())
        xx = xx[:, np.sort(piv[:rank])]
    k = xx.shape[1] - 1
    beta, *_ = np.linalg.lstsq(xx, d, rcond=None)
    resid = d - xx @ beta
    ssr = float(resid @ resid)
    sst = float(((d - d.mean()) ** 2).sum())
    df2 = n - k - 1
    if k == 0 or df2 <= 0 or ssr == 0:
        return float("nan"), k, df2, float("nan")
    f = ((sst - ssr) / k) / (ssr / df2)
    return float(f), k, df2, float(stats.f.sf(f, k, df2))


def baseline_balance(
    frame: pd.DataFrame,
    *,
    arm: str = "arm",
    attributes: Sequence[tuple[str, str]],
    adjusted_for: Sequence[str] = (),
) -> BalanceReport:
    """Balance of ``attributes`` ((name, type) pairs: numeric / boolean / categorical) between arms.

    Rows with a missing value of an attribute are left out of that attribute's comparison and of
    the joint test; how many is reported (never silently).
    """
    require_columns(frame, [arm, *[a for a, _ in attributes]], what=Msg("Baseline balance"))
    data = frame[frame[arm].notna()]
    d = pd.to_numeric(data[arm]).astype(int).to_numpy()
    cols, meta = _design_columns(data, attributes)
    rows: list[BalanceRow] = []
    for col, attr, kind in meta:
        v = cols[col].to_numpy()
        ok = ~np.isnan(v)
        xt, xc = v[ok & (d == 1)], v[ok & (d == 0)]
        if len(xt) < 2 or len(xc) < 2:
            continue
        if kind == "continuous":
            es = hedges_g(xt, xc)
            vc = np.var(xc, ddof=1)
            vr: float | None = float(np.var(xt, ddof=1) / vc) if vc > 0 else None
        else:
            es = cox_index(float(xt.mean()), float(xc.mean()), len(xt) + len(xc))
            vr = None
        rows.append(BalanceRow(col, attr, "continuous" if kind == "continuous" else "binary", float(xt.mean()), float(xc.mean()), es, vr, wwc_band(es),
                               attr in adjusted_for))
    complete = cols.notna().all(axis=1).to_numpy()
    f, k, df2, p = joint_f_test(cols.to_numpy()[complete], d[complete].astype(float))
    dropped = int((~complete).sum())
    n_t, n_c = int((d == 1).sum()), int((d == 0).sum())

    fails = [r.variable for r in rows if r.band == "fails"]
    unadjusted = [r.variable for r in rows if r.band == "needs_adjustment" and not r.adjusted]
    adjusted = [r.variable for r in rows if r.band == "needs_adjustment" and r.adjusted]
    if fails:
        verdict = Verdict("fail", Msg("The groups differ clearly at baseline on: {variables} (difference > {limit}).",
                                      variables=", ".join(fails), limit=0.25))
    elif unadjusted:
        verdict = Verdict("fail", Msg("Difference between {low} and {high} not adjusted for in the analysis plan: {variables}.",
                                      variables=", ".join(unadjusted), low=0.05, high=0.25))
    elif adjusted:
        verdict = Verdict("warning", Msg("Groups comparable after adjusting for: {variables}.", variables=", ".join(adjusted)))
    else:
        verdict = Verdict("ok", Msg("The two groups are comparable at baseline (every difference ≤ {limit}).", limit=0.05))
    notes: list[Text] = []
    if not np.isnan(p) and p < 0.05:
        notes.append(Msg("Joint test p = {p} < {alpha}: the arms differ more than chance would make them.",
                         p=significant(p, 3), alpha=0.05))
    if dropped:
        notes.append(Msg("{count} row(s) with a missing baseline value left out of the joint test.", count=dropped))
    return BalanceReport(tuple(rows), f, (k, df2), p, n_t, n_c, verdict, dropped, tuple(notes))
