"""The opening-balances file: where the first period's translated history comes from.

Before a group's first run there is no prior run to carry translated equity, income-statement
YTD and CTA from, so the controller states them once::

    entity,account,counterparty,translated_closing,historical_rate
    BR1,3000,,-1850000.00,0.1850000000
    BR1,3100,,-412345.67,
    BR1,3300,,98765.43,
    BR1,5150,BR3,86027.96,

``account`` is a standard-chart code; ``counterparty`` (optional column) the group entity of an
intercompany line, since translated history is carried per (entity, account, counterparty), or
``#ppa`` / ``#ppa:<intangible>`` for the purchase-price allocation pushed down into an acquiree's
books (its own retained earnings, CTA and amortization history); ``translated_closing`` the
presentation-currency closing of the month before the first period (TB sign: credit negative);
``historical_rate`` (presentation units per functional unit), where given, translates that account
at that rate in every period (share capital at its contribution or acquisition rate).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from close.engine.chart import Chart
from close.engine.csv_records import csv_records, money_cell, number_cell, require_columns
from close.engine.fx import PPA_BOOK, OpeningBalances
from close.engine.types import AccountCode, Currency, EntityId
from close.errors import InputDataError

OPENING_COLUMNS: tuple[str, ...] = (
    "entity", "account", "counterparty", "translated_closing", "historical_rate")
_REQUIRED: tuple[str, ...] = ("entity", "account", "translated_closing")
# A historical rate is stored as NUMERIC(20,10): at most 10 digits before the point.
_MAX_RATE_DIGITS = 9


def parse_opening_balances(data: bytes, *, source: str, chart: Chart, entities: frozenset[EntityId],
                           presentation_currency: Currency) -> OpeningBalances:
    """Parse the opening-balances file.

    Raises:
        InputDataError: naming the file, row and column of a bad value, an unknown entity or account.

    """
    header, records = csv_records(data, source=source)
    require_columns(header, _REQUIRED, source=source)
    rows: list[tuple[EntityId, AccountCode, str, int]] = []
    rates: dict[tuple[EntityId, AccountCode], Decimal] = {}
    for number, row in records:
        entity, account = (row.get("entity") or "").strip(), (row.get("account") or "").strip()
        counterparty = (row.get("counterparty") or "").strip()
        if counterparty and counterparty not in entities and not counterparty.startswith(PPA_BOOK):
            raise InputDataError(f"unknown counterparty {counterparty!r} (expected a group entity or a "
                                 f"{PPA_BOOK} book)", file=source, row=number, column="counterparty")
        if entity not in entities:
            raise InputDataError(f"unknown entity {entity!r}", file=source, row=number, column="entity")
        if not chart.has(account):
            raise InputDataError(f"account {account!r} is not in the chart of accounts", file=source,
                                 row=number, column="account")
        for column in ("translated_closing", "historical_rate"):
            text = (row.get(column) or "").strip()
            if not text:
                continue
            if column == "translated_closing":
                rows.append((entity, account, counterparty,
                             money_cell(text, presentation_currency, source=source, row=number,
                                        column=column)))
                continue
            value = number_cell(text, source=source, row=number, column=column)
            if value <= 0:
                raise InputDataError(f"a rate must be positive, got {text}", file=source, row=number,
                                     column=column)
            if value.adjusted() > _MAX_RATE_DIGITS:
                raise InputDataError(f"got {text}, expected a rate below 10,000,000,000", file=source,
                                     row=number, column=column)
            rates[(entity, account)] = value
    translated = pd.DataFrame(rows, columns=["entity", "std_account", "counterparty", "translated"])
    translated["translated"] = translated["translated"].astype("int64")
    return OpeningBalances(translated=translated, historical_rates=rates)
