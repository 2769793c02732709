"""The rolling-enrolment part of ``make demo``: the child-protection example enrolling in monthly
batches over 18 months, each batch randomised as it joins, each child followed on their own clock.

The contract is the bundled example with ``enrolment: {rolling: true, closes: …}`` in its analysis
plan, under its own identifier; its participants are the example's synthetic cohort, their
enrolment dates spread over 18 months (June 2024 to November 2025). Every step goes through the
public service functions, as an operator's and an evaluator's scripts would.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.cli.enrolment_view import batches_table, flow_lines, schedule_table
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.evaluation.schedule import due_date
from temoin.examples import example_path, synthetic_cohort
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import get_contract, import_contract
from temoin.settings import Settings
from temoin.store import session_scope

EXAMPLE = "aemo-renforcee"
CONTRACT = "aemo-renforcee-inclusion-continue"
FIRST, CLOSES, MONTHS = dt.date(2024, 6, 1), dt.date(2025, 11, 30), 18
COHORT_SEED = 2027


def rolling_contract() -> str:
    """The example's YAML under its own identifier, enrolling on a rolling basis until ``CLOSES``."""
    text = example_path(EXAMPLE).read_text(encoding="utf-8")
    text = text.replace(f"id: {EXAMPLE}\n", f"id: {CONTRACT}\n", 1)
    return text.replace("    multiplicity: holm\n",
                        f"    multiplicity: holm\n    enrolment: {{rolling: true, closes: {CLOSES.isoformat()}}}\n", 1)


def spread(referred: pd.DataFrame) -> pd.DataFrame:
    """The synthetic cohort with its dates spread evenly over 18 months (the gap between referral and
    enrolment kept): one month's file per batch."""
    out = referred.copy()
    enrol = pd.to_datetime(out["enrolment_date"])
    ref = pd.to_datetime(out["referral_date"])
    anchor = enrol.fillna(ref)
    lo, hi = anchor.min(), anchor.max()
    span = (CLOSES - FIRST).days
    new_anchor = [FIRST + dt.timedelta(days=int((a - lo).days * span / max((hi - lo).days, 1))) for a in anchor]
    gap = (enrol - ref).dt.days
    out["enrolment_date"] = [d.isoformat() if pd.notna(g) else "" for d, g in zip(new_anchor, gap, strict=True)]
    out["referral_date"] = [(d - dt.timedelta(days=int(g) if pd.notna(g) else 0)).isoformat()
                            for d, g in zip(new_anchor, gap, strict=True)]
    out["month"] = [d.strftime("%Y-%m") for d in new_anchor]
    return out


def show(engine: Engine, console: Console, settings: Settings, words: Translator) -> None:
    console.print(Rule(words("Rolling enrolment — {contract} (synthetic data)", contract=CONTRACT)))
    import_contract(engine, rolling_contract(), actor="demo")
    ev.lock_plan(engine, CONTRACT, actor="demo")
    cohort = synthetic_cohort(EXAMPLE, seed=COHORT_SEED)
    referred = spread(cohort.referred.assign(synthetic="oui"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for k, (month, group) in enumerate(referred.groupby("month")):
            path = folder / f"{CONTRACT}-{month}-SYNTHETIQUE.csv"
            group.drop(columns="month").to_csv(path, sep=";", index=False)
            imp = ev.import_participants(engine, CONTRACT, path, settings=settings, actor="demo")
            if imp.enrolled:
                ev.randomise_cohort(engine, CONTRACT, seed=20240600 + k, actor="demo")
        with session_scope(engine) as s:
            console.print(batches_table(words, rolling.batches(s, CONTRACT)))
        check = rolling.replay_batches(engine, CONTRACT)
        console.print(words("Replay of the batches: {reproduced} assignment(s) reproduced, {differing} differing.",
                            reproduced=check.reproduced, differing=len(check.differing)))
        # the operator's wave files: everyone followed at m12; at m24, only the children already due
        today = dt.date.today()
        with session_scope(engine) as s:
            frame = ev.participants_frame(s, CONTRACT)
        key = contract_key(CONTRACT, master=settings.pseudonym_master)
        by_key = dict(zip(frame["pkey"], zip(frame["arm"], frame["enrolment_date"], strict=True), strict=True))
        enrolled = referred[referred["enrolled"].astype(str) == "True"]
        stored = {pid: by_key[pseudonymise(pid, CONTRACT, key=key)] for pid in enrolled["participant_id"]}
        arms = {pid: int(arm) for pid, (arm, _) in stored.items()}
        for wave, months in (("m12", 12), ("m24", 24)):
            rows = cohort.outcomes(wave, arms)
            due = [due_date(stored[p][1], months) <= today for p in rows["participant_id"]]
            path = folder / f"{CONTRACT}-{wave}-SYNTHETIQUE.csv"
            rows[due].to_csv(path, index=False)
            res = ev.import_outcomes(engine, CONTRACT, wave, path, settings=settings, actor="demo")
            console.print(words("Wave {wave}: {followed} followed ({waiting} not yet due).", wave=wave, followed=res.rows,
                                waiting=len(due) - sum(due)))
    console.print(schedule_table(words, rolling.cohort_schedule(engine, CONTRACT)))
    for line in flow_lines(words, rolling.rolling_flow(engine, CONTRACT)):
        console.print(line, soft_wrap=True)
    results = ev.evaluate_contract(engine, CONTRACT, actor="demo")
    labels = {i.id: i.label.get(words.lang) for i in get_contract(engine, CONTRACT).contract.indicators}
    for r in results:
        if r.indicator == "placement_days":
            note = next((n for n in r.effect.notes if isinstance(n, Msg) and n.params.keys() >= {"wave", "date"}), None)
            line = words("{indicator}, {wave}: improvement {improvement}, lower bound {lower}", wave=r.wave,
                         indicator=labels.get(r.indicator, r.indicator),
                         improvement=words.number(r.improvement, 2), lower=words.number(r.improvement_lower, 2))
            console.print(line + (f" ; {words.render(note)}" if note else ""), soft_wrap=True)
