r"""Trial balances from files: CSV and XLSX exports, in Portuguese or English, Brazilian or not.

``read_trial_balance`` is pure (bytes in, frame out); ``FileConnector`` only picks the file for the
period from the run's snapshot. What a real export throws at it, and what it does:

* CSV (``;`` ``,`` tab or ``|``, sniffed) in UTF-8 (with or without BOM), UTF-16 with BOM,
  Windows-1252/Latin-1; XLSX through openpyxl (``sheet`` by name or 1-based position, else the
  first sheet with a recognisable header).
* Title lines above the header; the header found by its names (PT and EN, accents and case
  ignored: ``Conta``/``Account``, ``Descrição``/``Name``, ``Saldo Anterior``/``Opening``,
  ``Débito``/``Debit``, ``Crédito``/``Credit``, ``Saldo Atual``/``Closing`` …) or given
  explicitly in ``columns``.
* Numbers ``1.234,56`` and ``1,234.56`` (the separator decided once per file from evidence,
  or set by ``decimal``), ``1234.56``, ``R$ 1.234,56``, ``(1.234,56)`` and ``1.234,56-`` for
  negatives, a ``D``/``C`` suffix (or a ``D/C`` column right after the balance) for the side.
  ``opening``/``closing`` are signed (debit positive) unless a ``C`` says credit;
  ``debit``/``credit`` are turnovers, and a credit column printed negative is read as positive.
* Total/subtotal rows and grouping (synthetic) accounts are skipped, never double counted: a
  grouping account is recognised by a ``Tipo`` S/A column or by a code that prefixes others
  (``1.1`` over ``1.1.01``), and must equal the sum of its sub-accounts.
* Only two of opening, movement (debit and credit) and closing are needed; the third is derived.

Every problem is an ``InputDataError`` naming the file, the row as a person counts it in the file
(the first line is row 1) and the column, or the account.

Example:
    >>> data = ("Conta;Descrição;Saldo Anterior;Débito;Crédito;Saldo Atual\n"
    ...         "1.1;Caixa;1.000,00 D;500,00;200,00;1.300,00 D\n"
    ...         "2.1;Capital;1.000,00 C;0,00;300,00;1.300,00 C\n")
    >>> read_trial_balance(data.encode(), filename="tb.csv", entity="BR1",
    ...                    currency="BRL")["closing"].tolist()
    [130000, -130000]

"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd

from close.engine.csv_records import located_csv_error
from close.engine.frames import AMOUNT_COLUMNS
from close.engine.money import MAX_MINOR, exponent, quantize_cents
from close.engine.types import Currency, EntityId, Period
from close.errors import ConfigError, InputDataError
from connectors.base import ConnectorContext, ERPConnector, HealthStatus
from connectors.grouping_accounts import grouping_leaves
from connectors.plain_numbers import PlainColumn, parse_plain_column
from connectors.settings import FILE_FIELDS, FileSource
from connectors.trial_balance import check_trial_balance_balances, format_money, local_tb_from_columns

# Header names per field, normalized (lower case, no accents, punctuation as spaces), in priority
# order: the first synonym present in the header wins, so "Conta" beats "Classificação" beats
# "Código" for the account (a Brazilian balancete often has all three).
HEADER_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "account": ("conta", "conta contabil", "codigo da conta", "cod conta", "codigo conta",
                "account", "account code", "account number", "account no", "acct", "gl account",
                "classificacao", "codigo", "cod", "cod reduzido", "reduzido", "code"),
    "account_name": ("descricao", "descricao da conta", "nome", "nome da conta", "titulo",
                     "name", "account name", "description", "account description"),
    "counterparty": ("contraparte", "entidade contraparte", "parte relacionada", "intercompany",
                     "counterparty", "ic partner", "trading partner", "partner", "ic"),
    "cost_center": ("centro de custo", "centro de custos", "c custo", "cc", "cost center",
                    "cost centre", "costcenter"),
    "department": ("departamento", "depto", "department", "dept"),
    "opening": ("saldo anterior", "saldo inicial", "saldo de abertura", "opening",
                "opening balance", "beginning balance", "balance b f", "prior balance"),
    "debit": ("debito", "debitos", "movimento debito", "total debitos", "debit", "debits",
              "debit amount"),
    "credit": ("credito", "creditos", "movimento credito", "total creditos", "credit",
               "credits", "credit amount"),
    "closing": ("saldo atual", "saldo final", "saldo", "closing", "closing balance",
                "ending balance", "end balance", "balance", "balance c f"),
    "kind": ("tipo", "tipo da conta", "tipo conta", "s a", "sintetica analitica",
             "analitica sintetica"),
}
# A side indicator column ("D/C") belongs to the balance column right before it.
_SIDE_HEADERS = frozenset({"d c", "dc", "c d", "natureza", "nat", "dr cr", "sinal"})
_SIDE_FIELDS: Mapping[str, str] = {"opening": "opening_side", "closing": "closing_side"}
# The fields a ``columns`` table may name: declared with the source's settings.
FIELDS: tuple[str, ...] = FILE_FIELDS
_TEXT_FIELDS = ("account", "account_name", "counterparty", "cost_center", "department")
_SYNTHETIC = frozenset({"s", "sintetica", "sintetico", "synthetic", "summary"})
_ANALYTIC = frozenset({"a", "analitica", "analitico", "analytic", "detail", "posting"})
_TOTAL_WORDS = ("total", "totais", "soma", "somatorio", "subtotal", "sub total", "grand total",
                "totalizador")
_HEADER_SCAN_ROWS = 30
_SNIFF_CHARS = 1 << 20


@dataclass(frozen=True, slots=True)
class FileOptions:
    """How to read one entity's trial-balance files (all optional; auto-detected by default).

    Attributes:
        sheet: XLSX sheet name, or 1-based position.
        encoding: text encoding of a CSV (UTF-8/UTF-16 BOMs, then UTF-8, then Windows-1252).
        columns: ``(field, header in the file)`` pairs overriding detection; fields are
            ``account account_name counterparty cost_center department opening debit credit
            closing kind opening_side closing_side``.
        decimal: ``","`` or ``"."``; decided from the file's numbers when ``None``.
        delimiter: CSV delimiter; sniffed when ``None``.

    """

    sheet: str | int | None = None
    encoding: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    decimal: Literal[",", "."] | None = None
    delimiter: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | FileSource, *, entity: EntityId) -> FileOptions:
        """Build the options from an entity's ``[entities.source]`` table.

        Args:
            settings: the TOML table or its validated model (``path`` is read by the connector).
            entity: named in errors.

        Returns:
            The options.

        Raises:
            ConfigError: an unknown key or a value of the wrong type, naming entity and key.

        """
        source = settings if isinstance(settings, FileSource) else \
            FileSource.parse(settings, entity=entity, connector=FileConnector.name)
        return cls(sheet=source.sheet, encoding=source.encoding, columns=tuple(source.columns.items()),
                   decimal=source.decimal, delimiter=source.delimiter)


def normalize_header(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces: ``"Débito (R$)"`` → ``"debito r"``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


# --- reading cells -------------------------------------------------------------------------

Cell = str | int | float | Decimal | date | datetime | None


Rows = Sequence[tuple[int, Sequence[Cell]]]


class _UnquotedCsv:
    r"""A CSV without quotes whose lines end in ``\n`` or ``\r\n`` and fit the csv field limit.

    In such a file every record is one line and ``csv.reader`` could raise nothing, so the body
    below the header is split with one ``str.split`` over its whole text, in C, and each column
    is a slice of the result: splitting a million rows into lists and transposing them cost
    twice as much as the bare reader. Only the head, where the header is looked for, is read by
    ``csv.reader`` (it may hold title lines of other widths), and a body whose rows are not all
    as wide as its first row is read by it as well.
    """

    def __init__(self, text: str, delimiter: str) -> None:
        self.text, self.delimiter = text, delimiter

    @classmethod
    def of(cls, text: str, delimiter: str) -> _UnquotedCsv | None:
        r"""Return the text as unquoted lines, or ``None`` when only ``csv.reader`` reads it right.

        That is when it holds a quote, a lone ``\r`` (a line end for the reader, not for
        ``str.split``) or a line that could hold a field over the csv field limit (the reader's
        located error names it).
        """
        if '"' in text:
            return None
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                return None
        # A line over the limit covers a whole aligned chunk of half its length: look for a line
        # end in each chunk, a few hundred searches for a large file.
        chunk = csv.field_size_limit() // 2
        if chunk < 1 or any(text.find("\n", start, start + chunk) < 0
                            for start in range(0, len(text) - chunk + 1, chunk)):
            return None
        return cls(text, delimiter)

    def _reader(self, text: str) -> Iterator[list[str]]:
        return csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)

    def head(self) -> Rows:
        """Return the first rows, numbered from 1, where the header is looked for."""
        return list(enumerate(self._reader(self.text[:_line_start(self.text, _HEADER_SCAN_ROWS + 1)]),
                              start=1))

    def body(self, header_row: int) -> tuple[list[str], int] | list[list[str]]:
        r"""Split the rows below ``header_row``.

        Returns:
            ``(fields, width)`` when every row has ``width`` fields: row ``k``'s cells are
            ``fields[k * (width + 1):][:width]`` (a ``"\n"`` separates the rows), column ``i`` is
            ``fields[i::width + 1]``; otherwise the rows as ``csv.reader`` splits them.

        """
        start = _line_start(self.text, header_row + 1)
        # The reader makes no row after the last line end.
        body = self.text[start:len(self.text) - self.text.endswith("\n")]
        first = body.find("\n")
        width = body.count(self.delimiter, 0, len(body) if first < 0 else first) + 1
        if body and width > 1:
            lines = body.count("\n") + 1
            d = self.delimiter
            fields = body.replace("\n", f"{d}\n{d}").split(d)
            # A field never holds "\n": the separators in the right places prove every row has
            # ``width`` fields.
            if (len(fields) == lines * (width + 1) - 1
                    and fields[width::width + 1].count("\n") == lines - 1):
                return fields, width
        return list(self._reader(self.text[start:]))


def _line_start(text: str, line: int) -> int:
    r"""Return where 1-based line ``line`` starts in ``\n``-separated text (its length if beyond)."""
    start = 0
    for _ in range(line - 1):
        end = text.find("\n", start)
        if end < 0:
            return len(text)
        start = end + 1
    return start


def _sheet_rows(data: bytes, *, filename: str, options: FileOptions) -> Iterator[
        tuple[str, Rows | _UnquotedCsv, str | None]]:
    """Yield ``(sheet, [(row number, cells)], CSV delimiter)``: one per sheet, or the CSV."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        for sheet, rows in _xlsx_rows(data, filename=filename, options=options):
            yield sheet, rows, None
    else:
        text = _decode(data, filename=filename, encoding=options.encoding)
        # The header is in the first lines: split only the head of a large file to find it.
        delimiter = options.delimiter or _sniff_delimiter(_head_lines(text))
        yield "", _csv_rows(text, delimiter, filename), delimiter


def _xlsx_rows(data: bytes, *, filename: str, options: FileOptions) -> Iterator[
        tuple[str, Rows]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a corrupt file
        raise InputDataError(f"not a readable XLSX workbook ({type(exc).__name__})",
                             file=filename) from exc
    sheets = book.worksheets
    if options.sheet is not None:
        if isinstance(options.sheet, int):
            chosen = sheets[options.sheet - 1:options.sheet]
        else:
            chosen = [s for s in sheets if s.title == options.sheet]
        if not chosen:
            raise InputDataError(f"no sheet {options.sheet!r}; the workbook has "
                                 + ", ".join(repr(s.title) for s in sheets), file=filename)
        sheets = chosen
    for sheet in sheets:
        rows = [(n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True),
                                                               start=1)]
        yield sheet.title, rows


def _decode(data: bytes, *, filename: str, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputDataError(f"not valid {encoding} text at byte {exc.start}",
                                 file=filename) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Brazilian Windows exports are cp1252; bytes it leaves undefined are latin-1 controls.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def _head_lines(text: str) -> list[str]:
    """Return the first ``_HEADER_SCAN_ROWS`` lines (``str.splitlines``) within ``_SNIFF_CHARS``.

    A prefix of the text that splits into more lines than that holds them whole: the prefix
    grows until it does, rather than splitting a megabyte.
    """
    size = 4096
    while True:
        size = min(size, _SNIFF_CHARS)
        lines = text[:size].splitlines()
        if len(lines) > _HEADER_SCAN_ROWS or size >= min(len(text), _SNIFF_CHARS):
            return lines[:_HEADER_SCAN_ROWS]
        size *= 8


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter whose field count is most consistent (and > 1) over the first lines."""
    best, best_score = ";", -1
    # A line over the csv field limit (an unclosed quote's tail) would spoil every candidate.
    limit = csv.field_size_limit()
    sample = [line for line in lines[:_HEADER_SCAN_ROWS] if line.strip() and len(line) < limit]
    for delimiter in (";", "\t", ",", "|"):
        try:
            counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        except csv.Error:  # a field over the size limit: the reading proper will name its row
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) if mode > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(text: str, delimiter: str, filename: str) -> Rows | _UnquotedCsv:
    unquoted = _UnquotedCsv.of(text, delimiter)
    if unquoted is not None:
        return unquoted
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, Sequence[Cell]]] = []
    start = 1  # the first line of the record being read: quotes can make it span lines
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise located_csv_error(exc, source=filename, row=start) from None
    return rows


def _cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # repr is the shortest text that round-trips: 1101.0 → "1101", 1.1 → "1.1".
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


# --- numbers -------------------------------------------------------------------------------

_NUMBER_CORE = re.compile(r"\d[\d.,]*")
_CURRENCY_PREFIX = re.compile(r"^(?:R\$|US\$|\$|€|BRL|USD|EUR)\s*", re.IGNORECASE)
_THOUSANDS = {",": re.compile(r"\d{1,3}(?:\.\d{3})+"), ".": re.compile(r"\d{1,3}(?:,\d{3})+")}


def _decimal_vote(text: str) -> str | None:
    """Say which decimal separator one number's text proves, if any."""
    match = _NUMBER_CORE.search(text)
    if not match:
        return None
    core = match.group().rstrip(".,")
    if "," in core and "." in core:
        return "," if core.rfind(",") > core.rfind(".") else "."
    sep = "," if "," in core else "." if "." in core else None
    if sep is None:
        return None
    if core.count(sep) > 1:  # repeated, so it groups thousands
        return "." if sep == "," else ","
    # "1.234" could be either; any other number of digits after the separator is a decimal part.
    return None if len(core) - core.rfind(sep) - 1 == 3 else sep


@dataclass(frozen=True, slots=True)
class _Amount:
    """A parsed amount: its value (side applied) and whether a D/C side was written."""

    value: Decimal
    side_given: bool


def parse_amount(text: str, decimal: Literal[",", "."]) -> _Amount | None:
    """Parse one amount as written in an export.

    Args:
        text: ``"1.234,56"``, ``"(1.234,56)"``, ``"1.234,56-"``, ``"R$ 1.234,56 C"``, ``""`` …
        decimal: the file's decimal separator.

    Returns:
        The signed amount (``C``, parentheses or a minus make it negative), or ``None`` for an
        empty cell; ``"-"`` alone is zero, as accountants print it.

    Raises:
        ValueError: the text is not a number.

    """
    s = text.replace("\u00a0", " ").strip()
    if not s:
        return None
    if s in ("-", "–", "—"):
        return _Amount(Decimal(0), side_given=False)
    sign, side_given = 1, False
    side = re.fullmatch(r"(.*?)\s*([DdCc])", s)
    if side and side.group(1):
        s, side_given = side.group(1), True
        sign = -1 if side.group(2) in "Cc" else 1
    if s.startswith("(") and s.endswith(")"):
        s, sign = s[1:-1].strip(), -sign
    if s.startswith(("-", "+")):
        sign, s = (-sign if s[0] == "-" else sign), s[1:].strip()
    elif s.endswith("-"):
        s, sign = s[:-1].strip(), -sign
    unprefixed = _CURRENCY_PREFIX.sub("", s).replace(" ", "")
    if unprefixed != s.replace(" ", "") and unprefixed.startswith("-"):  # "R$ -1,00"
        unprefixed, sign = unprefixed[1:], -sign
    s = unprefixed
    integer, _, fraction = s.partition(decimal)
    thousands = "." if decimal == "," else ","
    if thousands in integer:
        if not _THOUSANDS[decimal].fullmatch(integer):
            raise ValueError(text)
        integer = integer.replace(thousands, "")
    if not re.fullmatch(r"\d*", integer) or not re.fullmatch(r"\d*", fraction) \
            or not (integer or fraction) or (decimal in s and not fraction):
        raise ValueError(text)
    return _Amount(sign * Decimal(f"{integer or 0}.{fraction or 0}"), side_given)


# --- the reader ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each field sits in a sheet: header row number and field → (index, header text)."""

    header_row: int
    columns: tuple[tuple[str, int, str], ...]

    def index(self, name: str) -> int | None:
        return next((i for f, i, _ in self.columns if f == name), None)

    def header(self, name: str) -> str:
        return next((h for f, _, h in self.columns if f == name), name)


def _match_header(cells: Sequence[Cell], overrides: Mapping[str, str]) -> _Layout | None:
    names = [normalize_header(_cell_text(c)) for c in cells]
    taken: dict[str, int] = {}
    if overrides:
        wanted = {f: normalize_header(h) for f, h in overrides.items()}
        for field_name, header in wanted.items():
            if header not in names:
                return None
            taken[field_name] = names.index(header)
    for field_name, synonyms in HEADER_SYNONYMS.items():
        if field_name in taken:
            continue
        for synonym in synonyms:
            if synonym in names and names.index(synonym) not in taken.values():
                taken[field_name] = names.index(synonym)
                break
    for balance, side_field in _SIDE_FIELDS.items():
        if balance in taken and side_field not in taken:
            nxt = taken[balance] + 1
            if nxt < len(names) and names[nxt] in _SIDE_HEADERS:
                taken[side_field] = nxt
    if "account" not in taken or not ({"opening", "debit", "credit", "closing"} & set(taken)):
        return None
    return _Layout(0, tuple((f, i, _cell_text(cells[i])) for f, i in taken.items()))


def _find_layout(rows: Rows | _UnquotedCsv, options: FileOptions) -> _Layout | None:
    overrides = dict(options.columns)
    head = rows.head() if isinstance(rows, _UnquotedCsv) else rows[:_HEADER_SCAN_ROWS]
    for number, cells in head:
        layout = _match_header(cells, overrides)
        if layout is not None:
            return _Layout(number, layout.columns)
    return None


def _is_total_label(text: str) -> bool:
    norm = normalize_header(text)
    return any(norm == w or norm.startswith(w + " ") for w in _TOTAL_WORDS)


_LINE_END, _DIGIT_0, _DIGIT_9 = (ord(c) for c in "\n09")
# Amounts are int64 minor units: a cell beyond close.engine.money.MAX_MINOR is refused rather than
# overflowing, and the sums of a file are checked to fit before they are taken.
_INT64_MAX = 2**63 - 1
# Reading order of the checks on one line, so the first error of the earliest row is reported,
# as when lines were read one by one: the amounts in field order, the account, then the sides.
_AMOUNT_FIELDS = ("opening", "debit", "credit", "closing")
_ACCOUNT_CHECK, _SIDE_CHECK = len(_AMOUNT_FIELDS), len(_AMOUNT_FIELDS) + 1


class _Sheet:
    """The body of a sheet below its header, by column and by row."""

    def __init__(self, rows: Rows | _UnquotedCsv, layout: _Layout) -> None:
        self.layout = layout
        self.rows: Sequence[int]
        # Row by row (a workbook, a quoted or ragged CSV), or as one list of fields in rows of
        # ``width`` separated by one more (an unquoted CSV, see _UnquotedCsv.body).
        self._cells: list[Sequence[Cell]] | None = None
        self._fields: list[str] | None = None
        body = rows.body(layout.header_row) if isinstance(rows, _UnquotedCsv) else None
        if isinstance(body, tuple):
            self._fields, self.width = body
            count = (len(self._fields) + 1) // (self.width + 1)
            self.rows = range(layout.header_row + 1, layout.header_row + 1 + count)
        elif body is not None:  # each record is one line
            self.rows = range(layout.header_row + 1, layout.header_row + 1 + len(body))
            self._cells = body  # type: ignore[assignment]
        else:
            start = next((k for k, (n, _) in enumerate(rows) if n > layout.header_row), len(rows))
            numbers, cells = zip(*rows[start:], strict=True) if start < len(rows) else ((), ())
            self.rows, self._cells = list(numbers), list(cells)
        if self._cells is not None:
            self.width = min(map(len, self._cells), default=0)
        self._columns: dict[int, Sequence[Cell]] = {}

    def row(self, k: int) -> Sequence[Cell]:
        """Return the cells of the ``k``-th row of the body."""
        if self._fields is not None:
            start = k * (self.width + 1)
            return self._fields[start:start + self.width]
        return self._cells[k]  # type: ignore[index]

    def column(self, name: str) -> Sequence[Cell] | None:
        """Return the raw cells of field ``name`` (``None`` past a short row); ``None`` if absent."""
        i = self.layout.index(name)
        if i is None:
            return None
        if i not in self._columns:
            self._columns.update(self._column(i))
        return self._columns[i]

    def _column(self, i: int) -> dict[int, Sequence[Cell]]:
        if self._fields is not None:
            return {i: self._fields[i::self.width + 1] if i < self.width else [None] * len(self.rows)}
        if i < self.width:  # every row is long enough: transpose them all at once, in C
            return dict(enumerate(zip(*self._cells, strict=False)))  # type: ignore[misc]
        return {i: [c[i] if i < len(c) else None for c in self._cells]}  # type: ignore[union-attr]

    def all_text(self, name: str) -> bool:
        """Say whether field ``name`` is known to hold text in every row, without looking."""
        i = self.layout.index(name)
        return self._fields is not None and i is not None and i < self.width

    def texts(self, name: str) -> list[str]:
        """Return the field's cells as stripped text (``""`` on every row when the field is absent)."""
        raw = self.column(name)
        if raw is None:
            return [""] * len(self.rows)
        plain = list(map(str.strip, raw)) if self.all_text(name) else _plain_texts(raw)  # type: ignore[arg-type]
        return plain if plain is not None else list(map(_cell_text, raw))


def _plain_texts(raw: Sequence[Cell]) -> list[str] | None:
    """Return the cells stripped if every one is text or empty (a CSV column), else ``None``."""
    kinds = set(map(type, raw))
    if kinds == {str}:
        return list(map(str.strip, raw))  # type: ignore[arg-type]
    if not kinds <= {str, type(None)}:
        return None
    return [v.strip() if v else "" for v in raw]  # type: ignore[union-attr]


def _plain_column(raw: Sequence[Cell], places: int, *, all_text: bool) -> PlainColumn | None:
    """Parse a column of plain numbers in one pass (``connectors.plain_numbers``), or say it is not one.

    ``all_text`` says every cell is known to be text, which spares looking at their types.
    """
    # The parser refuses whitespace, so a column that parses as it is needed no stripping:
    # most exports written by a program, spared a strip call per cell.
    if all_text or set(map(type, raw)) == {str}:
        column = parse_plain_column(raw, places)  # type: ignore[arg-type]
        if column is not None:
            return column
    texts = _plain_texts(raw)
    if texts is None or texts == list(raw):  # not text, or stripping changed nothing: refused already
        return None
    return parse_plain_column(texts, places)


def _is_total_row(account: str, cells: Sequence[Cell]) -> bool:
    """Say whether a row is a total: its account says so or, without account, any of its cells."""
    if account:
        return _is_total_label(account)
    return any(_is_total_label(_cell_text(c)) for c in cells)


class _Reader:
    """Reads one sheet with a known layout; holds the file facts errors must name."""

    def __init__(self, *, filename: str, entity: EntityId, currency: Currency,
                 layout: _Layout, decimal: Literal[",", "."]) -> None:
        self.filename, self.entity, self.currency = filename, entity, currency
        self.layout, self.decimal = layout, decimal
        self.places = exponent(currency)

    def error(self, message: str, *, row: int | None = None, column: str | None = None,
              account: str | None = None) -> InputDataError:
        return InputDataError(message, file=self.filename, row=row, column=column,
                              entity=self.entity, account=account)

    def amount(self, value: Cell, name: str, row: int) -> _Amount | None:
        """Parse the cell ``value`` of amount field ``name`` (``None`` when empty)."""
        column = self.layout.header(name)
        if value is None or isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, bool) or isinstance(value, datetime | date):
            raise self.error(f"not a number: {_cell_text(value)!r}", row=row, column=column)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(f"not a number: {value!r}", row=row, column=column)
        if isinstance(value, int | float):
            parsed = _Amount(Decimal(repr(value) if isinstance(value, float) else value), False)
        else:
            try:
                parsed = parse_amount(str(value), self.decimal)
            except ValueError:
                raise self.error(f"not a number: {str(value).strip()!r}", row=row,
                                 column=column) from None
            if parsed is None:
                return None
        if abs(parsed.value.scaleb(self.places)) >= MAX_MINOR:
            raise self.error(f"{_cell_text(value)!r} is too large for an amount (at most "
                             f"{format_money(MAX_MINOR - 1, self.currency)})", row=row,
                             column=column)
        if isinstance(value, float):
            # A spreadsheet stores binary floats; their shortest repr is what the user typed, and
            # formula noise (0.30000000000000004) is rounded half-even to the currency below.
            return _Amount(quantize_cents(parsed.value, self.places), side_given=False)
        if quantize_cents(parsed.value, self.places) != parsed.value:
            raise self.error(f"{_cell_text(value)!r} has more decimals than {self.currency} "
                             f"({self.places}); set decimal if the separator was misread",
                             row=row, column=column)
        return parsed

    def side(self, value: Cell, name: str, row: int) -> int:
        """Return -1/+1 from the D/C cell ``value`` for ``name``, or +1 when it is empty."""
        side_field = _SIDE_FIELDS[name]
        text = normalize_header(_cell_text(value))
        if text in ("", "d", "db", "dr", "debito", "debit", "devedor"):
            return 1
        if text in ("c", "cr", "credito", "credit", "credor"):
            return -1
        raise self.error(f"side {text!r} is neither D nor C", row=row,
                         column=self.layout.header(side_field))

    def amount_column(self, sheet: _Sheet, name: str, candidates: np.ndarray,
                      plain: PlainColumn | None) -> tuple[np.ndarray, np.ndarray,
                                                            tuple[int, InputDataError] | None]:
        """Parse field ``name``: ``(minor units, present, first error)`` over the sheet's rows.

        A column of plain numbers is parsed in one vectorised pass; any other column cell by
        cell over the candidate rows, stopping at the first bad cell (returned, not raised, so
        the caller can report the earliest row's error across columns).
        """
        if plain is not None and self.decimal == ".":
            return plain.values, plain.present, None
        values = np.zeros(len(sheet.rows), dtype=np.int64)
        present = np.zeros(len(sheet.rows), dtype=bool)
        cells = sheet.column(name) or ()
        for k in candidates.tolist():
            try:
                amount = self.amount(cells[k], name, sheet.rows[k])
            except InputDataError as exc:
                return values, present, (k, exc)
            if amount is not None:
                values[k], present[k] = int(amount.value.scaleb(self.places)), True
        return values, present, None


def _decide_decimal(sheet: _Sheet, *, filename: str,
                    delimiter: str | None) -> Literal[",", "."]:
    """Decide the decimal separator from the numbers' own evidence (``1.234,56`` says ",")."""
    votes: dict[str, int] = {}
    for f in AMOUNT_COLUMNS:
        for value in sheet.column(f) or ():
            if isinstance(value, str):
                vote = _decimal_vote(value)
                if vote:
                    votes[vote] = votes.get(vote, 0) + 1
    if len(votes) > 1:
        raise InputDataError(
            f"numbers use both ',' ({votes[',']} cells) and '.' ({votes['.']} cells) as the "
            "decimal separator; set decimal in the source settings", file=filename)
    if votes:
        return "," if "," in votes else "."
    # No number proves either: a ";"-separated file is a Brazilian-locale export.
    return "," if delimiter == ";" else "."


def _sheet_decimal(sheet: _Sheet, plain: Mapping[str, PlainColumn | None], *,
                   filename: str, delimiter: str | None) -> Literal[",", "."]:
    """Decide the separator from the parsed plain columns, or cell by cell if any is not plain."""
    if any(column is None for column in plain.values()):
        return _decide_decimal(sheet, filename=filename, delimiter=delimiter)
    if any(column.proves_dot for column in plain.values() if column is not None):
        return "."
    return "," if delimiter == ";" else "."


def _synthetic_flags(sheet: _Sheet, kept: np.ndarray) -> list[bool] | None:
    """Say per kept line whether a ``Tipo`` column marks it synthetic.

    ``None`` when there is no such column or it holds something else (Ativo/Passivo).
    """
    raw = sheet.column("kind")
    if raw is None:
        return None
    # Few distinct values: normalize each once (keyed by type too, so 1 and True stay apart).
    norm = {(type(v), v): normalize_header(_cell_text(v)) for v in raw}
    values = set(norm.values())
    if not (values & _SYNTHETIC and values <= _SYNTHETIC | _ANALYTIC | {""}):
        return None
    return [norm[type(raw[k]), raw[k]] in _SYNTHETIC for k in kept.tolist()]


def _not_digit_first(texts: list[str]) -> list[int]:
    """Return the positions of the texts that do not start with a digit (``str.isdigit``).

    The first byte of each text in their UTF-8 join says it for ASCII, in C; only the texts that
    do not start with an ASCII digit are looked at one by one.
    """
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:  # a text holds a line end: look at every one
        maybe = range(len(texts))
    else:
        b = np.frombuffer(joined.encode("utf-8", "surrogatepass") + b"\n", dtype=np.uint8)
        first = b[np.concatenate(([0], np.flatnonzero(b == _LINE_END)[:-1] + 1))]
        maybe = np.flatnonzero((first < _DIGIT_0) | (first > _DIGIT_9)).tolist()
    return [k for k in maybe if not texts[k][:1].isdigit()]


def _first_nul(texts: Mapping[str, Sequence[str]]) -> tuple[str, int] | None:
    """Find the first text field and line holding a NUL character (PostgreSQL text cannot)."""
    for name, column in texts.items():
        if "\x00" in "".join(column):
            return name, next(k for k, t in enumerate(column) if "\x00" in t)
    return None


def _read_sheet(sheet: _Sheet, reader: _Reader, plain: Mapping[str, PlainColumn | None],
                entity: EntityId, *, nul_possible: bool) -> pd.DataFrame:
    """Read the lines of a sheet column by column into a checked ``LOCAL_TB_COLUMNS`` frame.

    ``nul_possible`` is false when the file is known to hold no NUL character, which spares
    the search for one in every text column.
    """
    layout = sheet.layout
    accounts = sheet.texts("account")
    is_candidate = np.ones(len(accounts), dtype=bool)
    # Only a row whose account does not start with a digit can be a total: look at those alone.
    for k in _not_digit_first(accounts):
        is_candidate[k] = not _is_total_row(accounts[k], sheet.row(k))
    candidates = np.flatnonzero(is_candidate)
    fields = [f for f in AMOUNT_COLUMNS if layout.index(f) is not None]
    errors: list[tuple[int, int, InputDataError]] = []
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for f in fields:
        values[f], present[f], failed = reader.amount_column(sheet, f, candidates, plain[f])
        if failed:
            errors.append((failed[0], AMOUNT_COLUMNS.index(f), failed[1]))
    kept = np.flatnonzero(is_candidate & np.logical_or.reduce([present[f] for f in fields]))
    account_array = np.asarray(accounts, dtype=object)
    no_accounts = kept[account_array[kept] == ""] if "" in accounts else kept[:0]
    if no_accounts.size:
        no_account = int(no_accounts[0])
        errors.append((no_account, _ACCOUNT_CHECK, reader.error(
            "amounts without an account (not a total row either)", row=sheet.rows[no_account],
            column=layout.header("account"))))
    for rank, (f, side_field) in enumerate(_SIDE_FIELDS.items()):
        if f in values and layout.index(side_field) is not None:
            signs = np.ones(len(accounts), dtype=np.int64)
            sides = sheet.column(side_field) or ()
            for k in kept.tolist():
                try:
                    signs[k] = reader.side(sides[k], f, sheet.rows[k])
                except InputDataError as exc:
                    errors.append((k, _SIDE_CHECK + rank, exc))
                    break
            values[f] = np.abs(values[f]) * signs
    if errors:
        raise min(errors, key=lambda e: e[:2])[2]
    if not len(kept):
        raise reader.error("no trial-balance lines below the header", row=layout.header_row)
    amounts = _complete_amounts({f: values[f][kept] for f in fields}, sheet, kept, accounts,
                                reader)
    codes = account_array[kept]
    leaves, mismatch = grouping_leaves(codes, amounts["closing"], _synthetic_flags(sheet, kept))
    if mismatch:
        i, total = mismatch
        closing = int(amounts["closing"][i])
        raise reader.error(
            f"grouping account closing {format_money(closing, reader.currency)}"
            f" != sum of its sub-accounts {format_money(total, reader.currency)}",
            row=sheet.rows[kept[i]], account=codes[i])
    lines = kept[leaves]
    texts = {"account": account_array[lines]}
    texts.update({f: np.asarray(sheet.texts(f), dtype=object)[lines] for f in _TEXT_FIELDS
                  if f != "account" and layout.index(f) is not None})
    nul = _first_nul(texts) if nul_possible else None
    if nul:
        name, i = nul
        raise reader.error("contains a NUL character (byte 0), which a trial balance cannot "
                           "hold; is the file UTF-16 without its byte-order mark, or binary?",
                           row=sheet.rows[lines[i]], column=layout.header(name))
    return local_tb_from_columns({**texts, **{f: a[leaves] for f, a in amounts.items()}}, entity)


def _complete_amounts(given: Mapping[str, np.ndarray], sheet: _Sheet, kept: np.ndarray,
                      accounts: Sequence[str], reader: _Reader) -> dict[str, np.ndarray]:
    """Derive the missing amount from the other three, then check every line rolls forward."""
    has = {f: f in given for f in AMOUNT_COLUMNS}
    layout = sheet.layout
    if not has["closing"] and not (has["opening"] and has["debit"] and has["credit"]):
        raise reader.error("a closing balance column, or opening, debit and credit columns, "
                           "are required", row=layout.header_row)
    if has["closing"] and not has["opening"] and not (has["debit"] and has["credit"]):
        raise reader.error("with a closing balance, an opening balance column or both debit and "
                           "credit columns are required", row=layout.header_row)
    largest = max(int(np.abs(a).max()) for a in given.values())
    if largest * len(kept) > _INT64_MAX // 4:
        raise reader.error(f"amounts up to {format_money(largest, reader.currency)} on "
                           f"{len(kept):,} lines are too large to add up exactly")
    a = {f: given[f] if has[f] else np.zeros(len(kept), dtype=np.int64) for f in AMOUNT_COLUMNS}
    # Some exports print the credit turnover negative; the column, not a line, says so.
    if has["credit"] and a["credit"].min() < 0 and a["credit"].max() <= 0:
        a["credit"] = -a["credit"]
    if not has["debit"] and not has["credit"]:
        movement = a["closing"] - a["opening"]
        a["debit"], a["credit"] = np.maximum(movement, 0), np.maximum(-movement, 0)
    elif not has["closing"]:
        a["closing"] = a["opening"] + a["debit"] - a["credit"]
    elif not has["opening"]:
        a["opening"] = a["closing"] - a["debit"] + a["credit"]
    expected = a["opening"] + a["debit"] - a["credit"]
    wrong = np.flatnonzero(expected != a["closing"])
    if wrong.size:
        i = int(wrong[0])
        closing, exp, cur = int(a["closing"][i]), int(expected[i]), reader.currency
        raise reader.error(
            f"closing {format_money(closing, cur)} != opening + debit - credit "
            f"{format_money(exp, cur)} ({format_money(abs(closing - exp), cur)} too "
            f"{'much' if closing > exp else 'little'})",
            row=sheet.rows[kept[i]], account=accounts[kept[i]])
    return a


def read_trial_balance(data: bytes, *, filename: str, entity: EntityId, currency: Currency,
                       options: FileOptions | None = None) -> pd.DataFrame:
    """Read an exported trial balance (CSV or XLSX) into a local trial-balance frame.

    Args:
        data: the file's bytes.
        filename: the file's name as configured (extension picks the format; named in errors).
        entity: the entity the file belongs to (the ``entity`` column).
        currency: the entity currency (amounts become its minor units).
        options: sheet, encoding, column overrides, decimal separator, delimiter.

    Returns:
        A frame with ``close.engine.frames.LOCAL_TB_COLUMNS``, ``int64`` minor units, in file order,
        grouping accounts and total rows left out.

    Raises:
        InputDataError: no header, a non-numeric amount, a line whose closing is not opening +
            debit - credit, a grouping account that disagrees with its sub-accounts, or a
            trial balance that does not sum to zero — naming file, row, column or account.

    """
    with _cycle_collection_paused():
        return _read_first_sheet(data, filename=filename, entity=entity, currency=currency,
                                 options=options or FileOptions())


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is parsed.

    Parsing makes millions of small acyclic objects (cells, rows); the collector's passes over
    them free nothing and cost as much as the parse itself. Reference counting still frees
    everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_first_sheet(data: bytes, *, filename: str, entity: EntityId, currency: Currency,
                      options: FileOptions) -> pd.DataFrame:
    for title, rows, delimiter in _sheet_rows(data, filename=filename, options=options):
        layout = _find_layout(rows, options)
        if layout is None:
            continue
        where = f"{filename} [{title}]" if title else filename
        sheet = _Sheet(rows, layout)
        places = exponent(currency)
        plain = {f: _plain_column(raw, places, all_text=sheet.all_text(f)) for f in AMOUNT_COLUMNS
                 if (raw := sheet.column(f)) is not None}
        decimal = options.decimal or _sheet_decimal(sheet, plain, filename=where,
                                                 delimiter=delimiter)
        reader = _Reader(filename=where, entity=entity, currency=currency, layout=layout,
                         decimal=decimal)
        # The decodings tried by default (UTF-8, UTF-16, cp1252, latin-1) make a NUL only from
        # a zero byte; a configured codec or a workbook is searched cell by cell.
        nul_possible = delimiter is None or options.encoding is not None or b"\x00" in data
        frame = _read_sheet(sheet, reader, plain, entity, nul_possible=nul_possible)
        check_trial_balance_balances(frame, entity=entity, source=where, currency=currency)
        return frame
    raise InputDataError(
        "no header row found (an account column and at least one amount column, e.g. Conta, "
        "Saldo Atual / Account, Closing) in the first "
        f"{_HEADER_SCAN_ROWS} rows; name them in the source setting columns",
        file=filename, entity=entity)


class FileConnector(ERPConnector):
    """Reads an entity's trial balance from a file snapshotted with the run.

    Settings (the entity's ``[entities.source]`` table): ``path`` (``{period}`` becomes
    ``YYYY-MM``), and the optional ``sheet``, ``encoding``, ``columns``, ``decimal`` and
    ``delimiter`` of ``FileOptions``.
    """

    name = "file"
    SETTINGS = FileSource

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Validate the settings now, so a typo fails at config time, not mid-close.

        Args:
            settings: the entity's source table.
            context: entity, currency and the snapshot file reader.

        Raises:
            ConfigError: ``path`` missing or another setting malformed.

        """
        super().__init__(settings, context)
        source = FileSource.parse(settings, entity=context.entity, connector=self.name)
        self.options = FileOptions.from_settings(source, entity=context.entity)
        self.path_template = self._path(source.path, context.entity)

    @staticmethod
    def _path(path: object, entity: EntityId | None) -> str:
        if not isinstance(path, str) or not path.strip():
            raise ConfigError(f"file source of entity {entity or '?'} needs a path",
                              key="source.path", expected='a file path such as "tb/{period}.csv"')
        return path

    @classmethod
    def files_for(cls, settings: Mapping[str, Any], period: Period) -> list[str]:
        """Return the one file read for ``period`` (``{period}`` replaced by ``YYYY-MM``).

        Args:
            settings: the entity's source table.
            period: ``YYYY-MM``.

        Returns:
            ``[path]``.

        Raises:
            ConfigError: ``path`` missing.

        """
        # str.replace, not str.format: a path may hold other braces, and no attribute lookups.
        return [cls._path(settings.get("path"), None).replace("{period}", period)]

    def health_check(self) -> HealthStatus:
        """Files need no server: report the path template that will be read."""
        return HealthStatus(entity=self.context.entity, connector=self.name, ok=True,
                            detail=f"reads {self.path_template} from the run's inputs")

    def get_trial_balance(self, period: Period) -> pd.DataFrame:
        """Read and validate the period's file from the run snapshot.

        Args:
            period: ``YYYY-MM``.

        Returns:
            The ``LOCAL_TB_COLUMNS`` frame.

        Raises:
            InputDataError: the file is missing from the snapshot or its content is bad.

        """
        filename = self.files_for(self.settings, period)[0]
        try:
            data = self.context.open_file(filename)
        except (FileNotFoundError, KeyError) as exc:
            raise InputDataError("file not found among the run's inputs", file=filename,
                                 entity=self.context.entity) from exc
        return read_trial_balance(data, filename=filename, entity=self.context.entity,
                                  currency=self.context.currency, options=self.options)
