"""The board package PDF and the one-page executive summary (reportlab platypus).

Board package: cover; contents with page numbers (a two-pass ``multiBuild``); executive
summary; the three statements; variance commentary; charts (revenue and EBITDA trend, the
net income bridge from budget to actual, KPIs); one page per company; an appendix an auditor
can trace figures through (CTA and NCI by entity, consolidated balance per account from
translated through eliminations, PPA and adjustments, FX rates with their source, the
consolidation journals, validation and the audit trail). Every page after the cover carries
the group, period and run id, and "Page x of y".

Determinism: reportlab runs in ``invariant`` mode and the document's creation date is the
run's ``as_of`` (UTC), so the same data gives the same bytes in any process and time zone.
Charts convert amounts to float for drawing geometry only; every printed figure is formatted
from the Decimal.
"""

from __future__ import annotations

import io
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from close.engine.definitions import DEFINITIONS
from close.engine.money import ZERO
from reports.board_words import check_title, finding_line, journal_title, kpi_name, kpi_reason
from reports.budget_pages import entity_statement, full_year_statement
from reports.format import (
    format_amount,
    format_axis,
    format_date,
    format_percent,
    format_period,
    format_rate,
    format_score,
    format_short_period,
    format_timestamp,
)
from reports.fx_pages import Table as TextTable
from reports.fx_pages import covenant_tables, ft, fx_tables
from reports.labels import t
from reports.model import BoardPackData, Entity, Kpi
from reports.presentation import (
    ACCENT,
    BRAND,
    LIGHT_FILL,
    LIGHT_INK,
    account_name,
    chart_index,
    entity_names,
    highlight_lines,
    light_label,
    presented_sign,
    significant_variances,
)
from reports.signoff import signoff_rows
from reports.statements import (
    BridgeStep,
    EntityFigures,
    Statement,
    Statements,
    board_bridges,
    budget_bridge,
    build_statements,
    entity_figures,
    income_statement_figures,
)
from reports.timeline import CloseTimeline

_PAGE_W, _PAGE_H = A4
_MARGIN = 18 * mm
_CONTENT_W = _PAGE_W - 2 * _MARGIN
_NAVY = colors.HexColor("#" + BRAND)
_ACCENT = colors.HexColor("#" + ACCENT)
_GREY = colors.HexColor("#595959")
_LIGHT_GREY = colors.HexColor("#F2F2F2")
_RULE = colors.HexColor("#BFBFBF")
_UP = colors.HexColor("#2E7D32")
_DOWN = colors.HexColor("#C62828")

_base = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_base["BodyText"], fontName="Helvetica", fontSize=9.5,
                       leading=12.5)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=7.5, leading=9)
_NOTE = ParagraphStyle("note", parent=_SMALL, textColor=colors.HexColor("#9C5700"),
                       fontName="Helvetica-Oblique")
_H1 = ParagraphStyle("H1", parent=_base["Heading1"], fontName="Helvetica-Bold", fontSize=17,
                     leading=21, textColor=_NAVY, spaceBefore=0, spaceAfter=8)
_H2 = ParagraphStyle("H2", parent=_base["Heading2"], fontName="Helvetica-Bold", fontSize=12,
                     leading=15, textColor=_NAVY, spaceBefore=10, spaceAfter=5)
_TOC_STYLES = [
    ParagraphStyle("toc1", fontName="Helvetica-Bold", fontSize=10.5, leading=14, leftIndent=0,
                   firstLineIndent=0, spaceBefore=4),
    ParagraphStyle("toc2", fontName="Helvetica", fontSize=9, leading=11.5, leftIndent=14,
                   firstLineIndent=0),
]


class _FixedTimeStamp:
    """Stands in for reportlab's ``TimeStamp``: the run's ``as_of`` in UTC, never the clock."""

    def __init__(self, data: BoardPackData) -> None:
        utc = data.as_of.astimezone(UTC)
        self.t = utc.timestamp()
        self.lt = time.gmtime(self.t)
        self.YMDhms = tuple(self.lt)[:6]  # noqa: N815 - reportlab's attribute name
        self.dhh = self.dmm = 0
        self.tzname = "UTC"


@dataclass(frozen=True)
class _Running:
    """What every page's header and footer says."""

    left: str
    right: str
    page_label: Callable[[int, int], str]


def _numbered_canvas(data: BoardPackData, running: _Running, skip_first: bool) -> type[Canvas]:
    """Return a canvas class that defers page furniture to the end, when the page count ``y`` is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _FixedTimeStamp(data)
            self._saved_pages: list[dict[str, Any]] = []
            self.setAuthor("monthclose")
            self.setCreator("monthclose")
            self.setTitle(f"{data.group_name} {data.period}")
            self.setSubject(f"run {data.run_id}")

        def showPage(self) -> None:  # noqa: N802 - reportlab's API
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                if not (skip_first and self._pageNumber == 1):
                    self._furniture(self._pageNumber, total)
                super().showPage()
            super().save()

        def _furniture(self, page: int, total: int) -> None:
            self.saveState()
            self.setStrokeColor(_RULE)
            self.setLineWidth(0.5)
            self.line(_MARGIN, _PAGE_H - 12 * mm, _PAGE_W - _MARGIN, _PAGE_H - 12 * mm)
            self.line(_MARGIN, 13 * mm, _PAGE_W - _MARGIN, 13 * mm)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(_GREY)
            self.drawString(_MARGIN, _PAGE_H - 10 * mm, running.left)
            self.drawRightString(_PAGE_W - _MARGIN, _PAGE_H - 10 * mm, running.right)
            self.drawString(_MARGIN, 9 * mm, f"{t(data.locale, 'run')} {data.run_id} · "
                                             f"{format_timestamp(data.as_of, data.locale)}")
            self.drawRightString(_PAGE_W - _MARGIN, 9 * mm, running.page_label(page, total))
            self.restoreState()

    return NumberedCanvas


def _sketching(canvas: Canvas) -> bool:
    """Return True in a pass whose pages are measured, never kept (see ``_PackDoc``)."""
    return getattr(canvas, "sketch", False)


class _Grid(Table):
    """A table that leaves its cells undrawn in a sketch pass (splits keep the class)."""

    def draw(self) -> None:
        if not _sketching(self.canv):
            super().draw()


class _Chart(Drawing):
    """A chart that is not rendered in a sketch pass."""

    def draw(self, *args: Any, **kwargs: Any) -> None:
        if not _sketching(self.canv):
            super().draw(*args, **kwargs)


class _PackDoc(BaseDocTemplate):
    """Feeds headings into the table of contents as they are laid out.

    A pass of ``multiBuild`` whose contents still show placeholder page numbers can never be
    the last (see ``_PrefilledContents``): it only finds the page of each heading and its
    pages are thrown away. Its canvas is a *sketch*: tables and charts, most of the document's
    drawing time, only take their room on it and draw nothing.
    """

    def beforeDocument(self) -> None:  # noqa: N802 - reportlab's API
        self.canv.sketch = any(isinstance(f, _PrefilledContents) and f.placeholders
                               for f in getattr(self, "_indexingFlowables", ()))

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's API
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            level = 0 if flowable.style.name == "H1" else 1
            text = flowable.getPlainText()
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.notify("TOCEntry", (level, text, self.page, key))


class _PrefilledContents(TableOfContents):
    """Contents that already list every heading (page numbers unknown) in the first pass.

    ``multiBuild`` repeats the layout until the contents stop changing. Empty contents in the
    first pass shift every later page once they fill in, which costs a third pass; with the
    right lines from the start, the second pass is already stable.

    The placeholder page is 0, which no heading is ever on: a pass that lays out the
    placeholders always differs from the headings it finds, so it is never the last pass.
    """

    def prefill(self, story: Sequence[Flowable]) -> None:
        """List the H1/H2 headings of ``story`` with a placeholder page number."""
        self._entries = [(0 if f.style.name == "H1" else 1, f.getPlainText(), 0, f"h{id(f)}")
                         for f in story if isinstance(f, Paragraph)
                         and f.style.name in ("H1", "H2")]

    @property
    def placeholders(self) -> bool:
        """Whether this pass lays out the placeholder entries (so its pages are discarded)."""
        return any(page == 0 for _, _, page, _ in self._lastEntries)


def _doc(buffer: io.BytesIO, data: BoardPackData) -> _PackDoc:
    doc = _PackDoc(buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN,
                   topMargin=18 * mm, bottomMargin=18 * mm, invariant=1,
                   title=f"{data.group_name} {data.period}", author="monthclose",
                   creator="monthclose", subject=f"run {data.run_id}")
    frame = Frame(_MARGIN, 16 * mm, _CONTENT_W, _PAGE_H - 34 * mm, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    return doc


def _running(data: BoardPackData, title_key: str) -> _Running:
    loc = data.locale
    return _Running(left=f"{data.group_name} · {t(loc, title_key)}",
                    right=format_period(data.period, loc),
                    page_label=lambda x, y: t(loc, "page_x_of_y", x=x, y=y))


# ---------------------------------------------------------------------------- tables


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PAD = 3  # left and right padding of every table cell, points


class _Wrap(str):
    """Cell text that wraps within its column when it does not fit on one line (see ``_grid``)."""

    __slots__ = ()


@cache
def _cell_style(font_size: float, bold: bool, right: bool = False,
                white: bool = False) -> ParagraphStyle:
    """Return the style of a wrapping cell: the table's type size, bold and white in the header."""
    return ParagraphStyle(f"cell_{font_size}_{bold}_{right}_{white}", parent=_CELL,
                          fontName="Helvetica-Bold" if bold else "Helvetica",
                          fontSize=font_size, leading=font_size + 1.5,
                          alignment=TA_RIGHT if right else 0,
                          textColor=colors.white if white else _CELL.textColor)


def _grid(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, numeric_from: int = 1,
          bold_rows: Sequence[int] = (), total_rows: Sequence[int] = (),
          section_rows: Sequence[int] = (), span_rows: Sequence[int] = (),
          fills: Sequence[tuple[int, int, str]] = (), font_size: float = 7.5,
          repeat: int = 1) -> Table:
    """Build a table in the package's style: navy header, zebra rows, figures right-aligned.

    ``widths`` are fractions of the content width. Header cells and ``_Wrap`` cells wrap, so a
    long heading or comment never runs into its neighbour; the ones that fit on one line stay
    plain strings, which lay out and draw several times faster than Paragraphs. ``span_rows``
    are bold rows whose first cell spans the whole table (a group heading).
    """
    col_widths = [w * _CONTENT_W for w in widths]
    strong = {0, *bold_rows, *total_rows, *span_rows}
    spans = set(span_rows)

    def cell(r: int, c: int, value: Any) -> Any:
        if not isinstance(value, str) or (r > 0 and not isinstance(value, _Wrap)):
            return value
        room = (sum(col_widths) if r in spans else col_widths[c]) - 2 * _PAD
        font = "Helvetica-Bold" if r in strong else "Helvetica"
        if "\n" not in value and stringWidth(value, font, font_size) <= room:
            return str(value)
        return Paragraph(_esc(value), _cell_style(font_size, r in strong,
                                                  r == 0 and c >= numeric_from, r == 0))

    table = _Grid([[cell(r, c, v) for c, v in enumerate(row)] for r, row in enumerate(rows)],
                  colWidths=col_widths, repeatRows=repeat, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", font_size),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), _NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, _RULE),
    ]
    style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _LIGHT_GREY]))
    for r in bold_rows:
        style.append(("FONT", (0, r), (-1, r), "Helvetica-Bold", font_size))
        style.append(("LINEABOVE", (1, r), (-1, r), 0.5, colors.black))
    for r in total_rows:
        style.append(("FONT", (0, r), (-1, r), "Helvetica-Bold", font_size))
        style.append(("LINEABOVE", (1, r), (-1, r), 0.5, colors.black))
        style.append(("LINEBELOW", (1, r), (-1, r), 1.2, colors.black))
    for r in section_rows:
        style.append(("FONT", (0, r), (0, r), "Helvetica-Bold", font_size))
        style.append(("TEXTCOLOR", (0, r), (0, r), _NAVY))
        style.append(("BACKGROUND", (0, r), (-1, r), colors.white))
    for r in span_rows:
        style.append(("SPAN", (0, r), (-1, r)))
        style.append(("FONT", (0, r), (-1, r), "Helvetica-Bold", font_size))
    # Wrapping text is left-aligned, also in a column right of numeric_from (a comment).
    for c in sorted({c for row in rows[1:] for c, v in enumerate(row)
                     if c >= numeric_from and isinstance(v, _Wrap)}):
        style.append(("ALIGN", (c, 1), (c, -1), "LEFT"))
    for r, c, light in fills:
        style.append(("BACKGROUND", (c, r), (c, r), colors.HexColor("#" + LIGHT_FILL[light])))
        style.append(("TEXTCOLOR", (c, r), (c, r), colors.HexColor("#" + LIGHT_INK[light])))
    table.setStyle(TableStyle(style))
    return table


def _statement_table(st: Statement, locale: str) -> list[Flowable]:
    n = len(st.columns)
    # The income statement has up to eight figures a line, the balance sheet four, the cash
    # flow three: the more figures, the narrower the label column and the smaller the type.
    wide = n > 4
    label_w, size = ((0.52, 8.5) if n <= 3 else (0.36, 7.5) if n == 4
                     else (0.25, 6.6) if n < 8 else (0.21, 6.3))
    widths = [label_w] + [(1 - label_w) / n] * n
    rows: list[list[Any]] = [[""] + [c.label for c in st.columns]]
    bold, total, section, alerts = [], [], [], []
    for line in st.lines:
        r = len(rows)
        if line.key in st.alerts:
            alerts.append(r)
        if line.kind == "section":
            rows.append([line.label] + [""] * n)
            section.append(r)
            continue
        # No-break spaces: the indent survives when a long label wraps into a Paragraph.
        label = ("\u00a0" * 4 + line.label) if line.kind == "item" else line.label
        rows.append([_Wrap(label)] + [format_percent(v, locale) if c.pct_of else
                                      format_amount(v, locale, zero_dash=True)
                                      for v, c in zip(line.values, st.columns, strict=True)])
        (total if line.kind == "total" else bold if line.kind == "subtotal" else []).append(r)
    table = _grid(rows, widths, bold_rows=bold, total_rows=total, section_rows=section,
                  font_size=size)
    for r in alerts:  # a reconciliation that is not zero is read in red
        table.setStyle(TableStyle([("TEXTCOLOR", (0, r), (-1, r), _DOWN),
                                   ("FONT", (0, r), (-1, r), "Helvetica-Bold", size)]))
    if wide:
        table.setStyle(TableStyle([("LEFTPADDING", (1, 0), (-1, -1), 1),
                                   ("RIGHTPADDING", (1, 0), (-1, -1), 2)]))
    out: list[Flowable] = [table]
    for note in st.notes:
        out += [Spacer(1, 3), Paragraph(_esc(note), _NOTE)]
    return out


def _not_available(locale: str, what: str) -> Paragraph:
    return Paragraph(_esc(t(locale, "section_not_available", what=what)), _NOTE)


# ---------------------------------------------------------------------------- charts


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)  # drawing geometry only


def _ticks(low: float, high: float) -> tuple[list[float], int]:
    """Return about five round tick values (1, 2 or 5 × 10^k apart) covering low..high.

    Also returns the decimals their labels need.
    """
    if high <= low:
        high = low + 1
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [i * step for i in range(first, last + 1)], max(0, -math.floor(math.log10(step)))


class _BarChart(Flowable):
    """Grouped bars on a value grid, with a legend below, drawn straight on the canvas.

    reportlab's chart widgets build and validate hundreds of shapes per chart, which made the
    company pages' charts a third of a large group's PDF build; this draws the same kind of
    picture with a few dozen canvas calls. Not drawn in a sketch pass.
    """

    _LEFT, _BOTTOM, _RIGHT, _TOP = 56.0, 38.0, 12.0, 10.0

    def __init__(self, categories: Sequence[str],
                 series: Sequence[tuple[colors.Color, str, Sequence[float | None]]],
                 width: float, height: float, locale: str) -> None:
        super().__init__()
        self.categories, self.series = list(categories), list(series)
        self.width, self.height, self.locale = width, height, locale

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if _sketching(self.canv):
            return
        canv = self.canv
        left, bottom = self._LEFT, self._BOTTOM
        plot_w = self.width - left - self._RIGHT
        plot_h = self.height - bottom - self._TOP
        values = [v for _, _, vs in self.series for v in vs if v is not None]
        ticks, decimals = _ticks(min([0.0, *values]), max([0.0, *values]))
        low, span = ticks[0], ticks[-1] - ticks[0]

        def y(value: float) -> float:
            return bottom + (value - low) / span * plot_h

        canv.saveState()
        canv.setFont("Helvetica", 6.5)
        canv.setLineWidth(0.3)
        canv.setStrokeColor(_RULE)
        for tick in ticks:
            canv.line(left, y(tick), left + plot_w, y(tick))
            canv.drawRightString(left - 4, y(tick) - 2.3, format_axis(tick, self.locale, decimals))
        canv.setLineWidth(0.8)
        canv.setStrokeColor(colors.black)
        canv.line(left, bottom, left, bottom + plot_h)
        canv.line(left, y(0), left + plot_w, y(0))
        group = plot_w / len(self.categories)
        bar = group * 0.8 / len(self.series)
        for s, (color, _, vs) in enumerate(self.series):
            canv.setFillColor(color)
            for i, v in enumerate(vs):
                if v:
                    canv.rect(left + (i + 0.1) * group + s * bar, min(y(v), y(0)), bar,
                              abs(y(v) - y(0)), stroke=0, fill=1)
        canv.setFillColor(colors.black)
        for i, name in enumerate(self.categories):
            canv.drawCentredString(left + (i + 0.5) * group, bottom - 10, name)
        canv.setFont("Helvetica", 7)
        x = left
        for color, name, _ in self.series:
            canv.setFillColor(color)
            canv.rect(x, 8, 8, 8, stroke=0, fill=1)
            canv.setFillColor(colors.black)
            canv.drawString(x + 12, 9.5, name)
            x += 30 + stringWidth(name, "Helvetica", 7)
        canv.restoreState()


def _trend_chart(data: BoardPackData, st: Statements, width: float, height: float) -> _BarChart:
    loc = data.locale
    points = [(h.period, income_statement_figures(h.balances, data.chart)) for h in data.history]
    points.append((data.period, {"revenue": st.headline("revenue_month"),
                                 "ebitda": st.headline("ebitda_month")}))
    return _BarChart([format_short_period(p, loc) for p, _ in points],
                     [(_NAVY, t(loc, "revenue"), [_f(f["revenue"]) for _, f in points]),
                      (_ACCENT, t(loc, "ebitda"), [_f(f["ebitda"]) for _, f in points])],
                     width, height, loc)


def _bridge_chart(steps: Sequence[tuple[str, str, Decimal]], locale: str, width: float,
                  height: float) -> Drawing:
    """Draw the net income bridge as a floating-bar waterfall (stacked bars on an invisible base)."""
    base, rise, colors_ = [], [], []
    running = ZERO
    last = len(steps) - 1
    for i, (_, _, amount) in enumerate(steps):
        if i in (0, last):
            start, end = ZERO, amount
            running = amount
            colors_.append(_NAVY)
        else:
            start, end = running, running + amount
            running = end
            colors_.append(_UP if amount >= 0 else _DOWN)
        base.append(min(start, end))
        rise.append(abs(end - start))
    d = _Chart(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 48, 52, width - 60, height - 70
    chart.data = [[_f(b) for b in base], [_f(r) for r in rise]]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [label for _, label, _ in steps]
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labelTextFormat = lambda value: format_axis(value, locale)
    chart.valueAxis.valueMin = min(0.0, *(float(b) for b in base))
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _RULE
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = None
    for i, color in enumerate(colors_):
        chart.bars[(1, i)].fillColor = color
    d.add(chart)
    return d


def _entity_chart(data: BoardPackData, f: EntityFigures, width: float,
                  height: float) -> _BarChart:
    """Chart translated vs consolidated contribution of one company (revenue, EBITDA, net income)."""
    loc = data.locale
    keys = ("revenue", "ebitda", "net_income")
    return _BarChart([f.get(k).label for k in keys],
                     [(_NAVY, t(loc, "col_translated"), [_f(f.get(k).translated) for k in keys]),
                      (_ACCENT, t(loc, "col_after_postings"),
                       [_f(f.get(k).consolidated) for k in keys])],
                     width, height, loc)


def _kpi_value(k: Kpi, locale: str, currency: str) -> str:
    if k.value is None:
        return "n/a"
    if k.unit == "percent":
        return format_percent(k.value, locale)
    if k.unit == "currency":
        return f"{currency} {format_amount(k.value, locale)}"
    return format_amount(k.value, locale)


def _kpi_chart(data: BoardPackData, width: float, height: float) -> Drawing | None:
    trended = [k for k in data.kpis if k.trend and k.unit == "percent"]
    if not trended:
        return None
    loc = data.locale
    periods = sorted({p.period for k in trended for p in k.trend})
    d = _Chart(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, 38, width - 52, height - 50
    series, drawn = [], []
    for k in trended:
        values = {p.period: p.value for p in k.trend}
        line = [_f(values.get(p) * 100 if values.get(p) is not None else None)
                for p in periods] + [_f(k.value * 100 if k.value is not None else None)]
        if sum(v is not None for v in line) >= 2:  # a line needs two points; one is no trend
            series.append(line)
            drawn.append(k)
    if not series:
        return None
    trended = drawn
    chart.data = series
    chart.categoryAxis.categoryNames = [format_short_period(p, loc) for p in periods] + [
        format_short_period(data.period, loc)]
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.labels.fontSize = 6.5
    chart.valueAxis.labelTextFormat = lambda v: f"{v:.0f}%"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = _RULE
    chart.valueAxis.gridStrokeWidth = 0.3
    palette = [_NAVY, _ACCENT, _UP, _DOWN]
    for i in range(len(series)):
        chart.lines[i].strokeColor = palette[i % len(palette)]
        chart.lines[i].strokeWidth = 1.5
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 12
    legend.fontSize = 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(palette[i % len(palette)], kpi_name(k.code, k.name, data.locale))
                             for i, k in enumerate(trended)]
    d.add(legend)
    return d


# ---------------------------------------------------------------------------- sections


def _cover(data: BoardPackData, title_key: str) -> list[Flowable]:
    loc = data.locale
    title = ParagraphStyle("cover_title", parent=_H1, fontSize=30, leading=36)
    sub = ParagraphStyle("cover_sub", parent=_BODY, fontSize=16, leading=22, textColor=_ACCENT)
    meta = [
        [t(loc, "group"), f"{data.group_name} ({data.group_id})"],
        [t(loc, "period"), format_period(data.period, loc)],
        [t(loc, "run"), data.run_id],
        [t(loc, "run_status"), data.run_status],
        [t(loc, "as_of"), format_timestamp(data.as_of, loc)],
        [t(loc, "currency"), data.presentation_currency],
        [t(loc, "basis"), data.basis],
    ]
    signed_from = len(meta)
    # Wrapping cells: a waiver list or a sign-off note may be longer than the column.
    meta += [[label, Paragraph(_esc(text), _cell_style(10, False))] for label, text in signoff_rows(data)]
    table = _Grid(meta, colWidths=[0.3 * _CONTENT_W, 0.7 * _CONTENT_W])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 10),
        ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 10),
        ("TEXTCOLOR", (0, 0), (0, -1), _NAVY),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, _RULE),
        ("LINEABOVE", (0, signed_from), (-1, signed_from), 1, _NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),  # a label beside a wrapped note stays on its first line
        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    # The signed cover has up to five more rows: it starts higher so it stays one page.
    top = 60 * mm if data.signoff is None else 40 * mm
    return [Spacer(1, top), Paragraph(_esc(data.group_name), title),
            Paragraph(_esc(f"{t(loc, title_key)} — {format_period(data.period, loc)}"), sub),
            Spacer(1, 20 * mm), table, Spacer(1, 20 * mm),
            Paragraph(_esc(t(loc, "confidential")), _SMALL)]


def _headline_table(st: Statements, data: BoardPackData) -> Table:
    rows = [[t(data.locale, "headline_figures"), data.presentation_currency]]
    rows += [[h.label, format_amount(h.value, data.locale)] for h in st.headlines]
    return _grid(rows, [0.42, 0.2], font_size=8.5)


def _highlights(data: BoardPackData, st: Statements) -> list[Flowable]:
    return [Paragraph("• " + _esc(i), _BODY) for i in highlight_lines(data, st)]


def _executive_summary(data: BoardPackData, st: Statements) -> list[Flowable]:
    loc = data.locale
    out: list[Flowable] = [Paragraph(_esc(t(loc, "executive_summary")), _H1),
                           *_highlights(data, st), Spacer(1, 8), _headline_table(st, data)]
    names = chart_index(data)
    material = significant_variances(data, 5)
    if material:
        out.append(Paragraph(_esc(t(loc, "material_variances")), _H2))
        for v in material:
            acc = names.get(v.account)
            sign = presented_sign(acc) if acc else 1
            out.append(Paragraph(
                f"<b>{_esc(account_name(data, v.account, names))}</b> "
                f"{_esc(format_amount(sign * v.difference, loc))} "
                f"({_esc(format_percent(sign * v.pct if v.pct is not None else None, loc))} "
                f"vs {_esc(t(loc, f'basis_{v.basis}'))}): {_esc(v.commentary)}", _BODY))
    return out


def _statements(data: BoardPackData, st: Statements) -> list[Flowable]:
    loc = data.locale
    out: list[Flowable] = []
    for statement in (st.balance_sheet, st.income_statement, full_year_statement(data),
                      entity_statement(data), st.cash_flow, st.equity_changes):
        out += [PageBreak(), Paragraph(_esc(statement.title), _H1),
                Paragraph(_esc(t(loc, "amounts_in", currency=data.presentation_currency)),
                          _SMALL), Spacer(1, 4), *_statement_table(statement, loc)]
    return out


def _commentary(data: BoardPackData) -> list[Flowable]:
    loc = data.locale
    out: list[Flowable] = [PageBreak(), Paragraph(_esc(t(loc, "variances")), _H1)]
    if not data.variances:
        return out + [_not_available(loc, t(loc, "variances"))]
    names = chart_index(data)
    rows: list[list[Any]] = [[t(loc, "col_account"), t(loc, "col_actual"),
                              t(loc, "col_comparison"), t(loc, "col_difference"),
                              t(loc, "col_pct"), t(loc, "col_commentary"), t(loc, "col_light")]]
    fills = []
    for v in data.variances:
        acc = names.get(v.account)
        sign = presented_sign(acc) if acc else 1
        r = len(rows)
        source = f"{t(loc, f'source_{v.source}')}, {format_percent(v.confidence, loc, 0)}"
        rows.append([
            _Wrap(f"{account_name(data, v.account, names)} ({t(loc, f'basis_{v.basis}')}, "
               f"{t(loc, f'scope_{v.scope}')})"),
            format_amount(sign * v.actual, loc), format_amount(sign * v.comparison, loc),
            format_amount(sign * v.difference, loc),
            format_percent(sign * v.pct if v.pct is not None else None, loc),
            _Wrap(f"{v.commentary} [{source}]"), light_label(loc, v.light)])
        fills.append((r, 6, v.light))
    out.append(_grid(rows, [0.17, 0.11, 0.11, 0.1, 0.06, 0.37, 0.08], fills=fills))
    return out


def _bridge(steps: Sequence[BridgeStep], loc: str, height: float) -> list[Flowable]:
    """Show a budget-to-actual bridge: the waterfall, then its steps as a table."""
    rows = [[t(loc, "col_figure"), t(loc, "col_amount")]]
    rows += [[label, format_amount(amount, loc)] for _, label, amount in steps]
    return [_bridge_chart(steps, loc, _CONTENT_W, height),
            _grid(rows, [0.45, 0.2], total_rows=[1, len(rows) - 1])]


def _charts(data: BoardPackData, st: Statements) -> list[Flowable]:
    loc = data.locale
    out: list[Flowable] = [PageBreak(), Paragraph(_esc(t(loc, "financial_performance")), _H1),
                           Paragraph(_esc(t(loc, "trend_revenue_ebitda")), _H2)]
    out.append(_trend_chart(data, st, _CONTENT_W, 200) if data.history
               else _not_available(loc, t(loc, "trend_revenue_ebitda")))
    out.append(Paragraph(_esc(t(loc, "waterfall")), _H2))
    steps = budget_bridge(st, loc)
    if steps is None:
        out.append(_not_available(loc, t(loc, "budget")))
    else:
        out += _bridge(steps, loc, 210)
    for title, more in board_bridges(st, loc):
        out += [CondPageBreak(300), Paragraph(_esc(title), _H2), *_bridge(more, loc, 170)]
    out += [CondPageBreak(260), Paragraph(_esc(t(loc, "kpis")), _H2)]
    if not data.kpis:
        return out + [_not_available(loc, t(loc, "kpis"))]
    chart = _kpi_chart(data, _CONTENT_W, 170)
    if chart is not None:
        out.append(chart)
    rows = [[t(loc, "col_kpi"), t(loc, "col_value"), t(loc, "col_note")]]
    rows += [[kpi_name(k.code, k.name, loc), _kpi_value(k, loc, data.presentation_currency),
              _Wrap(kpi_reason(k.reason, loc))]
             for k in data.kpis]
    out.append(_grid(rows, [0.35, 0.2, 0.45], numeric_from=1))
    return out


def _text_table(tb: TextTable, widths: Sequence[float], font_size: float,
                heading: ParagraphStyle = _H2) -> list[Flowable]:
    """Draw a ``reports.fx_pages`` table: labels wrap, check rows green at zero and red otherwise."""
    rows = [list(tb.header)] + [[_Wrap(r[0]), *r[1:]] for r in tb.rows]
    fills = [(r + 1, c, light) for r, c, light in tb.lights]
    fills += [(r + 1, len(tb.header) - 1, "green" if tb.rows[r][-1] in ("0.00", "0,00") else "red")
              for r in tb.checks]
    # Heading and table move to the next page together: a table split off its last rows (the
    # check row alone on a page) reads as a fragment.
    return [KeepTogether([Paragraph(_esc(tb.title), heading), _grid(
                rows, widths, span_rows=[r + 1 for r in tb.sections], total_rows=[r + 1 for r in tb.totals],
                fills=fills, font_size=font_size)]),
            *(Paragraph(_esc(n), _SMALL) for n in tb.notes)]


def _fx_and_covenants(data: BoardPackData) -> list[Flowable]:
    """Return the FX impact page and, when configured, the covenants (``reports.fx_pages``)."""
    loc, out = data.locale, []
    tables, notes = fx_tables(data)
    if tables or notes:
        out += [PageBreak(), Paragraph(_esc(ft(loc, "fx_title")), _H1),
                *(Paragraph(_esc(n), _SMALL) for n in notes)]
        for tb in tables:
            widths = [0.23, *[0.11] * 7] if len(tb.header) == 8 else [0.25, 0.25, 0.25, 0.25]
            out += _text_table(tb, widths, 6.5 if len(tb.header) == 8 else 7.5)
    for tb in covenant_tables(data):
        # With its notes (the legend and the definitions): none of them alone on the next page.
        out += [Spacer(1, 10),
                KeepTogether(_text_table(tb, [0.31, 0.13, 0.16, 0.14, 0.12, 0.14], 7.5, _H1))]
    return out


def _entity_table(data: BoardPackData, e: Entity, f: EntityFigures) -> Table:
    loc = data.locale
    cur = data.presentation_currency
    rows = [[t(loc, "col_figure"), t(loc, "entity_local", currency=e.currency),
             t(loc, "entity_presentation", currency=cur), t(loc, "col_after_postings")]]
    rows += [[x.label, format_amount(x.local, loc), format_amount(x.translated, loc),
              format_amount(x.consolidated, loc)] for x in f.figures]
    return _grid(rows, [0.37, 0.21, 0.21, 0.21], font_size=9)


def _companies(data: BoardPackData) -> list[Flowable]:
    loc = data.locale
    cur = data.presentation_currency
    attributions = {a.entity: a for a in data.attributions}
    out: list[Flowable] = []
    for i, (e, f) in enumerate(zip(data.entities, entity_figures(data), strict=True)):
        out.append(PageBreak())
        if i == 0:
            out.append(Paragraph(_esc(t(loc, "companies")), _H1))
        out += [Paragraph(_esc(f"{e.name} ({e.id})"), _H2),
                Paragraph(_esc(f"{t(loc, 'col_local_currency')}: {e.currency} · "
                               f"{t(loc, 'col_ownership')}: {format_percent(e.ownership, loc, 0)} · "
                               f"{t(loc, 'col_method_consolidation')}: "
                               f"{t(loc, f'method_{e.method}')}"), _BODY), Spacer(1, 6),
                _entity_table(data, e, f)]
        a = attributions.get(e.id)
        if a is not None:
            rows = [[t(loc, "cta_nci"), cur],
                    [t(loc, "col_cta"), format_amount(a.cta, loc)],
                    [t(loc, "col_cta_parts"), format_amount(a.cta_from_parts, loc)],
                    [t(loc, "col_cta_nci"), format_amount(a.cta_nci, loc)],
                    [t(loc, "col_nci_equity"), format_amount(a.nci_equity, loc)],
                    [t(loc, "col_nci_profit"), format_amount(a.nci_profit_ytd, loc)]]
            out += [Spacer(1, 10), _grid(rows, [0.5, 0.21], font_size=9)]
        out += [Spacer(1, 10), _journals_of(data, e.id), Spacer(1, 12),
                _entity_chart(data, f, _CONTENT_W, 190)]
    return out


def _journals_of(data: BoardPackData, entity: str) -> Flowable:
    """List the consolidation postings attributed to one company, summed per journal."""
    loc = data.locale
    ents = entity_names(data)
    totals: dict[str, Decimal] = {}
    for j in data.journals:
        title = journal_title(j, ents, loc)  # a board page: the journal's title, not its id
        for line in j.lines:
            if line.entity == entity and line.amount > 0:
                totals[title] = totals.get(title, ZERO) + line.amount
    if not totals:
        return Spacer(1, 1)
    rows = [[t(loc, "eliminations"), t(loc, "col_debits")]]
    rows += [[_Wrap(name), format_amount(v, loc)] for name, v in totals.items()]
    return _grid(rows, [0.75, 0.21], font_size=8)


def _clip_to(text: str, fraction: float, size: float = 7.5) -> str:
    """Clip a plain table cell to its column (a fraction of the content width), with an ellipsis.

    Measured with the font's metrics and the cell's padding, so a long code never runs into the
    next column (the PPA journal's memos and book names did).
    """
    room = fraction * _CONTENT_W - 8  # the cell's left and right padding
    if stringWidth(text, "Helvetica", size) <= room:
        return text
    while text and stringWidth(text + "…", "Helvetica", size) > room:
        text = text[:-1]
    return text + "…"


def _code_lines(code: str, fraction: float, size: float = 7.5) -> str:
    """Break a check code into lines at its underscores only, to fit its column.

    reportlab would split ``CONSOLIDATED_TB_SUMS_TO_ZERO`` mid-word ("CONSOLIDA / TED_TB…");
    a plain cell with newlines keeps each part of the code whole.
    """
    room = fraction * _CONTENT_W - 2 * _PAD
    lines: list[str] = []
    for part in re.findall(r"[^_]+_?|_", code):
        if lines and stringWidth(lines[-1] + part, "Helvetica", size) <= room:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _nci_per_subsidiary(data: BoardPackData) -> list[Flowable]:
    """Return the NCI of each subsidiary as the ACCA/CIMA workings show it.

    Direct and indirect %, the NCI in net assets before and after the indirect holding
    adjustment, in profit and in CTA.
    """
    loc = data.locale
    ents = entity_names(data)
    held = [a for a in data.attributions  # a wholly owned subsidiary has no NCI to show
            if a.direct_pct or a.indirect_pct or a.nci_equity or a.nci_profit_ytd or a.indirect_adjustment]
    if not held:
        return []
    rows = [[t(loc, "col_entity"), t(loc, "col_nci_direct_pct"), t(loc, "col_nci_indirect_pct"),
             t(loc, "col_nci_before_adjustment"), t(loc, "col_indirect_adjustment"),
             t(loc, "col_nci_equity"), t(loc, "col_nci_profit"), t(loc, "col_cta_nci")]]
    rows += [[_Wrap(f"{a.entity} {ents.get(a.entity, '')}"), format_percent(a.direct_pct, loc),
              format_percent(a.indirect_pct, loc),
              *(format_amount(x, loc) for x in (a.nci_equity + a.indirect_adjustment, -a.indirect_adjustment,
                                                a.nci_equity, a.nci_profit_ytd, a.cta_nci))]
             for a in held]
    return [Paragraph(_esc(t(loc, "nci_per_subsidiary")), _H2),
            Paragraph(_esc(t(loc, "nci_per_subsidiary_note")), _SMALL),
            _grid(rows, [0.18, 0.1, 0.1, 0.13, 0.13, 0.12, 0.12, 0.12])]


# Past this many journal lines the appendix prints one row per journal (a large group has
# thousands): every line stays in the workbook's Eliminations sheet.
APPENDIX_JOURNAL_LINES = 600


def _journal_summary(data: BoardPackData, lines: int) -> list[Flowable]:
    """One row per journal: its title, how many lines, and its debits (each journal balances)."""
    loc = data.locale
    ents = entity_names(data)
    rows = [[t(loc, "col_journal"), t(loc, "col_lines"), t(loc, "col_debits")]]
    rows += [[_clip_to(f"{j.id} · {j.basis}: {journal_title(j, ents, loc)}", 0.72), str(len(j.lines)),
              format_amount(sum((x.amount for x in j.lines if x.amount > 0), ZERO), loc)]
             for j in data.journals]
    note = t(loc, "journal_summary_note", n=str(lines), sheet=t(loc, "sheet_elim"))
    return [Paragraph(_esc(note), _SMALL), _grid(rows, [0.72, 0.1, 0.18])]


def _appendix(data: BoardPackData) -> list[Flowable]:
    loc = data.locale
    names = chart_index(data)
    ents = entity_names(data)
    out: list[Flowable] = [PageBreak(), Paragraph(_esc(t(loc, "appendix")), _H1),
                           Paragraph(_esc(t(loc, "definitions")), _H2)]
    rows = [[t(loc, "col_figure"), t(loc, "col_formula")]]
    rows += [[_Wrap(name), _Wrap(formula)] for name, formula in
             (d.localized(loc) for d in DEFINITIONS)]
    out.append(_grid(rows, [0.25, 0.75], numeric_from=99))

    out.append(Paragraph(_esc(t(loc, "cta_nci")), _H2))
    if data.attributions:
        rows = [[t(loc, "col_entity"), t(loc, "col_cta"), t(loc, "col_cta_parts"),
                 t(loc, "col_cta_nci"), t(loc, "col_nci_equity"), t(loc, "col_nci_profit")]]
        rows += [[_Wrap(f"{a.entity} {ents.get(a.entity, '')}"), *(format_amount(x, loc) for x in (
            a.cta, a.cta_from_parts, a.cta_nci, a.nci_equity, a.nci_profit_ytd))]
            for a in data.attributions]
        out.append(_grid(rows, [0.3, 0.14, 0.14, 0.14, 0.14, 0.14]))
    else:
        out.append(_not_available(loc, t(loc, "cta_nci")))
    out += _nci_per_subsidiary(data)

    out.append(Paragraph(_esc(t(loc, "account_trace")), _H2))
    out.append(Paragraph(_esc(t(loc, "trace_note")), _SMALL))
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 5)
    for w in data.worksheet:
        acc = sums[w.account]
        for i, x in enumerate((w.translated, w.eliminations, w.ppa, w.adjustments,
                               w.consolidated)):
            acc[i] += x
    rows = [[t(loc, "col_account"), t(loc, "col_translated"), t(loc, "col_eliminations"),
             t(loc, "col_ppa"), t(loc, "col_adjustments"), t(loc, "col_consolidated")]]
    for code in sorted(sums):
        rows.append([_clip(f"{code} {account_name(data, code, names)}", 52),
                     *(format_amount(x, loc, zero_dash=True) for x in sums[code])])
    totals = [sum((s[i] for s in sums.values()), ZERO) for i in range(5)]
    rows.append([t(loc, "total"), *(format_amount(x, loc, zero_dash=True) for x in totals)])
    out.append(_grid(rows, [0.32, 0.136, 0.136, 0.136, 0.136, 0.136],
                     total_rows=[len(rows) - 1]))

    out.append(Paragraph(_esc(t(loc, "fx_rates")), _H2))
    if data.fx_rates:
        rows = [[t(loc, "col_local_currency"), t(loc, "col_rate_type"), t(loc, "col_source"),
                 t(loc, "col_method"), t(loc, "col_rate")]]
        rows += [[r.currency, r.rate_type, r.source, r.method, format_rate(r.rate, loc)]
                 for r in data.fx_rates]
        out.append(_grid(rows, [0.1, 0.14, 0.3, 0.32, 0.14], numeric_from=4))
    else:
        out.append(_not_available(loc, t(loc, "fx_rates")))

    out.append(Paragraph(_esc(t(loc, "eliminations")), _H2))
    lines = sum(len(j.lines) for j in data.journals)
    if lines > APPENDIX_JOURNAL_LINES:
        out += _journal_summary(data, lines)
    elif data.journals:
        widths = [0.2, 0.08, 0.27, 0.12, 0.2, 0.13]
        rows = [[t(loc, "col_journal"), t(loc, "col_entity"), t(loc, "col_account"),
                 t(loc, "col_counterparty"), t(loc, "col_memo"), t(loc, "col_amount")]]
        heads = []
        for j in data.journals:
            # The appendix keeps the code beside the title, for the auditor who traces it.
            rows.append([_Wrap(f"{j.id} · {j.basis}: {journal_title(j, ents, loc)}"),
                         "", "", "", "", ""])
            heads.append(len(rows) - 1)
            for line in j.lines:
                # Plain strings, not Paragraphs: this table can run to thousands of lines.
                rows.append(["", *(_clip_to(text, width) for text, width in zip(
                    (line.entity, f"{line.account} {account_name(data, line.account, names)}",
                     line.counterparty or "", line.memo), widths[1:5], strict=True)),
                    format_amount(line.amount, loc)])
        out.append(_grid(rows, widths, numeric_from=5, span_rows=heads))
    else:
        out.append(_not_available(loc, t(loc, "eliminations")))

    out += [PageBreak(), Paragraph(_esc(t(loc, "validation")), _H2)]
    score = (t(loc, "not_available") if data.validation_score is None
             else f"{format_score(data.validation_score, loc)} / 100 "
             f"({light_label(loc, data.validation_light)})")
    out.append(Paragraph(_esc(f"{t(loc, 'score')}: {score}"), _BODY))
    if data.validation:
        widths = [0.18, 0.09, 0.06, 0.11, 0.11, 0.1, 0.35]
        rows = [[t(loc, "col_code"), t(loc, "col_severity"), t(loc, "col_entity"),
                 t(loc, "col_expected"), t(loc, "col_actual"), t(loc, "col_difference"),
                 t(loc, "col_message")]]
        fills = []
        for f in data.validation:
            # The message is the check's English evidence; a Portuguese package shows the
            # check's title and leaves the figures to their (localized) columns.
            message = check_title(f.code, loc) + (f": {f.message}" if loc == "en-US" else "") \
                + (f" — {t(loc, 'col_waived_by')}: {f.waived_by} "
                                   f"({f.waiver_reason})" if f.waived_by else "")
            fills.append((len(rows), 1, {"pass": "green", "warn": "yellow", "fail": "red"}[
                f.severity]))
            rows.append([_code_lines(f.code, widths[0]), t(loc, f"sev_{f.severity}"), f.entity or "",
                         format_amount(f.expected, loc), format_amount(f.actual, loc),
                         format_amount(f.difference, loc), _Wrap(message)])
        out.append(_grid(rows, widths, numeric_from=3, fills=fills))
    else:
        out.append(_not_available(loc, t(loc, "validation")))

    out += _signoff_section(data)

    out.append(Paragraph(_esc(t(loc, "audit_log")), _H2))
    if data.audit_log:
        rows = [[t(loc, "col_time"), t(loc, "col_actor"), t(loc, "col_event"),
                 t(loc, "col_detail")]]
        rows += [[format_timestamp(e.time, loc), e.actor, e.event, _Wrap(e.detail)]
                 for e in data.audit_log]
        out.append(_grid(rows, [0.2, 0.15, 0.13, 0.52], numeric_from=99))
    else:
        out.append(_not_available(loc, t(loc, "audit_log")))
    return out


def _duration(span: timedelta) -> str:
    """``h:mm:ss.s``: tenths, since most stages of a close take under a second."""
    tenths = round(span.total_seconds() * 10)
    seconds, tenth = divmod(tenths, 10)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{tenth}"


def _close_status(data: BoardPackData) -> list[Flowable]:
    """Build the close-status page: the timeline of the close and the checklist, as at REPORTING."""
    loc = data.locale
    out: list[Flowable] = [PageBreak(), Paragraph(_esc(t(loc, "close_status")), _H1),
                           Paragraph(_esc(t(loc, "close_status_note")), _SMALL)]
    if not data.close_steps and not data.checklist:
        return out + [_not_available(loc, t(loc, "close_status"))]
    out += [Paragraph(_esc(t(loc, "close_timeline")), _H2),
            CloseTimeline(data, _CONTENT_W, sketching=_sketching)]
    if data.close_steps:
        rows: list[list[Any]] = [[t(loc, "col_stage"), t(loc, "col_start"), t(loc, "col_end"),
                                  t(loc, "col_duration")]]
        rows += [[s.status, format_timestamp(s.start, loc),
                  "" if s.end is None else format_timestamp(s.end, loc),
                  "" if s.end is None else _duration(s.end - s.start)] for s in data.close_steps]
        out += [Spacer(1, 4), _grid(rows, [0.25, 0.25, 0.25, 0.15], numeric_from=3)]
    out.append(Paragraph(_esc(t(loc, "checklist")), _H2))
    if not data.checklist:
        return out + [_not_available(loc, t(loc, "checklist"))]
    rows = [[t(loc, "col_task"), t(loc, "col_owner"), t(loc, "col_due"),
                              t(loc, "col_gate"), t(loc, "col_task_status"), t(loc, "col_done"),
                              t(loc, "col_evidence")]]
    fills = []
    for task in data.checklist:
        state = "overdue" if task.overdue else "done" if task.done_at else "open"
        fills.append((len(rows), 4, {"overdue": "red", "done": "green", "open": "yellow"}[state]))
        done = "" if task.done_at is None else f"{format_timestamp(task.done_at, loc)} {task.done_by or ''}"
        rows.append([_Wrap(f"{task.task_id}: {task.title}"), task.owner,
                     format_date(task.due_on, loc), task.gate or "", t(loc, f"task_{state}"),
                     _Wrap(done), (task.evidence_sha256 or "")[:12]])
    out.append(_grid(rows, [0.26, 0.12, 0.1, 0.11, 0.09, 0.2, 0.12], numeric_from=99, fills=fills))
    return out


_IC_LIGHTS = {"eliminated": "green", "plugged": "yellow", "uneliminated": "red"}


def _intercompany(data: BoardPackData) -> list[Flowable]:
    """Build the intercompany matching: every pair, its two sides, what rates explain, its status."""
    loc = data.locale
    out: list[Flowable] = [CondPageBreak(60 * mm), Paragraph(_esc(t(loc, "intercompany_matching")), _H2)]
    if not data.intercompany:
        return out + [Paragraph(_esc(t(loc, "no_items")), _BODY)]
    count = {s: sum(p.status == s for p in data.intercompany) for s in _IC_LIGHTS}
    out += [Paragraph(_esc(t(loc, "intercompany_summary", pairs=len(data.intercompany), **count)), _BODY),
            Paragraph(_esc(t(loc, "intercompany_note")), _SMALL), Spacer(1, 4)]
    rows: list[list[Any]] = [[t(loc, "col_pair"), t(loc, "col_kind"), t(loc, "col_entity_side"),
                              t(loc, "col_counterparty_side"), t(loc, "col_fx_part"),
                              t(loc, "col_mismatch"), t(loc, "col_ic_status")]]
    fills = []
    for p in data.intercompany:
        fills.append((len(rows), 6, _IC_LIGHTS[p.status]))
        rows.append([f"{p.entity} · {p.counterparty}", _Wrap(t(loc, f"ic_kind_{p.kind}")),
                     format_amount(p.entity_amount, loc), format_amount(p.counterparty_amount, loc),
                     format_amount(p.fx_part, loc, zero_dash=True),
                     format_amount(p.mismatch, loc, zero_dash=True), t(loc, f"ic_{p.status}")])
    out.append(_grid(rows, [0.16, 0.16, 0.14, 0.14, 0.13, 0.12, 0.15], numeric_from=2, fills=fills))
    return out


def _signoff_section(data: BoardPackData) -> list[Flowable]:
    """Return the appendix's sign-off: the three signatures and every waiver with who, when and why."""
    loc, signed = data.locale, data.signoff
    # Room for the heading and the five signature rows, so the heading never ends a page alone.
    out: list[Flowable] = [CondPageBreak(45 * mm), Paragraph(_esc(t(loc, "signoff")), _H2)]
    if signed is None:
        return [*out, Paragraph(_esc(t(loc, "not_signed_off")), _BODY)]
    rows = [["", f"{t(loc, 'col_name')} · {t(loc, 'col_time')}"]]
    rows += [[label, _Wrap(text)] for label, text in signoff_rows(data)]
    out.append(_grid(rows, [0.3, 0.7], numeric_from=99))
    out.append(Paragraph(_esc(t(loc, "waivers")), _H2))
    if not signed.waivers:
        return [*out, Paragraph(_esc(t(loc, "no_waivers")), _BODY)]
    rows = [[t(loc, "col_code"), t(loc, "col_entity"), t(loc, "col_waived_by"), t(loc, "col_time"),
             t(loc, "col_waiver_reason")]]
    rows += [[_Wrap(w.code), w.entity or "", _Wrap(w.waived_by), format_timestamp(w.time, loc),
              _Wrap(w.reason)] for w in signed.waivers]
    out.append(_grid(rows, [0.2, 0.08, 0.14, 0.18, 0.4], numeric_from=99))
    return out


def _contents(data: BoardPackData) -> list[Flowable]:
    toc = _PrefilledContents(levelStyles=_TOC_STYLES, dotsMinLevel=0)
    # Same look as H1 but another style name, so the contents do not list themselves.
    heading = ParagraphStyle("contents_title", parent=_H1)
    return [PageBreak(), Paragraph(_esc(t(data.locale, "contents")), heading), Spacer(1, 6), toc]


def build_board_pdf(data: BoardPackData) -> bytes:
    """Render the board package PDF.

    Args:
        data: the board pack.

    Returns:
        The PDF bytes; the same ``data`` gives the same bytes in any process or time zone.

    """
    st = build_statements(data)
    story: list[Flowable] = [
        *_cover(data, "board_package"), *_contents(data), PageBreak(),
        *_executive_summary(data, st), *_statements(data, st), *_commentary(data),
        *_charts(data, st), *_fx_and_covenants(data), *_companies(data), *_close_status(data),
        *_intercompany(data),
        *_appendix(data)]
    for flowable in story:
        if isinstance(flowable, _PrefilledContents):
            flowable.prefill(story)
    buffer = io.BytesIO()
    doc = _doc(buffer, data)
    doc.multiBuild(story, canvasmaker=_numbered_canvas(data, _running(data, "board_package"),
                                                       skip_first=True))
    return buffer.getvalue()


def build_summary_pdf(data: BoardPackData) -> bytes:
    """Render the one-page executive summary PDF.

    The page leads with the highlights, headline figures and trend; then the most significant
    variances and the open findings. When their commentary would run onto a second page, the
    least significant variances are left out (the board package has them all), so the summary
    stays one page whatever the commentary's length.

    Args:
        data: the board pack.

    Returns:
        The PDF bytes (one page).

    """
    for count in range(_SUMMARY_VARIANCES, -1, -1):
        pdf, pages = _summary_pdf(data, count)
        if pages == 1:
            break
    return pdf


_SUMMARY_VARIANCES = 4  # at most, on the one-page summary


def _summary_pdf(data: BoardPackData, variances: int) -> tuple[bytes, int]:
    """Build the summary with the ``variances`` most significant variances: (bytes, pages)."""
    loc = data.locale
    st = build_statements(data)
    story: list[Flowable] = [
        Paragraph(_esc(f"{data.group_name} — {t(loc, 'executive_summary')}"), _H1),
        Paragraph(_esc(f"{format_period(data.period, loc)} · {t(loc, 'run')} {data.run_id} · "
                       f"{data.presentation_currency}"), _SMALL),
        Spacer(1, 6), *_highlights(data, st), Spacer(1, 6)]
    story += [_headline_table(st, data), Paragraph(_esc(t(loc, "trend_revenue_ebitda")), _H2),
              _trend_chart(data, st, _CONTENT_W, 170) if data.history
              else _not_available(loc, t(loc, "trend_revenue_ebitda"))]
    names = chart_index(data)
    material = significant_variances(data, variances)
    if material:
        story.append(Paragraph(_esc(t(loc, "material_variances")), _H2))
        for v in material:
            acc = names.get(v.account)
            sign = presented_sign(acc) if acc else 1
            story.append(Paragraph(
                f"<b>{_esc(account_name(data, v.account, names))}</b> "
                f"{_esc(format_amount(sign * v.difference, loc))}: {_esc(v.commentary)}",
                _SMALL))
    findings = [f for f in data.validation if f.severity != "pass"]
    account_names = {a.code: a.name for a in data.chart}
    story.append(KeepTogether([Paragraph(_esc(t(loc, "validation")), _H2), Paragraph(
        _esc(f"{t(loc, 'score')}: " + ("n/a" if data.validation_score is None else
                                        f"{format_score(data.validation_score, loc)} / 100 "
                                        f"({light_label(loc, data.validation_light)})")) +
        "".join(f"<br/>• {_esc(finding_line(f, loc, account_names))}" + (
            f" — {_esc(t(loc, 'col_waived_by'))}: {_esc(f.waived_by)} ({_esc(f.waiver_reason or '')})"
            if f.waived_by else "") for f in findings[:4]), _SMALL)]))
    buffer = io.BytesIO()
    doc = _doc(buffer, data)
    doc.multiBuild(story, canvasmaker=_numbered_canvas(data, _running(data, "executive_summary"),
                                                       skip_first=False))
    return buffer.getvalue(), doc.page

