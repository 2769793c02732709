"""The evaluation part of ``make demo``, on the child-protection example (synthetic participants):
enrolment, stratified randomisation, two waves with attrition, diagnostics, estimate, diagnosis."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape
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
from temoin.services.contracts import get_contract
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


def show(engine: Engine, console: Console, settings: Settings, reader: Translator) -> None:
    t = reader
    console.print(Rule(t("Evaluation — {contract} (synthetic data)", contract=CONTRACT)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, cohort = write_cohort_files(folder)
        imp = ev.import_participants(engine, CONTRACT, path, settings=settings, actor="demo")
        console.print(t("Referred: {referred} · eligible: {eligible} · enrolled: {enrolled}", referred=imp.rows,
                        eligible=imp.eligible, enrolled=imp.enrolled))
        status = ev.lock_plan(engine, CONTRACT, actor="demo")
        console.print(t("Plan locked: sha256 {digest}", digest=status.plan_hash))
        rnd = ev.randomise_cohort(engine, CONTRACT, seed=20250115, actor="demo")
        method = t.label("randomisation_method", rnd["method"])
        population = get_contract(engine, CONTRACT).contract.population
        strata = ", ".join(a.label.get(t.lang) if (a := population.attribute(name)) else name for name in rnd["strata"])
        console.print(escape(t("{method} ({strata}): {treated} of {n} in the programme · seed {seed} · list {digest}…",
                               method=method[:1].upper() + method[1:], strata=strata,
                               treated=rnd["n_treated"], n=rnd["n"], seed=str(rnd["seed"]), digest=rnd["list_hash"][:16])))
        arms = arms_by_identifier(engine, cohort, settings)
        for wave in ("m12", "m24"):
            wpath = folder / f"{CONTRACT}-{wave}-SYNTHETIQUE.csv"
            cohort.outcomes(wave, arms).to_csv(wpath, index=False)
            res = ev.import_outcomes(engine, CONTRACT, wave, wpath, settings=settings, actor="demo")
            console.print(t("Wave {wave}: {n} followed up", wave=wave, n=res.rows))
    results = ev.evaluate_contract(engine, CONTRACT, actor="demo")
    with session_scope(engine) as s:
        diags = ev.latest_diagnostics(s, CONTRACT)
    indicators = {i.id: i.label.get(t.lang) for i in get_contract(engine, CONTRACT).contract.indicators}
    table = Table(title=t("Results of the locked plan"))
    for col in (t("indicator"), t("wave"), t("improvement"), t("lower bound"), t("attrition"), t("evidence")):
        table.add_column(col)
    for r in results:
        a = diags[f"{r.indicator}__{r.wave}"]["attrition"]
        table.add_row(escape(indicators.get(r.indicator, r.indicator)), r.wave, t.number(r.improvement, 2),
                      t.number(r.improvement_lower, 2),
                      t("{overall} / {differential}", overall=t.share(a["overall_pct"] / 100, 0),
                        differential=t.points(a["differential_pp"] / 100)), t.label(r.grade))
    console.print(table)
    console.print(t("Improvement above 0 is better; the lower bound is what the contract pays on."))
    first = diags[f"{results[0].indicator}__{results[0].wave}"]
    console.print(escape(t("Baseline balance: {verdict}", verdict=say(t, Verdict.from_dict(first["balance"]["verdict"]).message))))
    if results[0].grade.value == "meets_without_reservations":
        console.print("  " + t("(a randomised trial with low attrition: these differences are chance and do not change "
                               "the grade)"))
    console.print(escape(t("Creaming: {verdict}", verdict=say(t, Verdict.from_dict(first["creaming"]["verdict"]).message))))
    rep = ev.diagnose(engine, CONTRACT, sims=2000)
    table = Table(title=t("Design diagnosis: {trials} simulated trials, n = {n}", trials=rep.sims, n=rep.n))
    for col in (t("true effect"), t("power"), t("bias"), t("CI coverage"), t("paid"), t("median payment")):
        table.add_column(col)
    currency = get_contract(engine, CONTRACT).contract.currency
    for e in rep.effects:
        bias = t.number(e.bias, 2)
        table.add_row(t.number(e.true_effect), t.share(e.power), bias if e.bias < 0 else "+" + bias, t.share(e.coverage),
                      t.share(e.p_paid), t.money(e.payment_quantiles["p50"], currency, cents=False))
    console.print(table)
    if rep.wrongful_payment is not None:
        console.print(t("Wrongful payment when the true effect is zero: {p}", p=t.share(rep.wrongful_payment, 2)))
