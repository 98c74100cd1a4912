"""Rates in PostgreSQL: fetched once and reused, all-or-nothing writes, overrides, ``rates show``.

Runs the real service against the fakes and the real database (``db`` fixture of
tests/conftest.py: a tenant of its own per test).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from close.rates.errors import RateSourceUnavailable
from close.rates.files import parse_rates_file
from close.rates.model import FxRate, RateNeed
from close.rates.service import RateService, closing_and_average_needs
from close.rates.store import fetch_and_store_rates, rates_table_rows
from close.storage import Database
from close.storage.rates import load_rates
from tests.fakes.bcb import FakeBcb
from tests.fakes.ecb import FakeEcb

NEEDS = (*closing_and_average_needs("2025-08", ["BRL", "EUR", "USD"], "USD"),
         RateNeed("2025-08", "BRL", "USD", "historical", "br01", None, date(2024, 3, 31)))


def _file(text: str) -> tuple[FxRate, ...]:
    return parse_rates_file(text, name="rates.csv", presentation_currency="USD",
                            retrieved_at=datetime(2025, 9, 1, tzinfo=UTC))


def _count(db: Database) -> int:
    with db.tx() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM fx_rates")).scalar_one()


def test_second_fetch_for_the_period_makes_no_request(
        db: Database, service: RateService, bcb: FakeBcb, ecb: FakeEcb) -> None:
    first = fetch_and_store_rates(db, "2025-08", NEEDS, service)
    # One PTAX request for July+August, one for the March 2024 historical window; one ECB request.
    assert (bcb.request_count, ecb.request_count) == (2, 1)
    assert len(first.rates) == 5 and len(first.prior) == 4
    assert _count(db) == 9

    second = fetch_and_store_rates(db, "2025-08", NEEDS, service)
    assert (bcb.request_count, ecb.request_count) == (2, 1)
    assert second.fetched == ()
    assert second.rates == first.rates  # every field, raw quotations included, survives the round trip


def test_refresh_fetches_the_period_again(db: Database, service: RateService, bcb: FakeBcb) -> None:
    fetch_and_store_rates(db, "2025-08", NEEDS[:2], service)
    seen = bcb.request_count
    again = fetch_and_store_rates(db, "2025-08", NEEDS[:2], service, refresh=True)
    assert bcb.request_count == seen + 1
    assert len(again.fetched) == 2 and _count(db) == 4


def test_source_down_writes_nothing_and_names_source_and_currency(
        db: Database, service: RateService, bcb: FakeBcb, ecb: FakeEcb) -> None:
    ecb.fail_always(503)
    with pytest.raises(RateSourceUnavailable, match=r"ecb unavailable for EUR: HTTP 503"):
        fetch_and_store_rates(db, "2025-08", NEEDS, service)
    assert ecb.request_count == 3  # retried, then gave up
    assert bcb.request_count == 2  # PTAX answered, yet its BRL rates were not half-written
    assert _count(db) == 0


def test_source_down_falls_back_to_the_file_and_the_record_says_so(
        db: Database, service: RateService, bcb: FakeBcb) -> None:
    bcb.fail_always(502)
    rates_file = _file("period,currency,closing,average\n2025-08,BRL,0.1830,0.1810\n")
    result = fetch_and_store_rates(db, "2025-08", NEEDS[:4], service, file_rates=rates_file)
    brl = {r.rate_type: r for r in result.rates if r.currency == "BRL"}
    assert brl["closing"].source == "file" and "used because bcb_ptax failed" in brl["closing"].method
    assert len(result.fallbacks) == 2
    assert any("2025-07 closing BRL->USD" in s for s in result.skipped)  # prior month: no comparison
    rows = {(r["currency"], r["rate_type"]): r for r in rates_table_rows(db, "2025-08")}
    assert rows["BRL", "closing"]["source"] == "file"
    assert rows["EUR", "closing"]["source"] == "ecb"


def test_override_wins_without_a_request_and_is_marked(
        db: Database, service: RateService, bcb: FakeBcb) -> None:
    fetch_and_store_rates(db, "2025-08", NEEDS[:2], service)
    seen = bcb.request_count
    override = _file("period,currency,closing,override,note\n2025-08,BRL,0.1900,yes,CFO\n")
    result = fetch_and_store_rates(db, "2025-08", NEEDS[:2], service, file_rates=override)
    assert bcb.request_count == seen
    assert [n.rate_type for n in result.fetched] == ["closing"]
    closing = next(r for r in result.rates if r.rate_type == "closing")
    assert (closing.rate, closing.source, closing.is_override) == (Decimal("0.1900000000"), "override", True)
    again = fetch_and_store_rates(db, "2025-08", NEEDS[:2], service, file_rates=override)
    assert again.fetched == ()
    rows = rates_table_rows(db, "2025-08")
    assert [(r["rate_type"], r["override"]) for r in rows] == [("average", ""), ("closing", "yes")]
    assert _count(db) == 4  # replaced in place, not duplicated


def test_a_big_move_since_the_prior_month_is_a_finding(db: Database, service: RateService) -> None:
    prior = _file("period,currency,closing,average,override\n2025-07,BRL,0.2500,0.2500,yes\n")
    result = fetch_and_store_rates(db, "2025-08", NEEDS[:2], service, file_rates=prior)
    assert {f.rate_type for f in result.findings} == {"closing", "average"}
    finding = result.findings[0]
    assert finding.expected == Decimal("0.2500000000")
    assert finding.code == "fx_rate_moved" and "since 2025-07" in finding.message


def test_rates_show_rows_carry_source_and_method(db: Database, service: RateService) -> None:
    fetch_and_store_rates(db, "2025-08", NEEDS, service)
    rows = rates_table_rows(db, "2025-08")
    assert [(r["currency"], r["rate_type"]) for r in rows] == [
        ("BRL", "average"), ("BRL", "closing"), ("BRL", "historical"), ("EUR", "average"),
        ("EUR", "closing")]
    closing = rows[1]
    assert closing["source"] == "bcb_ptax"
    assert "last business day 2025-08-29 (30th was Saturday, 31st was Sunday)" in closing["method"]
    assert closing["as_of"] == "2025-08-29"
    assert closing["quote_direction"] == "BRL per USD"
    assert rows[2]["rate_date"] == "2024-03-31" and rows[2]["entity"] == "br01"
    assert rows[2]["as_of"] == "2024-03-28"
    assert all(r["method"] and r["source"] and r["retrieved_at"] for r in rows)
    with db.tx() as conn:
        (stored,) = [r for r in load_rates(conn, ["2025-08"])
                     if r.rate_type == "closing" and r.currency == "BRL"]
    assert dict(stored.raw[0])["cotacaoVenda"].endswith("0")  # the quotation exactly as received


def test_group_needs_closing_average_and_acquisition_date_rates() -> None:
    from close.config import Acquisition, EntityConfig, GroupConfig
    from close.rates.store import group_rate_needs

    def entity(eid: str, currency: str, acquired: date | None = None) -> EntityConfig:
        acquisition = Acquisition(acquired, Decimal(1), None) if acquired else None
        return EntityConfig(eid, eid, currency, "file", {}, parent=None if eid == "hold" else "hold",
                            acquisition=acquisition)

    config = GroupConfig("g", "G", "USD", (entity("hold", "USD"), entity("br01", "BRL", date(2021, 3, 31)),
                                           entity("br02", "BRL"), entity("de01", "EUR")))
    needs = group_rate_needs(config, "2025-08")
    assert [(n.currency, n.rate_type) for n in needs] == [
        ("BRL", "closing"), ("BRL", "average"), ("EUR", "closing"), ("EUR", "average"), ("BRL", "historical")]
    assert (needs[-1].entity_id, needs[-1].rate_date) == ("br01", date(2021, 3, 31))
