"""The other bundled designs through the same services: benchmark comparison and absolute target."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from temoin.errors import InvalidInputError
from temoin.evaluation.result import EvidenceGrade
from temoin.examples import example_path, synthetic_cohort
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.settings import Settings

EN = Translator("en")

SETTINGS = Settings()  # as an entry point would pass them


def _run(engine: Engine, tmp: Path, name: str, wave: str) -> list:  # type: ignore[type-arg]
    import_contract(engine, example_path(name), actor="test")
    ev.generate_synthetic(None, name, tmp / "p.csv", seed=4, settings=SETTINGS)
    ev.import_participants(engine, name, tmp / "p.csv", settings=SETTINGS)
    ev.lock_plan(engine, name)
    with pytest.raises(InvalidInputError, match="no randomisation"):
        ev.randomise_cohort(engine, name)
    ev.generate_synthetic(engine, name, tmp / "w.csv", wave=wave, seed=4, settings=SETTINGS)
    ev.import_outcomes(engine, name, wave, tmp / "w.csv", settings=SETTINGS)
    return ev.evaluate_contract(engine, name)


def test_benchmark_comparison_is_graded_with_reservations(sqlite_engine: Engine, tmp_path: Path) -> None:
    (r,) = _run(sqlite_engine, tmp_path, "cravate-solidaire", "m3")
    cohort = synthetic_cohort("cravate-solidaire", seed=4)
    observed = cohort.outcomes("m3")["work_or_training_3m"]
    assert r.effect.estimate == pytest.approx(observed.mean() - 0.40)
    assert r.effect.std_error == pytest.approx((observed.var(ddof=1) / len(observed) + 0.008**2) ** 0.5)
    assert r.improvement_lower == pytest.approx(r.improvement - 1.6448536269514722 * r.effect.std_error)
    assert r.grade is EvidenceGrade.MEETS_WITH_RESERVATIONS
    assert any("external reference" in EN.render(g) for g in r.grade_reasons)


def test_absolute_target_reports_a_count_that_cannot_show_impact(sqlite_engine: Engine, tmp_path: Path) -> None:
    (r,) = _run(sqlite_engine, tmp_path, "relais-familial", "exit")
    observed = synthetic_cohort("relais-familial", seed=4).outcomes("exit")["families_without_placement"]
    assert r.improvement == r.improvement_lower == observed.sum()
    assert r.grade is EvidenceGrade.DOES_NOT_MEET and r.n_treated_followed == len(observed)


def test_a_plan_without_an_estimator_cannot_be_locked(sqlite_engine: Engine) -> None:
    text = example_path("aemo-renforcee").read_text().replace("    estimator: ols\n", "")
    import_contract(sqlite_engine, text, actor="test")
    with pytest.raises(InvalidInputError) as exc:
        ev.lock_plan(sqlite_engine, "aemo-renforcee")
    assert exc.value.path == "evaluation.analysis_plan.estimator"
