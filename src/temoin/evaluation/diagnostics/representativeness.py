"""Who was served: representativeness against the reference population, and creaming.

Representativeness compares the enrolled with each reference margin of the contract (the
distribution of an attribute in the population the programme should serve): a standardised
difference per category, ``(p_enrolled - p_ref) / sqrt(p_ref (1 - p_ref))``, and a chi-square
goodness-of-fit test. |difference| ≤ 0.1 is read as representative, ≤ 0.25 as a noticeable gap,
beyond as not representative.

Creaming compares, among the eligible people referred, those enrolled with those not enrolled, on
every "harder profile" the contract names (``difficulty_when``). Creaming is flagged when the harder
profile is under-represented among the enrolled by at least 5 percentage points AND the gap is
significant (one-sided two-proportion z test, 5 %): the operator is serving easier cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from temoin.evaluation.diagnostics._common import Verdict, as_bool, require_columns
from temoin.messages import Msg, Share

__all__ = [
    "CreamingReport",
    "CreamingRow",
    "MarginReport",
    "creaming",
    "representativeness",
]


@dataclass(frozen=True)
class MarginReport:
    attribute: str
    source: str
    n: int
    enrolled_shares: dict[str, float]
    reference_shares: dict[str, float]
    std_differences: dict[str, float]
    chi2: float
    df: int
    p_value: float
    verdict: Verdict

    def to_dict(self) -> dict[str, object]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "verdict"}
        return d | {"verdict": self.verdict.to_dict()}


def _label(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def representativeness(
    enrolled: pd.DataFrame, margins: Sequence[tuple[str, str, Mapping[str, float]]]
) -> list[MarginReport]:
    """Compare the enrolled with each reference margin ``(attribute, source, shares)``."""
    require_columns(enrolled, [m[0] for m in margins], what=Msg("Representativeness"))
    out: list[MarginReport] = []
    for attribute, source, shares in margins:
        values = enrolled[attribute].dropna().map(_label)
        n = len(values)
        cats = list(shares)
        counts = np.array([(values == c).sum() for c in cats], dtype=float)
        other = n - int(counts.sum())
        ref = np.array([shares[c] for c in cats], dtype=float)
        observed_shares = {c: (float(counts[i] / n) if n else float("nan")) for i, c in enumerate(cats)}
        std = {c: (observed_shares[c] - shares[c]) / np.sqrt(shares[c] * (1 - shares[c]))
               if 0 < shares[c] < 1 else float("nan") for c in cats}
        if n and other == 0 and (ref > 0).all():
            chi2, p = stats.chisquare(counts, ref * n)
            chi2, p = float(chi2), float(p)
        else:
            chi2, p = float("nan"), float("nan")
        worst = max((abs(v) for v in std.values() if not np.isnan(v)), default=float("nan"))
        gap = round(float(worst), 2)
        if n == 0:
            verdict = Verdict("warning", Msg("{attribute}: no enrolled person to compare.", attribute=attribute))
        elif other:
            verdict = Verdict("warning", Msg("{attribute}: {other} enrolled person(s) have a value absent from the reference.",
                                             attribute=attribute, other=other))
        elif worst <= 0.1:
            verdict = Verdict("ok", Msg("{attribute}: the enrolled resemble the reference population (largest gap {gap}).",
                                        attribute=attribute, gap=gap))
        elif worst <= 0.25:
            verdict = Verdict("warning", Msg("{attribute}: a noticeable gap with the reference population (largest gap {gap}).",
                                             attribute=attribute, gap=gap))
        else:
            verdict = Verdict("fail", Msg("{attribute}: the enrolled do not represent the reference population "
                                          "(largest gap {gap}).", attribute=attribute, gap=gap))
        out.append(MarginReport(attribute, source, n, observed_shares, dict(shares), std, chi2, len(cats) - 1, p, verdict))
    return out


@dataclass(frozen=True)
class CreamingRow:
    attribute: str
    harder_values: tuple[str, ...]
    n_enrolled: int
    n_not_enrolled: int
    share_harder_enrolled: float
    share_harder_not_enrolled: float
    difference_pp: float
    z: float
    p_value: float
    flagged: bool

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class CreamingReport:
    rows: tuple[CreamingRow, ...]
    verdict: Verdict

    @property
    def flagged(self) -> bool:
        return any(r.flagged for r in self.rows)

    def to_dict(self) -> dict[str, object]:
        return {"rows": [r.to_dict() for r in self.rows], "flagged": self.flagged, "verdict": self.verdict.to_dict()}


def _two_prop_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z statistic for p1 - p2 and its one-sided p-value for p1 < p2."""
    p = (x1 + x2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return float(z), float(stats.norm.cdf(z))


def creaming(
    referred: pd.DataFrame,
    *,
    difficulty: Mapping[str, Sequence[str]],
    enrolled: str = "enrolled",
    eligible: str = "eligible",
    min_gap_pp: float = 5.0,
    alpha: float = 0.05,
) -> CreamingReport:
    """Are harder profiles under-represented among the enrolled, compared with eligible non-enrolled?"""
    require_columns(referred, [enrolled, eligible, *difficulty], what=Msg("Creaming"))
    elig = referred[as_bool(referred[eligible]).fillna(False).to_numpy(dtype=bool)]
    enr = as_bool(elig[enrolled]).fillna(False).to_numpy(dtype=bool)
    rows: list[CreamingRow] = []
    for attribute, harder in difficulty.items():
        values = elig[attribute].map(lambda v: _label(v) if pd.notna(v) else None)
        known = values.notna().to_numpy()
        hard = values.isin(list(harder)).to_numpy()
        n1, n2 = int((known & enr).sum()), int((known & ~enr).sum())
        if n1 == 0 or n2 == 0:
            continue
        x1, x2 = int((hard & known & enr).sum()), int((hard & known & ~enr).sum())
        z, p = _two_prop_z(x1, n1, x2, n2)
        diff = 100.0 * (x1 / n1 - x2 / n2)
        rows.append(CreamingRow(attribute, tuple(harder), n1, n2, x1 / n1, x2 / n2, diff, z, p,
                                diff <= -min_gap_pp and p < alpha))
    flagged = [r for r in rows if r.flagged]
    if not rows:
        verdict = Verdict("warning", Msg("Creaming cannot be measured: no referred-but-not-enrolled people to compare with."))
    elif flagged:
        what = [Msg("{attribute} = {values}: {enrolled} of the enrolled against {not_enrolled} of those not enrolled",
                    attribute=r.attribute, values="/".join(r.harder_values), enrolled=Share(r.share_harder_enrolled),
                    not_enrolled=Share(r.share_harder_not_enrolled)) for r in flagged]
        verdict = Verdict("fail", Msg("Likely creaming: the hardest profiles are enrolled less often ({details}).",
                                      details=what))
    else:
        verdict = Verdict("ok", Msg("No creaming detected: harder profiles are enrolled as often as others."))
    return CreamingReport(tuple(rows), verdict)
