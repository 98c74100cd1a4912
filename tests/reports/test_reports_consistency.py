"""One source of numbers: the headline figures read back from all three files are the model's."""

from __future__ import annotations

from board_pack_sample import sample_board_pack
from report_readers import (
    pdf_figure,
    pdf_pages,
    pptx_table_figures,
    pptx_text,
    xlsx_summary_figures,
)

from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck
from reports.statements import build_statements

HEADLINES = ("total_assets", "revenue_month", "revenue_ytd", "net_income_month", "net_income_ytd",
             "net_income_owners_ytd", "cta", "nci", "total_equity")


def _check(data: BoardPackData, files: dict[str, bytes]) -> None:
    st = build_statements(data)
    loc = data.locale
    xlsx = xlsx_summary_figures(files["xlsx"])
    deck = pptx_table_figures(files["pptx"], 1, loc)  # slide 2: executive summary
    pages = pdf_pages(files["pdf"])
    summary_page = next(p for p in pages if "Headline figures" in p or "Números principais" in p)
    one_pager = pdf_pages(files["summary"])[0]
    for key in HEADLINES:
        h = next(x for x in st.headlines if x.key == key)
        assert xlsx[h.label] == h.value, (key, "xlsx")
        assert deck[h.label] == h.value, (key, "pptx")
        assert pdf_figure(summary_page, h.label, loc) == h.value, (key, "pdf")
        assert pdf_figure(one_pager, h.label, loc) == h.value, (key, "summary pdf")


def test_headline_figures_identical_in_xlsx_pptx_and_pdf(sample: BoardPackData,
                                                          rendered: dict[str, bytes]) -> None:
    st = build_statements(sample)
    # The model's own figures, computed independently of the statements module.
    assets = sum(b.closing for b in sample.balances
                 if next(a for a in sample.chart if a.code == b.account).account_class == "asset")
    assert st.headline("total_assets") == assets
    cta = next(b.closing for b in sample.balances if b.account == "3300")
    assert st.headline("cta") == -cta
    _check(sample, rendered)


def test_headline_figures_identical_in_pt_br() -> None:
    data = sample_board_pack(locale="pt-BR")
    files = {"xlsx": build_workbook(data), "pptx": build_deck(data), "pdf": build_board_pdf(data),
             "summary": build_summary_pdf(data)}
    _check(data, files)
    assert "Página 2 de" in pptx_text(files["pptx"])[1]


def test_statement_figures_match_across_pdf_and_deck(sample: BoardPackData,
                                                     rendered: dict[str, bytes]) -> None:
    st = build_statements(sample)
    pages = pdf_pages(rendered["pdf"])
    bs_page = next(p for p in pages if p.startswith("Consolidated balance sheet"))
    assert pdf_figure(bs_page, "Total assets") == st.headline("total_assets")
    assert pdf_figure(bs_page, "Cumulative translation adjustment (OCI)") == st.headline("cta")
    pl_page = next(p for p in pages if p.startswith("Consolidated income statement"))
    assert pdf_figure(pl_page, "Net revenue") == st.headline("revenue_month")
