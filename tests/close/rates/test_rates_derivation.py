"""Closing, average and historical rates from daily quotations, computed by hand (no HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from close.engine.money import D
from close.errors import InputDataError
from close.rates.derivation import (
    average_rate,
    closing_rate,
    describe_missing_days,
    historical_rate,
    month_bounds,
)
from close.rates.model import Quotation, RateNeed, Series
from close.rates.routes import choose_route

AT = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
BRL_PER_USD = Series("USD", "BRL")
USD_PER_EUR = Series("EUR", "USD")
GBP_PER_EUR = Series("EUR", "GBP")


def quotes(series: Series, text: str) -> dict[Series, tuple[Quotation, ...]]:
    """``"2025-08-28 5.4500, 2025-08-29 5.4000"`` -> the series' quotations."""
    pairs = [item.split() for item in text.split(",")]
    return {series: tuple(Quotation(series, date.fromisoformat(d), D(v)) for d, v in pairs)}


def test_closing_uses_last_business_day_when_the_month_ends_on_a_weekend() -> None:
    need = RateNeed("2025-08", "BRL", "USD", "closing")
    route = choose_route("BRL", "USD")
    rate = closing_rate(need, route, quotes(BRL_PER_USD, "2025-08-28 5.4500, 2025-08-29 5.4000"),
                        label="PTAX venda", retrieved_at=AT)
    assert rate.rate == (Decimal(1) / Decimal("5.4000")).quantize(Decimal("1E-10"))
    assert rate.rate == Decimal("0.1851851852")
    assert rate.quoted == Decimal("5.4000000000")
    assert rate.quote_direction == "BRL per USD"
    assert rate.as_of == date(2025, 8, 29)
    assert "last business day 2025-08-29 (30th was Saturday, 31st was Sunday)" in rate.method
    assert rate.method.startswith("PTAX venda 5.4000 BRL per USD, inverted")
    assert rate.path == "BRL->USD via BCB PTAX BRL per USD, inverted"
    assert [dict(r) for r in rate.raw] == [{"series": "BRL per USD", "date": "2025-08-29", "value": "5.4000"}]


def test_closing_names_a_weekday_holiday() -> None:
    need = RateNeed("2024-03", "EUR", "USD", "closing")
    rate = closing_rate(need, choose_route("EUR", "USD"),
                        quotes(USD_PER_EUR, "2024-03-27 1.0830, 2024-03-28 1.0811"),
                        label="ECB reference rate", retrieved_at=AT)
    assert rate.rate == Decimal("1.0811000000")  # USD per EUR read directly, not inverted
    assert ("(29th (Friday) had no quotation, a holiday, 30th was Saturday, 31st was Sunday)"
            in rate.method)


def test_closing_on_the_last_calendar_day_says_so() -> None:
    need = RateNeed("2025-07", "BRL", "USD", "closing")
    rate = closing_rate(need, choose_route("BRL", "USD"),
                        quotes(BRL_PER_USD, "2025-07-30 5.5600, 2025-07-31 5.6000"),
                        label="PTAX venda", retrieved_at=AT)
    assert rate.method.endswith("of 2025-07-31, the last day of the month")
    assert rate.rate == Decimal("0.1785714286")


def test_average_is_the_mean_in_the_quoted_direction_inverted_once() -> None:
    need = RateNeed("2025-08", "BRL", "USD", "average")
    rate = average_rate(need, choose_route("BRL", "USD"),
                        quotes(BRL_PER_USD, "2025-07-31 9.0, 2025-08-01 5.00, 2025-08-04 5.10, "
                                            "2025-08-05 5.30"),
                        label="PTAX venda", retrieved_at=AT)
    mean = (Decimal("5.00") + Decimal("5.10") + Decimal("5.30")) / 3  # July's 9.0 is left out
    assert rate.quoted == mean.quantize(Decimal("1E-10")) == Decimal("5.1333333333")
    assert rate.rate == (1 / mean).quantize(Decimal("1E-10")) == Decimal("0.1948051948")
    assert rate.rate != (sum(1 / D(x) for x in ("5.00", "5.10", "5.30")) / 3).quantize(Decimal("1E-10"))
    assert rate.as_of is None
    assert len(rate.raw) == 3
    assert rate.method.startswith("mean of 3 daily PTAX venda quotations in BRL per USD, inverted once")


def test_cross_average_is_the_mean_of_each_days_cross() -> None:
    need = RateNeed("2024-03", "GBP", "USD", "average")
    route = choose_route("GBP", "USD")
    data = {**quotes(USD_PER_EUR, "2024-03-14 1.0980, 2024-03-15 1.0931, 2024-03-18 1.0900"),
            **quotes(GBP_PER_EUR, "2024-03-14 0.85520, 2024-03-18 0.85000")}  # no GBP on the 15th
    rate = average_rate(need, route, data, label="ECB reference rate", retrieved_at=AT)
    crosses = [Decimal("1.0980") / Decimal("0.85520"), Decimal("1.0900") / Decimal("0.85000")]
    assert rate.rate == (sum(crosses) / 2).quantize(Decimal("1E-10"))
    assert rate.quoted == rate.rate
    assert rate.quote_direction == "USD per GBP"
    assert rate.path == "GBP->USD via EUR: ECB USD per EUR / ECB GBP per EUR"
    assert "mean of 2 daily crosses" in rate.method


def test_historical_rate_falls_back_to_the_last_business_day_before_the_date() -> None:
    need = RateNeed("2025-08", "BRL", "USD", "historical", "br01", "3101", date(2024, 3, 31))
    rate = historical_rate(need, choose_route("BRL", "USD"),
                           quotes(BRL_PER_USD, "2024-03-27 4.9900, 2024-03-28 4.9962, 2024-04-01 5.0"),
                           label="PTAX venda", retrieved_at=AT)
    assert rate.as_of == date(2024, 3, 28)
    assert rate.rate_date == date(2024, 3, 31)
    assert (rate.entity_id, rate.account) == ("br01", "3101")
    assert rate.rate == (1 / Decimal("4.9962")).quantize(Decimal("1E-10"))
    assert "before the historical rate date 2024-03-31 for br01/3101" in rate.method


def test_a_month_without_any_quotation_names_the_currency_and_dates() -> None:
    need = RateNeed("2025-08", "BRL", "USD", "closing")
    with pytest.raises(InputDataError, match=r"BRL->USD .*2025-08-01 and 2025-08-31"):
        closing_rate(need, choose_route("BRL", "USD"), quotes(BRL_PER_USD, "2025-07-31 5.6"),
                     label="PTAX venda", retrieved_at=AT)


def test_calendar_helpers() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert describe_missing_days([date(2025, 8, 31)]) == "31st was Sunday"
