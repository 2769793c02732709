"""Cohort services end to end on SQLite and PostgreSQL: import, lock, randomise, waves, evaluate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sqlalchemy import Engine, inspect, text

from temoin.errors import ConflictError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.result import EvidenceGrade
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.settings import Settings
from temoin.store import downgrade, ledger, migrate, session_scope

FR, EN = Translator("fr"), Translator("en")

SETTINGS = Settings()  # as an entry point would pass them

C = "aemo-renforcee"


def _setup(engine: Engine, tmp: Path, *, n: int = 300) -> Path:
    import_contract(engine, example_path(C), actor="test")
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=SETTINGS)
    frame = pd.read_csv(path, dtype=str).head(n)
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    return path


def _events(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return [e.event for e in reversed(ledger.entries(s, contract_id=C))]


def test_end_to_end_with_audit_trail(engine: Engine, tmp_path: Path) -> None:
    path = _setup(engine, tmp_path)
    imp = ev.import_participants(engine, C, path, actor="op", settings=SETTINGS)
    assert imp.rows == 300 and 0 < imp.enrolled < imp.eligible <= 300
    ev.lock_plan(engine, C, actor="eval")
    first = ev.randomise_cohort(engine, C, seed=5, actor="eval")
    again = ev.randomise_cohort(engine, C, seed=5, actor="eval")
    assert first["list_hash"] == again["list_hash"]  # reproducible from the stored seed
    for wave in ("m12", "m24"):
        ev.generate_synthetic(engine, C, tmp_path / f"{wave}.csv", wave=wave, seed=11, settings=SETTINGS)
        ev.import_outcomes(engine, C, wave, tmp_path / f"{wave}.csv", actor="eval", settings=SETTINGS)
    with pytest.raises(ConflictError, match=r"re-randomised|outcome"):
        ev.randomise_cohort(engine, C, seed=6)
    results = ev.evaluate_contract(engine, C, actor="eval")
    assert {(r.indicator, r.wave) for r in results} == {(i, w) for i in ("placement_days", "placed_any") for w in ("m12", "m24")}
    with session_scope(engine) as s:
        stored = ev.latest_results(s, C)
        frame = ev.participants_frame(s, C)
        assert ledger.verify(s).whole
    assert [r.result_hash for r in stored] == [r.result_hash for r in results]
    assert _events(engine) == ["contract.version_created", "cohort.participants_imported", "plan.locked", "cohort.randomised",
                               "cohort.randomised", "cohort.outcomes_imported", "cohort.outcomes_imported", "evaluation.recorded"]
    # the locked-plan estimate is statsmodels' OLS with HC2 on the same people
    r = next(r for r in results if (r.indicator, r.wave) == ("placement_days", "m24"))
    d = frame[frame["arm"].notna() & frame["placement_days__m24"].notna()]
    x = sm.add_constant(np.column_stack([d["arm"].astype(float), d["age"], d["prior_placement"].astype(float),
                                         d["single_parent"].astype(float)]))
    fit = sm.OLS(d["placement_days__m24"].astype(float), x).fit(cov_type="HC2")
    assert r.effect.estimate == pytest.approx(fit.params.iloc[1], rel=1e-9)
    assert r.effect.std_error == pytest.approx(fit.bse.iloc[1], rel=1e-8)
    assert r.improvement == pytest.approx(-fit.params.iloc[1])  # placement days: fewer is better
    assert r.improvement_lower < r.improvement and r.n_treated_followed == int((d["arm"] == 1).sum())
    assert r.grade in (EvidenceGrade.MEETS, EvidenceGrade.MEETS_WITH_RESERVATIONS) and r.plan_hash
    # the plan's Holm adjustment across the two outcomes of the wave is noted on each estimate
    other = next(o for o in results if (o.indicator, o.wave) == ("placed_any", "m24"))
    from statsmodels.stats.multitest import multipletests

    holm = multipletests([r.effect.p_value, other.effect.p_value], method="holm")[1]
    assert EN.render(r.effect.notes[-1]) == f"Adjusted p (Holm adjustment, 2 outcomes) = {holm[0]:.4g}"
    assert FR.render(r.effect.notes[-1]).startswith("p ajustée (correction de Holm, 2 résultats) = ")
    # nothing stored identifies anyone: no operator identifier in any table
    with engine.connect() as conn:
        dump = " ".join(str(row) for t in ("cohort_participants", "cohort_outcomes", "audit_ledger")
                        for row in conn.execute(text(f"SELECT * FROM {t}")))
    assert "ASE-2025" not in dump


def test_import_is_all_or_nothing_with_a_row_report(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _setup(sqlite_engine, tmp_path, n=20)
    frame = pd.read_csv(path, sep=";", dtype=str, encoding="cp1252", keep_default_na=False)
    frame.loc[3, "risk_level"] = "extreme"
    frame.loc[7, "age"] = ""
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(sqlite_engine, C, path, settings=SETTINGS)
    rows = {(e.row, e.column) for e in exc.value.errors}
    assert rows == {(5, "risk_level"), (9, "age")}
    said_fr, said_en = FR.error(exc.value), EN.error(exc.value)
    assert "risk_level (ligne 5): 'extreme' : valeur hors liste" in said_fr and "age (ligne 9): valeur manquante" in said_fr
    assert "age (line 9): missing value" in said_en and "rien n'a été enregistré" in said_fr
    with session_scope(sqlite_engine) as s:
        assert ev.participants_frame(s, C).empty
    assert _events(sqlite_engine) == ["contract.version_created"]


def test_direct_identifiers_and_missing_columns_are_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _setup(sqlite_engine, tmp_path, n=5)
    frame = pd.read_csv(path, sep=";", dtype=str, encoding="cp1252")
    frame.assign(nom="Dupont").to_csv(path, index=False)
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(sqlite_engine, C, path, settings=SETTINGS)
    assert exc.value.errors[0].column == "nom"
    frame.drop(columns=["territory"]).to_excel(tmp_path / "p.xlsx", index=False)
    with pytest.raises(CohortFileError) as exc:
        ev.import_participants(sqlite_engine, C, tmp_path / "p.xlsx", settings=SETTINGS)
    assert [e.column for e in exc.value.errors] == ["territory"]
    frame.to_excel(tmp_path / "ok.xlsx", index=False)
    assert ev.import_participants(sqlite_engine, C, tmp_path / "ok.xlsx", settings=SETTINGS).rows == 5


def test_locked_plan_rules_and_amendments(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _setup(sqlite_engine, tmp_path, n=200)
    ev.import_participants(sqlite_engine, C, path, settings=SETTINGS)
    ev.randomise_cohort(sqlite_engine, C, seed=1)
    ev.generate_synthetic(sqlite_engine, C, tmp_path / "m12.csv", wave="m12", seed=11, settings=SETTINGS)
    with pytest.raises(ConflictError, match="not locked"):
        ev.evaluate_contract(sqlite_engine, C)
    ev.lock_plan(sqlite_engine, C)
    with pytest.raises(ConflictError, match="already locked"):
        ev.lock_plan(sqlite_engine, C)
    ev.import_outcomes(sqlite_engine, C, "m12", tmp_path / "m12.csv", settings=SETTINGS)
    changed = example_path(C).read_text().replace("covariates: [age, prior_placement, single_parent]",
                                                  "covariates: [age, prior_placement]")
    import_contract(sqlite_engine, changed, actor="test")
    with pytest.raises(ConflictError, match="amendment"):
        ev.evaluate_contract(sqlite_engine, C)
    st = ev.amend_plan(sqlite_engine, C, reason="single_parent mal renseigné / poorly recorded")
    assert st.amendments[0].changes == ("analysis_plan.covariates",)
    results = ev.evaluate_contract(sqlite_engine, C)
    assert all(r.amendments and r.grade is not EvidenceGrade.MEETS for r in results)
    assert "plan.amended" in _events(sqlite_engine)


def test_outcomes_for_unknown_people_or_waves_are_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _setup(sqlite_engine, tmp_path, n=30)
    ev.import_participants(sqlite_engine, C, path, settings=SETTINGS)
    ev.randomise_cohort(sqlite_engine, C, seed=1)
    (tmp_path / "w.csv").write_text("participant_id,placement_days\nNOBODY,3\n")
    with pytest.raises(CohortFileError, match="1 problem"):
        ev.import_outcomes(sqlite_engine, C, "m12", tmp_path / "w.csv", settings=SETTINGS)
    from temoin.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="m99"):
        ev.import_outcomes(sqlite_engine, C, "m99", tmp_path / "w.csv", settings=SETTINGS)


def test_cohorts_migration_downgrades_and_upgrades(sqlite_engine: Engine) -> None:
    assert "cohort_participants" in inspect(sqlite_engine).get_table_names()
    downgrade(sqlite_engine, "cohorts@0001_foundation")
    names = inspect(sqlite_engine).get_table_names()
    assert "cohort_participants" not in names and "evaluation_results" not in names and "contracts" in names
    migrate(sqlite_engine)
    assert "plan_locks" in inspect(sqlite_engine).get_table_names()
