"""Period arithmetic on ``YYYY-MM`` strings: the one place that parses, shifts and bounds a period.

Every other module asks here rather than slicing ``period[5:7]``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from close.engine.types import Period

PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


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


def months_between(start: Period, end: Period) -> int:
    """Return the number of months from ``start`` to ``end`` (0 when equal, negative before)."""
    (y0, m0), (y1, m1) = parse_period(start), parse_period(end)
    return (y1 - y0) * 12 + m1 - m0


def fiscal_year_first(period: Period, fiscal_year_start: int) -> Period:
    """Return the first period of the fiscal year that contains ``period``.

    Example: ``fiscal_year_first("2025-03", 4)`` is ``"2024-04"``.
    """
    year, month = parse_period(period)
    return f"{year if month >= fiscal_year_start else year - 1:04d}-{fiscal_year_start:02d}"


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


def period_bounds(period: Period) -> tuple[date, date]:
    """Return the first and last day of the period."""
    year, month = parse_period(period)
    return date(year, month, 1), period_end(period)
