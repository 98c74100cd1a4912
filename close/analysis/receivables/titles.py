"""The receivables file: one open customer title a row, as of the period end.

Columns ``entity,customer,document,issue_date,due_date,open_amount,currency`` (ISO dates,
``open_amount`` a plain decimal in the title's currency, which must be the entity's functional
currency); optional ``language`` (``pt-BR`` | ``en``, for the collection drafts; default the
group's locale), ``email``, and ``period`` (``YYYY-MM``: the file then holds the open titles at
several month ends and a run reads only its period's rows). A document appears once per entity
and period.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

from close.analysis.receivables.aging import TITLE_COLUMNS
from close.engine.csvrows import csv_rows
from close.engine.money import D, to_minor
from close.engine.types import Currency, EntityId
from close.errors import InputDataError

LANGUAGES = ("pt-BR", "en")
OPTIONAL_COLUMNS = ("language", "email")


def parse_titles(data: bytes, *, currencies: Mapping[EntityId, Currency], default_language: str,
                 source: str = "receivables", period: str | None = None) -> pd.DataFrame:
    """Parse the receivables file into ``TITLE_COLUMNS`` + language, email.

    Args:
        data: the file's bytes (UTF-8, a BOM allowed).
        currencies: each entity of the group and its functional currency.
        default_language: the language of titles without one (``pt-BR`` or ``en``).
        source: the file name, for messages.
        period: keep only the rows of this period when the file has a ``period`` column.

    Returns:
        The titles; ``open_amount`` int64 minor units, dates as ``datetime.date``.

    Raises:
        InputDataError: naming the file, row and column of the first bad value.

    """
    rows, seen = [], set()
    for number, row in csv_rows(data, TITLE_COLUMNS, source=source, period=period):

        def bad(column: str, expected: str, row: dict[str, str] = row,
                number: int = number) -> InputDataError:
            return InputDataError(f"got {row.get(column, '')!r}, expected {expected}", file=source,
                                  row=number, column=column)

        entity = row["entity"]
        if entity not in currencies:
            raise bad("entity", "an entity of the group")
        if row["currency"] != currencies[entity]:
            raise bad("currency", f"{currencies[entity]}, the functional currency of {entity}")
        for column in ("customer", "document"):
            if not row[column]:
                raise bad(column, "a value")
        if (entity, row["document"]) in seen:
            raise bad("document", "a document listed once per entity")
        seen.add((entity, row["document"]))
        issued, due = _date(row, "issue_date", bad), _date(row, "due_date", bad)
        if due < issued:
            raise bad("due_date", f"a date on or after the issue date {issued.isoformat()}")
        try:
            amount = to_minor(D(row["open_amount"]), row["currency"])
        except ValueError:
            raise bad("open_amount", "a number such as 1234.56") from None
        if amount <= 0:
            raise bad("open_amount", "a positive open amount")
        language = row.get("language") or default_language
        if language not in LANGUAGES:
            raise bad("language", " | ".join(LANGUAGES))
        rows.append((entity, row["customer"], row["document"], issued, due, amount, row["currency"],
                     language, row.get("email", "")))
    frame = pd.DataFrame(rows, columns=[*TITLE_COLUMNS, *OPTIONAL_COLUMNS])
    return frame.astype({"open_amount": "int64"})


def _date(row: Mapping[str, str], column: str, bad: object) -> date:
    try:
        return date.fromisoformat(row[column])
    except ValueError:
        raise bad(column, "an ISO date YYYY-MM-DD") from None  # type: ignore[operator]
