"""Issue 17: the creaming indicator per enrolment batch. A referred-but-not-enrolled person belongs to
the batch whose window contains their referral date (from the day after the previous batch's last
enrolment to this batch's last enrolment)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from statsmodels.stats.proportion import proportions_ztest
from tests.test_enrolment_rolling import SETTINGS, C
from tests.test_enrolment_schedule import _wave_file, enrolled_monthly  # noqa: F401  (the fixture)

from temoin.evaluation.batches import creaming_by_batch, referral_batches
from temoin.evaluation.diagnostics import creaming
from temoin.services import evaluations as ev
from temoin.store import session_scope


def _people(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["batch", "enrolled", "eligible", "referral_date", "enrolment_date", "risk"])


def test_a_referral_belongs_to_the_batch_whose_window_holds_its_date() -> None:
    d = dt.date
    frame = _people([
        (1, True, True, d(2025, 1, 2), d(2025, 1, 10), "high"), (1, True, True, d(2025, 1, 20), d(2025, 1, 31), "low"),
        (2, True, True, d(2025, 2, 1), d(2025, 2, 28), "low"),
        (None, False, True, d(2024, 12, 1), None, "high"),  # before the first enrolment: the first batch
        (None, False, True, d(2025, 1, 31), None, "high"),  # the last day of batch 1's window
        (None, False, True, d(2025, 2, 1), None, "high"),  # the day after: batch 2
        (None, False, True, d(2025, 3, 1), None, "high"),  # after the last batch: waits for the next
        (None, False, True, None, None, "high"),  # no referral date: overall only
    ])
    got = referral_batches(frame).tolist()
    assert got[:6] == [1, 1, 2, 1, 1, 2] and pd.isna(got[6]) and pd.isna(got[7])


def test_each_batch_compares_its_enrolled_with_its_referred_not_enrolled() -> None:
    rng = np.random.default_rng(3)
    rows = []
    start = dt.date(2025, 1, 1)
    for b in (1, 2, 3):
        # batch 2 creams: its enrolled are rarely 'high' risk, its non-enrolled mostly are
        p_enrolled_hard, p_not_hard = (0.15, 0.7) if b == 2 else (0.45, 0.45)
        for _i in range(120):
            day = start + dt.timedelta(days=30 * (b - 1) + int(rng.integers(0, 28)))
            rows.append((b, True, True, day, day + dt.timedelta(days=1), "high" if rng.random() < p_enrolled_hard else "low"))
        for _i in range(80):
            day = start + dt.timedelta(days=30 * (b - 1) + 1 + int(rng.integers(0, 27)))
            rows.append((None, False, True, day, None, "high" if rng.random() < p_not_hard else "low"))
    frame = _people(rows)
    by_batch = creaming_by_batch(frame, difficulty={"risk": ["high"]})
    batch = referral_batches(frame)
    assert sorted(by_batch) == ["1", "2", "3"]
    for number, report in by_batch.items():
        group = frame[(batch == int(number)).to_numpy()]
        enr, non = group[group["enrolled"]], group[~group["enrolled"]]
        row = report["rows"][0]
        assert (row["n_enrolled"], row["n_not_enrolled"]) == (len(enr), len(non))
        z, p = proportions_ztest([int((enr["risk"] == "high").sum()), int((non["risk"] == "high").sum())],
                                 [len(enr), len(non)], alternative="smaller")
        assert row["z"] == pytest.approx(z, rel=1e-9) and row["p_value"] == pytest.approx(p, rel=1e-7)
        assert report == creaming(group, difficulty={"risk": ["high"]}).to_dict()
    assert [by_batch[k]["flagged"] for k in ("1", "2", "3")] == [False, True, False]


def test_the_evaluation_reports_creaming_per_batch(enrolled_monthly: Engine, tmp_path: Path) -> None:  # noqa: F811
    path, _ = _wave_file(enrolled_monthly, tmp_path, "m12")
    ev.import_outcomes(enrolled_monthly, C, "m12", path, settings=SETTINGS, as_of=dt.date(2027, 6, 30))
    ev.evaluate_contract(enrolled_monthly, C, as_of=dt.date(2027, 6, 30))
    with session_scope(enrolled_monthly) as s:
        d = ev.latest_diagnostics(s, C)["placement_days__m12"]
        frame = ev.participants_frame(s, C)
    per_batch = d["creaming_by_batch"]
    assert per_batch and set(per_batch) <= {str(int(b)) for b in frame["batch"].dropna().unique()}
    batch = referral_batches(frame)
    for number, report in per_batch.items():
        group = frame[(batch == int(number)).to_numpy() & frame["eligible"].astype(bool).to_numpy()]
        assert report["rows"][0]["n_enrolled"] + report["rows"][0]["n_not_enrolled"] == len(group)
    # every eligible referral not enrolled, with a date inside the enrolment, is compared within a batch
    counted = sum(r["rows"][0]["n_not_enrolled"] for r in per_batch.values())
    assert counted <= d["creaming"]["rows"][0]["n_not_enrolled"]
