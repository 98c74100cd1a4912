"""Period arithmetic on ``YYYY-MM`` strings."""

from __future__ import annotations

import calendar
from datetime import date

from close.types import Period


def parse_period(period: Period) -> tuple[int, int]:
    """Return ``(year, month)`` of a period.

    Raises:
        ValueError: not a ``YYYY-MM`` period.

    """
    try:
        year, month = (int(p) for p in period.split("-"))
    except ValueError:
        raise ValueError(f"not a period YYYY-MM: {period!r}") from None
    if len(period) != 7 or not 1 <= month <= 12:
        raise ValueError(f"not a period YYYY-MM: {period!r}")
    return year, month


def add_months(period: Period, months: int) -> Period:
    """Shift a period by ``months`` (negative goes back)."""
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_period(period: Period) -> Period:
    """Return the month before."""
    return add_months(period, -1)


def period_range(start: Period, end: Period) -> list[Period]:
    """Every period from ``start`` to ``end`` inclusive."""
    out, p = [], start
    while p <= end:
        out.append(p)
        p = add_months(p, 1)
    return out


def period_end(period: Period) -> date:
    """Return the last calendar day of the period."""
    year, month = parse_period(period)
    return date(year, month, calendar.monthrange(year, month)[1])
