"""Balance per enrolment batch: a batch too small for its gaps to mean anything gets no verdict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from temoin.evaluation.batches import CHANCE_LIMIT, balance_by_batch, chance_of_a_large_gap
from temoin.i18n import Translator
from temoin.messages import Msg


@pytest.mark.parametrize(("treated", "control"), [(10, 10), (30, 25), (120, 130)])
def test_the_chance_of_a_large_gap_is_what_randomisation_gives(treated: int, control: int) -> None:
    # two arms drawn from one population: the share of draws whose standardised gap passes 0.25
    rng = np.random.default_rng(20261203)
    draws = 40_000
    a = rng.standard_normal((draws, treated))
    b = rng.standard_normal((draws, control))
    pooled = np.sqrt(((treated - 1) * a.var(axis=1, ddof=1) + (control - 1) * b.var(axis=1, ddof=1))
                     / (treated + control - 2))
    gap = np.abs(a.mean(axis=1) - b.mean(axis=1)) / pooled
    simulated = float((gap > 0.25).mean())
    assert chance_of_a_large_gap(treated, control) == pytest.approx(simulated, abs=0.012)


def _batches(sizes: dict[int, int], seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for batch, n in sizes.items():
        arms = np.tile([1, 0], n // 2)
        rows.append(pd.DataFrame({"batch": batch, "arm": arms, "age": rng.normal(40, 10, len(arms)),
                                  "prior": rng.integers(0, 2, len(arms)).astype(float)}))
    return pd.concat(rows, ignore_index=True)


def test_a_small_batch_keeps_its_figures_but_gets_no_verdict_and_a_large_one_keeps_its_verdict() -> None:
    people = _batches({1: 24, 2: 400})
    out = balance_by_batch(people, attributes=[("age", "numeric"), ("prior", "boolean")], adjusted_for=[])
    small, large = out["1"], out["2"]
    assert chance_of_a_large_gap(12, 12) > CHANCE_LIMIT > chance_of_a_large_gap(200, 200)
    assert small["too_small"] is True and small["verdict"]["level"] == "warning"
    assert [r["variable"] for r in small["rows"]] == ["age", "prior"]
    fr = Translator("fr").render(Msg.from_dict(small["verdict"]["message"]))
    assert fr.startswith("Trop peu de personnes dans cette vague d'inclusion (12 et 12) pour juger de son équilibre")
    assert "0,25" in fr and "%" in fr
    assert large["too_small"] is False
    assert "Too few" not in Translator("en").render(Msg.from_dict(large["verdict"]["message"]))
