"""Rich renderings of rolling enrolment: the schedule of each wave, the batches, the cohort flow."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from temoin.evaluation.schedule import COLLECTION_WINDOW_DAYS, WaveCount, WaveStatus
from temoin.i18n import Translator
from temoin.services.enrolment import BatchRecord, RollingFlow


def schedule_table(t: Translator, counts: Sequence[WaveCount]) -> Table:
    when = t.date(counts[0].as_of) if counts else ""
    table = Table(title=t("Follow-up schedule on {date} (each person from their own enrolment date)", date=when),
                  caption=t("Due: due date passed, within the {days}-day collection window; overdue: after it.",
                            days=COLLECTION_WINDOW_DAYS))
    table.add_column(t("Wave"))
    for status in (WaveStatus.MEASURED, WaveStatus.DUE, WaveStatus.OVERDUE, WaveStatus.NOT_YET_DUE):
        table.add_column(t.label(status), justify="right")
    table.add_column(t("Next due date"))
    for c in counts:
        table.add_row(t("{wave} ({months} months)", wave=c.wave, months=c.months), t.number(c.measured), t.number(c.due),
                      t.number(c.overdue), t.number(c.not_yet_due), t.date(c.next_due) if c.next_due else "—")
    return table


def batches_table(t: Translator, batches: Sequence[BatchRecord]) -> Table:
    table = Table(title=t("Enrolment batches"))
    for name in (t("Batch"), t("Randomised on"), t("Enrolled from"), t("to"), t("Programme"), t("Control"), t("Seed"),
                 t("List sha256")):
        table.add_column(name)
    for b in batches:
        table.add_row(str(b.number), t.datetime(b.created_at), t.date(b.first_enrolment), t.date(b.last_enrolment),
                      t.number(b.n_treated), t.number(b.n - b.n_treated), b.seed, b.list_hash[:16] + "…")
    return table


def flow_lines(t: Translator, flow: RollingFlow) -> list[str]:
    out = [t("Cohort flow on {date}: {referred} referred → {eligible} eligible → {consented} consented → {enrolled} enrolled "
             "→ {randomised} randomised in {batches} batch(es) ({treated} programme, {control} control); {waiting} waiting "
             "for the next batch.", date=flow.as_of, referred=flow.referred, eligible=flow.eligible, consented=flow.consented,
             enrolled=flow.enrolled, randomised=flow.randomised.treated + flow.randomised.control, batches=len(flow.batches),
             treated=flow.randomised.treated, control=flow.randomised.control, waiting=flow.waiting)]
    for rule, n in flow.not_eligible.items():
        out.append(t("  not eligible ({rule}): {n}", rule=rule, n=n))
    for w in flow.waves:
        out.append(t("  wave {wave}: due {due_t} programme, {due_c} control; measured {m_t} programme, {m_c} control; "
                     "not yet due {later}", wave=w.wave, due_t=w.due.treated, due_c=w.due.control, m_t=w.measured.treated,
                     m_c=w.measured.control, later=w.not_yet_due))
    return out
