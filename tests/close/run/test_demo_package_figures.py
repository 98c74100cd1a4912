"""One value per headline figure across every page, slide and sheet, for every demo month (issue 17).

Each month's package is rendered from PostgreSQL and every place a headline figure is printed is
read back — the PDF's executive-summary table, statements and KPI table, the one-page summary,
the deck's summary and KPI tables, the workbook's cached values (Summary, statements, KPIs) — and
must equal the one definition of ``close.engine.definitions`` / ``reports.statements``.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from close.engine.definitions import margin
from close.engine.money import quantize_cents
from close.engine.periods import add_months
from close.run.stages.board_pack import load_board_pack
from close.storage import Database
from close.storage.results import trial_balance_csv
from close.storage.runs import get_run
from reports.excel import build_workbook
from reports.format import format_amount
from reports.labels import t
from reports.model import BoardPackData
from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck
from reports.statements import Statements, build_statements
from tests.close.run.demo_close import DemoClose
from tests.reports.report_readers import pdf_figure, pdf_pages, pptx_table_figures, pptx_text


def _packs(demo: DemoClose) -> list[BoardPackData]:
    return [data for data, _lines in _packs_and_lines(demo)]


def _packs_and_lines(demo: DemoClose) -> list[tuple[BoardPackData, list[dict[str, str]]]]:
    """Each month's board pack and its trial-balance lines as the package's CSV gives them."""
    db = Database.connect(demo.env["DATABASE_URL"], demo.env["CLOSE_TENANT"])
    out = []
    with db.tx() as conn:
        for r in demo.runs:
            run = get_run(conn, r["id"])
            lines = list(csv.DictReader(io.StringIO(trial_balance_csv(conn, run.id, run.period).decode())))
            out.append((load_board_pack(conn, run), lines))
    return out


def _sheet_value(ws: openpyxl.worksheet.worksheet.Worksheet, label: str, col: int = 2) -> Decimal:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == label:
            return round(Decimal(str(ws.cell(r, col).value)), 2)
    raise AssertionError(f"{ws.title}: no row {label!r}")


def _check_month(data: BoardPackData, st: Statements) -> None:
    files = {"xlsx": build_workbook(data), "pptx": build_deck(data), "pdf": build_board_pdf(data),
             "summary": build_summary_pdf(data)}
    loc = data.locale
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), data_only=True)
    deck = pptx_table_figures(files["pptx"], 1, loc)
    pages = pdf_pages(files["pdf"])
    summary_page = next(p for p in pages if "Headline figures" in p)
    one_pager = pdf_pages(files["summary"])[0]
    where = data.period
    for h in st.headlines:
        assert _sheet_value(book.worksheets[0], h.label) == h.value, (where, h.key, "xlsx summary")
        assert deck[h.label] == h.value, (where, h.key, "deck")
        assert pdf_figure(summary_page, h.label) == h.value, (where, h.key, "pdf summary")
        assert pdf_figure(one_pager, h.label) == h.value, (where, h.key, "one-page summary")

    # The statements: the income statement's month column and the balance sheet's total.
    pl_page = next(p for p in pages if p.startswith("Consolidated income statement"))
    bs_page = next(p for p in pages if p.startswith("Consolidated balance sheet"))
    pl_sheet, bs_sheet = book["P&L"], book["Balance Sheet"]
    for label, key in (("Net revenue", "revenue_month"), ("EBITDA", "ebitda_month"),
                       ("Net income for the period", "net_income_month")):
        assert pdf_figure(pl_page, label) == st.headline(key), (where, key, "pdf statement")
        assert _sheet_value(pl_sheet, label) == st.headline(key), (where, key, "xlsx statement")
    assert pdf_figure(bs_page, "Total assets") == st.headline("total_assets"), where
    assert _sheet_value(bs_sheet, "Total assets") == st.headline("total_assets"), where
    assert st.cash_flow.value("cash_balance_sheet") == st.balance_sheet.value("1000"), where

    # The KPIs: EBITDA and its margin are the income statement's, wherever they are printed.
    kpis = {k.code: k for k in data.kpis}
    ebitda, revenue = st.headline("ebitda_month"), st.headline("revenue_month")
    assert kpis["ebitda"].value == ebitda, (where, "KPI EBITDA", kpis["ebitda"].value, ebitda)
    expected_margin = margin(ebitda, revenue)
    assert expected_margin is not None
    assert abs(kpis["ebitda_margin"].value - expected_margin) < Decimal("0.00005"), where
    kpi_name = kpis["ebitda"].name
    assert _sheet_value(book["KPIs"], kpi_name) == ebitda, (where, "xlsx KPI")
    text = f"{data.presentation_currency} {format_amount(ebitda, loc)}"
    kpi_pages = [p for p in pages if kpi_name in p and "Key performance indicators" in p
                 and not p.startswith("Contents")]
    assert kpi_pages and all(text in p for p in kpi_pages), (where, "pdf KPI", text)
    # The full-year slides print EBITDA for the year to date and the year, not the month.
    slides = [s for s in pptx_text(files["pptx"]) if kpi_name in s.split("\n")
              and not s.startswith(t(loc, "full_year"))]
    assert slides and all(format_amount(ebitda, loc) in s for s in slides), (where, "deck KPI")


def _check_cash_flow(data: BoardPackData, st: Statements, lines: list[dict[str, str]]) -> None:
    """No balancing line: the reconciliation is 0.00 in every column; FX by IAS 7.28 to the cent."""
    cf = st.cash_flow
    assert "fx_effect" in {line.key for line in cf.lines}
    for col, column in enumerate(cf.columns):
        assert cf.value("reconciliation", col) == 0, (data.period, column.key)
    assert not cf.alerts, data.period
    if not data.positions or data.positions[-1].period != add_months(data.period, -1):
        return  # the first demo month has no opening position: the statement says so
    # Independent: each foreign entity's local cash from its own trial balance, the run's rates
    # and the prior month's closing rate, summed exactly and rounded once.
    closing = {r.currency: r.rate for r in data.fx_rates if r.rate_type == "closing"}
    average = {r.currency: r.rate for r in data.fx_rates if r.rate_type == "average"}
    opening = dict(data.positions[-1].closing_rates)
    cash = {a.code for a in data.chart if a.cash_flow_category == "cash"}
    expected = sum((Decimal(line["opening"]) * (closing[line["currency"]] - opening[line["currency"]])
                    + (Decimal(line["closing"]) - Decimal(line["opening"]))
                    * (closing[line["currency"]] - average[line["currency"]])
                    for line in lines
                    if line["std_account"] in cash and line["currency"] in closing), Decimal(0))
    assert cf.value("fx_effect", 0) == quantize_cents(expected), \
        (data.period, cf.value("fx_effect", 0), expected)


def _check_fx_impact(data: BoardPackData, st: Statements) -> None:
    """The FX impact's reported totals are the headline figures and every row reconciles to 0.00.

    The demo's first twelve months have no close a year earlier (the table says so); its rates
    file starts in 2025-09, so the year to date at constant currency is said to be missing too.
    """
    impact = data.fx_impact
    assert impact is not None, data.period
    if impact.comparative_period < "2025-10":
        assert not impact.rows and impact.missing, data.period
        return
    totals = {r.figure: r.reported for r in impact.rows if r.scope == "month" and r.line == "total"}
    assert totals == {"revenue": st.headline("revenue_month"), "ebitda": st.headline("ebitda_month"),
                      "net_income": st.headline("net_income_month")}, data.period
    assert all(r.unexplained == 0 and r.operational + r.translation == r.growth for r in impact.rows)
    assert impact.missing == (("ytd", "no_rate", "2025-01 … 2025-08"),), impact.missing


def _check_equity_changes(data: BoardPackData, st: Statements) -> None:
    """IAS 1.106: the closing row is the balance sheet's equity; without a year-end, no rows."""
    soce = st.equity_changes
    if data.prior_year_end is None:
        assert soce.lines == (), data.period
        return
    keys = [c.key for c in soce.columns]
    for key in ("equity_owners", "nci", "total_equity"):
        assert soce.value("soce_closing", keys.index(key)) == st.balance_sheet.value(key), \
            (data.period, key)


@pytest.mark.timeout(900)
def test_every_headline_figure_has_one_value_in_every_demo_month(demo_close: DemoClose) -> None:
    packs = _packs_and_lines(demo_close)
    assert len(packs) == 13
    for data, lines in packs:
        st = build_statements(data)
        _check_month(data, st)
        _check_cash_flow(data, st, lines)
        _check_equity_changes(data, st)
        _check_fx_impact(data, st)


@pytest.mark.timeout(900)
def test_statement_of_changes_in_equity_reconciles_in_every_demo_month(
        demo_close: DemoClose) -> None:
    for data in _packs(demo_close):
        soce = build_statements(data).equity_changes
        if data.prior_year_end is None:
            continue
        for col, column in enumerate(soce.columns):
            assert soce.value("soce_reconciliation", col) == 0, (data.period, column.key,
                                                                  soce.notes)
        assert not soce.alerts, (data.period, soce.notes)
