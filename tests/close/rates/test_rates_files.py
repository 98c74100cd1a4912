"""The rates CSV: figures, overrides, historical rows, and errors that name file, row and column."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from close.errors import InputDataError
from close.rates.files import parse_rates_file

AT = datetime(2025, 9, 1, tzinfo=UTC)


def parse(text: str) -> tuple:
    return parse_rates_file(text, name="rates.csv", presentation_currency="USD", retrieved_at=AT)


def test_the_configs_short_form_gives_closing_and_average() -> None:
    closing, average = parse("period,currency,closing,average\n2025-08,ARS,0.00074,0.000765\n")
    assert (closing.rate_type, closing.rate, closing.source, closing.is_override) == (
        "closing", Decimal("0.0007400000"), "file", False)
    assert (average.rate_type, average.rate) == ("average", Decimal("0.0007650000"))
    assert closing.quote_direction == "USD per ARS"
    assert closing.method == "from rates file rates.csv row 2"
    assert dict(closing.raw[0])["file"] == "rates.csv" and dict(closing.raw[0])["row"] == "2"


def test_overrides_historical_rows_and_optional_columns() -> None:
    text = ("\ufeffperiod,currency,closing,historical,presentation_currency,override,as_of,note,"
            "rate_date,entity,account\n"
            "2025-08,brl,0.1840,,usd,YES,2025-08-29,board rate,,,\n"
            "2025-08,BRL,,0.2010,EUR,no,,,2021-03-31,br01,3101\n\n")
    override, historical = parse(text)
    assert (override.source, override.is_override, override.as_of) == ("override", True, date(2025, 8, 29))
    assert override.method == "override from rates file rates.csv row 2 (board rate)"
    assert (historical.presentation_currency, historical.rate_type) == ("EUR", "historical")
    assert (historical.entity_id, historical.account, historical.rate_date) == (
        "br01", "3101", date(2021, 3, 31))


@pytest.mark.parametrize(("text", "row", "column"), [
    ("currency,closing\nBRL,0.18\n", 1, "period"),
    ("period,currency\n2025-08,BRL\n", 1, "closing|average|historical"),
    ("period,currency,closing\n2025-8,BRL,0.18\n", 2, "period"),
    ("period,currency,closing\n2025-08,REAL,0.18\n", 2, "currency"),
    ("period,currency,closing\n2025-08,BRL,\"0,18\"\n", 2, "closing"),
    ("period,currency,closing\n2025-08,BRL,-0.18\n", 2, "closing"),
    ("period,currency,closing,override\n2025-08,BRL,0.18,maybe\n", 2, "override"),
    ("period,currency,closing,as_of\n2025-08,BRL,0.18,29/08/2025\n", 2, "as_of"),
    ("period,currency,historical\n2025-08,BRL,0.18\n", 2, "rate_date"),
    ("period,currency,closing\n2025-08,BRL,0.18\n2025-08,BRL,0.19\n", 3, "closing"),
], ids=["no-period", "no-rate-column", "bad-period", "bad-currency", "decimal-comma", "negative",
        "bad-override", "bad-date", "historical-without-date", "duplicate"])
def test_errors_name_file_row_and_column(text: str, row: int, column: str) -> None:
    with pytest.raises(InputDataError) as info:
        parse(text)
    assert (info.value.file, info.value.row, info.value.column) == ("rates.csv", row, column)
    assert str(info.value).startswith(f"file rates.csv, row {row}, column {column!r}: ")
