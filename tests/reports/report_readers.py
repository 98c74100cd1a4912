"""Read figures back out of the rendered files, as a reader (or an auditor's script) would."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
from pptx import Presentation
from pypdf import PdfReader

_AMOUNT = {"en-US": re.compile(r"\(?-?[\d,]+\.\d+\)?"), "pt-BR": re.compile(r"\(?-?[\d.]+,\d+\)?")}


def parse_amount(text: str, locale: str = "en-US") -> Decimal:
    """Parse ``(1,234.56)`` / ``(1.234,56)`` back into ``Decimal('-1234.56')``."""
    text = text.strip()
    negative = text.startswith("(") and text.endswith(")") or text.startswith("-")
    digits = text.strip("()-")
    if locale == "pt-BR":
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", "")
    value = Decimal(digits)
    return -value if negative else value


def xlsx_summary_figures(data: bytes) -> dict[str, Decimal]:
    """Label → value of every numeric row of the Summary sheet (first sheet)."""
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    out = {}
    for label, value, *_ in ws.iter_rows(min_row=1, values_only=True):
        if isinstance(label, str) and isinstance(value, (int, float, Decimal)):
            out[label] = Decimal(str(value))
    return out


def pptx_table_figures(data: bytes, slide_index: int, locale: str = "en-US") -> dict[str, Decimal]:
    """Label → amount of the two-column tables on one slide."""
    slide = Presentation(io.BytesIO(data)).slides[slide_index]
    out = {}
    for shape in slide.shapes:
        if not shape.has_table:
            continue
        for row in shape.table.rows:
            cells = [c.text for c in row.cells]
            if len(cells) >= 2 and _AMOUNT[locale].fullmatch(cells[1].strip()):
                out[cells[0]] = parse_amount(cells[1], locale)
    return out


def pptx_text(data: bytes) -> list[str]:
    """All text of each slide (text frames and table cells), one string per slide."""
    pages = []
    for slide in Presentation(io.BytesIO(data)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
        pages.append("\n".join(parts))
    return pages


def pdf_pages(data: bytes) -> list[str]:
    """The extracted text of each PDF page."""
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def pdf_figure(page_text: str, label: str, locale: str = "en-US") -> Decimal:
    """The amount printed right after ``label`` (next line or same line) on a page."""
    pattern = re.escape(label) + r"\s*\n?\s*(" + _AMOUNT[locale].pattern + r")"
    match = re.search(pattern, page_text)
    if match is None:
        raise AssertionError(f"{label!r} with an amount not found in:\n{page_text[:2000]}")
    return parse_amount(match.group(1), locale)
