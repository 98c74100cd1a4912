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
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import openpyxl
import pandas as pd

from close.errors import ConfigError, InputDataError
from close.frames import AMOUNT_COLUMNS
from close.money import exponent, quantize_cents
from close.types import Currency, EntityId, Period
from connectors.base import ConnectorContext, ERPConnector, HealthStatus
from connectors.trial_balance import build_local_tb, check_trial_balance_balances, format_money

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
FIELDS: tuple[str, ...] = (*HEADER_SYNONYMS, *_SIDE_FIELDS.values())
_TEXT_FIELDS = ("account", "account_name", "counterparty", "cost_center", "department")
_SYNTHETIC = frozenset({"s", "sintetica", "sintetico", "synthetic", "summary"})
_ANALYTIC = frozenset({"a", "analitica", "analitico", "analytic", "detail", "posting"})
_TOTAL_WORDS = ("total", "totais", "soma", "somatorio", "subtotal", "sub total", "grand total",
                "totalizador")
_HEADER_SCAN_ROWS = 30
_SETTING_KEYS = frozenset({"path", "sheet", "encoding", "columns", "decimal", "delimiter"})
# Keys the group config may keep in the same table to choose the connector itself.
_IGNORED_KEYS = frozenset({"connector", "type", "kind"})


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
    def from_settings(cls, settings: Mapping[str, Any], *, entity: EntityId) -> FileOptions:
        """Build the options from an entity's ``[entities.source]`` table.

        Args:
            settings: the TOML table (``path`` is read by the connector, not here).
            entity: named in errors.

        Returns:
            The options.

        Raises:
            ConfigError: an unknown key or a value of the wrong type, naming entity and key.

        """
        def bad(key: str, expected: str) -> ConfigError:
            return ConfigError(f"bad file source setting for entity {entity}",
                               key=f"source.{key}", expected=expected)

        unknown = sorted(set(settings) - _SETTING_KEYS - _IGNORED_KEYS)
        if unknown:
            raise bad(unknown[0], "one of " + ", ".join(sorted(_SETTING_KEYS)))
        sheet = settings.get("sheet")
        if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))
                                  or (isinstance(sheet, int) and sheet < 1)):
            raise bad("sheet", "a sheet name or a 1-based position")
        encoding = settings.get("encoding")
        if encoding is not None:
            try:
                "".encode(encoding)
            except (LookupError, TypeError) as exc:
                raise bad("encoding", "a Python codec name such as utf-8 or latin-1") from exc
        decimal = settings.get("decimal")
        if decimal not in (None, ",", "."):
            raise bad("decimal", '"," or "."')
        delimiter = settings.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            raise bad("delimiter", "one character")
        columns = settings.get("columns") or {}
        if not isinstance(columns, Mapping) or not all(
                k in FIELDS and isinstance(v, str) and v.strip() for k, v in columns.items()):
            raise bad("columns", "a table of field = header, fields among " + ", ".join(FIELDS))
        return cls(sheet=sheet, encoding=encoding, columns=tuple(columns.items()),
                   decimal=decimal, delimiter=delimiter)


def normalize_header(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces: ``"Débito (R$)"`` → ``"debito r"``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


# --- reading cells -------------------------------------------------------------------------

Cell = str | int | float | Decimal | date | datetime | None


Rows = list[tuple[int, list[Cell]]]


def _sheet_rows(data: bytes, *, filename: str, options: FileOptions) -> Iterator[
        tuple[str, Rows, str | None]]:
    """Yield ``(sheet, [(row number, cells)], CSV delimiter)``: one per sheet, or the CSV."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        for sheet, rows in _xlsx_rows(data, filename=filename, options=options):
            yield sheet, rows, None
    else:
        text = _decode(data, filename=filename, encoding=options.encoding)
        delimiter = options.delimiter or _sniff_delimiter(text.splitlines())
        yield "", _csv_rows(text, delimiter), delimiter


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


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter whose field count is most consistent (and > 1) over the first lines."""
    best, best_score = ";", -1
    sample = [line for line in lines[:_HEADER_SCAN_ROWS] if line.strip()]
    for delimiter in (";", "\t", ",", "|"):
        counts = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) if mode > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(text: str, delimiter: str) -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: Rows = []
    start = 1
    for record in reader:
        rows.append((start, list(record)))
        start = reader.line_num + 1
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


def _find_layout(rows: Rows, options: FileOptions) -> _Layout | None:
    overrides = dict(options.columns)
    for number, cells in rows[:_HEADER_SCAN_ROWS]:
        layout = _match_header(cells, overrides)
        if layout is not None:
            return _Layout(number, layout.columns)
    return None


def _is_total_label(text: str) -> bool:
    norm = normalize_header(text)
    return any(norm == w or norm.startswith(w + " ") for w in _TOTAL_WORDS)


@dataclass(frozen=True, slots=True)
class _Line:
    row: int
    texts: tuple[tuple[str, str], ...]
    amounts: tuple[tuple[str, int], ...]
    synthetic: bool

    def text(self, name: str) -> str:
        return dict(self.texts).get(name, "")

    def amount(self, name: str) -> int:
        return dict(self.amounts)[name]


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

    def cell(self, cells: Sequence[Cell], name: str) -> Cell:
        i = self.layout.index(name)
        return cells[i] if i is not None and i < len(cells) else None

    def amount(self, cells: Sequence[Cell], name: str, row: int) -> _Amount | None:
        value = self.cell(cells, name)
        column = self.layout.header(name)
        if value is None or isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, bool) or isinstance(value, datetime | date):
            raise self.error(f"not a number: {_cell_text(value)!r}", row=row, column=column)
        if isinstance(value, int):
            return _Amount(Decimal(value), side_given=False)
        if isinstance(value, float):
            # A spreadsheet stores binary floats; their shortest repr is what the user typed, and
            # formula noise (0.30000000000000004) is rounded half-even to the currency below.
            return _Amount(quantize_cents(Decimal(repr(value)), self.places), side_given=False)
        try:
            parsed = parse_amount(str(value), self.decimal)
        except ValueError:
            raise self.error(f"not a number: {str(value).strip()!r}", row=row,
                             column=column) from None
        if parsed is not None and quantize_cents(parsed.value, self.places) != parsed.value:
            raise self.error(f"{str(value).strip()!r} has more decimals than {self.currency} "
                             f"({self.places}); set decimal if the separator was misread",
                             row=row, column=column)
        return parsed

    def side(self, cells: Sequence[Cell], name: str, row: int) -> int:
        """Return -1/+1 from a D/C column for ``name``, or +1 when there is none or it is empty."""
        side_field = _SIDE_FIELDS[name]
        text = normalize_header(_cell_text(self.cell(cells, side_field)))
        if text in ("", "d", "db", "dr", "debito", "debit", "devedor"):
            return 1
        if text in ("c", "cr", "credito", "credit", "credor"):
            return -1
        raise self.error(f"side {text!r} is neither D nor C", row=row,
                         column=self.layout.header(side_field))

    def line(self, number: int, cells: Sequence[Cell]) -> _Line | None:
        texts = {f: _cell_text(self.cell(cells, f)) for f in _TEXT_FIELDS}
        if _is_total_label(texts["account"]) or (
                not texts["account"] and any(_is_total_label(_cell_text(c)) for c in cells)):
            return None
        present = [f for f in ("opening", "debit", "credit", "closing")
                   if self.layout.index(f) is not None]
        parsed = {f: self.amount(cells, f, number) for f in present}
        if all(v is None for v in parsed.values()):
            return None  # blank line, section title or footer: nothing to add
        if not texts["account"]:
            raise self.error("amounts without an account (not a total row either)", row=number,
                             column=self.layout.header("account"))
        values: dict[str, Decimal] = {}
        for f, amount in parsed.items():
            value = amount.value if amount else Decimal(0)
            if f in _SIDE_FIELDS and self.layout.index(_SIDE_FIELDS[f]) is not None:
                value = abs(value) * self.side(cells, f, number)
            values[f] = value
        kind = normalize_header(_cell_text(self.cell(cells, "kind")))
        return _Line(
            row=number, texts=tuple(texts.items()),
            amounts=tuple((f, int(v.scaleb(self.places))) for f, v in values.items()),
            synthetic=kind in _SYNTHETIC)


def _decide_decimal(rows: Rows, layout: _Layout, *, filename: str,
                    delimiter: str | None) -> Literal[",", "."]:
    """Decide the decimal separator from the numbers' own evidence (``1.234,56`` says ",")."""
    votes: dict[str, int] = {}
    indexes = [layout.index(f) for f in ("opening", "debit", "credit", "closing")]
    for number, cells in rows:
        if number <= layout.header_row:
            continue
        for i in indexes:
            if i is not None and i < len(cells) and isinstance(cells[i], str):
                vote = _decimal_vote(cells[i])
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


def _complete_amounts(lines: list[_Line], layout: _Layout, reader: _Reader) -> list[dict[str, Any]]:
    """Turn lines into records with all four amounts, deriving the missing one and checking."""
    has = {f: layout.index(f) is not None for f in AMOUNT_COLUMNS}
    if not has["closing"] and not (has["opening"] and has["debit"] and has["credit"]):
        raise reader.error("a closing balance column, or opening, debit and credit columns, "
                           "are required", row=layout.header_row)
    if has["closing"] and not has["opening"] and not (has["debit"] and has["credit"]):
        raise reader.error("with a closing balance, an opening balance column or both debit and "
                           "credit columns are required", row=layout.header_row)
    credits = [ln.amount("credit") for ln in lines] if has["credit"] else []
    # Some exports print the credit turnover negative; the column, not a line, says so.
    flip_credit = bool(credits) and min(credits) < 0 and max(credits) <= 0
    records = []
    for ln in lines:
        a = {f: ln.amount(f) if has[f] else 0 for f in AMOUNT_COLUMNS}
        if flip_credit:
            a["credit"] = -a["credit"]
        if not has["debit"] and not has["credit"]:
            movement = a["closing"] - a["opening"]
            a["debit"], a["credit"] = max(movement, 0), max(-movement, 0)
        elif not has["closing"]:
            a["closing"] = a["opening"] + a["debit"] - a["credit"]
        elif not has["opening"]:
            a["opening"] = a["closing"] - a["debit"] + a["credit"]
        expected = a["opening"] + a["debit"] - a["credit"]
        if expected != a["closing"]:
            cur = reader.currency
            raise reader.error(
                f"closing {format_money(a['closing'], cur)} != opening + debit - credit "
                f"{format_money(expected, cur)} "
                f"({format_money(abs(a['closing'] - expected), cur)} too "
                f"{'much' if a['closing'] > expected else 'little'})",
                row=ln.row, account=ln.text("account"))
        records.append({**dict(ln.texts), **a, "_row": ln.row, "_synthetic": ln.synthetic})
    return records


def _has_kind_column(rows: Rows, layout: _Layout) -> bool:
    """Say whether the "Tipo" column really holds S/A (it may hold Ativo/Passivo instead)."""
    i = layout.index("kind")
    if i is None:
        return False
    values = {normalize_header(_cell_text(cells[i])) for n, cells in rows
              if n > layout.header_row and i < len(cells)}
    return bool(values & _SYNTHETIC) and values <= _SYNTHETIC | _ANALYTIC | {""}


_GROUP_SEPARATORS = ".-"


def _group_prefixes(code: str) -> Iterator[str]:
    """Yield each prefix of ``code`` that a separator follows: ``"1.1-02"`` → ``"1"``, ``"1.1"``.

    A code ``P`` groups ``C`` when ``C`` starts with ``P`` plus a separator, so these are the only
    codes that can group ``C``: looking them up in a set makes the grouping check linear in the
    total length of the codes, where comparing every code with every other was quadratic.
    """
    for i, char in enumerate(code):
        if char in _GROUP_SEPARATORS:
            yield code[:i]


def grouping_codes(codes: Iterable[str]) -> frozenset[str]:
    """Return the codes that prefix another code followed by ``.`` or ``-`` (``1.1`` over ``1.1.01``).

    Args:
        codes: the account codes of one trial balance (repeats allowed).

    Returns:
        The grouping (synthetic) codes among them.

    """
    known = set(codes)
    return frozenset(p for code in known for p in _group_prefixes(code) if p in known)


def _sub_account_totals(codes: Sequence[str], closings: Sequence[int],
                        parents: frozenset[str]) -> dict[str, int]:
    """Sum the closings of the leaves under each grouping code that has any (once per ancestor)."""
    totals: dict[str, int] = {}
    for code, closing in zip(codes, closings, strict=True):
        for prefix in _group_prefixes(code):
            if prefix in parents:
                totals[prefix] = totals.get(prefix, 0) + closing
    return totals


@dataclass(frozen=True, slots=True)
class GroupingSplit:
    """Which lines are leaves, and the first grouping account that disagrees with its leaves.

    Attributes:
        leaves: positions of the analytic lines, in order.
        mismatch: ``(position, sum of its sub-accounts)`` of the first grouping line whose
            closing differs, or ``None``.

    """

    leaves: tuple[int, ...]
    mismatch: tuple[int, int] | None


def split_grouping_accounts(codes: Sequence[str], closings: Sequence[int],
                            synthetic: Sequence[bool] | None = None) -> GroupingSplit:
    """Separate grouping (synthetic) lines from leaves and check each against its sub-accounts.

    Args:
        codes: account code per line.
        closings: closing per line (minor units).
        synthetic: per line, whether a ``Tipo`` column marks it synthetic; ``None`` when the file
            has none, and then a code that prefixes another (``1.1`` over ``1.1.01``) is grouping.

    Returns:
        The leaves and the first mismatch. A grouping line must equal the sum of the leaves
        under it; with a ``Tipo`` column a synthetic line with no leaf under it is not checked.

    """
    if synthetic is None:
        grouping = grouping_codes(codes)
        parents = [i for i, code in enumerate(codes) if code in grouping]
    else:
        parents = [i for i, flag in enumerate(synthetic) if flag]
    if not parents:
        return GroupingSplit(tuple(range(len(codes))), None)
    is_parent = set(parents)
    leaves = tuple(i for i in range(len(codes)) if i not in is_parent)
    totals = _sub_account_totals([codes[i] for i in leaves], [closings[i] for i in leaves],
                                 frozenset(codes[i] for i in parents))
    for i in parents:
        if synthetic is None or codes[i] in totals:
            total = totals.get(codes[i], 0)
            if total != closings[i]:
                return GroupingSplit(leaves, (i, total))
    return GroupingSplit(leaves, None)


def _drop_grouping_accounts(records: list[dict[str, Any]], reader: _Reader,
                            explicit_kind: bool) -> list[dict[str, Any]]:
    """Drop synthetic accounts after checking each equals the sum of its analytic sub-accounts."""
    split = split_grouping_accounts([r["account"] for r in records],
                                    [r["closing"] for r in records],
                                    [r["_synthetic"] for r in records] if explicit_kind else None)
    if split.mismatch:
        i, total = split.mismatch
        parent = records[i]
        raise reader.error(
            f"grouping account closing {format_money(parent['closing'], reader.currency)}"
            f" != sum of its sub-accounts {format_money(total, reader.currency)}",
            row=parent["_row"], account=parent["account"])
    return [records[i] for i in split.leaves]


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
        A frame with ``close.frames.LOCAL_TB_COLUMNS``, ``int64`` minor units, in file order,
        grouping accounts and total rows left out.

    Raises:
        InputDataError: no header, a non-numeric amount, a line whose closing is not opening +
            debit - credit, a grouping account that disagrees with its sub-accounts, or a
            trial balance that does not sum to zero — naming file, row, column or account.

    """
    opts = options or FileOptions()
    candidates = list(_sheet_rows(data, filename=filename, options=opts))
    for sheet, rows, delimiter in candidates:
        layout = _find_layout(rows, opts)
        if layout is None:
            continue
        where = f"{filename} [{sheet}]" if sheet else filename
        decimal = opts.decimal or _decide_decimal(rows, layout, filename=where,
                                                  delimiter=delimiter)
        reader = _Reader(filename=where, entity=entity, currency=currency, layout=layout,
                         decimal=decimal)
        lines = [ln for number, cells in rows if number > layout.header_row
                 if (ln := reader.line(number, cells)) is not None]
        if not lines:
            raise reader.error("no trial-balance lines below the header", row=layout.header_row)
        records = _complete_amounts(lines, layout, reader)
        records = _drop_grouping_accounts(records, reader, _has_kind_column(rows, layout))
        frame = build_local_tb(records, entity)
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

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        """Validate the settings now, so a typo fails at config time, not mid-close.

        Args:
            settings: the entity's source table.
            context: entity, currency and the snapshot file reader.

        Raises:
            ConfigError: ``path`` missing or another setting malformed.

        """
        super().__init__(settings, context)
        self.options = FileOptions.from_settings(settings, entity=context.entity)
        self.path_template = self._path(settings, context.entity)

    @staticmethod
    def _path(settings: Mapping[str, Any], entity: EntityId | None) -> str:
        path = settings.get("path")
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
        return [cls._path(settings, None).replace("{period}", period)]

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
