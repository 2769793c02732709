"""The analysis that knows the batches (issue 17, item 3): block fixed effects by enrolment batch ×
stratum, checked against statsmodels; balance per batch and overall."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sqlalchemy import Engine
from tests.test_enrolment_rolling import C
from tests.test_enrolment_schedule import enrolled_monthly  # noqa: F401  (the fixture)

from temoin.evaluation.schedule import due_date
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.settings import Settings
from temoin.store import session_scope

EN = Translator("en")
SETTINGS = Settings()


def test_a_stratified_rolling_trial_is_estimated_with_batch_by_stratum_fixed_effects(enrolled_monthly: Engine,  # noqa: F811
                                                                                    tmp_path: Path) -> None:
    path = tmp_path / "m12.csv"
    ev.generate_synthetic(enrolled_monthly, C, path, wave="m12", seed=11, settings=SETTINGS)
    on = dt.date(2027, 3, 31)
    ev.import_outcomes(enrolled_monthly, C, "m12", path, settings=SETTINGS, as_of=on)
    results = ev.evaluate_contract(enrolled_monthly, C, as_of=on)
    with session_scope(enrolled_monthly) as s:
        frame = ev.participants_frame(s, C)
        diagnostics = ev.latest_diagnostics(s, C)["placement_days__m12"]
    d = frame[frame["arm"].notna() & frame["placement_days__m12"].notna()].copy()
    d = d[[due_date(x, 12) <= on for x in d["enrolment_date"]]]
    d["block"] = d["batch"].astype(str) + "|" + d["territory"] + "|" + d["risk_level"]
    alone = d.groupby("block")["block"].transform("size") == 1
    kept = d[~alone].copy()
    for c in ("arm", "age", "placement_days__m12"):
        kept[c] = kept[c].astype(float)
    for c in ("prior_placement", "single_parent"):
        kept[c] = kept[c].astype(bool).astype(float)
    x = pd.concat([kept[["arm", "age", "prior_placement", "single_parent"]],
                   pd.get_dummies(kept["block"], drop_first=True, dtype=float)], axis=1)
    fit = sm.OLS(kept["placement_days__m12"], sm.add_constant(x)).fit(cov_type="HC2")
    r = next(r for r in results if (r.indicator, r.wave) == ("placement_days", "m12"))
    assert r.effect.estimate == pytest.approx(fit.params["arm"], rel=1e-9)
    assert r.effect.std_error == pytest.approx(fit.bse["arm"], rel=1e-8)
    notes = [EN.render(n) for n in r.effect.notes]
    assert f"Fixed effects for {kept['block'].nunique()} enrolment batch × stratum block(s); {int(alone.sum())} " \
           "participant(s) alone in their block left out" in notes
    # balance per batch (batches with two people or more in each arm) beside the overall balance
    per_batch = diagnostics["balance_by_batch"]
    counts = d.groupby("batch")["arm"].agg(lambda a: min((a == 1).sum(), (a == 0).sum()))
    assert set(per_batch) == {str(b) for b, m in counts.items() if m >= 2}
    some = next(iter(per_batch))
    assert per_batch[some]["n_treated"] == int(((d["batch"] == int(some)) & (d["arm"] == 1)).sum())
    assert diagnostics["balance"]["n_treated"] == int((d["arm"] == 1).sum())
    # representativeness per batch, beside it: every enrolled person of each batch, followed or not
    margins = diagnostics["representativeness_by_batch"]
    enrolled = frame[frame["batch"].notna()]
    assert set(margins) == {str(int(b)) for b in enrolled["batch"].unique()}
    for batch, group in enrolled.groupby("batch"):
        sex = next(m for m in margins[str(int(batch))] if m["attribute"] == "sex")
        shares = group["sex"].value_counts(normalize=True)
        assert sex["n"] == len(group)
        assert sex["enrolled_shares"] == pytest.approx({c: shares.get(c, 0.0) for c in ("F", "M")}, rel=1e-12)


def test_the_frame_of_a_cohort_without_batches_has_no_batch_column(sqlite_engine: Engine, tmp_path: Path) -> None:
    from temoin.examples import example_path
    from temoin.services.contracts import import_contract

    import_contract(sqlite_engine, example_path(C), actor="test")
    path = tmp_path / "p.csv"
    ev.generate_synthetic(None, C, path, seed=3, settings=SETTINGS)
    pd.read_csv(path, dtype=str).head(50).to_csv(path, index=False)
    ev.import_participants(sqlite_engine, C, path, settings=SETTINGS)
    ev.randomise_cohort(sqlite_engine, C, seed=1)
    with session_scope(sqlite_engine) as s:
        frame = ev.participants_frame(s, C)
    assert "batch" not in frame.columns and frame["arm"].notna().sum() > 0
    assert np.isfinite(len(frame))


def test_the_rolling_flow_tells_the_whole_story(enrolled_monthly: Engine, tmp_path: Path) -> None:  # noqa: F811
    from temoin.services.enrolment import rolling_flow

    path = tmp_path / "m12.csv"
    ev.generate_synthetic(enrolled_monthly, C, path, wave="m12", seed=11, settings=SETTINGS)
    ev.import_outcomes(enrolled_monthly, C, "m12", path, settings=SETTINGS, as_of=dt.date(2027, 6, 30))
    on = dt.date(2026, 9, 30)
    flow = rolling_flow(enrolled_monthly, C, as_of=on)
    with session_scope(enrolled_monthly) as s:
        f = ev.participants_frame(s, C)
    assert (flow.referred, flow.eligible, flow.consented, flow.enrolled) == (
        len(f), int(f["eligible"].sum()), int((f["eligible"] & f["consent"]).sum()), int(f["enrolled"].sum()))
    # every exclusion is explained by a rule it fails (the synthetic cohort refers some too old or at moderate risk)
    young = f["age"].between(0, 17)
    risky = f["risk_level"].isin(["high", "very_high"])
    assert flow.not_eligible == {k: v for k, v in {"age between [0, 17]": int((~young).sum()),
                                                   "risk_level in ['high', 'very_high']": int((~risky).sum())}.items() if v}
    r = f[f["arm"].notna()]
    assert [b for b, _ in flow.batches] == sorted(r["batch"].unique().tolist())
    assert flow.randomised.treated == int((r["arm"] == 1).sum()) and flow.waiting == 0
    for b, arms in flow.batches:
        assert arms.treated + arms.control == int((r["batch"] == b).sum())
    m12 = flow.waves[0]
    due = np.array([due_date(d, 12) <= on for d in r["enrolment_date"]])
    assert m12.due.treated + m12.due.control == int(due.sum()) and m12.not_yet_due == int((~due).sum())
    measured = r["placement_days__m12"].notna().to_numpy()
    assert m12.measured.treated == int((due & measured & (r["arm"] == 1).to_numpy()).sum())
    assert flow.to_dict()["randomised"] == {"treated": flow.randomised.treated, "control": flow.randomised.control}


def test_the_joint_balance_test_of_a_batch_smaller_than_its_columns_is_statsmodels_f_test() -> None:
    from temoin.evaluation.diagnostics.balance import joint_f_test

    rng = np.random.default_rng(4)
    n = 12  # 15 columns: 3 numbers, 8 categories of which 4 occur, the 3 numbers again, doubled
    cats = np.arange(n) % 4
    z = rng.normal(size=(n, 3))
    x = np.column_stack([z, *[(cats == c).astype(float) for c in range(8)], 2 * z])
    d = (rng.random(n) < 0.5).astype(float)
    f, k, df2, p = joint_f_test(x, d)
    fit = sm.OLS(d, sm.add_constant(x)).fit()
    assert (k, df2) == (6, 5) == (int(fit.df_model), int(fit.df_resid))
    assert f == pytest.approx(fit.fvalue, rel=1e-8) and p == pytest.approx(fit.f_pvalue, rel=1e-8)
    n = 20  # more people than columns, one column the sum of others: as before
    x = np.column_stack([rng.normal(size=(n, 3)), np.zeros(n)])
    x[:, 3] = x[:, 0] + x[:, 1]
    d = rng.normal(size=n)
    f, k, df2, _ = joint_f_test(x, d)
    fit = sm.OLS(d, sm.add_constant(x)).fit()
    assert (k, df2) == (3, 16) and f == pytest.approx(fit.fvalue, rel=1e-8)
