"""The close-status page's Gantt-like chart: the run's stages and the checklist's tasks on one axis.

One row per run status (in the order the run first entered it; a status entered twice, after a
failure and a resume, shows both spans) and one row per task: its due day as a band, a dot when it
was done (green on time, amber late) and, for a task still open past its due day, a red bar from
the due day to the moment the package was rendered (the dashed line).

The axis is UTC time. Stretches of it where nothing happens for more than ``_BREAK_AFTER`` (a
demo month closed a year after its due days, a close paused over a long weekend) are cut out and
marked ``//``; the stretches left share the width equally, so seconds-long stages and days-long
tasks both stay readable. Not drawn in a sketch pass (see ``reports.pdf``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from reports.format import format_date
from reports.labels import t
from reports.model import BoardPackData, ChecklistTask, CloseStep

_BREAK_AFTER = timedelta(days=4)
_LABEL_W, _ROW_H, _AXIS_H, _LEGEND_H, _GAP_W = 132.0, 13.0, 26.0, 16.0, 14.0
_NAVY, _AMBER, _RED = colors.HexColor("#1F3864"), colors.HexColor("#C98A00"), colors.HexColor("#C62828")
_GREEN, _BAND, _RULE = colors.HexColor("#2E7D32"), colors.HexColor("#D9DEE8"), colors.HexColor("#BFBFBF")
_WAITING = frozenset({"AWAITING_TASKS", "AWAITING_REVIEW"})


@dataclass(frozen=True, slots=True)
class _Stretch:
    """A part of the axis drawn to scale: ``start``..``end`` over ``x0``..``x1`` points."""

    start: datetime
    end: datetime
    x0: float
    x1: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        return self.x0 + (moment - self.start).total_seconds() / span * (self.x1 - self.x0)


def _day_band(task: ChecklistTask) -> tuple[datetime, datetime]:
    start = datetime.combine(task.due_on, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _spans(data: BoardPackData, rendered: datetime) -> list[tuple[datetime, datetime]]:
    """Return the intervals the axis must show: stages, due days, done times, the rendering.

    An overdue task's bar (due day to rendering) is not one: it may cross a cut.
    """
    spans = [(s.start, s.end or s.start) for s in data.close_steps] + [(rendered, rendered)]
    for task in data.checklist:
        spans.append(_day_band(task))
        if task.done_at is not None:
            spans.append((task.done_at, task.done_at))
    return spans


def _stretches(spans: Sequence[tuple[datetime, datetime]], x0: float, x1: float) -> list[_Stretch]:
    """Merge the intervals into stretches cut where nothing happens for ``_BREAK_AFTER``."""
    merged: list[list[datetime]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= _BREAK_AFTER:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    width = (x1 - x0 - _GAP_W * (len(merged) - 1)) / len(merged)
    out = []
    for i, (start, end) in enumerate(merged):
        # A margin of 4 % (at least a second) each side: a close of a few seconds fills its
        # stretch instead of a sliver in the middle of minutes of empty axis.
        pad = max((end - start) * 0.04, timedelta(seconds=1))
        left = x0 + i * (width + _GAP_W)
        out.append(_Stretch(start - pad, end + pad, left, left + width))
    return out


def _clip(text: str, room: float, size: float) -> str:
    if stringWidth(text, "Helvetica", size) <= room:
        return text
    while text and stringWidth(text + "…", "Helvetica", size) > room:
        text = text[:-1]
    return text + "…"


class CloseTimeline(Flowable):
    """The chart; ``rendered`` is when the package was rendered (the REPORTING step's start)."""

    def __init__(self, data: BoardPackData, width: float, *,
                 sketching: Callable[[object], bool]) -> None:
        super().__init__()
        self.data, self.width, self._sketching = data, width, sketching
        self.rendered = data.close_steps[-1].start if data.close_steps else data.as_of
        self.rows: list[tuple[str, list[CloseStep] | ChecklistTask]] = []
        by_status: dict[str, list[CloseStep]] = {}
        for step in data.close_steps:
            by_status.setdefault(step.status, []).append(step)
        self.rows += [(status, steps) for status, steps in by_status.items()]
        self.rows += [(f"{task.task_id} · {task.owner}", task) for task in data.checklist]
        self.height = _AXIS_H + _ROW_H * len(self.rows) + _LEGEND_H + 6

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Take the width given and a row per status and task."""
        return self.width, self.height

    def _x(self, moment: datetime) -> float:
        return next((s.x(moment) for s in self.stretches if moment <= s.end), self.stretches[-1].x(moment))

    def draw(self) -> None:
        """Draw the axis, the rows, the rendering line and the legend (not in a sketch pass)."""
        if self._sketching(self.canv) or not self.rows:
            return
        canv, loc = self.canv, self.data.locale
        self.stretches = _stretches(_spans(self.data, self.rendered), _LABEL_W, self.width)
        top = self.height - _AXIS_H
        canv.saveState()
        self._axis(top)
        for i, (label, what) in enumerate(self.rows):
            y = top - (i + 1) * _ROW_H
            canv.setFillColor(colors.black)
            canv.setFont("Helvetica", 7)
            canv.drawString(0, y + 3.5, _clip(label, _LABEL_W - 6, 7))
            if isinstance(what, ChecklistTask):
                self._task(what, y)
            else:
                self._steps(what, y)
        x = self._x(self.rendered)
        canv.setStrokeColor(colors.black)
        canv.setDash(2, 2)
        canv.setLineWidth(0.6)
        canv.line(x, top - len(self.rows) * _ROW_H, x, top)
        canv.setDash()
        self._legend(loc)
        canv.restoreState()

    def _axis(self, top: float) -> None:
        canv, loc = self.canv, self.data.locale
        canv.setFont("Helvetica", 6)
        canv.setLineWidth(0.3)
        bottom = top - len(self.rows) * _ROW_H
        for n, stretch in enumerate(self.stretches):
            ticks = max(2, int((stretch.x1 - stretch.x0) // 70))
            for k in range(ticks):
                moment = stretch.start + (stretch.end - stretch.start) * (k + 0.5) / ticks
                x = stretch.x(moment)
                canv.setStrokeColor(_RULE)
                canv.line(x, bottom, x, top)
                canv.setFillColor(colors.black)
                canv.drawCentredString(x, top + 13, format_date(moment.date(), loc))
                short = stretch.end - stretch.start < timedelta(hours=1)
                canv.drawCentredString(x, top + 5, moment.strftime("%H:%M:%S" if short else "%H:%M"))
            if n:  # the cut: a gap with a double slash on the axis
                mid = stretch.x0 - _GAP_W / 2
                canv.setStrokeColor(colors.black)
                for dx in (-2.0, 2.0):
                    canv.line(mid + dx - 2, top - 3, mid + dx + 2, top + 3)
        canv.setStrokeColor(colors.black)
        for stretch in self.stretches:
            canv.line(stretch.x0, top, stretch.x1, top)

    def _steps(self, steps: list[CloseStep], y: float) -> None:
        canv = self.canv
        for step in steps:
            color = _AMBER if step.status in _WAITING else _RED if step.status == "FAILED" else _NAVY
            canv.setFillColor(color)
            x0 = self._x(step.start)
            x1 = self._x(step.end) if step.end is not None else x0 + 3
            canv.rect(x0, y + 2.5, max(x1 - x0, 1.5), _ROW_H - 5, stroke=0, fill=1)

    def _task(self, task: ChecklistTask, y: float) -> None:
        canv = self.canv
        start, end = _day_band(task)
        canv.setFillColor(_BAND)
        x0 = self._x(start)
        canv.rect(x0, y + 2.5, max(self._x(end) - x0, 1.5), _ROW_H - 5, stroke=0, fill=1)
        if task.overdue:
            canv.setFillColor(_RED)
            x0 = self._x(end)
            canv.rect(x0, y + 5, max(self._x(self.rendered) - x0, 1.5), _ROW_H - 10, stroke=0, fill=1)
        if task.done_at is not None:
            canv.setFillColor(_GREEN if task.done_at < end else _AMBER)
            canv.circle(self._x(task.done_at), y + _ROW_H / 2, 2.6, stroke=0, fill=1)

    def _legend(self, loc: str) -> None:
        canv = self.canv
        canv.setFont("Helvetica", 6.5)
        x = 0.0
        for color, key in ((_NAVY, "tl_stage"), (_AMBER, "tl_waiting"), (_BAND, "tl_due"),
                           (_GREEN, "tl_done"), (_RED, "tl_overdue"), (None, "tl_rendered")):
            if color is None:
                canv.setStrokeColor(colors.black)
                canv.setDash(2, 2)
                canv.line(x, 6, x + 8, 6)
                canv.setDash()
            else:
                canv.setFillColor(color)
                canv.rect(x, 3, 8, 6, stroke=0, fill=1)
            canv.setFillColor(colors.black)
            label = t(loc, key)
            canv.drawString(x + 11, 3.5, label)
            x += 22 + stringWidth(label, "Helvetica", 6.5)
