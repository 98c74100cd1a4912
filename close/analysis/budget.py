"""The budget file: monthly movements by standard account, in the budget currency.

Columns ``period,entity,account,amount``; ``amount`` in trial-balance sign (debit positive, revenue
negative), the month's movement; a blank ``entity`` is the consolidated budget.
"""

from __future__ import annotations

import pandas as pd

from close.engine.csv_records import csv_records, money_cell, require_columns
from close.engine.types import Currency, Period

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
