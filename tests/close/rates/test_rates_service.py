"""The rate service end to end on the fakes: hand-computed rates, weekends, fallbacks, overrides.

Expected values are computed here from the fakes' seeded quotations with plain Decimal
arithmetic, independently of ``close.rates``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from close.errors import InputDataError
from close.rates.errors import RateSourceUnavailable
from close.rates.files import parse_rates_file
from close.rates.model import RateNeed
from close.rates.service import RateService, closing_and_average_needs
from close.rates.settings import RatePolicy, RateSourceSettings
from close.resilience import RetryPolicy
from tests.fakes.bcb import DEFAULT_PTAX, FakeBcb
from tests.fakes.ecb import DEFAULT_ECB, FakeEcb

TEN = Decimal("1E-10")
AT = datetime(2025, 9, 1, 6, 0, tzinfo=UTC)


def seeded_ptax_venda(year: int, month: int) -> dict[date, Decimal]:
    return {p.day: p.venda for p in DEFAULT_PTAX["USD"] if (p.day.year, p.day.month) == (year, month)}


def seeded_ecb(currency: str, year: int, month: int) -> dict[date, Decimal]:
    return {d: v for d, v in DEFAULT_ECB[currency].items() if (d.year, d.month) == (year, month)}


@pytest.mark.parametrize(("period", "last_business_day"), [
    ("2025-08", date(2025, 8, 29)),  # ends Saturday 30, Sunday 31
    ("2024-03", date(2024, 3, 28)),  # Good Friday 29, then the weekend
])
def test_brl_and_eur_to_usd_equal_the_hand_computed_values(
        service: RateService, period: str, last_business_day: date) -> None:
    year, month = int(period[:4]), int(period[5:])
    rates = {(r.currency, r.rate_type): r for r in service.fetch_rates(
        closing_and_average_needs(period, ["BRL", "EUR", "USD"], "USD")).rates}
    assert set(rates) == {("BRL", "closing"), ("BRL", "average"), ("EUR", "closing"), ("EUR", "average")}

    ptax = seeded_ptax_venda(year, month)
    assert max(ptax) == last_business_day
    assert rates["BRL", "closing"].rate == (Decimal(1) / ptax[last_business_day]).quantize(TEN)
    assert rates["BRL", "closing"].quoted == ptax[last_business_day].quantize(TEN)
    mean = sum(ptax.values()) / len(ptax)
    assert rates["BRL", "average"].rate == (Decimal(1) / mean).quantize(TEN)
    assert rates["BRL", "average"].quoted == mean.quantize(TEN)

    usd_per_eur = seeded_ecb("USD", year, month)
    assert max(usd_per_eur) == last_business_day
    assert rates["EUR", "closing"].rate == usd_per_eur[last_business_day].quantize(TEN)
    assert rates["EUR", "average"].rate == (sum(usd_per_eur.values()) / len(usd_per_eur)).quantize(TEN)

    for key in rates:
        assert rates[key].source == ("bcb_ptax" if key[0] == "BRL" else "ecb")
        assert rates[key].retrieved_at.tzinfo is not None
    closing = rates["BRL", "closing"]
    assert closing.as_of == last_business_day
    assert f"last business day {last_business_day.isoformat()}" in closing.method
    assert "31st was Sunday" in closing.method
    assert closing.path == "BRL->USD via BCB PTAX BRL per USD, inverted"
    assert rates["EUR", "closing"].path == "EUR->USD via ECB USD per EUR"
    assert rates["BRL", "average"].as_of is None
    assert len(rates["BRL", "average"].raw) == len(ptax)


def test_good_friday_is_named_as_a_holiday(service: RateService) -> None:
    (rate,) = service.fetch_rates([RateNeed("2024-03", "BRL", "USD", "closing")]).rates
    assert "29th (Friday) had no quotation, a holiday, 30th was Saturday, 31st was Sunday" in rate.method


def test_cross_rate_gbp_to_usd_is_the_mean_of_daily_crosses(
        service: RateService, ecb: FakeEcb) -> None:
    (average, closing) = service.fetch_rates(
        [RateNeed("2024-03", "GBP", "USD", "average"), RateNeed("2024-03", "GBP", "USD", "closing")],
        ).rates
    usd, gbp = seeded_ecb("USD", 2024, 3), seeded_ecb("GBP", 2024, 3)
    days = [d for d in usd if d in gbp and d != date(2024, 3, 15)]  # GBP missing on the 15th
    crosses = [usd[d] / gbp[d] for d in days]
    assert average.rate == (sum(crosses) / len(crosses)).quantize(TEN)
    assert closing.rate == (usd[date(2024, 3, 28)] / gbp[date(2024, 3, 28)]).quantize(TEN)
    assert average.path == "GBP->USD via EUR: ECB USD per EUR / ECB GBP per EUR"
    assert ecb.request_count == 1  # both needs, both series, one request


def test_prior_and_current_month_are_one_request_per_series(
        service: RateService, bcb: FakeBcb, ecb: FakeEcb) -> None:
    needs = [*closing_and_average_needs("2025-07", ["BRL", "EUR"], "USD"),
             *closing_and_average_needs("2025-08", ["BRL", "EUR"], "USD")]
    outcome = service.fetch_rates(needs)
    assert len(outcome.rates) == 8
    assert (bcb.request_count, ecb.request_count) == (1, 1)


def test_brl_to_eur_uses_ptax_eur_and_historical_rates(
        settings: RateSourceSettings, bcb: FakeBcb) -> None:
    policy = RatePolicy(presentation_currency="EUR", ptax_side="compra")
    need = RateNeed("2025-08", "BRL", "EUR", "historical", "br01", "share_capital", date(2024, 2, 13))
    with RateService.from_settings(settings, policy, sleep=lambda _s: None) as service:
        (rate,) = service.fetch_rates([need]).rates
    compra = {p.day: p.compra for p in DEFAULT_PTAX["EUR"]}
    # Carnival Monday and Tuesday: the last PTAX before 2024-02-13 is Friday the 9th.
    assert rate.as_of == date(2024, 2, 9)
    assert rate.rate == (Decimal(1) / compra[date(2024, 2, 9)]).quantize(TEN)
    assert rate.method.startswith("PTAX compra")
    assert "12th (Monday) had no quotation, a holiday" in rate.method


def _file(text: str) -> tuple:
    return parse_rates_file(text, name="rates.csv", presentation_currency="USD", retrieved_at=AT)


def test_override_always_wins_and_is_marked(service: RateService,
                                            bcb: FakeBcb) -> None:
    overrides = _file("period,currency,closing,override,note\n2025-08,BRL,0.1840000000,yes,board\n")
    average, closing = service.fetch_rates(
        closing_and_average_needs("2025-08", ["BRL"], "USD")[::-1],
        file_rates=overrides).rates
    assert (closing.rate, closing.source, closing.is_override) == (Decimal("0.1840000000"), "override", True)
    assert "rates file rates.csv row 2 (board)" in closing.method
    assert average.source == "bcb_ptax"


def test_source_down_falls_back_to_the_file_and_says_why(
        service: RateService, bcb: FakeBcb) -> None:
    bcb.fail_always(503)
    file_rates = _file("period,currency,closing,average\n2025-08,BRL,0.1830,0.1810\n")
    outcome = service.fetch_rates(closing_and_average_needs("2025-08", ["BRL"], "USD"),
                                  file_rates=file_rates)
    assert bcb.request_count == 3
    assert [(r.source, r.rate) for r in outcome.rates] == [
        ("file", Decimal("0.1830000000")), ("file", Decimal("0.1810000000"))]
    assert all("used because bcb_ptax failed" in r.method and "HTTP 503" in r.method
               for r in outcome.rates)
    assert len(outcome.fallbacks) == 2


def test_source_down_without_file_fails_naming_source_and_currency(
        service: RateService, bcb: FakeBcb) -> None:
    bcb.fail_always(502)
    with pytest.raises(RateSourceUnavailable, match=r"bcb_ptax unavailable for BRL.*HTTP 502") as info:
        service.fetch_rates(closing_and_average_needs("2025-08", ["BRL"], "USD"))
    assert info.value.source == "bcb_ptax"
    assert info.value.currencies == ("BRL",)
    assert "rates file has no 2025-08 closing BRL->USD" in str(info.value)


def test_fallback_off_fails_even_with_a_file(settings: RateSourceSettings, bcb: FakeBcb) -> None:
    policy = RatePolicy(presentation_currency="USD", fallback_to_file=False)
    bcb.fail_always(500)
    with (RateService.from_settings(settings, policy, sleep=lambda _s: None) as service,
          pytest.raises(RateSourceUnavailable, match="fallback to the rates file is off")):
        service.fetch_rates([RateNeed("2025-08", "BRL", "USD", "closing")],
                            file_rates=_file("period,currency,closing\n2025-08,BRL,0.18\n"))


def test_a_month_the_sources_do_not_cover_names_currency_and_dates(service: RateService) -> None:
    with pytest.raises(InputDataError, match=r"BRL->USD.*2023-05-01 and 2023-05-31"):
        service.fetch_rates([RateNeed("2023-05", "BRL", "USD", "closing")])


def test_unquoted_currency_comes_from_the_file_or_fails(service: RateService) -> None:
    (rate,) = service.fetch_rates([RateNeed("2025-08", "ARS", "USD", "closing")],
                                  file_rates=_file("period,currency,closing\n2025-08,ARS,0.00074\n")).rates
    assert (rate.source, rate.rate) == ("file", Decimal("0.0007400000"))
    with pytest.raises(InputDataError, match="no source quotes ARS->USD"):
        service.fetch_rates([RateNeed("2025-08", "ARS", "USD", "average")])


def test_fakes_can_be_seeded_with_a_tiny_month(settings: RateSourceSettings) -> None:
    from tests.fakes.bcb import PtaxDay

    tiny = {"USD": (PtaxDay(date(2025, 8, 28), Decimal("5.0994"), Decimal("5.1000")),
                    PtaxDay(date(2025, 8, 29), Decimal("5.1994"), Decimal("5.2000")))}
    with FakeBcb(tiny) as bcb, FakeEcb({}) as ecb:
        here = RateSourceSettings(bcb_base_url=bcb.base_url, ecb_base_url=ecb.base_url,
                                  retry=RetryPolicy(attempts=1, wait_initial=0, wait_max=0, jitter=0))
        policy = RatePolicy(presentation_currency="USD")
        with RateService.from_settings(here, policy) as service:
            closing, average = service.fetch_rates(
                closing_and_average_needs("2025-08", ["BRL"], "USD")).rates
    assert closing.rate == Decimal("0.1923076923")  # 1 / 5.2000
    assert average.rate == Decimal("0.1941747573")  # 1 / 5.1500
