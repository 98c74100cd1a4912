"""Days sales outstanding by the count-back method.

The count-back method walks back from the period end, month by month: while the receivables
balance exceeds the month's credit sales, that month's sales are taken out of the balance and
all its days are counted; the rest of the balance is then a fraction of the next (older) month's
sales, and that fraction of its days is counted. Unlike ``balance / sales × days`` it follows the
sales actually invoiced in the months that make up the balance.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from close.engine.types import Period

_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Dso:
    """A DSO figure, or None with the reason it could not be computed."""

    days: Decimal | None
    reason: str | None = None


def days_in(period: Period) -> int:
    """Return the number of days of a ``YYYY-MM`` period."""
    year, month = (int(p) for p in period.split("-"))
    return calendar.monthrange(year, month)[1]


def count_back_dso(receivables: int, monthly_sales: Sequence[tuple[Period, int]]) -> Dso:
    """Compute DSO by the count-back method, to a tenth of a day (half-even).

    Args:
        receivables: the receivables balance at period end (minor units).
        monthly_sales: (period, credit sales in minor units), the close period FIRST and then
            older months.

    Returns:
        The days, or None with the reason (no balance to explain is 0 days; history too short).

    Example:
        A balance of 150 against sales of 100 this month (30 days) and 100 the month before
        (31 days) is 30 + 50/100 × 31 = 45.5 days.

        >>> count_back_dso(150, [("2026-11", 100), ("2026-10", 100)]).days
        Decimal('45.5')

    """
    if receivables <= 0:
        return Dso(Decimal(0))
    left = Decimal(receivables)
    days = Decimal(0)
    for period, sales in monthly_sales:
        month_days = days_in(period)
        if sales <= 0:
            days += month_days  # no sales that month: the balance is older still
            continue
        if left <= sales:
            days += left / Decimal(sales) * month_days
            return Dso(days.quantize(_TENTH, rounding=ROUND_HALF_EVEN))
        left -= sales
        days += month_days
    return Dso(None, f"the balance exceeds the {len(monthly_sales)} months of sales on record")
