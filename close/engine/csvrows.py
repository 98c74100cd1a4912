"""Rows of a small input CSV, stripped, with their line numbers for error messages."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from close.errors import InputDataError


def csv_rows(data: bytes, required: Sequence[str], *, source: str,
             period: str | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a UTF-8 CSV (a BOM allowed), every value stripped.

    Args:
        data: the file's bytes.
        required: columns that must be in the header.
        source: the file name, for messages.
        period: when given and the file has a ``period`` column, only that period's rows.

    Raises:
        InputDataError: a required column is missing (names the file and column).

    """
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    reader.fieldnames = [h.strip() for h in reader.fieldnames or ()]
    for column in required:
        if column not in reader.fieldnames:
            raise InputDataError("missing column", file=source, row=1, column=column)
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        if period and row.get("period", period) != period:
            continue
        yield number, row
