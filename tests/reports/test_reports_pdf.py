"""The board PDF: contents with the right page numbers, "page x of y", a one-page summary."""

from __future__ import annotations

import io
import re

import pytest
from board_pack_sample import sample_board_pack
from pypdf import PdfReader
from report_readers import pdf_pages

from reports.model import BoardPackData
from reports.pdf import build_board_pdf, build_summary_pdf

# A contents line as laid out on the page: "Title . . . . . 12".
_ENTRY = re.compile(r"^\s*(\S.*?)\s+(?:\.\s*){3,}(\d+)\s*$")


def _contents(pdf: bytes, pages: list[str]) -> list[tuple[str, int]]:
    """The (title, page) entries of the contents, which may run over several pages."""
    start = next(i for i, p in enumerate(pages) if p.startswith("Contents"))
    end = next(i for i, p in enumerate(pages) if p.startswith("Executive summary"))
    reader = PdfReader(io.BytesIO(pdf))
    entries = []
    for i in range(start, end):
        for line in reader.pages[i].extract_text(extraction_mode="layout").splitlines():
            match = _ENTRY.match(line)
            if match:
                entries.append((match.group(1).strip(), int(match.group(2))))
    return entries


def test_contents_page_numbers_point_at_their_headings(rendered: dict[str, bytes],
                                                       sample: BoardPackData) -> None:
    pages = pdf_pages(rendered["pdf"])
    entries = _contents(rendered["pdf"], pages)
    titles = [title for title, _ in entries]
    for expected in ("Executive summary", "Consolidated balance sheet",
                     "Consolidated income statement", "Variance commentary", "Group companies",
                     "Appendix", "Validation", "Audit log"):
        assert expected in titles, titles
    for e in sample.entities:
        assert f"{e.name} ({e.id})" in titles
    for title, number in entries:
        assert title in pages[number - 1], f"{title!r} is not on page {number}"
        if number > 3:
            assert title not in pages[number - 2].split("\n")[0], title


def test_every_page_but_the_cover_says_page_x_of_y(rendered: dict[str, bytes]) -> None:
    pages = pdf_pages(rendered["pdf"])
    total = len(pages)
    assert total > 10
    assert "Page 1 of" not in pages[0]
    for i, text in enumerate(pages[1:], start=2):
        assert f"Page {i} of {total}" in text, i
        assert "Atlas Group" in text and "June 2025" in text
        assert "7f3c2a9e-5b1d-4c8e-9a6f-2d4e8b1c0f35" in text


def test_missing_sections_say_not_available() -> None:
    data = sample_board_pack(with_budget=False, with_prior_year=False)
    text = "\n".join(pdf_pages(build_board_pdf(data)))
    assert "Budget: not available for this run." in text
    assert "Variance commentary: not available for this run." in text


def test_summary_is_one_page(rendered: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(rendered["summary"]))
    assert len(reader.pages) == 1
    assert "Page 1 of 1" in reader.pages[0].extract_text()


def test_pdf_metadata_carries_the_run_time_not_the_clock(rendered: dict[str, bytes]) -> None:
    reader = PdfReader(io.BytesIO(rendered["pdf"]))
    assert reader.metadata["/CreationDate"].startswith("D:20250704183000")


def test_summary_pt_br() -> None:
    text = pdf_pages(build_summary_pdf(sample_board_pack(locale="pt-BR")))[0]
    assert "Sumário executivo" in text and "Página 1 de 1" in text
    assert re.search(r"Total do ativo\s*\n?\s*\d{1,3}(\.\d{3})+,\d{2}", text)


def test_intercompany_matching_shows_every_pair_and_its_status(rendered: dict[str, bytes],
                                                               sample: BoardPackData) -> None:
    """The close-status pages end with each intercompany pair, what rates explain, and its status."""
    page = next(p for p in pdf_pages(rendered["pdf"]) if "Intercompany matching" in p
                and "pairs:" in p)
    assert "3 pairs: 2 matched, 1 within tolerance, 0 not eliminated." in page
    for pair in sample.intercompany:
        assert f"{pair.entity} · {pair.counterparty}" in page
    assert re.search(r"EU1 · HOLD\s+Revenue and\s+expenses\s+48,210\.33\s+\(48,150\.00\)\s+–\s+"
                     r"60\.33\s+Within tolerance", page)


def test_past_the_limit_the_appendix_prints_one_row_per_journal(sample: BoardPackData,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A large group's thousands of journal lines: one row per journal, the lines in the workbook."""
    import reports.pdf

    lines = sum(len(j.lines) for j in sample.journals)
    full = "\n".join(pdf_pages(build_board_pdf(sample)))
    monkeypatch.setattr(reports.pdf, "APPENDIX_JOURNAL_LINES", lines - 1)  # a small injected limit
    summary = "\n".join(pdf_pages(build_board_pdf(sample)))
    note = (f"{lines} journal lines: one row per journal here; every line is in the workbook's "
            "Eliminations sheet.")
    assert note not in full and note in " ".join(summary.split())
    memo = next(x.memo for j in sample.journals for x in j.lines if x.memo)
    assert memo[:20] in full and memo[:20] not in summary
    assert all(j.id in summary for j in sample.journals)
