"""The evaluation part of ``make demo``, on the child-protection example (synthetic participants):
enrolment, stratified randomisation, two waves with attrition, diagnostics, estimate, diagnosis."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from rich.table import Table
from sqlalchemy import Engine

from temoin.evaluation.diagnostics import Verdict
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.evaluation.text import say
from temoin.examples import synthetic_cohort
from temoin.examples.synthetic import SyntheticCohort
from temoin.i18n import Translator
from temoin.services import evaluations as ev
from temoin.settings import Settings
from temoin.store import session_scope

CONTRACT = "aemo-renforcee"


def write_cohort_files(folder: Path, seed: int = 2026) -> tuple[Path, SyntheticCohort]:
    """The synthetic cohort as the operator would send it: a semicolon CSV, labelled synthetic."""
    cohort = synthetic_cohort(CONTRACT, seed=seed)
    frame = cohort.referred.copy()
    frame["synthetic"] = "oui"
    path = folder / f"{CONTRACT}-participants-SYNTHETIQUE.csv"
    frame.to_csv(path, sep=";", index=False)
    return path, cohort


def arms_by_identifier(engine: Engine, cohort: SyntheticCohort, settings: Settings) -> dict[str, int]:
    """The arm of each enrolled synthetic participant, found by pseudonymising their identifier as the
    operator's file gives it (what an operator's own script would do to prepare a wave file)."""
    with session_scope(engine) as s:
        frame = ev.participants_frame(s, CONTRACT)
    key = contract_key(CONTRACT, master=settings.pseudonym_master)
    arm_by_key = dict(zip(frame["pkey"], frame["arm"], strict=True))
    return {pid: int(arm_by_key[pseudonymise(pid, CONTRACT, key=key)]) for pid in cohort.enrolled["participant_id"]}


def show(engine: Engine, console: Console, settings: Settings) -> None:
    console.print(Rule("Évaluation / Evaluation — aemo-renforcee (données synthétiques / synthetic data)"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, cohort = write_cohort_files(folder)
        imp = ev.import_participants(engine, CONTRACT, path, settings=settings, actor="demo")
        console.print(f"Orientés / referred: {imp.rows} · éligibles / eligible: {imp.eligible} · inscrits / enrolled: {imp.enrolled}")
        status = ev.lock_plan(engine, CONTRACT, actor="demo")
        console.print(f"Plan verrouillé / plan locked: sha256 {status.plan_hash}")
        rnd = ev.randomise_cohort(engine, CONTRACT, seed=20250115, actor="demo")
        console.print(f"Randomisation {rnd['method']} ({', '.join(rnd['strata'])}) : {rnd['n_treated']}/{rnd['n']} "
                      f"programme · graine / seed {rnd['seed']} · liste / list {rnd['list_hash'][:16]}…")
        arms = arms_by_identifier(engine, cohort, settings)
        for wave in ("m12", "m24"):
            wpath = folder / f"{CONTRACT}-{wave}-SYNTHETIQUE.csv"
            cohort.outcomes(wave, arms).to_csv(wpath, index=False)
            res = ev.import_outcomes(engine, CONTRACT, wave, wpath, settings=settings, actor="demo")
            console.print(f"Vague / wave {wave}: {res.rows} suivis / followed")
    results = ev.evaluate_contract(engine, CONTRACT, actor="demo")
    with session_scope(engine) as s:
        diags = ev.latest_diagnostics(s, CONTRACT)
    short = {"meets_without_reservations": "sans réserve", "meets_with_reservations": "avec réserves",
             "does_not_meet": "insuffisante"}
    table = Table(title="Résultats du plan verrouillé / locked-plan results")
    for col in ("indicateur", "vague", "amélioration", "borne basse", "attrition", "preuve"):
        table.add_column(col)
    for r in results:
        a = diags[f"{r.indicator}__{r.wave}"]["attrition"]
        table.add_row(r.indicator, r.wave, f"{r.improvement:.2f}", f"{r.improvement_lower:.2f}",
                      f"{a['overall_pct']:.0f} % / {a['differential_pp']:.1f} pt", short[r.grade.value])
    console.print(table)
    console.print("Amélioration > 0 = mieux ; borne basse : ce que paie le contrat. / Improvement > 0 is better; "
                  "the lower bound is what the contract pays on.")
    first = diags[f"{results[0].indicator}__{results[0].wave}"]
    words = Translator("fr")  # the lines around are French
    console.print(f"Équilibre initial : {say(words, Verdict.from_dict(first['balance']['verdict']).message)}")
    if results[0].grade.value == "meets_without_reservations":
        console.print("  (essai randomisé à attrition faible : ces écarts relèvent du hasard et ne changent pas la note)")
    console.print(f"Écrémage : {say(words, Verdict.from_dict(first['creaming']['verdict']).message)}")
    rep = ev.diagnose(engine, CONTRACT, sims=2000)
    table = Table(title=f"Diagnostic du dispositif / design diagnosis : {rep.sims} essais simulés, n = {rep.n}")
    for col in ("effet vrai", "puissance", "biais", "couverture IC", "payé", "paiement médian"):
        table.add_column(col)
    for e in rep.effects:
        table.add_row(f"{e.true_effect:g}", f"{e.power:.1%}", f"{e.bias:+.2f}", f"{e.coverage:.1%}", f"{e.p_paid:.1%}",
                      f"{e.payment_quantiles['p50']:,.0f} €".replace(",", " "))
    console.print(table)
    if rep.wrongful_payment is not None:
        console.print(f"Paiement à tort si l'effet vrai est nul / wrongful payment at zero effect: {rep.wrongful_payment:.2%}")
