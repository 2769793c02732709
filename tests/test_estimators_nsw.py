"""Published result: LaLonde's NSW experiment, Dehejia & Wahba sample (PyPI ``causaldata``).

Dehejia & Wahba (1999), Table 3, NSW row: difference in means 1,794 (SE 633); regression adjusted
for age, age², education, no degree, black, hispanic, RE74, RE75: 1,672 (SE 638). HC2 SE of the
difference: 671.00 (as reported by estimatr / the issue).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from temoin.evaluation import estimate_effect

COVARIATES = ["age", "age2", "educ", "nodegree", "black", "hisp", "re74", "re75"]


@pytest.fixture(scope="module")
def nsw() -> pd.DataFrame:
    from causaldata import nsw_mixtape

    d = nsw_mixtape.load_pandas().data.astype({"re74": float, "re75": float, "re78": float})
    d["age2"] = d["age"].astype(float) ** 2
    return d


def test_difference_in_means_matches_published_figures(nsw: pd.DataFrame) -> None:
    classical = estimate_effect(nsw, "re78", "treat", method="diff_in_means", se="classical")
    hc2 = estimate_effect(nsw, "re78", "treat", method="diff_in_means", se="HC2")
    assert round(classical.estimate, 2) == 1794.34
    assert round(classical.std_error, 2) == 632.85
    assert round(hc2.std_error, 2) == 671.00
    assert (hc2.n_treated, hc2.n_control) == (185, 260)


def test_adjusted_estimate_matches_published_standard_error_and_statsmodels(nsw: pd.DataFrame) -> None:
    got = estimate_effect(nsw, "re78", "treat", COVARIATES, se="classical")
    ref = sm.OLS(nsw["re78"], sm.add_constant(nsw[["treat", *COVARIATES]].astype(float))).fit()
    np.testing.assert_allclose(got.estimate, ref.params["treat"], rtol=1e-8)
    np.testing.assert_allclose(got.std_error, ref.bse["treat"], rtol=1e-8)
    assert round(got.std_error) == 638
    # The published 1,672 is not reproduced exactly from this copy of the data: every
    # implementation (statsmodels included) gives 1,680.6 here. We hold it to within 1 %.
    assert abs(got.estimate - 1672) / 1672 < 0.01
