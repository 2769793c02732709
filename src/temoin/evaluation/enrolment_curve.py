"""Planning with the enrolment schedule: how many people are due at each payment period.

Under rolling enrolment a payment period's result uses only the people whose wave was due by the
period's end date (:mod:`temoin.evaluation.schedule`): someone enrolled too late is not yet due and
is not in that period's analysis. An expected enrolment curve — people per calendar month from the
opening date to the closing date — therefore sets the sample each period is judged on; a slow start
(few people in the first months) or a late closing date shrinks it, and with it the power and the
chance of paying for a real effect.

Within a month, people are taken to enrol evenly over its days between the opening and the closing
date; the people due by a date ``E`` at a wave ``m`` months after enrolment are those enrolled on a
day ``d`` with ``due_date(d, m) <= E``. The expected count is a sum over days, exact for that model.

>>> curve = EnrolmentCurve(dt.date(2025, 1, 1), dt.date(2025, 12, 31), (10.0,))
>>> curve.total
120.0
>>> curve.due_by(dt.date(2026, 6, 30), 12)
60.0
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError
from temoin.evaluation.schedule import due_date
from temoin.messages import Msg

__all__ = ["EnrolmentCurve", "PeriodSample", "curve_for_contract", "parse_per_month", "period_samples"]


@dataclass(frozen=True)
class EnrolmentCurve:
    """People expected to enrol each calendar month, from ``opens`` to ``closes`` (both included).

    ``per_month`` gives the first months' figures; its last figure holds for the months after (one
    figure: a steady pace; ``(5, 10, 20)``: a slow start reaching 20 a month in the third month)."""

    opens: dt.date
    closes: dt.date
    per_month: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.per_month or any(not x >= 0 for x in self.per_month) or sum(self.per_month) <= 0:
            raise InvalidInputError("enrolment_curve.per_month",
                                    Msg("Invalid people per month: {values}.", values=", ".join(map(str, self.per_month))),
                                    path="per_month", hint=Msg("Give one or more numbers of people per month, at least one above 0."))
        if self.closes < self.opens:
            raise InvalidInputError("enrolment_curve.dates",
                                    Msg("The enrolment closes ({closes}) before it opens ({opens}).",
                                        closes=self.closes, opens=self.opens),
                                    path="closes", hint=Msg("Give a closing date after the opening date."))

    def _months(self) -> list[tuple[int, int, float]]:
        """(year, month, people expected that month) for every month the enrolment is open."""
        out = []
        y, m, i = self.opens.year, self.opens.month, 0
        while (y, m) <= (self.closes.year, self.closes.month):
            out.append((y, m, self.per_month[min(i, len(self.per_month) - 1)]))
            y, m, i = y + m // 12, m % 12 + 1, i + 1
        return out

    def _open_days(self) -> list[tuple[list[dt.date], float]]:
        """Each open month's open days and the people expected that month (spread evenly over those days)."""
        out = []
        for y, m, people in self._months():
            first = max(dt.date(y, m, 1), self.opens)
            last = min(dt.date(y, m, calendar.monthrange(y, m)[1]), self.closes)
            out.append(([first + dt.timedelta(days=k) for k in range((last - first).days + 1)], people))
        return out

    @property
    def total(self) -> float:
        """People expected to enrol in all."""
        return math.fsum(p for *_, p in self._months())

    def due_by(self, end: dt.date, months: int) -> float:
        """People expected to be due, by ``end``, at a wave ``months`` after their enrolment."""
        return math.fsum(people * sum(due_date(d, months) <= end for d in days) / len(days)
                         for days, people in self._open_days())


@dataclass(frozen=True)
class PeriodSample:
    """One payment period under the curve: its wave, its end date, the people due and not yet due."""

    period: str
    wave: str
    end_date: dt.date
    due: float
    not_yet_due: float

    def to_dict(self) -> dict[str, object]:
        return {"period": self.period, "wave": self.wave, "end_date": self.end_date.isoformat(), "due": self.due,
                "not_yet_due": self.not_yet_due}


def curve_for_contract(contract: Contract, *, per_month: Sequence[float] | None = None, opens: dt.date | None = None,
                       closes: dt.date | None = None) -> EnrolmentCurve:
    """The contract's expected enrolment: from ``opens`` (the contract's start date) to ``closes`` (the
    analysis plan's closing date), at ``per_month`` people a month (by default the population's expected
    size spread evenly over those months)."""
    enrolment = contract.evaluation.analysis_plan.enrolment
    closes = closes or (enrolment.closes if enrolment is not None else None)
    if closes is None:
        raise InvalidInputError("enrolment_curve.no_closing_date", Msg("The enrolment curve needs a closing date."),
                                path="evaluation.analysis_plan.enrolment.closes",
                                hint=Msg("Give the closing date, or put it in the analysis plan ('enrolment: {rolling: true, closes: YYYY-MM-DD}')."))
    opens = opens or contract.start_date
    if not per_month:
        months = (closes.year - opens.year) * 12 + closes.month - opens.month + 1
        per_month = (contract.population.expected_size / max(months, 1),)
    return EnrolmentCurve(opens, closes, tuple(float(x) for x in per_month))


def period_samples(contract: Contract, curve: EnrolmentCurve) -> list[PeriodSample]:
    """For each payment period that settles a wave: the people due at its wave by its end date."""
    months = {w.id: w.months_after_enrolment for w in contract.evaluation.follow_up_waves}
    total = curve.total
    out = []
    for p in contract.payments.periods:
        if p.wave and p.wave in months:
            due = curve.due_by(p.end_date, months[p.wave])
            out.append(PeriodSample(p.id, p.wave, p.end_date, due, total - due))
    return out


def parse_per_month(text: str) -> tuple[float, ...]:
    """People per month as a person writes them: ``"30"`` or ``"5, 10, 20, 30"`` (figures separated by
    spaces, semicolons, arrows or a comma and a space; a figure may have a decimal comma: ``7,5``).

    >>> parse_per_month("5, 10; 20 → 30"), parse_per_month("7,5")
    ((5.0, 10.0, 20.0, 30.0), (7.5,))
    """
    parts = [p for p in re.split(r"[;\s→]+|,\s+", text.strip()) if p]
    try:
        values = tuple(float(p.replace(",", ".")) for p in parts)
    except ValueError:
        values = ()
    if not values or any(not v >= 0 for v in values) or sum(values) <= 0:
        raise InvalidInputError("enrolment_curve.per_month", Msg("Invalid people per month: {values}.", values=text),
                                path="per_month", hint=Msg("Give one or more numbers of people per month, at least one above 0."))
    return values
