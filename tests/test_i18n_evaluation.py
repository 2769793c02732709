"""The evaluation speaks through the one catalogue (issue 15): its errors, notes, verdicts, grade
reasons and assumptions are messages read in French and in English; every code it shows has a label
in both languages; results stored before messages (notes and reasons as "français / English",
verdicts as {"fr", "en"}) still load, keep their recorded hash and show each reader's half."""

from __future__ import annotations

import hashlib
import json
import re
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.contract import load_contract
from temoin.contract.model import AnalysisPlan, Design
from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.diagnostics import Verdict, attrition
from temoin.evaluation.diagnostics._common import VerdictLevel
from temoin.evaluation.diagnostics.attrition import Boundary
from temoin.evaluation.diagnostics.balance import BalanceBand
from temoin.evaluation.diagnostics.grade import Grade, evidence_grade
from temoin.evaluation.estimate import ESTIMANDS
from temoin.evaluation.estimators.bounds import lee_bounds
from temoin.evaluation.estimators.cr2 import DF_METHODS
from temoin.evaluation.estimators.vcov import SE_TYPES
from temoin.evaluation.plan import Amendment, PlanRecordKind
from temoin.evaluation.randomisation import RandomisationMethod
from temoin.evaluation.result import ImpactResult
from temoin.evaluation.text import Bilingual, say, split_pair, text_from_stored
from temoin.examples import example_path
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.reports._evaluation import evaluation_section
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.store import session_scope
from temoin.store.models.cohorts import EvaluationResultRow

FR, EN = Translator("fr"), Translator("en")
OLD = Path(__file__).parent / "data" / "previous-release" / "evaluation-results.json"
C = "aemo-renforcee"

#: Every closed set the evaluation shows, with its codes (the contract's own Literal sets where they live there).
CLOSED_SETS: dict[str, tuple[str, ...]] = {
    "estimator": typing.get_args(typing.get_args(AnalysisPlan.model_fields["estimator"].annotation)[0]),
    "se_type": (*SE_TYPES, "normal", "abadie_imbens", "none"),
    "sidedness": typing.get_args(typing.get_args(AnalysisPlan.model_fields["sidedness"].annotation)[0]),
    "multiplicity": typing.get_args(AnalysisPlan.model_fields["multiplicity"].annotation),
    "missing_outcomes": typing.get_args(AnalysisPlan.model_fields["missing_outcomes"].annotation),
    "estimand": tuple(sorted({e for offered in ESTIMANDS.values() for e in offered})),
    "df_method": DF_METHODS,
    "attrition_boundary": typing.get_args(Boundary),
    "balance_band": typing.get_args(BalanceBand),
    "verdict_level": typing.get_args(VerdictLevel),
    "plan_record_kind": tuple(k.value for k in PlanRecordKind),
    "randomisation_method": typing.get_args(RandomisationMethod),
}
#: Codes that must never reach a reader as such (whole words); in French, the English words of codes neither.
RAW_CODES = re.compile(r"\b(label:|two_sided|one_sided|diff_in_means|drop_and_report|lee_bounds|imbens_kolesar|"
                       r"bell_mccaffrey|needs_adjustment|abadie_imbens|attrition_boundary|se_type)\b")
ENGLISH_CODES = re.compile(r"\b(cautious|optimistic|satisfies|fails|warning|holm|ols)\b")


def test_the_closed_sets_are_the_ones_the_code_uses() -> None:
    assert set(CLOSED_SETS["estimator"]) >= {"diff_in_means", "ols", "lin", "did", "twfe", "matching", "ipw", "benchmark", "target"}
    assert CLOSED_SETS["sidedness"] == ("one_sided", "two_sided") and CLOSED_SETS["estimand"] == ("ATE", "ATT")
    assert CLOSED_SETS["balance_band"] == ("satisfies", "needs_adjustment", "fails")


@pytest.mark.parametrize("kind", sorted(CLOSED_SETS))
def test_every_code_of_the_evaluation_has_a_label_in_both_languages(kind: str) -> None:
    for code in CLOSED_SETS[kind]:
        fr, en = FR.label(kind, code), EN.label(kind, code)
        assert fr != f"label:{kind}:{code}" and fr != code, (kind, code, "no French label")
        assert en != f"label:{kind}:{code}" and (en != code or kind == "plan_record_kind"), (kind, code, "no English label")
    assert FR.label(PlanRecordKind.AMENDMENT) == "amendement"


def test_an_attrition_verdict_reads_in_each_language_with_its_numbers_and_boundary() -> None:
    # WWC Handbook v4.1, table II.1: at 16 % overall attrition the cautious boundary allows 5.9 points
    rep = attrition(wave="m24", indicator="x", randomised=(100, 100), followed=(88, 80), boundary="cautious")
    assert rep.verdict.level == "fail"
    assert FR.render(rep.verdict.message) == ("Vague m24 : 16,0\u00a0% de perdus de vue, écart de 8 points entre groupes : "
                                              "attrition élevée (limite 5,9 points, seuil prudent du WWC).")
    assert EN.render(rep.verdict.message) == ("Wave m24: 16.0% lost to follow-up, a gap of 8 points between groups: "
                                              "high attrition (limit 5.9 points, WWC cautious boundary).")
    # stored as data, and read back the same
    assert Verdict.from_dict(json.loads(json.dumps(rep.verdict.to_dict()))) == rep.verdict


def test_an_estimator_error_and_a_note_read_in_each_language() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"y": rng.normal(size=40), "t": [0, 1] * 20, "x": rng.normal(size=40)})
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", se="CR1")
    assert FR.error(ei.value) == ("cluster: L'erreur type par grappe CR1 demande une colonne de grappes. Indiquez la colonne "
                                  "des grappes, ou choisissez une erreur type HC. [evaluation.cluster_needed]")
    assert EN.error(ei.value) == ("cluster: The cluster-robust standard error CR1 needs a cluster column. Give the cluster "
                                  "column, or choose an HC standard error. [evaluation.cluster_needed]")
    df.loc[[2, 5], "x"] = np.nan
    note = estimate_effect(df, "y", "t", ["x"], missing="drop").notes[0]
    assert FR.render(note) == "2 ligne(s) exclue(s) pour valeurs manquantes (x (2))."
    assert EN.render(note) == "2 row(s) dropped for missing values (x (2))."
    bounds = lee_bounds(pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, np.nan, 2.0, 3.0, np.nan, np.nan, 5.0],
                                      "t": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]}), "y", "t", bootstrap=0)
    # observed: 4 of 5 in the programme, 3 of 5 in the control group; trimmed share (0.8 - 0.6) / 0.8
    assert FR.render(bounds.notes[0]) == ("Bornes de Lee : 25,0\u00a0% des résultats observés du bras le mieux suivi "
                                          "retirés (observés : programme 80,0\u00a0%, témoin 60,0\u00a0%).")
    assert EN.render(bounds.notes[0]) == ("Lee bounds: 25.0% of the observed outcomes of the better-followed arm trimmed "
                                          "(observed: programme 80.0%, control 60.0%).")


def test_grade_reasons_and_plan_problems_are_messages() -> None:
    att = attrition(wave="m12", indicator="x", randomised=(50, 50), followed=(49, 48), boundary="cautious")
    g = evidence_grade(design=Design.CLUSTER_RCT, attrition=att, clusters=(6, 3, 3), amended=True)
    assert all(isinstance(r, Msg) for r in g.reasons)
    assert "Seulement 6 grappes (moins d'une dizaine) : l'inférence par grappe est fragile." in [FR.render(r) for r in g.reasons]
    assert "Only 6 clusters (fewer than about ten): clustered inference is fragile." in [EN.render(r) for r in g.reasons]
    # the older stored form of a grade still reads
    old = Grade.from_dict({"grade": "meets_with_reservations", "label_fr": "…", "label_en": "…",
                           "reasons_fr": ["Seulement 6 grappes."], "reasons_en": ["Only 6 clusters."]})
    assert [say(FR, r) for r in old.reasons] == ["Seulement 6 grappes."] and [say(EN, r) for r in old.reasons] == ["Only 6 clusters."]
    contract = load_contract(example_path(C))
    broken = contract.model_copy(update={"evaluation": contract.evaluation.model_copy(update={"cluster": "quartier"})})
    from temoin.evaluation.plan import check_plan

    with pytest.raises(InvalidInputError) as ei:
        check_plan(broken)
    assert FR.error_message(ei.value) == "Variable de grappe inconnue : « quartier »."
    assert EN.error_message(ei.value) == "Unknown cluster variable: 'quartier'."
    label = Amendment("2026-03-02T10:00:00+00:00", "nouvelle covariable", "a" * 64, "b" * 64, ("analysis_plan.covariates",)).label()
    assert FR.render(label) == f"2 mars 2026 {'a' * 12}→{'b' * 12} : nouvelle covariable [analysis_plan.covariates]"


def test_a_stored_pair_is_split_at_its_middle_separator() -> None:
    assert split_pair("Programme / témoin : x / Programme / control: x") == ("Programme / témoin : x", "Programme / control: x")
    assert split_pair("joint test p = 0.012 < 0.05") == ("joint test p = 0.012 < 0.05",) * 2
    old = text_from_stored({"level": "ok", "fr": "Bien.", "en": "Fine."})
    assert isinstance(old, Bilingual) and (old.pick("fr"), old.pick("en")) == ("Bien.", "Fine.")
    verdict = Verdict.from_dict({"level": "fail", "fr": "Écart.", "en": "Gap."})
    assert (verdict.level, say(FR, verdict.message), say(EN, verdict.message)) == ("fail", "Écart.", "Gap.")
    assert verdict.to_dict() == {"level": "fail", "message": {"fr": "Écart.", "en": "Gap."}}


# --- results stored by the release before messages ---------------------------------------------------------


def _store_previous_release(engine: Engine) -> list[dict[str, str]]:
    import_contract(engine, example_path(C), actor="test")
    rows: list[dict[str, str]] = json.loads(OLD.read_text(encoding="utf-8"))
    with session_scope(engine) as s:
        for row in rows:
            s.add(EvaluationResultRow(contract_id=C, run_id="previous-release", contract_version=1, indicator=row["indicator"],
                                      wave=row["wave"], result=row["result"], result_hash=row["result_hash"],
                                      diagnostics=row["diagnostics"], actor="test"))
    return rows


def test_results_stored_before_messages_load_keep_their_hash_and_show_each_half(sqlite_engine: Engine) -> None:
    rows = _store_previous_release(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        results = ev.latest_results(s, C)
        diagnostics = ev.latest_diagnostics(s, C)
    assert len(results) == len(rows) == 4
    for r, row in zip(results, rows, strict=True):
        # the hash the store recorded, recomputed from the stored JSON as written (not by Témoin's code)
        stored = json.loads(row["result"])
        canonical = json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == row["result_hash"]
        assert r.result_hash == row["result_hash"] and r.to_dict() == stored
        note = stored["effect"]["notes"][0]
        assert note.startswith("p ajustée (holm") and " / adjusted p (holm" in note
        assert say(FR, r.effect.notes[0]) == note.split(" / ")[0]
        assert say(EN, r.effect.notes[0]) == note.split(" / ")[1]
        assert say(EN, r.grade_reasons[0]).startswith("Wave ") and say(FR, r.grade_reasons[0]).startswith("Vague ")
        assert ImpactResult.from_dict(json.loads(row["result"])).result_hash == row["result_hash"]
    # a report reads the older verdicts ({"fr", "en"}) in its own language
    status = ev.plan_status(sqlite_engine, C)
    contract = load_contract(example_path(C))
    for words in (FR, EN):
        sec = evaluation_section(contract, flow=None, results=results, diagnostics=diagnostics, status=status,
                                 lang=words.lang, public=False, threshold=11)
        old = json.loads(rows[0]["diagnostics"])
        assert sec["attrition"][0]["verdict"] == old["attrition"]["verdict"][words.lang]
        assert sec["balance"]["verdict"] == old["balance"]["verdict"][words.lang]
        assert sec["results"][0]["notes"] == [json.loads(rows[0]["result"])["effect"]["notes"][0].split(" / ")[words.lang == "en"]]


# --- what a reader sees: no raw code -------------------------------------------------------------------------


def test_a_fresh_evaluation_reads_without_raw_codes_in_each_language(sqlite_engine: Engine, tmp_path: Path) -> None:
    from temoin.settings import Settings

    settings = Settings()
    import_contract(sqlite_engine, example_path(C), actor="test")
    path = tmp_path / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=settings)
    ev.import_participants(sqlite_engine, C, path, settings=settings)
    ev.lock_plan(sqlite_engine, C)
    ev.randomise_cohort(sqlite_engine, C, seed=5)
    for wave in ("m12", "m24"):
        w = tmp_path / f"{wave}.csv"
        ev.generate_synthetic(sqlite_engine, C, w, wave=wave, seed=11, settings=settings)
        ev.import_outcomes(sqlite_engine, C, wave, w, settings=settings)
    results = ev.evaluate_contract(sqlite_engine, C)
    with session_scope(sqlite_engine) as s:
        stored = ev.latest_results(s, C)
        diagnostics = ev.latest_diagnostics(s, C)
    assert [r.result_hash for r in stored] == [r.result_hash for r in results]  # messages round-trip through the store
    status = ev.plan_status(sqlite_engine, C)
    contract = load_contract(example_path(C))
    said = {}
    for words in (FR, EN):
        sec = evaluation_section(contract, flow=None, results=stored, diagnostics=diagnostics, status=status,
                                 lang=words.lang, public=False, threshold=11)
        texts = [sec["plan"]["estimator_label"], sec["plan"]["se_type_label"], sec["plan"]["sidedness_label"],
                 *(a["verdict"] for a in sec["attrition"]), sec["balance"]["verdict"],
                 *(row["band_label"] for row in sec["balance"]["rows"]), sec["creaming"]["verdict"],
                 *(x for r in sec["results"] for x in (*r["reasons"], *r["notes"]))]
        assert all(texts) and not [t for t in texts if RAW_CODES.search(t)], texts
        assert words is EN or not [t for t in texts if ENGLISH_CODES.search(t)], texts
        said[words.lang] = " ".join(texts)
    assert "p ajustée (correction de Holm" in said["fr"] and "régression linéaire" in said["fr"]
    assert "Adjusted p (Holm adjustment" in said["en"] and "linear regression" in said["en"]
    assert "Vague à 12 mois :" in said["fr"] and "%" in said["fr"] and not re.search(r"\d\.\d", said["fr"])  # French numbers


def test_the_command_line_shows_labels_and_french_notes(tmp_path: Path) -> None:
    from temoin.cli import app

    rng = np.random.default_rng(7)
    path = tmp_path / "essai.csv"
    df = pd.DataFrame({"y": rng.normal(size=60), "t": [0, 1] * 30, "x": rng.normal(size=60)})
    df.loc[[4, 9], "x"] = np.nan
    df.to_csv(path, index=False)
    out = CliRunner().invoke(app, ["--lang", "fr", "evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t",
                                   "--covariates", "x", "--missing", "drop", "--se", "HC1"])
    assert out.exit_code == 0, out.output
    assert "régression linéaire (MCO)" in out.output and "erreur type robuste HC1" in out.output
    assert "2 ligne(s) exclue(s) pour valeurs manquantes" in out.output
    assert not RAW_CODES.search(out.output) and not ENGLISH_CODES.search(out.output)
    assert "row(s) dropped" not in out.output  # a note shows the reader's language only


def test_the_docstring_examples_of_the_words_module_run() -> None:
    import doctest

    import temoin.evaluation.text as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
