"""The data-protection part of ``make demo``, on the child-protection example (synthetic people):
a consent withdrawal, an access request answered with the export, an erasure request granted (the
person's rows leave every table, the audit still holds and names the erasure), the erasure of a
member of a rolling enrolment batch (the batches still replay for everyone else), and the record of
processing written beside the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.contract.data_protection import ErasureRule, RequestKind, RequestOutcome
from temoin.demo import enrolment
from temoin.demo.evaluation import CONTRACT, arms_by_identifier
from temoin.examples import synthetic_cohort
from temoin.i18n import Translator
from temoin.reports.rgpd import access_text, register_pdf
from temoin.services.contracts import get_contract
from temoin.services.enrolment import replay_batches
from temoin.services.erasure import erase_person
from temoin.services.governance import verify_audit
from temoin.services.registre import processing_record
from temoin.services.requests import access_export, answer_request, receive_request
from temoin.services.rights import record_withdrawal
from temoin.settings import Settings


def show(engine: Engine, console: Console, settings: Settings, reader: Translator, folder: Path) -> None:
    t = reader
    console.print(Rule(t("Personal data — {contract}", contract=CONTRACT)))
    people = sorted(arms_by_identifier(engine, synthetic_cohort(CONTRACT, seed=2026), settings))
    withdrawer, asker, eraser = people[0], people[1], people[2]
    today = dt.date.today()
    done = record_withdrawal(engine, CONTRACT, withdrawer, today, settings=settings, actor="demo:operateur")
    console.print(t("Withdrawal recorded on {date}: no outcome will be collected for this person, and research extracts "
                    "leave them out.", date=done.withdrawn_on))

    request = receive_request(engine, CONTRACT, asker, RequestKind.ACCESS, today, settings=settings, actor="demo:operateur")
    text = access_text(access_export(engine, CONTRACT, asker, settings=settings), t, get_contract(engine, CONTRACT).contract)
    answer_request(engine, request.id, RequestOutcome.DONE, actor="demo:operateur")
    console.print(t("Access request {id}: answered with the export of everything held ({lines} lines), due by {date}.",
                    id=request.id, lines=len(text.splitlines()), date=request.due_on))
    for line in [x for x in text.splitlines() if x.strip()][:3]:
        console.print("  " + escape(line), soft_wrap=True)

    erasure = receive_request(engine, CONTRACT, eraser, RequestKind.ERASURE, today, settings=settings, actor="demo:operateur")
    answer_request(engine, erasure.id, RequestOutcome.DONE, actor="demo:operateur")
    status = verify_audit(engine)
    console.print(t("Erasure request {id} granted: the person's rows left every table.", id=erasure.id))
    for said in status.erasures:
        console.print("  " + escape(t.render(said)), soft_wrap=True)
    console.print(t("Audit ledger: {state}.", state=t("whole") if status.whole else t("NOT whole")))

    # under rolling enrolment: a member of a batch erased, the batches still replayed for everyone else
    member = str(synthetic_cohort(enrolment.EXAMPLE, seed=enrolment.COHORT_SEED).enrolled["participant_id"].iloc[0])
    erased = erase_person(engine, enrolment.CONTRACT, member, rule=ErasureRule.ERASURE_REQUEST, settings=settings,
                          actor="demo:operateur")
    check = replay_batches(engine, enrolment.CONTRACT)
    status = verify_audit(engine)
    console.print(t("Erasure in {contract}: the person's place in their enrolment batch leaves no pseudonym ({rows} row(s) "
                    "erased); replay: {reproduced} assignment(s) reproduced, {differing} differing, {places} place(s) "
                    "of erased people drawn again; audit ledger: {state}.", contract=enrolment.CONTRACT,
                    rows=sum(erased.rows.values()), reproduced=check.reproduced, differing=len(check.differing),
                    places=check.erased, state=t("whole") if status.whole else t("NOT whole")))

    path = folder / f"{CONTRACT}-registre.pdf"
    path.write_bytes(register_pdf(processing_record(engine, CONTRACT, settings=settings), t.lang))
    console.print(t("Record of processing and impact assessment: {path}", path=str(path)))
