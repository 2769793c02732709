"""The to-do items of a running contract's steps (issue 16 item 6, found missing by the browser
journey): each appears when its step is due and goes once done, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.services import todo_running  # noqa: F401 (registers its providers, as the web's home page does)
from temoin.services.contracts import import_contract
from temoin.services.settlements import run_settlement
from temoin.services.todo import todo_list
from temoin.settings import Settings

SETTINGS = Settings()
C = "aemo-renforcee"
FR = Translator("fr")


def _kinds(engine: Engine, role: str) -> dict[str, str | None]:
    """kind -> why it is blocked (None: can be done now), for a person holding ``role`` in C (waves
    due, from their own provider, left aside: the synthetic enrolment dates make them due today)."""
    return {i.kind: (FR.render(i.blocked) if i.blocked else None)
            for i in todo_list(engine, "someone", {C: frozenset({role})}) if i.contract_id == C and i.kind != "wave_due"}


def _started(engine: Engine, tmp: Path) -> Path:
    import_contract(engine, example_path(C), actor="test")
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=5, settings=SETTINGS)
    pd.read_csv(path, dtype=str).head(300).to_csv(path, index=False)
    return path


def _wave(engine: Engine, tmp: Path, wave: str) -> None:
    path = tmp / f"{wave}.csv"
    ev.generate_synthetic(engine, C, path, wave=wave, settings=SETTINGS)
    ev.import_outcomes(engine, C, wave, path, settings=SETTINGS, actor="eval")


def test_each_step_appears_when_due_and_goes_once_done(engine: Engine, tmp_path: Path) -> None:
    path = _started(engine, tmp_path)
    assert "participants" in _kinds(engine, "operator")
    assert set(_kinds(engine, "evaluator")) == {"lock_plan"}  # nobody to draw yet
    ev.import_participants(engine, C, path, settings=SETTINGS, actor="op")
    assert "participants" not in _kinds(engine, "operator")
    with engine.connect() as c:
        enrolled = c.execute(text("SELECT COUNT(*) FROM cohort_participants WHERE enrolled")).scalar_one()
    draw = next(i for i in todo_list(engine, "x", {C: frozenset({"evaluator"})}) if i.kind == "draw")
    assert FR.render(draw.what) == f"Tirer les groupes au sort : {enrolled} personnes inscrites attendent le tirage."
    ev.randomise_cohort(engine, C, seed=3, actor="eval")
    ev.lock_plan(engine, C, actor="eval")
    assert _kinds(engine, "evaluator") == {}
    _wave(engine, tmp_path, "m12")
    assert _kinds(engine, "evaluator") == {"evaluate": None}
    assert "settle" not in _kinds(engine, "outcome_payer")
    ev.evaluate_contract(engine, C, actor="eval")
    assert _kinds(engine, "evaluator") == {}
    assert _kinds(engine, "outcome_payer") == {"settle": None}
    run_settlement(engine, C, actor="payer")
    assert _kinds(engine, "outcome_payer") == {"approve": "en attente de la certification par l'évaluateur"}
    _wave(engine, tmp_path, "m24")  # new outcomes: the evaluation is due again, then a new settlement
    assert _kinds(engine, "evaluator") == {"evaluate": None, "certify": None}
    ev.evaluate_contract(engine, C, actor="eval")
    assert "settle" in _kinds(engine, "outcome_payer")


def test_outcomes_before_the_lock_block_the_run_with_why(engine: Engine, tmp_path: Path) -> None:
    path = _started(engine, tmp_path)
    ev.import_participants(engine, C, path, settings=SETTINGS, actor="op")
    ev.randomise_cohort(engine, C, seed=3, actor="eval")
    _wave(engine, tmp_path, "m12")
    # too late to lock (outcomes exist): no "lock" item; the run is shown blocked, with the reason
    assert _kinds(engine, "evaluator") == {"evaluate": "le plan d'analyse n'est pas encore verrouillé"}
    assert _kinds(engine, "investor") == {}
