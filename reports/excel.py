"""The board package workbook (XlsxWriter): statements, worksheet, appendix, native charts.

Every amount is a number cell with an accounting number format (thousands separators,
negatives in parentheses, zero as a dash), never text. Subtotals a reader would check are
formulas (``=SUM(B7:B12)``, ``=B9-C9``) written **with their computed result** as the cached
value, so pandas, previewers and mail clients show the totals without recalculating; the
results are the ones ``reports.statements`` computed, which the deck and the PDF print. Headers
are frozen, columns sized, and every sheet prints landscape, one page wide, with the group,
period and run in the footer. The Charts sheet holds native Excel charts over its own data.

Excel number-format codes are locale-neutral (``#,##0.00`` is shown as ``1.234,56`` by a pt-BR
Excel); the labels follow the group's locale.

The file is byte-for-byte reproducible: document properties carry the run's ``as_of`` and the
zip container is rewritten with fixed entry times (``reports.archive``). openpyxl stays the
reader (tests, connectors); XlsxWriter writes because it stores cached formula values.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from close.engine.definitions import DEFINITIONS
from close.engine.money import ZERO
from reports.archive import normalize_zip
from reports.board_words import kpi_name, kpi_reason
from reports.budget_pages import entity_statement, full_year_statement
from reports.format import format_period, format_score, to_excel_datetime
from reports.fx_pages import covenant_tables, ft, fx_line_name, fx_tables
from reports.labels import t
from reports.model import BoardPackData
from reports.presentation import (
    BRAND,
    GREY,
    LIGHT_FILL,
    LIGHT_INK,
    WATERFALL_COLOURS,
    account_name,
    chart_index,
    light_label,
    line_detail_file_name,
    presented_sign,
    waterfall_series,
)
from reports.statements import (
    Statement,
    Statements,
    board_bridges,
    budget_bridge,
    build_statements,
    income_statement_figures,
)

Kind = Literal["text", "amount", "count", "rate", "percent", "ratio", "datetime", "long_text"]

AMOUNT_FORMAT = '#,##0.00_);(#,##0.00);"–"_)'
RATE_FORMAT = "0.000000"
PERCENT_FORMAT = "0.0%"
RATIO_FORMAT = "0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
COUNT_FORMAT = "#,##0"
_FORMATS: dict[str, str] = {"amount": AMOUNT_FORMAT, "count": COUNT_FORMAT, "rate": RATE_FORMAT,
                            "percent": PERCENT_FORMAT, "ratio": RATIO_FORMAT,
                            "datetime": DATETIME_FORMAT}
_WIDTHS: dict[str, float] = {"text": 16, "amount": 17, "count": 10, "rate": 12, "percent": 10, "ratio": 10,
                             "datetime": 17, "long_text": 60}

_BASE = {"font_name": "Calibri", "font_size": 10}
_TITLE = {"font_size": 14, "bold": True, "font_color": "#" + BRAND}
_META = {"font_size": 9, "font_color": "#595959"}
_HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#" + BRAND, "pattern": 1,
           "valign": "vcenter", "text_wrap": True}
_BOLD = {"bold": True}
_SECTION = {"bold": True, "font_color": "#" + BRAND}
_NOTE = {"italic": True, "font_size": 9, "font_color": "#9C5700"}
_HEADER_LINE_HEIGHT = 13.5  # points per line of a bold 10 pt heading
_HEADER_ROW = 4  # zero-based; rows 0-3: title, group/period/run, amounts-in, blank
_ALIGNMENTS: dict[str, dict[str, Any]] = {"text": {"valign": "top"},
                                          "long_text": {"valign": "top", "text_wrap": True}}


class _Formats:
    """One XlsxWriter format per distinct set of properties (the workbook's style table)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def get(self, *parts: dict[str, Any] | None, **extra: Any) -> Format:
        props: dict[str, Any] = dict(_BASE)
        for p in parts:
            if p:
                props.update(p)
        props.update(extra)
        key = tuple(sorted(props.items()))
        fmt = self._cache.get(key)
        if fmt is None:
            fmt = self._cache[key] = self.wb.add_format(props)
        return fmt


def _number(value: Decimal | int | float) -> float:
    return float(value)


class _Sheet:
    """A sheet with the package's heading block, a header row and typed columns."""

    def __init__(self, book: _Book, name_key: str, title: str,
                 headers: Sequence[tuple[str, Kind]], *, freeze_cols: int = 0) -> None:
        data = book.data
        self.book = book
        self.ws: Worksheet = book.wb.add_worksheet(t(data.locale, name_key))
        self.kinds = [k for _, k in headers]
        fmt = book.formats
        ws = self.ws
        loc = data.locale
        ws.write_string(0, 0, title, fmt.get(_TITLE))
        ws.write_string(1, 0, f"{data.group_name} · {format_period(data.period, loc)} · "
                              f"{t(loc, 'run')} {data.run_id}", fmt.get(_META))
        ws.write_string(2, 0, t(loc, "amounts_in", currency=data.presentation_currency),
                        fmt.get(_META))
        for col, (label, kind) in enumerate(headers):
            align = "left" if kind in ("text", "long_text") else "right"
            ws.write_string(_HEADER_ROW, col, label, fmt.get(_HEADER, align=align))
            ws.set_column(col, col, _WIDTHS[kind])
        # LibreOffice does not grow a written row to its wrapped text: size the header row to
        # its longest heading (the Equity sheet's "Attributable to owners of the parent").
        lines = max((len(textwrap.wrap(label, int(_WIDTHS[kind]) - 2)) for label, kind in headers
                     if kind not in ("text", "long_text")), default=1)
        if lines > 1:
            ws.set_row(_HEADER_ROW, _HEADER_LINE_HEIGHT * lines)
        ws.freeze_panes(_HEADER_ROW + 1, freeze_cols)
        self.row = _HEADER_ROW + 1
        self._plain: dict[tuple[int, str], Format] = {}
        _print_setup(ws, data)

    def meta(self, row: int, text: str, props: dict[str, Any] | None = None) -> None:
        """Overwrite one of the heading rows (0-3) of column A."""
        self.ws.write_string(row, 0, text, self.book.formats.get(_META, props))

    def width(self, col: int, width: float) -> None:
        self.ws.set_column(col, col, width)

    def append(self, values: Sequence[Any], *, props: dict[str, Any] | None = None,
               cached: Sequence[Any] | None = None) -> int:
        """Write one row, formatting each cell by its column's kind; return its zero-based row.

        Args:
            values: one per column; None or "" leaves the cell empty; a string starting with ``=``
                is a formula, written with ``cached[i]`` as its cached value.
            props: extra format properties of the whole row (bold, a fill …).
            cached: the computed results of the row's formulas, by column.

        """
        r = self.row
        for col, (value, _kind) in enumerate(zip(values, self.kinds, strict=True)):
            if value is None or value == "":  # an empty cell, not a cell holding empty text
                continue
            if isinstance(value, str) and value.startswith("="):
                result = cached[col] if cached is not None else None
                self.ws.write_formula(r, col, value, self._format(col, "number", props), _cached(result))
            elif isinstance(value, str):
                self.ws.write_string(r, col, value, self._format(col, "text", props))
            elif isinstance(value, datetime):
                self.ws.write_datetime(r, col, to_excel_datetime(value), self._format(col, "datetime", props))
            else:
                self.ws.write_number(r, col, _number(value), self._format(col, "number", props))
        self.row += 1
        return r

    def _format(self, col: int, written_as: str, props: dict[str, Any] | None) -> Format:
        """Return a cell's format: its column's alignment and number format, plus ``props``.

        A plain row's formats are looked up once per column and kept: building and sorting the
        property set for every cell was most of the time of a 100,000-line trial-balance sheet.
        """
        key = (col, written_as)
        if props is None and (found := self._plain.get(key)) is not None:
            return found
        kind = self.kinds[col]
        extra = {} if written_as == "text" else {
            "num_format": DATETIME_FORMAT if written_as == "datetime" else _FORMATS.get(kind, AMOUNT_FORMAT)}
        fmt = self.book.formats.get(_ALIGNMENTS.get(kind), props, **extra)
        if props is None:
            self._plain[key] = fmt
        return fmt

    def finish(self, *, autofilter: bool = True) -> None:
        if autofilter and self.row > _HEADER_ROW + 1:
            self.ws.autofilter(_HEADER_ROW, 0, self.row - 1, len(self.kinds) - 1)
        self.ws.repeat_rows(_HEADER_ROW)


def _cached(result: Any) -> Any:
    if result is None:
        return 0
    if isinstance(result, str):
        return result
    return _number(result)


class _Book:
    """The workbook being written, its data and its format table."""

    def __init__(self, wb: Workbook, data: BoardPackData) -> None:
        self.wb = wb
        self.data = data
        self.formats = _Formats(wb)


def _print_setup(ws: Worksheet, data: BoardPackData) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    # '&' starts a header/footer code, so literal ampersands are doubled.
    left = f"{data.group_name} · {data.period} · {data.run_id}".replace("&", "&&")
    right = t(data.locale, "page_x_of_y", x="&P", y="&N")
    ws.set_footer(f"&L&8{left}&R&8{right}")


def _light(light: str | None) -> dict[str, Any] | None:
    if not light:
        return None
    return {"bg_color": "#" + LIGHT_FILL[light], "pattern": 1, "bold": True,
            "font_color": "#" + LIGHT_INK[light]}


def _summary(book: _Book, st: Statements) -> None:
    data = book.data
    loc = data.locale
    fmt = book.formats
    sheet = _Sheet(book, "sheet_summary", f"{t(loc, 'board_package')} — "
                   f"{format_period(data.period, loc)}",
                   [(t(loc, "col_figure"), "text"), (t(loc, "col_value"), "amount")])
    sheet.width(0, 44)
    sheet.width(1, 40)
    ws = sheet.ws
    meta: list[tuple[str, Any]] = [
        (t(loc, "group"), f"{data.group_name} ({data.group_id})"),
        (t(loc, "period"), data.period),
        (t(loc, "run"), data.run_id),
        (t(loc, "run_status"), data.run_status),
        (t(loc, "as_of"), data.as_of),
        (t(loc, "currency"), data.presentation_currency),
        (t(loc, "basis"), data.basis),
    ]
    for label, value in meta:
        r = sheet.append([label, None])
        if isinstance(value, datetime):
            ws.write_datetime(r, 1, to_excel_datetime(value), fmt.get(
                align="left", num_format=DATETIME_FORMAT + ' "UTC"'))
        else:
            ws.write_string(r, 1, value, fmt.get(align="left"))
    r = sheet.append([t(loc, "score"), None])
    if data.validation_score is None:
        ws.write_string(r, 1, t(loc, "not_available"))
    else:
        ws.write_number(r, 1, _number(data.validation_score), fmt.get(
            _light(data.validation_light), align="left", num_format='0.0 "/ 100"'))
    sheet.row += 1
    sheet.append([t(loc, "headline_figures"), None], props=_SECTION)
    for h in st.headlines:
        sheet.append([h.label, h.value])
    notes = st.balance_sheet.notes + st.income_statement.notes
    if notes:
        sheet.row += 1
        for note in dict.fromkeys(notes):
            sheet.append([note, None], props=_NOTE)
    sheet.finish(autofilter=False)

    # The entity list sits under the figures; its columns have their own types.
    r = sheet.row + 1
    ws.write_string(r, 0, t(loc, "companies"), fmt.get(_SECTION))
    heads = [t(loc, "col_entity"), t(loc, "col_name"), t(loc, "col_local_currency"),
             t(loc, "col_ownership"), t(loc, "col_method_consolidation")]
    for col, label in enumerate(heads):
        ws.write_string(r + 1, col, label, fmt.get(_HEADER))
    for i, e in enumerate(data.entities, start=r + 2):
        ws.write_string(i, 0, e.id, fmt.get())
        ws.write_string(i, 1, e.name, fmt.get())
        ws.write_string(i, 2, e.currency, fmt.get())
        ws.write_number(i, 3, _number(e.ownership), fmt.get(num_format=PERCENT_FORMAT))
        ws.write_string(i, 4, t(loc, f"method_{e.method}"), fmt.get())


def _statement_sheet(book: _Book, statement: Statement, name_key: str) -> None:
    loc = book.data.locale
    headers: list[tuple[str, Kind]] = [(t(loc, "col_account"), "text")]
    headers += [(c.label, "percent" if c.pct_of else "amount") for c in statement.columns]
    sheet = _Sheet(book, name_key, statement.title, headers, freeze_cols=1)
    sheet.width(0, 52)
    first = sheet.row + 1  # Excel row numbers are one-based
    rows = {i: first + i for i in range(len(statement.lines))}
    blank = [None] * len(statement.columns)
    for i, line in enumerate(statement.lines):
        if line.kind == "section":
            sheet.append([line.label, *blank], props=_SECTION)
            continue
        cells: list[Any] = [line.label]
        for c, column in enumerate(statement.columns):
            letter = xl_col_to_name(c + 1)
            if column.pct_of is not None:  # "n/a" when the base is zero, as in the PDF and deck
                variance, base = (f"{xl_col_to_name(x + 1)}{rows[i]}" for x in column.pct_of)
                cells.append(f'=IF({base}=0,"n/a",{variance}/ABS({base}))')
            elif column.diff_of is not None:
                left, right = (xl_col_to_name(x + 1) for x in column.diff_of)
                cells.append(f"={left}{rows[i]}-{right}{rows[i]}")
            elif line.components:
                cells.append(_sum_formula(letter, [(rows[j], s) for j, s in line.components]))
            else:
                cells.append(line.values[c])
        props: dict[str, Any] = {}
        if line.kind in ("subtotal", "total"):
            props = {"bold": True, "top": 1, "top_color": "#808080",
                     "bottom": 6 if line.kind == "total" else 0}
        r = sheet.append(cells, props=props, cached=[None, *(
            "n/a" if v is None and column.pct_of else v
            for v, column in zip(line.values, statement.columns, strict=True))])
        # The label cell alone: bold without a border, or indented (an indent on a figure
        # would align it left, which XlsxWriter does for any indented cell).
        if line.kind in ("subtotal", "total"):
            sheet.ws.write_string(r, 0, line.label, book.formats.get({"bold": True,
                                                                     "valign": "top"}))
        elif line.kind == "item":
            sheet.ws.write_string(r, 0, line.label, book.formats.get({"indent": 1, "valign": "top"}))
    if statement.notes:
        sheet.row += 1
        for note in statement.notes:
            sheet.append([note, *blank], props=_NOTE)
    sheet.finish(autofilter=False)


def _sum_formula(letter: str, refs: list[tuple[int, int]]) -> str:
    """``=SUM(B7:B12)`` for a contiguous run of added rows, else ``=B7+B12-B15``; ``=0`` if empty."""
    if not refs:
        return "=0"
    rows = [r for r, _ in refs]
    if all(s == 1 for _, s in refs) and rows == list(range(rows[0], rows[0] + len(rows))) \
            and len(rows) > 1:
        return f"=SUM({letter}{rows[0]}:{letter}{rows[-1]})"
    parts = [f"{'+' if s == 1 else '-'}{letter}{r}" for r, s in refs]
    text = "".join(parts)
    return "=" + (text[1:] if text.startswith("+") else text)


def _total_row(sheet: _Sheet, label_col: int, label: str, cells: dict[int, tuple[str, Decimal]],
               row: int | None = None) -> None:
    """Write a bold total row of formulas with their cached sums below a table."""
    fmt = sheet.book.formats
    r = sheet.row + 1 if row is None else row
    sheet.ws.write_string(r, label_col, label, fmt.get(_BOLD))
    for col, (formula, value) in cells.items():
        sheet.ws.write_formula(r, col, formula, fmt.get(
            _BOLD, num_format=AMOUNT_FORMAT, top=1, bottom=6), _number(value))


def _consolidating(book: _Book) -> None:
    data = book.data
    loc = data.locale
    names = chart_index(data)
    headers: list[tuple[str, Kind]] = [
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_name"), "text"), (t(loc, "col_local"), "amount"),
        (t(loc, "col_local_currency"), "text"), (t(loc, "col_rate"), "rate"),
        (t(loc, "col_translated"), "amount"), (t(loc, "col_eliminations"), "amount"),
        (t(loc, "col_ppa"), "amount"), (t(loc, "col_adjustments"), "amount"),
        (t(loc, "col_consolidated"), "amount")]
    sheet = _Sheet(book, "sheet_consolidating", t(loc, "consolidating"), headers, freeze_cols=3)
    sheet.width(2, 40)
    sheet.width(4, 9)
    first = sheet.row + 1
    sums = [ZERO] * 5
    for w in data.worksheet:
        r = sheet.row + 1
        parts = (w.translated, w.eliminations, w.ppa, w.adjustments, w.consolidated)
        sums = [a + b for a, b in zip(sums, parts, strict=True)]
        sheet.append([w.entity, w.account, account_name(data, w.account, names), w.local_amount,
                      w.local_currency, w.rate, w.translated, w.eliminations, w.ppa,
                      w.adjustments, f"=SUM(G{r}:J{r})"],
                     cached=[None] * 10 + [w.translated + w.eliminations + w.ppa + w.adjustments])
    last = sheet.row
    sheet.finish()
    # SUBTOTAL ignores rows hidden by the filter: filter one entity and read its totals.
    if last >= first:
        _total_row(sheet, 0, t(loc, "total"), {
            col: (f"=SUBTOTAL(9,{xl_col_to_name(col)}{first}:{xl_col_to_name(col)}{last})",
                  sums[col - 6]) for col in range(6, 11)})


def _trial_balance(book: _Book) -> None:
    """One row per entity, its lines summed; the lines are the package's CSV (millions at scale)."""
    data = book.data
    loc = data.locale
    headers: list[tuple[str, Kind]] = [
        (t(loc, "col_entity"), "text"), (t(loc, "col_local_currency"), "text"),
        (t(loc, "col_lines"), "count"), (t(loc, "col_opening"), "amount"),
        (t(loc, "col_debits"), "amount"), (t(loc, "col_credits"), "amount"),
        (t(loc, "col_closing"), "amount")]
    sheet = _Sheet(book, "sheet_tb", t(loc, "trial_balance"), headers, freeze_cols=1)
    sheet.meta(2, f"{t(loc, 'col_local')} ({t(loc, 'col_local_currency').lower()})")
    sheet.meta(3, t(loc, "tb_lines_note", file=line_detail_file_name(data)), _NOTE)
    for e in data.trial_balance:
        r = sheet.row + 1
        sheet.append([e.entity, e.currency, e.lines, e.opening, e.debits, e.credits, f"=D{r}+E{r}-F{r}"],
                     cached=[None] * 6 + [e.opening + e.debits - e.credits])
    sheet.finish()


def _fx_rates(book: _Book) -> None:
    data = book.data
    loc = data.locale
    sheet = _Sheet(book, "sheet_fx", t(loc, "fx_rates"), [
        (t(loc, "col_local_currency"), "text"), (t(loc, "col_rate_type"), "text"),
        (t(loc, "col_rate"), "rate"), (t(loc, "col_source"), "text"),
        (t(loc, "col_method"), "text")])
    sheet.meta(2, f"{data.presentation_currency} / 1 unit")
    sheet.width(3, 28)
    sheet.width(4, 32)
    if not data.fx_rates:
        sheet.append([t(loc, "no_items"), None, None, None, None])
    for rate in data.fx_rates:
        sheet.append([rate.currency, rate.rate_type, rate.rate, rate.source, rate.method])
    sheet.finish()


def _fx_impact(book: _Book) -> None:
    """Return the FX impact (``reports.fx_pages``'s rows as numbers): growth, split and check as formulas."""
    data, loc = book.data, book.data.locale
    impact = data.fx_impact
    if impact is None:
        return
    cols = ("fx_col_comparative", "fx_col_reported", "fx_col_constant", "fx_col_growth",
            "fx_col_operational", "fx_col_operational_pct", "fx_col_translation", "fx_check")
    sheet = _Sheet(book, "sheet_fx_impact", ft(loc, "fx_title"), [
        (ft(loc, "fx_col_scope"), "text"), (ft(loc, "fx_col_figure"), "text"),
        (ft(loc, "fx_col_line"), "text"),
        *((ft(loc, c), "percent" if c == "fx_col_operational_pct" else "amount") for c in cols)])
    sheet.width(1, 24)
    sheet.width(2, 26)
    for col in range(3, 10):  # wide enough for the headings, which do not wrap
        sheet.width(col, 22)
    sheet.width(10, 44)
    for row in impact.rows:
        r = sheet.row + 1  # 1-based row of the formulas
        scope = ft(loc, f"fx_scope_{row.scope}", period=format_period(impact.period, loc),
                   comparative=format_period(impact.comparative_period, loc)).split(":")[0]
        pct = None if row.comparative == 0 else row.operational / abs(row.comparative)
        sheet.append([scope, ft(loc, f"fx_figure_{row.figure}"), fx_line_name(row, loc),
                      row.comparative, row.reported, row.constant, f"=E{r}-D{r}", f"=F{r}-D{r}",
                      f'=IF(D{r}=0,"",H{r}/ABS(D{r}))', f"=E{r}-F{r}", f"=H{r}+J{r}-G{r}"],
                     props={"bold": True} if row.line == "total" else None,
                     cached=[None] * 6 + [row.growth, row.operational, "" if pct is None else pct,
                                          row.translation, row.unexplained])
    _, notes = fx_tables(data)
    for note in notes:
        sheet.append([note, *([None] * 10)])
    sheet.finish(autofilter=False)


def _covenants(book: _Book) -> None:
    """Return the covenants with their headroom and status, then the figures (only when configured)."""
    data, loc = book.data, book.data.locale
    for tb in covenant_tables(data):
        report = data.covenants
        sheet = _Sheet(book, "sheet_covenants", tb.title, [
            (tb.header[0], "text"), (ft(loc, "cov_col_limit"), "amount"), (tb.header[2], "amount"),
            (tb.header[3], "amount"), (tb.header[4], "percent"), (tb.header[5], "text")])
        sheet.width(0, 40)
        sheet.width(4, 18)
        for test, cells in zip(report.tests, tb.rows, strict=False):
            sheet.append([cells[0], test.limit, test.value, test.headroom, test.headroom_pct, None])
            sheet.ws.write_string(sheet.row - 1, 5, cells[5], book.formats.get(_light(
                {"green": "green", "amber": "yellow", "red": "red"}[test.status])))
        f = report.figures
        sheet.append([ft(loc, "cov_figures"), None, None, None, None, None], props={"bold": True})
        for key, value in (("cov_fig_borrowings", f.borrowings), ("cov_fig_cash", f.cash),
                           ("cov_fig_net_debt", f.net_debt), ("cov_fig_ltm_ebitda", f.ltm_ebitda),
                           ("cov_fig_ltm_interest", f.ltm_interest),
                           ("cov_fig_undrawn", f.undrawn_facilities),
                           ("cov_fig_liquidity", f.liquidity)):
            sheet.append([ft(loc, key, months=f.months), None, value, None, None, None])
        for note in tb.notes:
            sheet.append([note, None, None, None, None, None])
        sheet.finish(autofilter=False)


def _eliminations(book: _Book) -> None:
    data = book.data
    loc = data.locale
    names = chart_index(data)
    sheet = _Sheet(book, "sheet_elim", t(loc, "eliminations"), [
        (t(loc, "col_journal"), "text"), (t(loc, "col_kind"), "text"),
        (t(loc, "col_basis"), "text"), (t(loc, "col_description"), "text"),
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_name"), "text"), (t(loc, "col_counterparty"), "text"),
        (t(loc, "col_amount"), "amount"), (t(loc, "col_memo"), "text")], freeze_cols=1)
    sheet.width(3, 44)
    sheet.width(6, 36)
    sheet.width(9, 36)
    if not data.journals:
        sheet.append([t(loc, "no_items")] + [None] * 9)
    for j in data.journals:
        rows = []
        for line in j.lines:
            rows.append(sheet.append([j.id, j.kind, j.basis, j.description, line.entity,
                                      line.account, account_name(data, line.account, names),
                                      line.counterparty or "", line.amount, line.memo]) + 1)
        total = sum((line.amount for line in j.lines), ZERO)
        sheet.append([j.id, None, None, None, None, None, t(loc, "total"), None,
                      f"=SUM(I{rows[0]}:I{rows[-1]})" if rows else "=0", None],
                     props={"bold": True, "top": 1}, cached=[None] * 8 + [total, None])
    sheet.finish()


def _variances(book: _Book) -> None:
    data = book.data
    loc = data.locale
    names = chart_index(data)
    sheet = _Sheet(book, "sheet_variances", t(loc, "variances"), [
        (t(loc, "col_account"), "text"), (t(loc, "col_name"), "text"),
        (t(loc, "col_basis"), "text"), (t(loc, "col_scope"), "text"),
        (t(loc, "col_actual"), "amount"), (t(loc, "col_comparison"), "amount"),
        (t(loc, "col_difference"), "amount"), (t(loc, "col_pct"), "percent"),
        (t(loc, "col_commentary"), "long_text"), (t(loc, "col_source_ai"), "text"),
        (t(loc, "col_confidence"), "percent"), (t(loc, "col_light"), "text")], freeze_cols=2)
    sheet.width(1, 32)
    if not data.variances:
        sheet.append([t(loc, "section_not_available", what=t(loc, "variances"))] + [None] * 11)
    for v in data.variances:
        acc = names.get(v.account)
        sign = presented_sign(acc) if acc else 1
        r = sheet.row + 1
        actual, comparison = sign * v.actual, sign * v.comparison
        difference = actual - comparison
        pct: Any = "n/a" if comparison == 0 else difference / abs(comparison)
        row = sheet.append([v.account, account_name(data, v.account, names),
                            t(loc, f"basis_{v.basis}"), t(loc, f"scope_{v.scope}"),
                            actual, comparison, f"=E{r}-F{r}",
                            f'=IF(F{r}=0,"n/a",G{r}/ABS(F{r}))', v.commentary,
                            t(loc, f"source_{v.source}"), v.confidence, None],
                           cached=[None] * 6 + [difference, pct] + [None] * 4)
        sheet.ws.write_string(row, 11, light_label(loc, v.light),
                              book.formats.get({"valign": "top"}, _light(v.light)))
    sheet.finish()


def _kpis(book: _Book) -> None:
    data = book.data
    loc = data.locale
    periods = sorted({p.period for k in data.kpis for p in k.trend})
    headers: list[tuple[str, Kind]] = [(t(loc, "col_kpi"), "text"), (t(loc, "col_value"), "ratio"),
                                       (t(loc, "col_unit"), "text"), (t(loc, "col_note"), "text")]
    headers += [(p, "ratio") for p in periods]
    sheet = _Sheet(book, "sheet_kpis", t(loc, "kpis"), headers, freeze_cols=1)
    sheet.width(0, 36)
    sheet.width(3, 44)
    formats = {"percent": PERCENT_FORMAT, "currency": AMOUNT_FORMAT, "ratio": RATIO_FORMAT,
               "months": RATIO_FORMAT, "count": "#,##0"}
    fmt = book.formats
    if not data.kpis:
        sheet.append([t(loc, "section_not_available", what=t(loc, "kpis"))]
                     + [None] * (len(headers) - 1))
    for k in data.kpis:
        trend = {p.period: p.value for p in k.trend}
        r = sheet.append([kpi_name(k.code, k.name, loc), None, k.unit, kpi_reason(k.reason, loc),
                          *([None] * len(periods))])
        for col, value in [(1, k.value), *((5 + i - 1, trend.get(p))
                                            for i, p in enumerate(periods))]:
            if value is not None:
                sheet.ws.write_number(r, col, _number(value), fmt.get(num_format=formats[k.unit]))
            elif col == 1:
                sheet.ws.write_string(r, col, "n/a", fmt.get(align="right"))
    sheet.finish()


def _validation(book: _Book) -> None:
    data = book.data
    loc = data.locale
    sheet = _Sheet(book, "sheet_validation", t(loc, "validation"), [
        (t(loc, "col_code"), "text"), (t(loc, "col_severity"), "text"),
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_expected"), "amount"), (t(loc, "col_actual"), "amount"),
        (t(loc, "col_difference"), "amount"), (t(loc, "col_message"), "long_text"),
        (t(loc, "col_waived_by"), "text"), (t(loc, "col_waiver_reason"), "long_text")],
        freeze_cols=1)
    sheet.width(0, 20)
    sheet.width(9, 40)
    score = (t(loc, "not_available") if data.validation_score is None
             else f"{format_score(data.validation_score, loc)} / 100 "
             f"({light_label(loc, data.validation_light)})")
    sheet.meta(2, f"{t(loc, 'score')}: {score}", _light(data.validation_light))
    if not data.validation:
        sheet.append([t(loc, "section_not_available", what=t(loc, "validation"))] + [None] * 9)
    for f in data.validation:
        r = sheet.append([f.code, None, f.entity or "", f.account or "",
                          f.expected, f.actual, f.difference, f.message, f.waived_by or "",
                          f.waiver_reason or ""])
        light = {"pass": "green", "warn": "yellow", "fail": "red"}[f.severity]
        sheet.ws.write_string(r, 1, t(loc, f"sev_{f.severity}"),
                              book.formats.get({"valign": "top"}, _light(light)))
    sheet.finish()


def _audit_log(book: _Book) -> None:
    data = book.data
    loc = data.locale
    sheet = _Sheet(book, "sheet_audit", t(loc, "audit_log"), [
        (t(loc, "col_time"), "datetime"), (t(loc, "col_actor"), "text"),
        (t(loc, "col_event"), "text"), (t(loc, "col_detail"), "long_text")])
    sheet.meta(2, "")
    if not data.audit_log:
        sheet.append([None, t(loc, "no_items"), None, None])
    for event in data.audit_log:
        sheet.append([event.time, event.actor, event.event, event.detail])
    sheet.finish()


def _charts(book: _Book, st: Statements) -> None:
    """Native charts: revenue and EBITDA by month and the budget bridges, over tables here."""
    data = book.data
    loc = data.locale
    sheet = _Sheet(book, "sheet_charts", t(loc, "financial_performance"), [
        (t(loc, "col_period"), "text"), (t(loc, "revenue"), "amount"),
        (t(loc, "ebitda"), "amount"), (t(loc, "profit_for_period"), "amount")])
    name = sheet.ws.name
    points = [(h.period, income_statement_figures(h.balances, data.chart)) for h in data.history]
    points.append((data.period, {"revenue": st.headline("revenue_month"),
                                 "ebitda": st.headline("ebitda_month"),
                                 "net_income": st.headline("net_income_month")}))
    first = sheet.row
    for period, f in points:
        sheet.append([period, f["revenue"], f["ebitda"], f["net_income"]])
    last = sheet.row - 1
    trend = book.wb.add_chart({"type": "column"})
    for col in (1, 2):
        trend.add_series({"name": [name, _HEADER_ROW, col],
                          "categories": [name, first, 0, last, 0],
                          "values": [name, first, col, last, col]})
    trend.set_title({"name": t(loc, "trend_revenue_ebitda")})
    trend.set_legend({"position": "bottom"})
    trend.set_y_axis({"num_format": "#,##0"})
    trend.set_size({"width": 720, "height": 320})
    sheet.ws.insert_chart(_HEADER_ROW, 5, trend)
    main = budget_bridge(st, loc)
    bridges = ([(t(loc, "waterfall"), main)] if main is not None else []) + list(
        board_bridges(st, loc))
    for i, (title, steps) in enumerate(bridges):
        sheet.row += 1
        top = sheet.row
        sheet.append([title, None, None, None], props=_SECTION)
        for _, label, amount in steps:
            sheet.append([label, amount, None, None])
        bridge = _waterfall(book, sheet, top, [amount for _, _, amount in steps])
        bridge.set_title({"name": title})
        sheet.ws.insert_chart(_HEADER_ROW + 17 * (i + 1), 5, bridge)
    sheet.width(0, 36)
    sheet.finish(autofilter=False)


# The waterfall's helper columns, right of the charts: the invisible base and the parts above
# and below zero (``waterfall_series``).
_WATERFALL_COL = 17


def _waterfall(book: _Book, sheet: _Sheet, top: int, amounts: Sequence[Decimal]) -> Any:
    """Return a waterfall of the bridge whose steps are in rows ``top + 1`` …: stacked columns.

    As in the deck: an invisible base, each column coloured by its kind (total, rise, fall).
    """
    name, ws = sheet.ws.name, sheet.ws
    first, last = top + 1, top + len(amounts)
    *series, kinds = waterfall_series(amounts)
    ws.set_column(_WATERFALL_COL, _WATERFALL_COL + len(series) - 1, _WIDTHS["amount"])
    amount = book.formats.get({"num_format": AMOUNT_FORMAT})
    chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
    loc = book.data.locale
    headings = ("", t(loc, "increase"), t(loc, "decrease"))
    for k, (heading, values) in enumerate(zip(headings, series, strict=True)):
        col = _WATERFALL_COL + k
        ws.write_string(top, col, heading, book.formats.get(_META))
        for r, value in enumerate(values, start=first):
            ws.write_number(r, col, _number(value), amount)
        points = ([{"fill": {"none": True}, "border": {"none": True}}] * len(kinds) if k == 0 else
                  [{"fill": {"color": "#" + WATERFALL_COLOURS[kind]}, "border": {"none": True}}
                   for kind in kinds])
        chart.add_series({"categories": [name, first, 0, last, 0], "values": [name, first, col, last, col],
                          "points": points, "gap": 60, "overlap": 100})
    chart.set_legend({"none": True})
    chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True,
                                                                 "line": {"color": "#" + GREY}}})
    chart.set_x_axis({"label_position": "low"})
    chart.set_size({"width": 720, "height": 320})
    return chart


def _definitions(book: _Book) -> None:
    loc = book.data.locale
    sheet = _Sheet(book, "sheet_definitions", t(loc, "definitions"), [
        (t(loc, "col_figure"), "text"), (t(loc, "col_formula"), "long_text")])
    sheet.width(0, 36)
    sheet.width(1, 100)
    for d in DEFINITIONS:
        sheet.append(list(d.localized(loc)))
    sheet.finish(autofilter=False)


_SHEETS: tuple[Callable[[_Book], None], ...] = (
    _consolidating, _trial_balance, _fx_rates, _eliminations, _variances, _kpis, _validation,
    _audit_log)


def build_workbook(data: BoardPackData) -> bytes:
    """Render the board package workbook.

    Args:
        data: the board pack.

    Returns:
        The ``.xlsx`` bytes; the same ``data`` gives the same bytes in any process or time zone.

    """
    st = build_statements(data)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    book = _Book(wb, data)
    _summary(book, st)
    _statement_sheet(book, st.balance_sheet, "sheet_bs")
    _statement_sheet(book, st.income_statement, "sheet_pl")
    _statement_sheet(book, full_year_statement(data), "sheet_pl_full_year")
    _statement_sheet(book, entity_statement(data), "sheet_entity_pl")
    _statement_sheet(book, st.cash_flow, "sheet_cf")
    _statement_sheet(book, st.equity_changes, "sheet_soce")
    for add in _SHEETS:
        add(book)
    _fx_impact(book)
    _covenants(book)
    _charts(book, st)
    _definitions(book)
    wb.set_properties({
        "title": f"{t(data.locale, 'board_package')} {data.group_name} {data.period}",
        "subject": f"run {data.run_id}", "author": "monthclose",
        "created": to_excel_datetime(data.as_of)})
    wb.close()
    return normalize_zip(buffer.getvalue(), data.as_of)
