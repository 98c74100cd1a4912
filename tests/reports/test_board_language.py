"""Board language (issue 17): titles on board pages, codes only in the appendix, full pt-BR.

A board page (everything before the PDF's appendix, the one-page summary, every slide) names a
check by its title and a journal by what it does; the appendix keeps the codes an auditor
traces, each broken across lines only at its underscores. A pt-BR package names accounts from
the chart's Portuguese column and writes every number the Portuguese way.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pdfplumber
import pytest
from board_pack_sample import sample_board_pack
from report_readers import pdf_pages, pptx_text

from reports.board_words import check_title, finding_line, journal_title
from reports.labels import t
from reports.model import BoardPackData, Journal, ValidationFinding, Variance
from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck
from reports.presentation import significance, significant_variances

_EN_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\.\d{2}\b")  # 152,838.28
_NAMES = {"BR1": "Acme Brasil", "HOLD": "Acme Holdings", "EU1": "Acme Europe"}


def _journal(jid: str, memo: str = "memo") -> Journal:
    return Journal(jid, "intercompany", memo, "IFRS", ())


def test_journal_titles_read_as_what_the_journal_does() -> None:
    assert journal_title(_journal("IC:revenue_expense:BR1:HOLD"), _NAMES, "en-US") == (
        "Intercompany revenue/expense elimination, Acme Brasil → Acme Holdings")
    assert journal_title(_journal("IC:revenue_expense:BR1:HOLD"), _NAMES, "pt-BR") == (
        "Eliminação intercompanhia de receita/despesa, Acme Brasil → Acme Holdings")
    assert journal_title(_journal("INV:HOLD:EU1"), _NAMES, "en-US") == (
        "Elimination of Acme Holdings's investment in Acme Europe")
    assert journal_title(_journal("PPA:BR1"), _NAMES, "pt-BR") == (
        "Alocação do preço de compra, Acme Brasil")
    # A top-side journal has no rule id: its memo, which a person wrote, is its title.
    assert journal_title(_journal("ADJ-001", "Accrue management bonus"), _NAMES, "en-US") == (
        "Accrue management bonus")


def test_check_titles_and_finding_lines() -> None:
    assert check_title("FLUX_PRIOR_MONTH", "en-US") == "Month-on-month movement check"
    assert check_title("FLUX_PRIOR_MONTH", "pt-BR") == "Verificação de variação mensal"
    assert check_title("SOME_NEW_CHECK", "en-US") == "Some new check"
    finding = ValidationFinding(code="FLUX_PRIOR_MONTH", severity="warn", entity="BR1",
                                account="6100", expected=Decimal("100000"),
                                actual=Decimal("131000.5"), difference=Decimal("31000.5"),
                                message="6100: expected 100000 != actual 131000.5")
    assert finding_line(finding, "en-US") == (
        "Month-on-month movement check (BR1, 6100): expected 100,000.00, actual 131,000.50, "
        "difference 31,000.50")
    assert finding_line(finding, "pt-BR") == (
        "Verificação de variação mensal (BR1, 6100): esperado 100.000,00, real 131.000,50, "
        "diferença 31.000,50")


def _board_pages(data: BoardPackData) -> tuple[list[str], list[str]]:
    """The board PDF's pages before the appendix, and the appendix's pages."""
    pages = pdf_pages(build_board_pdf(data))
    heading = t(data.locale, "appendix")
    # The contents page lists the appendix too: its own first page starts with the heading
    # under the running header.
    start = max(i for i, p in enumerate(pages) if re.search(rf"^{heading}$", p, re.M))
    return pages[:start], pages[start:]


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_no_code_on_a_board_page(locale: str) -> None:
    data = sample_board_pack(locale=locale)  # type: ignore[arg-type]
    codes = {f.code for f in data.validation} | {j.id for j in data.journals}
    board, appendix = _board_pages(data)
    texts = {"board pdf": "\n".join(board), "summary pdf": "\n".join(pdf_pages(
        build_summary_pdf(data))), "deck": "\n".join(pptx_text(build_deck(data)))}
    for where, text in texts.items():
        found = sorted(c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text))
        assert not found, f"{where} shows {found}"
    appendix_text = "\n".join(appendix)
    assert all(j.id in appendix_text for j in data.journals)
    assert "TB_SUMS_" in appendix_text  # the codes are where an auditor looks for them


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_check_codes_break_only_at_underscores(locale: str) -> None:
    data = sample_board_pack(locale=locale)  # type: ignore[arg-type]
    parts = {p for f in data.validation for p in re.findall(r"[^_]+_?", f.code)}
    codes = {f.code for f in data.validation}
    with pdfplumber.open(io.BytesIO(build_board_pdf(data))) as pdf:
        page = next(p for p in reversed(pdf.pages) if any(
            c.replace("_", "") in (p.extract_text() or "").replace("_", "").replace("\n", "")
            for c in codes))
        column = [w["text"] for w in page.extract_words() if w["x0"] < 110 and w["top"] > 80]
    fragments = [w for w in column if "_" in w or w in parts]
    assert fragments
    for word in fragments:
        assert re.fullmatch(r"(?:[^_]+_?)+", word) and all(
            p in parts for p in re.findall(r"[^_]+_?", word)), word


def test_pt_br_package_names_accounts_in_portuguese_and_never_mixes_number_formats() -> None:
    data = sample_board_pack(locale="pt-BR")
    board, _ = _board_pages(data)
    text = "\n".join(board) + "\n".join(pdf_pages(build_summary_pdf(data)))
    assert "Receita de produtos" in text and "Salários e encargos" in text
    assert "Product revenue" not in text and "Salaries and benefits" not in text
    assert not _EN_NUMBER.findall(text)
    deck = "\n".join(pptx_text(build_deck(data)))
    assert not _EN_NUMBER.findall(deck)


def test_significance_is_absolute_variance_times_relevance() -> None:
    data = sample_board_pack()
    accounts = {a.code: a for a in data.chart}
    # Hand-computed: 62,000 over budget on salaries scores 62,000; 100,000 more cash than last
    # month scores 100,000 × 0.6 (prior month) × 0.2 (balance sheet) = 12,000.
    salaries = Variance("6000", "budget", "month", Decimal(812000), Decimal(750000),
                        Decimal(62000), None, True, "", "data-only", Decimal(0), "red")
    cash = Variance("1000", "prior_month", "month", Decimal(600000), Decimal(500000),
                    Decimal(100000), None, True, "", "data-only", Decimal(0), "green")
    assert significance(salaries, accounts["6000"]) == Decimal(62000)
    assert significance(cash, accounts["1000"]) == Decimal("12000.00")
    top = significant_variances(data, 5)
    scores = [significance(v, accounts.get(v.account)) for v in top]
    assert scores == sorted(scores, reverse=True) and len(top) == min(5, sum(
        v.material for v in data.variances))
