"""The forecast file and the full-year budget the board package's outlook is built from (issue 17)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from close.analysis.budget import parse_budget, parse_forecast
from close.errors import InputDataError
from close.run.stages.board_budget import full_year_budget_of

BUDGET = (b"period,entity,account,amount\n"
          + b"".join(f"2026-{m:02d},,4000,-100.00\n2026-{m:02d},,5000,40.00\n".encode() for m in range(1, 13))
          + b"2026-10,BR1,4000,-60.00\n")


def _year(forecast: bytes | None, period: str = "2026-10"):  # noqa: ANN202 - FullYearBudget | None
    frame = parse_budget(BUDGET, period=None, currency="USD", consolidated_only=False)
    ahead = parse_forecast(forecast, currency="USD", source="forecast.csv") if forecast else None
    return full_year_budget_of(frame, ahead, period, 1, "USD")


def test_without_a_forecast_the_outlook_adds_the_budget_of_the_months_left() -> None:
    year = _year(None)
    by = {a.account: a for a in year.accounts}
    assert (year.first, year.last, year.missing, year.forecast_months) == ("2026-01", "2026-12", (), ())
    assert by["4000"].full_year == Decimal("-1200.00")  # the entity's row is not the group's
    assert by["4000"].rest_of_year == Decimal("-200.00")  # November and December
    assert by["5000"].rest_of_year == Decimal("80.00")


def test_the_forecast_replaces_the_budget_for_the_months_it_covers() -> None:
    year = _year(b"period,entity,account,amount\n2026-12,,4000,-130.00\n2026-12,,6000,5.00\n"
                 b"2026-09,,4000,-999.00\n2027-01,,4000,-999.00\n")  # past and next year: ignored
    by = {a.account: a for a in year.accounts}
    assert year.forecast_months == ("2026-12",)
    assert by["4000"].rest_of_year == Decimal("-230.00")  # budget November + forecast December
    assert by["5000"].rest_of_year == Decimal("40.00")  # December's forecast has no cost of sales
    assert by["6000"].rest_of_year == Decimal("5.00") and by["6000"].full_year == Decimal("0.00")
    assert by["4000"].full_year == Decimal("-1200.00")  # the budget is still the budget


def test_a_budget_that_does_not_cover_the_year_says_which_months() -> None:
    frame = parse_budget(BUDGET.replace(b"2026-11,,", b"2025-11,,"), period=None, currency="USD",
                         consolidated_only=False)
    assert full_year_budget_of(frame, None, "2026-10", 1, "USD").missing == ("2026-11",)
    assert full_year_budget_of(None, None, "2026-10", 1, "USD") is None


@pytest.mark.parametrize(("text", "where"), [
    (b"period,entity,account,amount\n2026-12,BR1,4000,-1.00\n", ("row 2", "'entity'", "BR1")),
    (b"period,entity,account,amount\n2026-13,,4000,-1.00\n", ("row 2", "'period'", "2026-13")),
    (b"period,entity,account,amount\n2026-12,,4000,abc\n", ("row 2", "'amount'")),
    (b"period,account,amount\n2026-12,4000,-1.00\n", ("entity",)),
])
def test_a_bad_forecast_row_is_named(text: bytes, where: tuple[str, ...]) -> None:
    with pytest.raises(InputDataError) as caught:
        parse_forecast(text, currency="USD", source="forecast.csv")
    message = str(caught.value)
    assert "forecast.csv" in message and all(w in message for w in where), message
