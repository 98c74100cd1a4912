"""The workbook: real numbers with number formats, frozen headers, formulas, print setup."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import openpyxl
from board_pack_sample import sample_board_pack

from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.presentation import waterfall_series
from reports.statements import build_statements

# Text that a reader would take for an amount: decimals, maybe grouped, maybe in parentheses.
_AMOUNT_LIKE = re.compile(r"^\(?-?\d{1,3}([,.]\d{3})*([.,]\d{2})\)?$|^-?\d+[.,]\d{2}$")
SHEETS = ["Summary", "Balance Sheet", "P&L", "P&L Full Year", "Entities vs Budget", "Cash Flow", "Equity",
          "Consolidating", "Trial Balance", "FX Rates", "Eliminations", "Variances", "KPIs", "Validation",
          "Audit Log", "FX Impact",
          "Covenants", "Charts", "Definitions"]


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_workbook_has_every_sheet_in_order(rendered: dict[str, bytes]) -> None:
    assert _load(rendered["xlsx"]).sheetnames == SHEETS


def test_every_amount_is_a_number_cell_with_a_number_format(rendered: dict[str, bytes]) -> None:
    wb = _load(rendered["xlsx"])
    numbers = formulas = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                where = f"{ws.title}!{cell.coordinate}"
                if isinstance(value, str) and value.startswith("="):
                    formulas += 1
                    assert cell.number_format != "General", f"{where} formula without format"
                elif isinstance(value, str):
                    assert not _AMOUNT_LIKE.match(value.strip()), f"{where} amount as text {value!r}"
                elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    numbers += 1
                    assert cell.number_format != "General", f"{where} number without format"
    assert numbers > 500 and formulas > 100


def test_amount_columns_hold_only_numbers(rendered: dict[str, bytes], sample: BoardPackData) -> None:
    ws = _load(rendered["xlsx"])["Consolidating"]
    header = [c.value for c in ws[5]]
    amount_cols = [header.index(h) + 1 for h in ("Local", "Translated", "Eliminations", "PPA",
                                                 "Adjustments", "Consolidated")]
    for r in range(6, 6 + len(sample.worksheet)):
        for c in amount_cols:
            value = ws.cell(r, c).value
            assert isinstance(value, (int, float)) or str(value).startswith("="), (r, c, value)
            assert "#,##0.00" in ws.cell(r, c).number_format


def test_negatives_in_parentheses_and_frozen_headers(rendered: dict[str, bytes]) -> None:
    wb = _load(rendered["xlsx"])
    bs = wb["Balance Sheet"]
    assert bs.freeze_panes == "B6"
    assert wb["Consolidating"].freeze_panes == "D6"
    assert wb["Audit Log"].freeze_panes == "A6"
    fmt = bs["B8"].number_format
    assert "(#,##0.00)" in fmt and "#,##0.00" in fmt
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&P" in ws.oddFooter.right.text


def test_subtotals_are_formulas_and_items_are_values(rendered: dict[str, bytes],
                                                     sample: BoardPackData) -> None:
    ws = _load(rendered["xlsx"])["Balance Sheet"]
    rows = {ws.cell(r, 1).value: r for r in range(6, ws.max_row + 1)}
    assert ws.cell(rows["Total current assets"], 2).value.startswith("=SUM(")
    assert ws.cell(rows["Total assets"], 2).value.startswith("=")
    cash = ws.cell(rows["Cash and cash equivalents"], 2).value
    st = build_statements(sample)
    assert Decimal(str(cash)) == st.headline("cash")
    pl = _load(rendered["xlsx"])["P&L"]
    variance = [pl.cell(r, 4).value for r in range(7, 10)]
    assert all(isinstance(v, str) and re.fullmatch(r"=B\d+-C\d+", v) for v in variance)


def test_missing_sections_say_not_available() -> None:
    data = sample_board_pack(with_budget=False, with_prior_year=False)
    wb = _load(build_workbook(data))
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert "Budget: not available for this run." in texts
    assert "Prior year: not available for this run." in texts
    assert "Variance commentary: not available for this run." in texts
    header = [c.value for c in wb["P&L"][5]]
    assert header == ["Account", "Month", "YTD"]


def test_pt_br_labels(sample: BoardPackData) -> None:
    data = sample_board_pack(locale="pt-BR")
    wb = _load(build_workbook(data))
    assert wb.sheetnames[:3] == ["Resumo", "Balanço", "DRE"]
    assert wb["Balanço"]["A1"].value == "Balanço patrimonial consolidado"


def test_every_formula_carries_its_computed_value(rendered: dict[str, bytes],
                                                  sample: BoardPackData) -> None:
    # A previewer, pandas or a mail client reads the cached values without recalculating.
    formulas = _load(rendered["xlsx"])
    cached = openpyxl.load_workbook(io.BytesIO(rendered["xlsx"]), data_only=True)
    count = 0
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    count += 1
                    assert cached[ws.title][cell.coordinate].value is not None, \
                        f"{ws.title}!{cell.coordinate} {cell.value} has no cached value"
    assert count > 100
    st = build_statements(sample)
    bs = cached["Balance Sheet"]
    rows = {bs.cell(r, 1).value: r for r in range(6, bs.max_row + 1)}
    for label, key in (("Total assets", "total_assets"), ("Total equity", "total_equity")):
        assert Decimal(str(bs.cell(rows[label], 2).value)) == st.headline(key), label
    pl = cached["P&L"]
    rows = {pl.cell(r, 1).value: r for r in range(6, pl.max_row + 1)}
    assert Decimal(str(pl.cell(rows["EBITDA"], 2).value)) == st.headline("ebitda_month")


def test_workbook_has_native_charts(rendered: dict[str, bytes]) -> None:
    with zipfile.ZipFile(io.BytesIO(rendered["xlsx"])) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = [z.read(n).decode() for n in charts]
    bridges = [x for x in xml if '<c:grouping val="stacked"/>' in x]
    # The trend and three budget bridges: net income (month), EBITDA (month), net income (YTD).
    assert len(charts) == 4
    # The bridges are waterfalls (stacked columns over an invisible base), not bars.
    assert len(bridges) == 3
    assert all("<c:barDir val=\"col\"/>" in x and "<a:noFill/>" in x for x in bridges)


def test_waterfall_series_float_each_step_at_its_running_total() -> None:
    """Budget 100, +30, −150 (crossing zero), −10, actual −30: base + parts span each step."""
    base, above, below, kinds = waterfall_series(
        [Decimal(100), Decimal(30), Decimal(-150), Decimal(-10), Decimal(-30)])
    assert base == [0, 100, 0, -20, 0]
    assert above == [100, 30, 130, 0, 0]
    assert below == [0, 0, -20, -10, -30]
    assert kinds == ["total", "rise", "fall", "fall", "total"]
