"""The FX impact and covenant pages, slides and sheets (issue 17): shown when there is something to show.

The FX table's reported totals are the income statement's headline figures (one definition),
its check row reads zero in every document, and the workbook's growth, split and check are
formulas whose cached values are the analysis's figures.
"""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import openpyxl

from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.pdf import build_board_pdf
from reports.pptx import build_deck
from reports.statements import build_statements
from tests.reports.report_readers import pdf_pages, pptx_text


def _totals(data: BoardPackData, scope: str) -> dict[str, Decimal]:
    assert data.fx_impact is not None
    return {r.figure: r.reported for r in data.fx_impact.rows if r.scope == scope and r.line == "total"}


def test_the_reported_totals_are_the_headline_figures(sample: BoardPackData) -> None:
    st = build_statements(sample)
    month, ytd = _totals(sample, "month"), _totals(sample, "ytd")
    assert month == {"revenue": st.headline("revenue_month"), "ebitda": st.headline("ebitda_month"),
                     "net_income": st.headline("net_income_month")}
    assert ytd["revenue"] == st.headline("revenue_ytd") and ytd["net_income"] == st.headline("net_income_ytd")


def test_every_document_shows_both_and_the_check_is_zero(sample: BoardPackData,
                                                         rendered: dict[str, bytes]) -> None:
    pages = [p for p in pdf_pages(rendered["pdf"]) if "Check: CC growth + translation" in p]
    assert pages and "Liquidity and covenant headroom" in "".join(pdf_pages(rendered["pdf"]))
    slides = pptx_text(rendered["pptx"])
    assert any("FX impact: constant-currency growth" in s for s in slides)
    assert any("Liquidity and covenant headroom" in s and "Amber" in s and "Red" in s for s in slides)
    book = openpyxl.load_workbook(io.BytesIO(rendered["xlsx"]), data_only=True)
    sheet = book["FX Impact"]
    assert sample.fx_impact is not None
    rows = [r for r in sheet.iter_rows(min_row=6, values_only=True) if r[2] is not None and r[3] is not None]
    assert len(rows) == len(sample.fx_impact.rows)
    for row, expected in zip(rows, sample.fx_impact.rows, strict=True):
        assert round(Decimal(str(row[9])), 2) == expected.translation  # cached E − F
        assert row[10] == 0  # the check: CC growth + translation − reported growth
    formulas = openpyxl.load_workbook(io.BytesIO(rendered["xlsx"]))["FX Impact"]
    assert str(formulas.cell(6, 11).value).startswith("=H6+J6-G6")
    assert book["Covenants"].cell(6, 6).value in ("Green", "Amber", "Red")


def test_nothing_is_shown_without_them(sample: BoardPackData) -> None:
    bare = replace(sample, fx_impact=None, covenants=None)
    assert "FX Impact" not in openpyxl.load_workbook(io.BytesIO(build_workbook(bare))).sheetnames
    assert not any("covenant" in p.lower() for p in pdf_pages(build_board_pdf(bare)))
    assert not any("FX impact" in s for s in pptx_text(build_deck(bare)))
