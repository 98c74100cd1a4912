"""Business days after a period end: the dates a checklist's "business day 3" falls on.

Saturdays, Sundays, the country's national holidays (the well-kept ``holidays`` package: for
Brazil, Confraternização Universal, Sexta-feira Santa, Tiradentes, Finados, …) and the group's own
holidays are not business days. Business day 1 is the first business day after
the last day of the period: for 2026-10, Monday 2026-11-03 (Monday 2 November is Finados).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays as holiday_calendars

from close.engine.periods import period_end
from close.engine.types import Period
from close.run.workflow.settings import CalendarSettings


@cache
def _national(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    return frozenset(holiday_calendars.country_holidays(country, years=year))


def is_business_day(day: date, calendar: CalendarSettings) -> bool:
    """Return whether the day is a weekday that is neither a national holiday nor the group's own."""
    return (day.weekday() < 5 and day not in _national(calendar.country, day.year)
            and day not in calendar.holidays)


def business_day(period: Period, n: int, calendar: CalendarSettings) -> date:
    """Return the ``n``-th business day after the end of ``period`` (n ≥ 1)."""
    day, counted = period_end(period), 0
    while counted < n:
        day += timedelta(days=1)
        if is_business_day(day, calendar):
            counted += 1
    return day
