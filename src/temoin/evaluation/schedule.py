"""Each person's own clock: when a follow-up wave is due, and where each person stands at a date.

A wave is due ``months_after_enrolment`` calendar months after the person's enrolment date (the
same day of the month, or the month's last day when it has none: enrolled on 31 January, due at
one month on 28 or 29 February). At a date, each person is, for each wave:

- ``not_yet_due``: the due date is after that date (a value recorded early does not count yet);
- ``measured``: due, and the outcome is recorded;
- ``due``: due, not recorded, within the collection window (``COLLECTION_WINDOW_DAYS`` after the due date);
- ``overdue``: due, not recorded, and the collection window has passed.

Attrition counts only the people due (measured, due or overdue); the people not yet due are not
missing, they are not there yet.

>>> due_date(dt.date(2025, 1, 31), 1), due_date(dt.date(2024, 3, 15), 12)
(datetime.date(2025, 2, 28), datetime.date(2025, 3, 15))
>>> wave_status(dt.date(2025, 1, 10), 12, as_of=dt.date(2025, 12, 1), measured=False)
<WaveStatus.NOT_YET_DUE: 'not_yet_due'>
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["COLLECTION_WINDOW_DAYS", "WaveCount", "WaveStatus", "due_date", "wave_counts", "wave_status"]

COLLECTION_WINDOW_DAYS = 90
"""Days after a person's due date during which a missing outcome is ``due`` rather than ``overdue``."""


class WaveStatus(StrEnum):
    """Where one person stands at one wave on a date (``label:wave_status:*``)."""

    NOT_YET_DUE = "not_yet_due"
    DUE = "due"
    OVERDUE = "overdue"
    MEASURED = "measured"


def due_date(enrolled: dt.date, months: int) -> dt.date:
    """``months`` calendar months after ``enrolled`` (clamped to the month's last day)."""
    total = enrolled.month - 1 + months
    year, month = enrolled.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(enrolled.day, calendar.monthrange(year, month)[1]))


def wave_status(enrolled: dt.date, months: int, *, as_of: dt.date, measured: bool,
                window_days: int = COLLECTION_WINDOW_DAYS) -> WaveStatus:
    due = due_date(enrolled, months)
    if due > as_of:
        return WaveStatus.NOT_YET_DUE
    if measured:
        return WaveStatus.MEASURED
    return WaveStatus.OVERDUE if (as_of - due).days > window_days else WaveStatus.DUE


@dataclass(frozen=True)
class WaveCount:
    """How many people stand where at one wave, on one date."""

    wave: str
    months: int
    as_of: dt.date
    measured: int
    due: int
    overdue: int
    not_yet_due: int
    next_due: dt.date | None
    """The earliest due date still to come (None when everyone is due)."""

    @property
    def owed(self) -> int:
        """The people whose outcome was due by the date: measured, due or overdue (attrition's denominator)."""
        return self.measured + self.due + self.overdue

    def to_dict(self) -> dict[str, object]:
        return {"wave": self.wave, "months": self.months, "as_of": self.as_of.isoformat(), "measured": self.measured,
                "due": self.due, "overdue": self.overdue, "not_yet_due": self.not_yet_due, "owed": self.owed,
                "next_due": self.next_due.isoformat() if self.next_due else None}


def wave_counts(enrolled: Sequence[dt.date], measured: Sequence[bool], *, wave: str, months: int, as_of: dt.date,
                window_days: int = COLLECTION_WINDOW_DAYS) -> WaveCount:
    """Counts of each status at ``wave`` for people enrolled on ``enrolled`` (``measured`` in the same order)."""
    counts = dict.fromkeys(WaveStatus, 0)
    upcoming: list[dt.date] = []
    for date, m in zip(enrolled, measured, strict=True):
        status = wave_status(date, months, as_of=as_of, measured=m, window_days=window_days)
        counts[status] += 1
        if status is WaveStatus.NOT_YET_DUE:
            upcoming.append(due_date(date, months))
    return WaveCount(wave, months, as_of, counts[WaveStatus.MEASURED], counts[WaveStatus.DUE], counts[WaveStatus.OVERDUE],
                     counts[WaveStatus.NOT_YET_DUE], min(upcoming) if upcoming else None)
