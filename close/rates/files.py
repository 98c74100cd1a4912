"""Rates files (CSV): rates for currencies no source quotes, fallbacks, and overrides.

One row per period and currency; figures are **presentation-currency units per one
functional-currency unit** (what is stored), with ``.`` as the decimal point::

    period,currency,closing,average,presentation_currency,override,as_of,note
    2025-08,ARS,0.0007401,0.0007655,USD,,2025-08-29,Banco Nacion close
    2025-08,BRL,0.1840000,,USD,yes,,board-approved rate

Required columns: ``period``, ``currency`` and at least one of ``closing``, ``average``,
``historical``. Optional: ``presentation_currency`` (default: the group's), ``override``
(``yes``/``true``/``1``: the row wins over every source and is stored with source ``override``),
``as_of`` (the quotation date of a closing or historical figure), ``note`` (kept in the method),
and for ``historical`` rows ``rate_date`` (required) with ``entity`` and ``account``.
Rows that are not overrides are used for pairs routed to the file and as the fallback when a
source is down.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from close.engine.csv_records import csv_records, number_cell, require_columns
from close.engine.periods import PERIOD_PATTERN
from close.engine.types import Currency, RateType
from close.errors import InputDataError
from close.rates.model import FxRate, RateNeed, quantize_rate, raw_record

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE, _FALSE = {"yes", "true", "1", "y"}, {"", "no", "false", "0", "n"}
_RATE_COLUMNS: tuple[RateType, ...] = ("closing", "average", "historical")
# Rates are stored as NUMERIC(20,10): at most 10 digits before the point.
_RATE_DIGITS = 10


def _date(text: str, *, name: str, row: int, column: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputDataError(f"got {text!r}, expected a date YYYY-MM-DD", file=name, row=row,
                             column=column) from None


def parse_rates_file(text: str | bytes, *, name: str, presentation_currency: Currency,
                     retrieved_at: datetime) -> tuple[FxRate, ...]:
    """Parse a rates CSV into rates (source ``file``, or ``override`` for override rows).

    Args:
        text: the CSV text or its UTF-8 bytes (header row first).
        name: the file name, for messages and provenance.
        presentation_currency: the group's, for rows that leave ``presentation_currency`` empty.
        retrieved_at: when the file was read (its snapshot time).

    Returns:
        One rate per non-empty rate cell.

    Raises:
        InputDataError: naming file, row and column, for a bad value or a duplicate rate.

    """
    header, records = csv_records(text, source=name)
    require_columns(header, ("period", "currency"), source=name)
    if not any(c in header for c in _RATE_COLUMNS):
        raise InputDataError("no rate column", file=name, row=1, column="closing|average|historical")
    rates: list[FxRate] = []
    seen: dict[RateNeed, int] = {}
    for row_number, raw_row in records:
        row = {k: v.strip() for k, v in raw_row.items() if k}
        if not any(row.values()):
            continue
        period, currency = row["period"], row["currency"].upper()
        presentation = (row.get("presentation_currency") or presentation_currency).upper()
        if not PERIOD_PATTERN.match(period):
            raise InputDataError(f"got {period!r}, expected YYYY-MM", file=name, row=row_number,
                                 column="period")
        for column, value in (("currency", currency), ("presentation_currency", presentation)):
            if not _CURRENCY.match(value):
                raise InputDataError(f"got {value!r}, expected an ISO 4217 code", file=name,
                                     row=row_number, column=column)
        flag = row.get("override", "").lower()
        if flag not in _TRUE | _FALSE:
            raise InputDataError(f"got {flag!r}, expected yes or no", file=name, row=row_number,
                                 column="override")
        is_override = flag in _TRUE
        as_of = _date(row.get("as_of", ""), name=name, row=row_number, column="as_of")
        rate_date = _date(row.get("rate_date", ""), name=name, row=row_number, column="rate_date")
        for rate_type in _RATE_COLUMNS:
            cell = row.get(rate_type, "")
            if not cell:
                continue
            rate = number_cell(cell, source=name, row=row_number, column=rate_type)
            if rate <= 0 or rate.adjusted() >= _RATE_DIGITS:
                raise InputDataError(f"got {cell}, expected a positive rate below 10,000,000,000",
                                     file=name, row=row_number, column=rate_type)
            historical = rate_type == "historical"
            if historical and rate_date is None:
                raise InputDataError("a historical rate needs its rate_date", file=name,
                                     row=row_number, column="rate_date")
            need = RateNeed(period, currency, presentation, rate_type,
                            row.get("entity") or None if historical else None,
                            row.get("account") or None if historical else None,
                            rate_date if historical else None)
            if need in seen:
                raise InputDataError(f"{need.describe()} already given on row {seen[need]}",
                                     file=name, row=row_number, column=rate_type)
            seen[need] = row_number
            note = f" ({row['note']})" if row.get("note") else ""
            rates.append(FxRate(
                period=period, currency=currency, presentation_currency=presentation,
                rate_type=rate_type, rate=quantize_rate(rate), quoted=quantize_rate(rate),
                quote_direction=f"{presentation} per {currency}",
                source="override" if is_override else "file",
                method=f"{'override from' if is_override else 'from'} rates file {name} row "
                       f"{row_number}{note}",
                as_of=None if rate_type == "average" else as_of,
                path=f"{currency}->{presentation} from rates file {name}",
                is_override=is_override,
                raw=(raw_record({**row, "file": name, "row": str(row_number)}),),
                retrieved_at=retrieved_at, entity_id=need.entity_id, account=need.account,
                rate_date=need.rate_date,
            ))
    return tuple(rates)
