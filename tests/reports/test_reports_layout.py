"""Nothing runs off a page or over another word: the deck (through LibreOffice) and both PDFs.

Every word pdfplumber finds must lie inside its page, and no two upright words may overlap
(more than a sliver: glyph boxes of neighbouring words touch). Checked in en-US and pt-BR, for
the sample group and for the 66-entity synthetic group of ``benchmarks/bench_reports.py``.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pdfplumber
import pytest
from board_pack_sample import sample_board_pack, sample_signoff
from test_reports_libreoffice import _convert

from reports.pdf import build_board_pdf, build_summary_pdf
from reports.pptx import build_deck

_SLIVER = 1.0  # points: boxes of adjacent words may touch by this much


def _problems(pdf: bytes | Path, name: str) -> list[str]:
    found: list[str] = []
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf
    with pdfplumber.open(source) as doc:
        for number, page in enumerate(doc.pages, start=1):
            # Chart axis labels drawn at an angle are glyph-by-glyph boxes that always "overlap":
            # only horizontal text is checked.
            level = page.filter(lambda o: o.get("object_type") != "char" or (
                abs(o["matrix"][1]) < 1e-6 and abs(o["matrix"][2]) < 1e-6))
            words = [w for w in level.extract_words(keep_blank_chars=False) if w["upright"]]
            for w in words:
                if (w["x0"] < -0.5 or w["top"] < -0.5 or w["x1"] > page.width + 0.5
                        or w["bottom"] > page.height + 0.5):
                    found.append(f"{name} p{number}: {w['text']!r} outside the page")
            words.sort(key=lambda w: w["top"])
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    if b["top"] >= a["bottom"] - _SLIVER:
                        break
                    dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                    dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                    if dx > _SLIVER and dy > _SLIVER:
                        found.append(f"{name} p{number}: {a['text']!r} overlaps {b['text']!r}")
    return found


@pytest.mark.timeout(900)
@pytest.mark.parametrize("entities", [4, 66])
@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_no_word_off_the_page_or_over_another(tmp_path: Path, locale: str, entities: int) -> None:
    data = sample_board_pack(locale=locale, n_entities=entities)  # type: ignore[arg-type]
    deck = _convert(tmp_path, "deck.pptx", build_deck(data), "pdf")
    problems = (_problems(deck, "deck") + _problems(build_board_pdf(data), "board pdf")
                + _problems(build_summary_pdf(data), "summary pdf"))
    assert not problems, f"{len(problems)} layout problems, first:\n" + "\n".join(problems[:25])


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
def test_the_signed_cover_and_appendix_fit(locale: str) -> None:
    """The signed edition's cover (five more rows, a long note) and its appendix sign-off (issue 17)."""
    data = sample_board_pack(locale=locale)  # type: ignore[arg-type]
    problems = _problems(build_board_pdf(replace(data, signoff=sample_signoff(data))), "signed board pdf")
    assert not problems, f"{len(problems)} layout problems, first:\n" + "\n".join(problems[:25])
