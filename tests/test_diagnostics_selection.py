"""Representativeness (chi-square, standardised differences) and the creaming indicator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from temoin.evaluation.diagnostics import creaming, representativeness
from temoin.examples import load_example, synthetic_cohort


def test_chi_square_and_standardised_difference_against_scipy() -> None:
    enrolled = pd.DataFrame({"sex": ["F"] * 30 + ["M"] * 70})
    rep = representativeness(enrolled, [("sex", "src", {"F": 0.47, "M": 0.53})])[0]
    ref = stats.chisquare([30, 70], [47, 53])
    assert rep.chi2 == pytest.approx(ref.statistic) and rep.p_value == pytest.approx(ref.pvalue)
    assert rep.std_differences["F"] == pytest.approx((0.30 - 0.47) / np.sqrt(0.47 * 0.53))
    assert rep.verdict.level == "fail"


def test_synthetic_aemo_cohort_is_representative() -> None:
    c = load_example("aemo-renforcee")
    coh = synthetic_cohort("aemo-renforcee", seed=5)
    margins = [(m.attribute, m.source, m.shares) for m in c.population.reference_margins]
    for r in representativeness(coh.enrolled, margins):
        assert r.verdict.level == "ok", r.verdict.message


def _difficulty(name: str) -> dict[str, list[str]]:
    c = load_example(name)
    return {a.name: a.difficulty_when for a in c.population.attributes if a.difficulty_when}


def _referred(name: str, creaming_level: float, seed: int) -> pd.DataFrame:
    c = load_example(name)
    coh = synthetic_cohort(name, seed=seed, creaming=creaming_level)
    df = coh.referred.copy()
    df["eligible"] = [c.population.is_eligible(r) for r in df.to_dict("records")]
    df["prior_placement"] = df.get("prior_placement", pd.Series(dtype=bool)).map(lambda v: "true" if v else "false") \
        if "prior_placement" in df else None
    return df


def test_creaming_is_flagged_when_harder_profiles_are_left_out() -> None:
    rep = creaming(_referred("aemo-renforcee", 1.0, seed=1), difficulty=_difficulty("aemo-renforcee"))
    assert rep.flagged and rep.verdict.level == "fail"
    row = next(r for r in rep.rows if r.attribute == "risk_level")
    assert row.share_harder_enrolled < row.share_harder_not_enrolled


def test_no_creaming_when_enrolment_ignores_difficulty() -> None:
    flagged = [creaming(_referred("aemo-renforcee", 0.0, seed=s), difficulty=_difficulty("aemo-renforcee")).flagged
               for s in range(10)]
    assert sum(flagged) <= 2  # two attributes tested at 5 % one-sided, with a 5-point floor


def test_two_proportion_z_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportions_ztest

    df = pd.DataFrame({"eligible": [True] * 200, "enrolled": [True] * 120 + [False] * 80,
                       "risk": ["hard"] * 30 + ["easy"] * 90 + ["hard"] * 30 + ["easy"] * 50})
    row = creaming(df, difficulty={"risk": ["hard"]}).rows[0]
    z, p = proportions_ztest([30, 30], [120, 80], alternative="smaller")
    assert row.z == pytest.approx(z) and row.p_value == pytest.approx(p)
    assert row.difference_pp == pytest.approx(100 * (30 / 120 - 30 / 80))
