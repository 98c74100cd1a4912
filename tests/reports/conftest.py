"""Fixtures of the report tests: the sample group and its rendered files, built once."""

from __future__ import annotations

import pytest
from board_pack_sample import sample_board_pack

from reports.excel import build_workbook
from reports.model import BoardPackData
from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck


@pytest.fixture(scope="session")
def sample() -> BoardPackData:
    """The sample group (USD holding, two BRL subsidiaries, one 80 % owned, one EUR)."""
    return sample_board_pack()


@pytest.fixture(scope="session")
def rendered(sample: BoardPackData) -> dict[str, bytes]:
    """The four documents of the sample, rendered once per session."""
    return {"xlsx": build_workbook(sample), "pptx": build_deck(sample),
            "pdf": build_board_pdf(sample), "summary": build_summary_pdf(sample)}
