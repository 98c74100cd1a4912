"""The budget file: monthly movements by standard account, in the budget currency.

Columns ``period,entity,account,amount``; ``amount`` in trial-balance sign (debit positive, revenue
negative), the month's movement; a blank ``entity`` is the consolidated budget.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from close.errors import InputDataError
from close.money import D, to_minor
from close.types import Currency, Period

BUDGET_COLUMNS: tuple[str, ...] = ("period", "entity", "account", "amount")


def parse_budget(data: bytes, *, period: Period | None, currency: Currency,
                 source: str = "budget", consolidated_only: bool = True) -> pd.DataFrame:
    """Parse the budget, optionally one period and only the consolidated rows.

    Returns:
        ``period, entity, std_account, amount`` (int64 minor units of ``currency``).

    Raises:
        InputDataError: naming the file, row and column of a bad value.

    """
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    reader.fieldnames = [h.strip() for h in reader.fieldnames or ()]
    for column in BUDGET_COLUMNS:
        if column not in reader.fieldnames:
            raise InputDataError("missing column", file=source, row=1, column=column)
    rows = []
    for number, row in enumerate(reader, start=2):
        p, entity = row["period"].strip(), (row["entity"] or "").strip()
        if (period and p != period) or (consolidated_only and entity):
            continue
        try:
            amount = to_minor(D(row["amount"].strip()), currency)
        except (ValueError, AttributeError):
            raise InputDataError(f"not a number: {row['amount']!r}", file=source, row=number,
                                 column="amount") from None
        rows.append((p, entity, row["account"].strip(), amount))
    frame = pd.DataFrame(rows, columns=["period", "entity", "std_account", "amount"])
    frame["amount"] = frame["amount"].astype("int64")
    return frame.groupby(["period", "entity", "std_account"], as_index=False)["amount"].sum()
