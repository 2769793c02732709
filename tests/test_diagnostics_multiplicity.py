"""Holm and Benjamini–Hochberg adjustments against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from temoin.evaluation.estimators.multiplicity import adjust_pvalues


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjustment_matches_statsmodels(ours: str, theirs: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.random(rng.integers(2, 8)) ** 2
        np.testing.assert_allclose(adjust_pvalues(list(p), ours), multipletests(p, method=theirs)[1], rtol=1e-12)


def test_none_and_single_outcome_are_unchanged() -> None:
    assert adjust_pvalues([0.02, 0.2], "none") == [0.02, 0.2]
    assert adjust_pvalues([0.02], "holm") == [0.02]
