"""The one period module (close/engine/periods.py): parse, shift, bound, fiscal year."""

from __future__ import annotations

from datetime import date

import pytest

from close.engine.periods import (
    PERIOD_PATTERN,
    add_months,
    fiscal_year_first,
    months_between,
    parse_period,
    period_bounds,
    period_range,
    previous_period,
)


def test_shifts_cross_year_ends() -> None:
    assert previous_period("2025-01") == "2024-12"
    assert add_months("2024-11", 3) == "2025-02"
    assert add_months("2025-03", -15) == "2023-12"
    assert months_between("2024-11", "2025-02") == 3
    assert months_between("2025-02", "2024-11") == -3
    assert period_range("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]


@pytest.mark.parametrize(("period", "start", "first"), [
    ("2025-03", 1, "2025-01"), ("2025-03", 4, "2024-04"), ("2025-04", 4, "2025-04"),
    ("2025-12", 7, "2025-07"),
])
def test_fiscal_year_first(period: str, start: int, first: str) -> None:
    assert fiscal_year_first(period, start) == first


def test_bounds_know_leap_years() -> None:
    assert period_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_bounds("2025-12") == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", ""])
def test_malformed_periods_are_refused_by_both_doors(bad: str) -> None:
    assert not PERIOD_PATTERN.match(bad)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period(bad)
