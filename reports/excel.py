"""The board package workbook (openpyxl): statements, worksheet, appendix, one sheet each.

Every amount is a number cell with an accounting number format (thousands separators,
negatives in parentheses, zero as a dash), never text. Subtotals a reader would check are
formulas (``=SUM(B7:B12)``, ``=B9-C9``); their values are the ones ``reports.statements``
computed, which the deck and the PDF print. Headers are frozen, columns sized, and every sheet
prints landscape, one page wide, with the group, period and run in the footer.

Excel number-format codes are locale-neutral (``#,##0.00`` is shown as ``1.234,56`` by a pt-BR
Excel); the labels follow the group's locale.

The file is byte-for-byte reproducible: document properties carry the run's ``as_of`` and the
zip container is rewritten with fixed entry times (``reports.archive``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from copy import copy
from datetime import datetime
from typing import Any, Literal
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from reports.archive import normalize_zip
from reports.format import format_period, to_excel_datetime
from reports.labels import t
from reports.model import BoardPackData
from reports.presentation import (
    BRAND,
    LIGHT_FILL,
    LIGHT_INK,
    account_name,
    chart_index,
    light_label,
    presented_sign,
)
from reports.statements import Statement, Statements, build_statements

Kind = Literal["text", "amount", "rate", "percent", "ratio", "datetime", "long_text"]

AMOUNT_FORMAT = '#,##0.00_);(#,##0.00);"–"_)'
RATE_FORMAT = "0.000000"
PERCENT_FORMAT = "0.0%"
RATIO_FORMAT = "0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_FORMATS: dict[str, str] = {"amount": AMOUNT_FORMAT, "rate": RATE_FORMAT,
                            "percent": PERCENT_FORMAT, "ratio": RATIO_FORMAT,
                            "datetime": DATETIME_FORMAT}
_WIDTHS: dict[str, float] = {"text": 16, "amount": 17, "rate": 12, "percent": 10, "ratio": 10,
                             "datetime": 17, "long_text": 60}

_TITLE = Font(name="Calibri", size=14, bold=True, color=BRAND)
_META = Font(name="Calibri", size=9, color="595959")
_HEADER_FONT = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=BRAND)
_BOLD = Font(name="Calibri", size=10, bold=True)
_SECTION = Font(name="Calibri", size=10, bold=True, color=BRAND)
_THIN = Side(style="thin", color="808080")
_DOUBLE = Side(style="double", color="000000")
_HEADER_ROW = 5  # rows 1-4: title, group/period/run, amounts-in, blank
_TOP = Alignment(vertical="top")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_ALIGNMENTS: dict[str, Alignment] = {"text": _TOP, "long_text": _WRAP_TOP}


class _Sheet:
    """A sheet with the package's heading block, a header row and typed columns."""

    def __init__(self, wb: Workbook, data: BoardPackData, name_key: str, title: str,
                 headers: Sequence[tuple[str, Kind]], *, freeze_cols: int = 0) -> None:
        self.ws: Worksheet = wb.create_sheet(t(data.locale, name_key))
        self.data = data
        self.kinds = [k for _, k in headers]
        ws = self.ws
        ws["A1"] = title
        ws["A1"].font = _TITLE
        loc = data.locale
        ws["A2"] = (f"{data.group_name} · {format_period(data.period, loc)} · "
                    f"{t(loc, 'run')} {data.run_id}")
        ws["A3"] = t(loc, "amounts_in", currency=data.presentation_currency)
        for cell in ("A2", "A3"):
            ws[cell].font = _META
        for col, (label, kind) in enumerate(headers, start=1):
            cell = ws.cell(_HEADER_ROW, col, label)
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
            cell.alignment = Alignment(horizontal="left" if kind in ("text", "long_text")
                                       else "right", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(col)].width = _WIDTHS[kind]
        ws.freeze_panes = ws.cell(_HEADER_ROW + 1, freeze_cols + 1)
        self.row = _HEADER_ROW + 1
        # (font, fill) → (kind, formatted) → the cell style that append() gives such a cell
        self._styles: dict[tuple[Font | None, PatternFill | None],
                           dict[tuple[str, bool], StyleArray]] = {}
        _print_setup(ws, data)

    def width(self, col: int, width: float) -> None:
        self.ws.column_dimensions[get_column_letter(col)].width = width

    def append(self, values: Sequence[Any], *, font: Font | None = None,
               fill: PatternFill | None = None) -> int:
        """Write one row, formatting each cell by its column's kind; return the row number.

        Setting a style attribute makes openpyxl hash the style object to find it in the
        workbook, which dominated the build of the large sheets. So the first cell of each
        combination is styled through the attributes and every later one copies its style.
        """
        r = self.row
        styles = self._styles.setdefault((font, fill), {})
        for col, (value, kind) in enumerate(zip(values, self.kinds, strict=True), start=1):
            if value is None:
                continue
            cell = self.ws.cell(r, col, to_excel_datetime(value)
                                if isinstance(value, datetime) else value)
            formatted = kind in _FORMATS and not isinstance(value, str) or (
                isinstance(value, str) and value.startswith("="))
            style = styles.get((kind, formatted))
            if style is not None:
                cell._style = copy(style)  # openpyxl's way to copy a style
                continue
            if formatted:
                cell.number_format = _FORMATS.get(kind, AMOUNT_FORMAT)
            if kind in _ALIGNMENTS:
                cell.alignment = _ALIGNMENTS[kind]
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            styles[(kind, formatted)] = copy(cell._style)
        self.row += 1
        return r

    def finish(self, *, autofilter: bool = True) -> None:
        last = get_column_letter(len(self.kinds))
        if autofilter and self.row > _HEADER_ROW + 1:
            self.ws.auto_filter.ref = f"A{_HEADER_ROW}:{last}{self.row - 1}"
        self.ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"


def _print_setup(ws: Worksheet, data: BoardPackData) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    # '&' starts a header/footer code, so literal ampersands are doubled.
    left = f"{data.group_name} · {data.period} · {data.run_id}".replace("&", "&&")
    ws.oddFooter.left.text = left
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = t(data.locale, "page_x_of_y", x="&P", y="&N")
    ws.oddFooter.right.size = 8


def _fill(color: str) -> PatternFill:
    return PatternFill("solid", fgColor=color)


def _light_cell(sheet: _Sheet, row: int, col: int, light: str | None) -> None:
    if light:
        cell = sheet.ws.cell(row, col)
        cell.fill = _fill(LIGHT_FILL[light])
        cell.font = Font(name="Calibri", size=10, bold=True, color=LIGHT_INK[light])


def _summary(wb: Workbook, data: BoardPackData, st: Statements) -> None:
    loc = data.locale
    sheet = _Sheet(wb, data, "sheet_summary", f"{t(loc, 'board_package')} — "
                   f"{format_period(data.period, loc)}",
                   [(t(loc, "col_figure"), "text"), (t(loc, "col_value"), "amount")])
    sheet.width(1, 44)
    sheet.width(2, 40)
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
        cell = sheet.ws.cell(r, 2, to_excel_datetime(value) if isinstance(value, datetime) else value)
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT + ' "UTC"'
    r = sheet.append([t(loc, "score"), None])
    if data.validation_score is None:
        sheet.ws.cell(r, 2, t(loc, "not_available"))
    else:
        cell = sheet.ws.cell(r, 2, data.validation_score)
        cell.number_format = '0.0 "/ 100"'
        cell.alignment = Alignment(horizontal="left")
        _light_cell(sheet, r, 2, data.validation_light)
    sheet.row += 1
    sheet.append([t(loc, "headline_figures"), None], font=_SECTION)
    for h in st.headlines:
        sheet.append([h.label, h.value])
    notes = st.balance_sheet.notes + st.income_statement.notes
    if notes:
        sheet.row += 1
        for note in dict.fromkeys(notes):
            sheet.append([note, None], font=Font(italic=True, size=9, color="9C5700"))
    sheet.finish(autofilter=False)

    # The entity list sits under the figures; its columns have their own types.
    ws, r = sheet.ws, sheet.row + 1
    ws.cell(r, 1, t(loc, "companies")).font = _SECTION
    heads = [t(loc, "col_entity"), t(loc, "col_name"), t(loc, "col_local_currency"),
             t(loc, "col_ownership"), t(loc, "col_method_consolidation")]
    for col, label in enumerate(heads, start=1):
        cell = ws.cell(r + 1, col, label)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for i, e in enumerate(data.entities, start=r + 2):
        ws.cell(i, 1, e.id)
        ws.cell(i, 2, e.name)
        ws.cell(i, 3, e.currency)
        ws.cell(i, 4, e.ownership).number_format = PERCENT_FORMAT
        ws.cell(i, 5, t(loc, f"method_{e.method}"))


def _statement_sheet(wb: Workbook, data: BoardPackData, statement: Statement, name_key: str) -> None:
    loc = data.locale
    headers: list[tuple[str, Kind]] = [(t(loc, "col_account"), "text")]
    headers += [(c.label, "amount") for c in statement.columns]
    sheet = _Sheet(wb, data, name_key, statement.title, headers, freeze_cols=1)
    sheet.width(1, 52)
    first = sheet.row
    rows = {i: first + i for i in range(len(statement.lines))}
    for i, line in enumerate(statement.lines):
        if line.kind == "section":
            sheet.append([line.label] + [None] * len(statement.columns), font=_SECTION)
            continue
        cells: list[Any] = [line.label]
        for c, column in enumerate(statement.columns):
            letter = get_column_letter(c + 2)
            if column.diff_of is not None:
                left, right = (get_column_letter(x + 2) for x in column.diff_of)
                cells.append(f"={left}{rows[i]}-{right}{rows[i]}")
            elif line.components:
                cells.append(_sum_formula(letter, [(rows[j], s) for j, s in line.components]))
            else:
                cells.append(line.values[c])
        font = _BOLD if line.kind in ("subtotal", "total") else None
        r = sheet.append(cells, font=font)
        label = sheet.ws.cell(r, 1)
        label.alignment = Alignment(indent=0 if line.kind != "item" else 1)
        if line.kind in ("subtotal", "total"):
            for col in range(2, len(statement.columns) + 2):
                sheet.ws.cell(r, col).border = Border(
                    top=_THIN, bottom=_DOUBLE if line.kind == "total" else None)
    if statement.notes:
        sheet.row += 1
        for note in statement.notes:
            sheet.append([note] + [None] * len(statement.columns),
                         font=Font(italic=True, size=9, color="9C5700"))
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


def _consolidating(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    names = chart_index(data)
    headers: list[tuple[str, Kind]] = [
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_name"), "text"), (t(loc, "col_local"), "amount"),
        (t(loc, "col_local_currency"), "text"), (t(loc, "col_rate"), "rate"),
        (t(loc, "col_translated"), "amount"), (t(loc, "col_eliminations"), "amount"),
        (t(loc, "col_ppa"), "amount"), (t(loc, "col_adjustments"), "amount"),
        (t(loc, "col_consolidated"), "amount")]
    sheet = _Sheet(wb, data, "sheet_consolidating", t(loc, "consolidating"), headers, freeze_cols=3)
    sheet.width(3, 40)
    sheet.width(5, 9)
    first = sheet.row
    for w in data.worksheet:
        r = sheet.row
        sheet.append([w.entity, w.account, account_name(data, w.account, names), w.local_amount,
                      w.local_currency, w.rate, w.translated, w.eliminations, w.ppa,
                      w.adjustments, f"=SUM(G{r}:J{r})"])
    last = sheet.row - 1
    sheet.finish()
    # SUBTOTAL ignores rows hidden by the filter: filter one entity and read its totals.
    if last >= first:
        r = sheet.row + 1
        sheet.ws.cell(r, 1, t(loc, "total")).font = _BOLD
        for col in range(7, 12):
            letter = get_column_letter(col)
            cell = sheet.ws.cell(r, col, f"=SUBTOTAL(9,{letter}{first}:{letter}{last})")
            cell.number_format, cell.font = AMOUNT_FORMAT, _BOLD
            cell.border = Border(top=_THIN, bottom=_DOUBLE)


def _trial_balance(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    headers: list[tuple[str, Kind]] = [
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_name"), "text"), (t(loc, "col_std_account"), "text"),
        (t(loc, "col_local_currency"), "text"), (t(loc, "col_counterparty"), "text"),
        (t(loc, "col_opening"), "amount"), (t(loc, "col_debits"), "amount"),
        (t(loc, "col_credits"), "amount"), (t(loc, "col_closing"), "amount")]
    sheet = _Sheet(wb, data, "sheet_tb", t(loc, "trial_balance"), headers, freeze_cols=3)
    sheet.width(3, 40)
    sheet.ws["A3"] = f"{t(loc, 'col_local')} ({t(loc, 'col_local_currency').lower()})"
    block: dict[str, list[int]] = {}
    for line in data.trial_balance:
        r = sheet.row
        block.setdefault(line.entity, []).append(r)
        sheet.append([line.entity, line.account, line.account_name, line.std_account or "",
                      line.currency, line.counterparty or "", line.opening, line.debits,
                      line.credits, f"=G{r}+H{r}-I{r}"])
    sheet.finish()
    # Each entity's trial balance must sum to zero: one check row per entity, below the table.
    r = sheet.row + 1
    for entity, rows in block.items():
        sheet.ws.cell(r, 1, entity).font = _BOLD
        sheet.ws.cell(r, 3, t(loc, "total")).font = _BOLD
        for col in range(7, 11):
            letter = get_column_letter(col)
            cell = sheet.ws.cell(r, col, f"=SUMIF($A${rows[0]}:$A${rows[-1]},$A{r},"
                                         f"{letter}${rows[0]}:{letter}${rows[-1]})")
            cell.number_format, cell.font = AMOUNT_FORMAT, _BOLD
        r += 1


def _fx_rates(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    sheet = _Sheet(wb, data, "sheet_fx", t(loc, "fx_rates"), [
        (t(loc, "col_local_currency"), "text"), (t(loc, "col_rate_type"), "text"),
        (t(loc, "col_rate"), "rate"), (t(loc, "col_source"), "text"),
        (t(loc, "col_method"), "text")])
    sheet.ws["A3"] = f"{data.presentation_currency} / 1 unit"
    sheet.width(4, 28)
    sheet.width(5, 32)
    if not data.fx_rates:
        sheet.append([t(loc, "no_items"), None, None, None, None])
    for rate in data.fx_rates:
        sheet.append([rate.currency, rate.rate_type, rate.rate, rate.source, rate.method])
    sheet.finish()


def _eliminations(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    names = chart_index(data)
    sheet = _Sheet(wb, data, "sheet_elim", t(loc, "eliminations"), [
        (t(loc, "col_journal"), "text"), (t(loc, "col_kind"), "text"),
        (t(loc, "col_basis"), "text"), (t(loc, "col_description"), "text"),
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_name"), "text"), (t(loc, "col_counterparty"), "text"),
        (t(loc, "col_amount"), "amount"), (t(loc, "col_memo"), "text")], freeze_cols=1)
    sheet.width(4, 44)
    sheet.width(7, 36)
    sheet.width(10, 36)
    if not data.journals:
        sheet.append([t(loc, "no_items")] + [None] * 9)
    for j in data.journals:
        rows = []
        for line in j.lines:
            rows.append(sheet.append([j.id, j.kind, j.basis, j.description, line.entity,
                                      line.account, account_name(data, line.account, names),
                                      line.counterparty or "", line.amount, line.memo]))
        r = sheet.append([j.id, None, None, None, None, None, t(loc, "total"), None,
                          f"=SUM(I{rows[0]}:I{rows[-1]})" if rows else "=0", None], font=_BOLD)
        sheet.ws.cell(r, 9).border = Border(top=_THIN)
    sheet.finish()


def _variances(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    names = chart_index(data)
    sheet = _Sheet(wb, data, "sheet_variances", t(loc, "variances"), [
        (t(loc, "col_account"), "text"), (t(loc, "col_name"), "text"),
        (t(loc, "col_basis"), "text"), (t(loc, "col_scope"), "text"),
        (t(loc, "col_actual"), "amount"), (t(loc, "col_comparison"), "amount"),
        (t(loc, "col_difference"), "amount"), (t(loc, "col_pct"), "percent"),
        (t(loc, "col_commentary"), "long_text"), (t(loc, "col_source_ai"), "text"),
        (t(loc, "col_confidence"), "percent"), (t(loc, "col_light"), "text")], freeze_cols=2)
    sheet.width(2, 32)
    if not data.variances:
        sheet.append([t(loc, "section_not_available", what=t(loc, "variances"))] + [None] * 11)
    for v in data.variances:
        acc = names.get(v.account)
        sign = presented_sign(acc) if acc else 1
        r = sheet.row
        sheet.append([v.account, account_name(data, v.account, names),
                      t(loc, f"basis_{v.basis}"), t(loc, f"scope_{v.scope}"),
                      sign * v.actual, sign * v.comparison, f"=E{r}-F{r}",
                      f'=IF(F{r}=0,"n/a",G{r}/ABS(F{r}))', v.commentary,
                      t(loc, f"source_{v.source}"), v.confidence, light_label(loc, v.light)])
        _light_cell(sheet, r, 12, v.light)
    sheet.finish()


def _kpis(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    periods = sorted({p.period for k in data.kpis for p in k.trend})
    headers: list[tuple[str, Kind]] = [(t(loc, "col_kpi"), "text"), (t(loc, "col_value"), "ratio"),
                                       (t(loc, "col_unit"), "text"), (t(loc, "col_note"), "text")]
    headers += [(p, "ratio") for p in periods]
    sheet = _Sheet(wb, data, "sheet_kpis", t(loc, "kpis"), headers, freeze_cols=1)
    sheet.width(1, 36)
    sheet.width(4, 44)
    formats = {"percent": PERCENT_FORMAT, "currency": AMOUNT_FORMAT, "ratio": RATIO_FORMAT,
               "months": RATIO_FORMAT, "count": "#,##0"}
    if not data.kpis:
        sheet.append([t(loc, "section_not_available", what=t(loc, "kpis"))] + [None] * (len(headers) - 1))
    for k in data.kpis:
        trend = {p.period: p.value for p in k.trend}
        r = sheet.append([k.name, k.value if k.value is not None else "n/a", k.unit,
                          k.reason or "", *(trend.get(p) for p in periods)])
        for col in [2] + list(range(5, 5 + len(periods))):
            cell = sheet.ws.cell(r, col)
            if cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = formats[k.unit]
            else:
                cell.alignment = Alignment(horizontal="right")
    sheet.finish()


def _validation(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    sheet = _Sheet(wb, data, "sheet_validation", t(loc, "validation"), [
        (t(loc, "col_code"), "text"), (t(loc, "col_severity"), "text"),
        (t(loc, "col_entity"), "text"), (t(loc, "col_account"), "text"),
        (t(loc, "col_expected"), "amount"), (t(loc, "col_actual"), "amount"),
        (t(loc, "col_difference"), "amount"), (t(loc, "col_message"), "long_text"),
        (t(loc, "col_waived_by"), "text"), (t(loc, "col_waiver_reason"), "long_text")],
        freeze_cols=1)
    sheet.width(1, 20)
    sheet.width(10, 40)
    score = (t(loc, "not_available") if data.validation_score is None
             else f"{data.validation_score} / 100 ({light_label(loc, data.validation_light)})")
    sheet.ws["A3"] = f"{t(loc, 'score')}: {score}"
    if data.validation_light:
        sheet.ws["A3"].fill = _fill(LIGHT_FILL[data.validation_light])
    if not data.validation:
        sheet.append([t(loc, "section_not_available", what=t(loc, "validation"))] + [None] * 9)
    for f in data.validation:
        r = sheet.append([f.code, t(loc, f"sev_{f.severity}"), f.entity or "", f.account or "",
                          f.expected, f.actual, f.difference, f.message, f.waived_by or "",
                          f.waiver_reason or ""])
        light = {"pass": "green", "warn": "yellow", "fail": "red"}[f.severity]
        _light_cell(sheet, r, 2, light)
    sheet.finish()


def _audit_log(wb: Workbook, data: BoardPackData) -> None:
    loc = data.locale
    sheet = _Sheet(wb, data, "sheet_audit", t(loc, "audit_log"), [
        (t(loc, "col_time"), "datetime"), (t(loc, "col_actor"), "text"),
        (t(loc, "col_event"), "text"), (t(loc, "col_detail"), "long_text")])
    sheet.ws["A3"] = ""
    if not data.audit_log:
        sheet.append([None, t(loc, "no_items"), None, None])
    for event in data.audit_log:
        sheet.append([event.time, event.actor, event.event, event.detail])
    sheet.finish()


_SHEETS: tuple[Callable[[Workbook, BoardPackData], None], ...] = (
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
    wb = Workbook()
    wb.remove(wb.active)
    _summary(wb, data, st)
    _statement_sheet(wb, data, st.balance_sheet, "sheet_bs")
    _statement_sheet(wb, data, st.income_statement, "sheet_pl")
    _statement_sheet(wb, data, st.cash_flow, "sheet_cf")
    for add in _SHEETS:
        add(wb, data)
    # Formula cells carry no cached value: ask every reader to calculate on open.
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    props = wb.properties
    stamp = to_excel_datetime(data.as_of)
    props.created = props.modified = stamp
    props.creator = props.lastModifiedBy = "monthclose"
    props.title = f"{t(data.locale, 'board_package')} {data.group_name} {data.period}"
    props.subject = f"run {data.run_id}"
    buffer = io.BytesIO()
    # openpyxl's save_workbook() stamps "modified" with now(); the writer itself does not.
    ExcelWriter(wb, ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return normalize_zip(buffer.getvalue(), data.as_of)
