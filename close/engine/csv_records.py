r"""Reading the group's small CSV files (mapping, budget, opening balances, rates, adjustments).

Each parser reads its file through ``csv_records``, so every way a CSV can be broken becomes an
``InputDataError`` naming the file, the row as a person counts it (the header is row 1; a quoted
field spanning lines counts them all) and the column, with what was expected — never a
``csv.Error``, a ``UnicodeDecodeError``, a pandas ``ParserError`` or, later, a PostgreSQL
``DataError``:

* text that is not UTF-8 (the byte offset and row are named);
* a row with more fields than the header ("expected 3 fields as in the header, got 5");
* a field longer than the csv module's limit (131,072 characters), usually an unclosed quote;
* a NUL character, which no PostgreSQL text can hold.

A row with fewer fields than the header reads the missing ones as ``""``, like an empty cell.

Example:
    >>> header, rows = csv_records(b"entity,account\nBR1,1.1\n", source="mapping.csv")
    >>> header, list(rows)
    (['entity', 'account'], [(2, {'entity': 'BR1', 'account': '1.1'})])

"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from close.engine.money import MAX_MINOR, D, exponent, to_minor
from close.engine.types import Currency
from close.errors import InputDataError

Record = dict[str, str]


def decode_utf8(data: bytes | str, *, source: str) -> str:
    """Decode a CSV's bytes as UTF-8 (a byte-order mark is dropped).

    Args:
        data: the file's bytes (text is returned without its BOM).
        source: the file name, for the message.

    Returns:
        The text.

    Raises:
        InputDataError: not UTF-8, naming the row and the byte offset.

    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise InputDataError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                             "save the file as UTF-8", file=source, row=row) from None


def csv_records(data: bytes | str, *, source: str) -> tuple[list[str], Iterator[tuple[int, Record]]]:
    """Read a comma-separated file with a header row into ``(row number, {column: text})`` records.

    Args:
        data: the file's bytes (UTF-8, optional BOM) or its text.
        source: the file name, for messages.

    Returns:
        The header (names stripped) and an iterator of records; values are unstripped text, ``""``
        past the end of a short row; blank lines are skipped.

    Raises:
        InputDataError: naming file, row and column, for text that is not UTF-8, an empty file,
            a row longer than the header, a field over the size limit or a NUL character
            (raised while iterating, before the bad row is returned).

    """
    text = decode_utf8(data, source=source)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = _located(reader, source)
    first = next(rows, None)
    if first is None:
        raise InputDataError("the file is empty; expected a header row", file=source, row=1)
    header = [name.strip() for name in first[1]]
    _refuse_nul(first[1], header, row=1, source=source)
    return header, _records(rows, header, source)


def _located(reader: Iterator[list[str]], source: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first line of the row, fields)``, turning csv errors into located ones."""
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise located_csv_error(exc, source=source, row=start) from None
        yield start, fields
        start = reader.line_num + 1  # type: ignore[attr-defined]


def located_csv_error(exc: csv.Error, *, source: str, row: int) -> InputDataError:
    """Turn the csv module's error into one naming the file and row, without its wording.

    Args:
        exc: the error (``field larger than field limit (131072)`` is the one seen in practice).
        source: the file.
        row: the row the reader was at.

    Returns:
        The error to raise.

    """
    if "field larger than field limit" in str(exc):
        return InputDataError(f"a field is longer than {csv.field_size_limit():,} characters "
                              "(is a quote left open?)", file=source, row=row)
    return InputDataError("not readable as CSV (expected delimited text)", file=source, row=row)


def _records(rows: Iterator[tuple[int, list[str]]], header: list[str],
             source: str) -> Iterator[tuple[int, Record]]:
    for number, fields in rows:
        if not any(field.strip() for field in fields):
            continue
        if len(fields) > len(header):
            extra = len(header)
            raise InputDataError(
                f"expected {len(header)} fields as in the header, got {len(fields)} "
                f"(an unquoted comma in a value?)", file=source, row=number,
                column=f"field {extra + 1}")
        _refuse_nul(fields, header, row=number, source=source)
        yield number, dict(zip(header, fields + [""] * (len(header) - len(fields)), strict=True))


def _refuse_nul(fields: list[str], header: list[str], *, row: int, source: str) -> None:
    for i, field in enumerate(fields):
        if "\x00" in field:
            column = header[i] if i < len(header) and header[i] else f"field {i + 1}"
            raise InputDataError("contains a NUL character (byte 0), which no text can hold; "
                                 "is the file UTF-16 or binary?", file=source, row=row, column=column)


def require_columns(header: list[str], columns: tuple[str, ...] | list[str], *, source: str) -> None:
    """Refuse a header that lacks one of ``columns``, naming the first missing one.

    Raises:
        InputDataError: naming the file, row 1 and the column, with the columns expected.

    """
    for column in columns:
        if column not in header:
            raise InputDataError(f"missing column; expected {', '.join(columns)}", file=source,
                                 row=1, column=column)


def number_cell(text: str, *, source: str, row: int, column: str) -> Decimal:
    """Parse a plain number cell (``1234.56``, ``-0.5``).

    Raises:
        InputDataError: naming file, row and column, for text that is not a finite number.

    """
    try:
        return D(text)
    except ValueError:
        raise InputDataError(f"not a number: {text.strip()!r} (expected digits with '.' as the "
                             "decimal point)", file=source, row=row, column=column) from None


def money_cell(text: str, currency: Currency, *, source: str, row: int, column: str,
               exact: bool = False) -> int:
    """Parse an amount cell into integer minor units of ``currency`` (half-even, or exactly).

    Args:
        text: the cell.
        currency: fixes the minor units.
        source: the file, for messages.
        row: the row, for messages.
        column: the column, for messages.
        exact: refuse more decimals than the currency has instead of rounding them.

    Returns:
        Minor units.

    Raises:
        InputDataError: naming file, row and column: not a number, too many decimals (when
            exact) or too large.

    """
    amount = number_cell(text, source=source, row=row, column=column)
    places = exponent(currency)
    if abs(amount) >= Decimal(MAX_MINOR).scaleb(-places):
        raise InputDataError(f"{text.strip()!r} is too large for an amount", file=source, row=row,
                             column=column)
    minor = amount.scaleb(places)
    if exact and minor != minor.to_integral_value():
        raise InputDataError(f"{text.strip()!r} has more than {places} decimals for {currency}",
                             file=source, row=row, column=column)
    return to_minor(amount, currency)
