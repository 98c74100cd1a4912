"""The budget and forecast files: monthly movements by standard account, in the budget currency.

Columns ``period,entity,account,amount``; ``amount`` in trial-balance sign (debit positive, revenue
negative), the month's movement; a blank ``entity`` is the consolidated budget. The forecast
(``[files] forecast``) has the same columns, consolidated rows only: the latest view of the
fiscal year's remaining months, which the board package's full-year outlook uses instead of the
budget for the months it covers.
"""

from __future__ import annotations

import pandas as pd

from close.engine.csv_records import csv_records, money_cell, require_columns
from close.engine.periods import parse_period
from close.engine.types import Currency, Period
from close.errors import InputDataError

BUDGET_COLUMNS: tuple[str, ...] = ("period", "entity", "account", "amount")


def parse_budget(data: bytes, *, period: Period | None, currency: Currency,
                 source: str = "budget", consolidated_only: bool = True) -> pd.DataFrame:
    """Parse the budget, optionally one period and only the consolidated rows.

    Returns:
        ``period, entity, std_account, amount`` (int64 minor units of ``currency``).

    Raises:
        InputDataError: naming the file, row and column of a bad value.

    """
    header, records = csv_records(data, source=source)
    require_columns(header, BUDGET_COLUMNS, source=source)
    rows = []
    for number, row in records:
        p, entity = row["period"].strip(), row["entity"].strip()
        if (period and p != period) or (consolidated_only and entity):
            continue
        amount = money_cell(row["amount"], currency, source=source, row=number, column="amount")
        rows.append((p, entity, row["account"].strip(), amount))
    frame = pd.DataFrame(rows, columns=["period", "entity", "std_account", "amount"])
    frame["amount"] = frame["amount"].astype("int64")
    return frame.groupby(["period", "entity", "std_account"], as_index=False)["amount"].sum()


def parse_forecast(data: bytes, *, currency: Currency, source: str = "forecast") -> pd.DataFrame:
    """Parse the forecast: the budget's columns, consolidated rows (blank entity) only.

    Returns:
        ``period, std_account, amount`` (int64 minor units of ``currency``), summed by period
        and account.

    Raises:
        InputDataError: naming the file, row and column of a period that is not ``YYYY-MM``, a
            row naming an entity (entities' plans belong in the budget) or a bad amount.

    """
    header, records = csv_records(data, source=source)
    require_columns(header, BUDGET_COLUMNS, source=source)
    rows = []
    for number, row in records:
        period, entity = row["period"].strip(), row["entity"].strip()
        try:
            parse_period(period)
        except ValueError:
            raise InputDataError(f"expected a period YYYY-MM, got {period!r}", file=source, row=number,
                                 column="period") from None
        if entity:
            raise InputDataError(f"the forecast is consolidated: leave entity blank, got {entity!r} "
                                 "(entities' own plans go in the budget file)", file=source, row=number,
                                 column="entity")
        amount = money_cell(row["amount"], currency, source=source, row=number, column="amount")
        rows.append((period, row["account"].strip(), amount))
    frame = pd.DataFrame(rows, columns=["period", "std_account", "amount"])
    frame["amount"] = frame["amount"].astype("int64")
    return frame.groupby(["period", "std_account"], as_index=False)["amount"].sum()
