"""Issue 17: a payment period settles on the people whose wave was due by its end date — through a
full settlement (import, batches, outcomes, evaluation, recorded settlement), not only the date logic.

Enrolment runs from February to December 2026; the 12-month wave paid by p1 (which ends on 30 June
2027) is due for those enrolled by 30 June 2026 only. The settlement of a database holding everyone
pays p1 exactly what the settlement of a database holding only the people due pays: the others are
left out as if they were not there yet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from tests.test_enrolment_rolling import SETTINGS, C, monthly_files, referred, rolling_yaml

from temoin.services import evaluations as ev
from temoin.services import settlements
from temoin.services.contracts import import_contract
from temoin.store import make_engine, migrate, session_scope

CLOSES = dt.date(2026, 12, 31)
P1_END = dt.date(2027, 6, 30)
AS_OF = dt.date(2027, 10, 1)  # after p1's payment date (30 September 2027), before p2's end


def _a_year_later(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("referral_date", "enrolment_date"):
        out[col] = [(dt.date.fromisoformat(v) + relativedelta(years=1)).isoformat() if v else "" for v in out[col]]
    return out


def _run(engine: Engine, tmp: Path, files: list[Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    import_contract(engine, rolling_yaml(CLOSES), actor="test")
    for i, f in enumerate(files):
        if ev.import_participants(engine, C, f, settings=SETTINGS).enrolled:
            ev.randomise_cohort(engine, C, seed=300 + i)
    ev.lock_plan(engine, C)
    wave = tmp / f"m12-{len(files)}.csv"
    ev.generate_synthetic(engine, C, wave, wave="m12", seed=11, settings=SETTINGS)
    ev.import_outcomes(engine, C, "m12", wave, settings=SETTINGS, as_of=dt.date(2028, 1, 1))  # everyone's wave recorded
    ev.evaluate_contract(engine, C, as_of=AS_OF)
    record, st = settlements.run_settlement(engine, C, actor="payer", as_of=AS_OF)
    with session_scope(engine) as s:
        diagnostics = ev.latest_diagnostics(s, C)["placement_days__m12"]
    m12 = next(r for r in record.inputs["results"] if (r["indicator"], r["wave"]) == ("placement_days", "m12"))
    p1 = next(p for p in st.to_dict()["periods"] if p["period"] == "p1")  # type: ignore[union-attr]
    return {"result": m12, "schedule": diagnostics["schedule"], "hashes": st.result_hashes}, p1


def test_a_period_is_settled_on_the_people_due_by_its_end_date(tmp_path: Path) -> None:
    frame = _a_year_later(referred(tmp_path))
    files = monthly_files(tmp_path, frame)
    months = [f.stem.removeprefix("participants-") for f in files]
    assert months[0] >= "2026-01" and months[-1] <= "2026-12"
    by_june = [f for f, m in zip(files, months, strict=True) if m <= "2026-06"]
    assert 0 < len(by_june) < len(files)

    everyone = make_engine(f"sqlite:///{tmp_path / 'all.db'}")
    migrate(everyone)
    only_due = make_engine(f"sqlite:///{tmp_path / 'due.db'}")
    migrate(only_due)
    a, p1_a = _run(everyone, tmp_path, files)
    b, p1_b = _run(only_due, tmp_path, by_june)

    # who is due at 12 months by p1's end, counted with dateutil from the enrolment dates
    enrolled = frame[frame["enrolled"] == "True"]
    due = [dt.date.fromisoformat(d) + relativedelta(months=12) <= P1_END for d in enrolled["enrolment_date"]]
    assert a["schedule"] == {"due_by": "2027-06-30", "due": sum(due), "not_yet_due": len(due) - sum(due)}
    assert a["schedule"]["not_yet_due"] > 0 and b["schedule"]["not_yet_due"] == 0 and b["schedule"]["due"] == sum(due)
    # the same result (the same people, arms and batches) and the same payment for p1
    for key in ("improvement", "improvement_lower", "n_treated_followed", "grade"):
        assert a["result"][key] == b["result"][key], key
    ea, eb = a["result"]["effect"], b["result"]["effect"]
    for key in ("estimate", "std_error", "n_treated", "n_control"):
        assert ea[key] == eb[key], key
    assert ea["n_treated"] + ea["n_control"] <= sum(due)
    assert a["result"]["result_hash"] in a["hashes"]
    assert p1_a["amount_due"] == p1_b["amount_due"] and p1_a["cumulative_entitlement"] == p1_b["cumulative_entitlement"]
    # the entitlement is worked out from the same verified impact on the same participants (its result's
    # hash differs only by the note that says how many were left out as not yet due)
    same = [{k: v for k, v in e.items() if k != "result_hash"} for e in p1_a["entitlements"]]
    assert same == [{k: v for k, v in e.items() if k != "result_hash"} for e in p1_b["entitlements"]]
    line = p1_a["entitlements"][0]
    assert line["participants"] == a["result"]["n_treated_followed"] > 0 and line["verified_impact"] != 0
