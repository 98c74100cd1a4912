"""The workbook and the deck open in LibreOffice headless, and its recalculation agrees.

LibreOffice is required: without ``soffice`` these tests FAIL with the install command.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader

from reports.budget_pages import entity_statement, full_year_statement
from reports.model import BoardPackData
from reports.statements import build_statements

INSTALL = "apt-get update && apt-get install -y libreoffice-calc-nogui libreoffice-impress-nogui"


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.fail(f"LibreOffice (soffice) is required for this test. Install it: {INSTALL}",
                    pytrace=False)
    return exe


def _convert(tmp_path: Path, name: str, content: bytes, target: str) -> Path:
    src = tmp_path / name
    src.write_bytes(content)
    out = tmp_path / "out"
    profile = tmp_path / "lo-profile"  # a private profile: parallel runs do not collide
    result = subprocess.run(  # noqa: S603 - fixed executable and arguments
        [_soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(out), str(src)],
        capture_output=True, timeout=180, check=False)
    produced = out / f"{src.stem}.{target.split(':')[0]}"
    assert result.returncode == 0 and produced.exists(), (
        f"soffice failed to convert {name}: {result.stdout!r} {result.stderr!r}")
    return produced


def test_workbook_converts_to_pdf(tmp_path: Path, rendered: dict[str, bytes]) -> None:
    pdf = _convert(tmp_path, "pack.xlsx", rendered["xlsx"], "pdf")
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Consolidated balance sheet" in text and "Audit log" in text


def test_deck_converts_to_pdf(tmp_path: Path, rendered: dict[str, bytes],
                              sample: BoardPackData) -> None:
    pdf = _convert(tmp_path, "deck.pptx", rendered["pptx"], "pdf")
    reader = PdfReader(pdf)
    slides = len(Presentation(io.BytesIO(rendered["pptx"])).slides)
    assert len(reader.pages) == slides >= 9 + len(sample.entities)  # statements slides included
    assert "Executive summary" in reader.pages[1].extract_text()


def test_libreoffice_recalculates_the_formulas_to_the_model_figures(
        tmp_path: Path, rendered: dict[str, bytes], sample: BoardPackData) -> None:
    recalculated = _convert(tmp_path, "pack.xlsx", rendered["xlsx"], "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(recalculated.read_bytes()), data_only=True)
    st = build_statements(sample)
    for sheet, statement in (("Balance Sheet", st.balance_sheet), ("P&L", st.income_statement),
                             ("Cash Flow", st.cash_flow), ("Equity", st.equity_changes)):
        ws = wb[sheet]
        row = 6
        for line in statement.lines:
            for c, expected in enumerate(line.values):
                got = ws.cell(row, c + 2).value
                assert Decimal(str(got)).quantize(Decimal("0.01")) == expected, (
                    sheet, line.label, c, got, expected)
            row += 1


def test_libreoffice_recalculates_the_budget_sheets_to_the_model_figures(
        tmp_path: Path, rendered: dict[str, bytes], sample: BoardPackData) -> None:
    recalculated = _convert(tmp_path, "pack.xlsx", rendered["xlsx"], "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(recalculated.read_bytes()), data_only=True)
    for sheet, statement in (("P&L Full Year", full_year_statement(sample)),
                             ("Entities vs Budget", entity_statement(sample))):
        ws = wb[sheet]
        for row, line in enumerate(statement.lines, start=6):
            if line.kind == "section":
                continue
            for c, (expected, column) in enumerate(zip(line.values, statement.columns, strict=True)):
                got = ws.cell(row, c + 2).value
                if expected is None:  # a variance % of a zero budget
                    assert got == "n/a", (sheet, line.label, c, got)
                elif column.pct_of:
                    assert round(Decimal(str(got)), 8) == round(expected, 8), (sheet, line.label, c)
                else:
                    assert Decimal(str(got)).quantize(Decimal("0.01")) == expected, (
                        sheet, line.label, c, got, expected)
