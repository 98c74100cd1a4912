"""The real BCB and ECB clients against the fakes: formats, quirks, retries, breaker."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from close.errors import PermanentError
from close.rates.bcb import BcbPtaxSource
from close.rates.ecb import EcbSource
from close.rates.errors import RateSourceUnavailable
from close.rates.model import Series
from close.rates.settings import RateSourceSettings
from close.rates.transport import QuoteHttp
from tests.fakes.bcb import DEFAULT_PTAX, DUPLICATED_DAY, FakeBcb
from tests.fakes.ecb import DEFAULT_ECB, FakeEcb

USD, EUR_BRL = Series("USD", "BRL"), Series("EUR", "BRL")
ECB_USD, ECB_GBP = Series("EUR", "USD"), Series("EUR", "GBP")


def _no_sleep(_seconds: float) -> None:
    """Skip waits between attempts."""


def bcb_source(settings: RateSourceSettings, side: str = "venda") -> BcbPtaxSource:
    http = QuoteHttp("bcb_ptax", settings.bcb_base_url, settings, sleep=_no_sleep)
    return BcbPtaxSource(http, side=side)  # type: ignore[arg-type]


def ecb_source(settings: RateSourceSettings, fmt: str = "csvdata") -> EcbSource:
    return EcbSource(QuoteHttp("ecb", settings.ecb_base_url, settings, sleep=_no_sleep), fmt)  # type: ignore[arg-type]


def test_ptax_usd_one_closing_per_business_day_with_trailing_zeros_and_dedupe(
        bcb: FakeBcb, settings: RateSourceSettings) -> None:
    found = bcb_source(settings).quotations([USD], date(2025, 8, 1), date(2025, 8, 31))[USD]
    seeded = [p for p in DEFAULT_PTAX["USD"] if p.day.month == 8 and p.day.year == 2025]
    assert [q.day for q in found] == [p.day for p in seeded]  # duplicate of the 14th collapsed
    assert [q.value for q in found] == [p.venda for p in seeded]
    fourteenth = next(q for q in found if q.day == DUPLICATED_DAY)
    assert dict(fourteenth.fields)["dataHoraCotacao"].endswith("488")  # the later publication
    assert dict(found[0].fields)["cotacaoVenda"].endswith("0")  # published text kept: 5 places
    assert bcb.request_count == 1


def test_ptax_compra_side(bcb: FakeBcb, settings: RateSourceSettings) -> None:
    found = bcb_source(settings, "compra").quotations([USD], date(2024, 3, 28), date(2024, 3, 28))[USD]
    assert [q.value for q in found] == [p.compra for p in DEFAULT_PTAX["USD"] if p.day == date(2024, 3, 28)]


def test_ptax_other_currency_keeps_only_the_fechamento_bulletin(
        bcb: FakeBcb, settings: RateSourceSettings) -> None:
    found = bcb_source(settings).quotations([EUR_BRL], date(2024, 3, 25), date(2024, 3, 31))[EUR_BRL]
    seeded = {p.day: p.venda for p in DEFAULT_PTAX["EUR"]}
    assert [q.day for q in found] == [date(2024, 3, d) for d in (25, 26, 27, 28)]  # 29th Good Friday
    assert all(q.value == seeded[q.day] for q in found)
    assert all(dict(q.fields)["tipoBoletim"] == "Fechamento" for q in found)
    assert bcb.requests[0].query["$filter"] == ["tipoBoletim eq 'Fechamento'"]
    assert bcb.requests[0].query["@dataInicial"] == ["'03-25-2024'"]  # Olinda's quoted MM-DD-YYYY


def test_ptax_weekend_only_range_is_empty(settings: RateSourceSettings) -> None:
    found = bcb_source(settings).quotations([USD], date(2025, 8, 30), date(2025, 8, 31))
    assert found == {USD: ()}


@pytest.mark.parametrize("fmt", ["csvdata", "jsondata"])
def test_ecb_both_formats_one_request_for_all_currencies(
        ecb: FakeEcb, settings: RateSourceSettings, fmt: str) -> None:
    found = ecb_source(settings, fmt).quotations([ECB_USD, ECB_GBP], date(2024, 3, 1), date(2024, 3, 31))
    assert ecb.request_count == 1
    assert ecb.requests[0].path.endswith("/data/EXR/D.GBP+USD.EUR.SP00.A")
    usd = {d: v for d, v in DEFAULT_ECB["USD"].items() if d.year == 2024 and d.month == 3}
    assert {q.day: q.value for q in found[ECB_USD]} == usd
    gbp_days = [q.day for q in found[ECB_GBP]]
    assert date(2024, 3, 15) not in gbp_days  # empty OBS_VALUE (status H) is missing data
    assert date(2024, 3, 29) not in gbp_days  # Good Friday: TARGET holiday
    assert str(found[ECB_GBP][0].value) == str(DEFAULT_ECB["GBP"][found[ECB_GBP][0].day])


def test_ecb_404_for_an_empty_range_is_no_data(settings: RateSourceSettings) -> None:
    found = ecb_source(settings).quotations([ECB_USD], date(2024, 3, 30), date(2024, 3, 31))
    assert found == {ECB_USD: ()}


def test_ecb_throttle_html_400_is_retried(ecb: FakeEcb, settings: RateSourceSettings) -> None:
    ecb.throttle_next(2)
    found = ecb_source(settings).quotations([ECB_USD], date(2024, 3, 28), date(2024, 3, 28))
    assert [q.value for q in found[ECB_USD]] == [DEFAULT_ECB["USD"][date(2024, 3, 28)]]
    assert ecb.request_count == 3


def test_an_unreadable_200_body_is_retried(bcb: FakeBcb, settings: RateSourceSettings) -> None:
    bcb.fail_next(1, 200, b'/*{ "codigo": 500, "mensagem": "Erro interno" }*/',
                  headers={"Content-Type": "text/plain"})
    found = bcb_source(settings).quotations([USD], date(2025, 8, 29), date(2025, 8, 29))
    assert len(found[USD]) == 1
    assert bcb.request_count == 2


def test_5xx_is_retried_then_succeeds(bcb: FakeBcb, settings: RateSourceSettings) -> None:
    bcb.fail_next(2, 502)
    found = bcb_source(settings).quotations([USD], date(2025, 8, 29), date(2025, 8, 29))
    assert len(found[USD]) == 1
    assert bcb.request_count == 3


def test_source_down_after_retries_names_source_currency_and_status(
        bcb: FakeBcb, settings: RateSourceSettings) -> None:
    bcb.fail_always(503)
    with pytest.raises(RateSourceUnavailable, match=r"bcb_ptax unavailable for USD: HTTP 503") as info:
        bcb_source(settings).quotations([USD], date(2025, 8, 1), date(2025, 8, 31))
    assert info.value.attempts == 3
    assert info.value.status == 503
    assert "?" not in info.value.url
    assert bcb.request_count == 3


@pytest.mark.parametrize(("status", "content_type", "expected"), [
    (500, "text/plain", RateSourceUnavailable),
    (502, "text/plain", RateSourceUnavailable),
    (503, "text/plain", RateSourceUnavailable),
    (504, "text/plain", RateSourceUnavailable),
    (429, "text/plain", RateSourceUnavailable),
    (400, "text/html", RateSourceUnavailable),
    (400, "text/plain", PermanentError),
    (401, "application/json", PermanentError),
    (406, "text/plain", PermanentError),
], ids=["500", "502", "503", "504", "429", "400-html-throttle", "400", "401", "406"])
def test_ecb_failure_table(ecb: FakeEcb, settings: RateSourceSettings, status: int,
                           content_type: str, expected: type[Exception]) -> None:
    ecb.fail_always(status, "error", content_type)
    with pytest.raises(expected):
        ecb_source(settings).quotations([ECB_USD], date(2024, 3, 1), date(2024, 3, 31))
    assert ecb.request_count == (settings.retry.attempts if expected is RateSourceUnavailable else 1)


def test_open_breaker_refuses_without_a_request(bcb: FakeBcb, settings: RateSourceSettings) -> None:
    retry = dataclasses.replace(settings.retry, breaker_fail_max=2, breaker_reset_timeout=60)
    source = bcb_source(dataclasses.replace(settings, retry=retry))
    bcb.fail_always(502)
    with pytest.raises(RateSourceUnavailable):
        source.quotations([USD], date(2025, 8, 1), date(2025, 8, 31))
    assert bcb.request_count == 2  # the breaker opened on the second failure: no third attempt
    bcb.reset()  # the source is back, but the breaker stays open for its reset timeout
    with pytest.raises(RateSourceUnavailable, match="circuit breaker open"):
        source.quotations([USD], date(2025, 8, 1), date(2025, 8, 31))
    assert bcb.request_count == 0


def test_ptax_request_encodes_spaces_as_percent_20(bcb: FakeBcb, settings: RateSourceSettings) -> None:
    """OData reads ``+`` as a literal plus (RFC 3986; OData v4 URL conventions §2): spaces go as %20.

    Fails on the code before issue 18, which let httpx send ``tipoBoletim+eq+'Fechamento'``.
    """
    found = bcb_source(settings).quotations([EUR_BRL], date(2024, 3, 25), date(2024, 3, 28))[EUR_BRL]
    assert len(found) == 4
    raw = bcb.requests[0].raw_query
    assert "$filter=tipoBoletim%20eq%20'Fechamento'" in raw
    assert "+" not in raw


def test_fake_olinda_refuses_a_plus_in_the_query(bcb: FakeBcb) -> None:
    import httpx
    url = (bcb.base_url + "CotacaoMoedaPeriodo(moeda=@moeda,dataInicial=@dataInicial,"
           "dataFinalCotacao=@dataFinalCotacao)?@moeda='EUR'&@dataInicial='03-25-2024'"
           "&@dataFinalCotacao='03-28-2024'&$format=json&$filter=tipoBoletim+eq+'Fechamento'")
    assert httpx.get(url).status_code == 400


def test_fake_olinda_day_has_abertura_three_intermediarios_and_their_mean(bcb: FakeBcb) -> None:
    """Circular 3.506 (via apis.md 5.1): four consultations, PTAX = their simple average."""
    import json
    from decimal import Decimal

    import httpx
    url = (bcb.base_url + "CotacaoMoedaPeriodo(moeda=@moeda,dataInicial=@dataInicial,"
           "dataFinalCotacao=@dataFinalCotacao)?@moeda='EUR'&@dataInicial='03-25-2024'"
           "&@dataFinalCotacao='03-25-2024'&$format=json")
    rows = json.loads(httpx.get(url).text, parse_float=Decimal)["value"]
    kinds = [r["tipoBoletim"] for r in rows]
    assert kinds == ["Abertura", "Intermediário", "Intermediário", "Intermediário", "Fechamento"]
    consultations = [r["cotacaoVenda"] for r in rows[:4]]
    assert sum(consultations) / 4 == rows[4]["cotacaoVenda"]
