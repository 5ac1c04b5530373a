"""School terms: autumn (1 Sep – 31 Jan) and spring (1 Feb – 31 Aug), in Asia/Shanghai dates."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tenants.metrics import Period


def today() -> dt.date:
    return timezone.localdate()


def term_of(day: dt.date) -> Period:
    """The term a day falls in."""
    if day.month >= 9:
        return Period(dt.date(day.year, 9, 1), dt.date(day.year + 1, 1, 31))
    if day.month == 1:
        return Period(dt.date(day.year - 1, 9, 1), dt.date(day.year, 1, 31))
    end = dt.date(day.year, 8, 31)
    return Period(dt.date(day.year, 2, 1), end)


def current_term() -> Period:
    return term_of(today())


def term_label(period: Period) -> str:
    """'2026-2027-1' for the autumn term of 2026, '2026-2027-2' for the spring term of 2027."""
    if period.start.month == 9:
        return f"{period.start.year}-{period.start.year + 1}-1"
    return f"{period.start.year - 1}-{period.start.year}-2"


def term_months(period: Period, *, until: dt.date | None = None) -> list[tuple[int, int]]:
    """(year, month) of every month of the term up to `until` (the bureau requires a drill in each)."""
    months = []
    day = period.start.replace(day=1)
    last = min(period.end, until) if until else period.end
    while day <= last:
        months.append((day.year, day.month))
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months
