"""The board package's close-status page: the timeline of the close and the checklist (issue 20).

The sample's close (a run that waited at its REPORTING gate, tasks due around it) is on one axis;
a month closed a year after its due days (the demo) is drawn on an axis cut where nothing happens.
Either way, in both locales, no word leaves the page or runs over another.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pdfplumber
import pytest
from board_pack_sample import sample_board_pack
from test_reports_layout import _problems

from reports.model import BoardPackData, ChecklistTask, CloseStep
from reports.pdf import build_board_pdf

_TITLE = {"en-US": "Close status", "pt-BR": "Status do fechamento"}


def _page(pdf: bytes, title: str) -> tuple[int, str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, start=1):
            text = page.extract_text() or ""
            if text.splitlines()[1:2] == [title]:  # the running header, then the page's title
                return number, text
    raise AssertionError(f"no page titled {title!r}")


def _a_year_late(data: BoardPackData) -> BoardPackData:
    """The demo's case: October's tasks were due in November 2025, the run closed it in 2026."""
    t0 = datetime(2026, 12, 7, 19, 9, 3, tzinfo=UTC)
    moves = [(t0 + timedelta(seconds=s), to) for s, to in (
        (0, "EXTRACTING"), (2, "MAPPING"), (3, "CONSOLIDATING"), (4, "VALIDATING"), (5, "ANALYZING"),
        (6, "AWAITING_TASKS"), (106, "ANALYZING"), (107, "REPORTING"))]
    steps = tuple(CloseStep(to, at, moves[i + 1][0] if i + 1 < len(moves) else None)
                  for i, (at, to) in enumerate(moves))
    tasks = (ChecklistTask("accruals", "Accruals booked", "controller", date(2025, 11, 5), "REPORTING",
                           t0 + timedelta(seconds=105), "tester", "9e4e5071fa40" + "0" * 52, overdue=False),
             ChecklistTask("bank-rec", "Bank reconciliations signed", "controller", date(2025, 11, 6), None,
                           None, None, None, overdue=True))
    return replace(data, close_steps=steps, checklist=tasks)


@pytest.mark.parametrize("locale", ["en-US", "pt-BR"])
@pytest.mark.parametrize("case", ["sample", "a-year-late"])
def test_the_close_status_page_shows_stages_and_tasks_within_the_page(locale: str, case: str) -> None:
    data = sample_board_pack(locale=locale)  # type: ignore[arg-type]
    if case == "a-year-late":
        data = _a_year_late(data)
    pdf = build_board_pdf(data)
    number, text = _page(pdf, _TITLE[locale])
    assert "REPORTING" in text and "AWAITING_TASKS" in text
    for task in data.checklist:
        assert f"{task.task_id} · {task.owner}" in text  # a row of the timeline
        assert f"{task.task_id}: " in text  # a row of the checklist
    assert ("9b74c9897bac" if case == "sample" else "9e4e5071fa40") in text  # evidence, short
    assert ("overdue" if locale == "en-US" else "atrasada") in text
    problems = [p for p in _problems(pdf, "board pdf") if p.startswith(f"board pdf p{number}:")]
    assert not problems, problems


def test_a_run_without_checklist_or_history_says_not_available() -> None:
    data = replace(sample_board_pack(), close_steps=(), checklist=())
    _, text = _page(build_board_pdf(data), "Close status")
    assert "not available" in text.lower()
