"""The board deck (python-pptx): headline figures, native charts, a slide per company.

Slides: cover; executive summary (headline figures and highlights); financial performance
(revenue and EBITDA trend, income statement vs budget); net income bridge from budget to
actual (a native stacked-column waterfall) with the variance commentary; KPI trends; one
slide per company; validation. Charts are native PowerPoint charts, so a reader can restyle
them or read their data. Figures come from ``reports.statements`` like the workbook and PDF.

Determinism: core properties carry the run's ``as_of``; the zip container and the chart data
workbooks embedded by python-pptx (XlsxWriter stamps them with now()) are normalized.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from itertools import count
from xml.sax.saxutils import escape

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from reports.archive import normalize_zip, write_zip
from reports.board_words import check_title, finding_figures, kpi_name
from reports.budget_pages import entity_statement, full_year_statement
from reports.format import (
    format_amount,
    format_percent,
    format_period,
    format_score,
    format_short_period,
    format_timestamp,
    to_excel_datetime,
)
from reports.fx_pages import covenant_tables, ft, fx_tables
from reports.labels import t
from reports.model import BoardPackData, Kpi
from reports.presentation import (
    ACCENT,
    BRAND,
    LIGHT_DOT,
    LIGHT_FILL,
    LIGHT_INK,
    WATERFALL_COLOURS,
    account_name,
    chart_index,
    highlight_lines,
    light_label,
    presented_sign,
    significant_variances,
    waterfall_series,
)
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
from reports.text_fit import line_count, take_fitting, text_height

_W, _H = Inches(13.333), Inches(7.5)
_MARGIN = Inches(0.5)
_NAVY = RGBColor.from_string(BRAND)
_ACCENT = RGBColor.from_string(ACCENT)
_GREY = RGBColor.from_string("595959")
_FONT = "Calibri"
_BOTTOM_IN = 6.9  # inches: nothing but the footer below this line
_NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_CONTROL = re.compile(r"[\x00-\x08\x0B-\x1F]")


class _PartNames:
    """Numbers the parts each chart adds without rescanning the whole package.

    python-pptx's ``next_partname`` walks every part of the package for each chart and for its
    embedded workbook, which makes adding charts quadratic in the number of slides (python-pptx
    issue 644). While the deck is built only its charts add parts under their name templates,
    so after one scan per template the next free number is one more than the last given out.
    """

    def __init__(self, scan: Callable[[str], PackURI]) -> None:
        self._scan = scan
        self._last: dict[str, int] = {}

    def __call__(self, tmpl: str) -> PackURI:
        if tmpl in self._last:
            self._last[tmpl] += 1
            return PackURI(tmpl % self._last[tmpl])
        name = self._scan(tmpl)
        self._last[tmpl] = next(n for n in count(1) if tmpl % n == name)
        return name


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color)


def _text(slide: Slide, left: Emu, top: Emu, width: Emu, height: Emu,
          paragraphs: Sequence[str], *, size: int = 14, bold: bool = False,
          color: RGBColor | None = None, align: PP_ALIGN = PP_ALIGN.LEFT,
          space_after: int = 0) -> None:
    """Add a text box with one run per paragraph.

    The paragraphs are written as one piece of XML, the markup python-pptx writes through its
    paragraph, run and font proxies, which cost most of the deck's time after its tables.
    """
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    if not paragraphs:
        return
    spacing = (f'<a:spcAft><a:spcPts val="{space_after * 100}"/></a:spcAft>' if space_after
               else "")
    fill = f'<a:solidFill><a:srgbClr val="{color}"/></a:solidFill>' if color is not None else ""
    opening = (f'<a:p><a:pPr algn="{PP_ALIGN.to_xml(align)}"' +
               (f">{spacing}</a:pPr>" if spacing else "/>") +
               f'<a:r><a:rPr sz="{size * 100}" b="{int(bold)}">{fill}'
               f'<a:latin typeface="{_FONT}"/></a:rPr><a:t>')
    body = box.element.find(f"{{{_NS_P}}}txBody")
    for old in body.findall(f"{{{_NS_A}}}p"):
        body.remove(old)
    body.extend(list(parse_xml(f'<a:txBody xmlns:a="{_NS_A}">' + "".join(
        f"{opening}{_xml_text(text)}</a:t></a:r></a:p>" for text in paragraphs) +
        "</a:txBody>")))


def _new_slide(prs: Presentation, title: str) -> Slide:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    # One line above the bar: the largest of these sizes at which the title fits.
    size = next((z for z in (26, 22, 18) if line_count(title, 12.33, z, bold=True) == 1), 16)
    _text(slide, _MARGIN, Inches(0.3), _W - 2 * _MARGIN, Inches(0.7), [title], size=size,
          bold=True, color=_NAVY)
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, _MARGIN, Inches(1.0), Inches(1.2),
                                 Inches(0.06))
    bar.fill.solid()
    bar.fill.fore_color.rgb = _ACCENT
    bar.line.fill.background()
    return slide


def _table(slide: Slide, rows: Sequence[Sequence[str]], left: Emu, top: Emu, width: Emu,
           col_widths: Sequence[float], *, size: int = 11, numeric_from: int = 1,
           row_height: float = 0.3, row_heights: Sequence[float] | None = None) -> None:
    """Add a table; the first row is the header, columns from ``numeric_from`` right-aligned.

    The grid and the cells are written as one piece of XML, the markup python-pptx writes
    cell by cell: styling each cell through its proxies (fill, paragraph, run, font) dominated
    the deck's build time.
    """
    total = sum(col_widths)
    widths = [int(width * w / total) for w in col_widths]
    heights = [Inches(h) for h in (row_heights or [row_height] * len(rows))]
    shape = slide.shapes.add_table(1, len(widths), left, top, Emu(sum(widths)),
                                   Emu(sum(heights)))
    head_run = (f'<a:rPr sz="{size * 100}" b="1"><a:solidFill><a:srgbClr val="FFFFFF"/>'
                f"</a:solidFill></a:rPr>")
    body_run = f'<a:rPr sz="{size * 100}"/>'
    band = ("FFFFFF", "F2F2F2")
    opening = ["<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p>" +
               ('<a:pPr algn="r"/>' if c >= numeric_from else "") + "<a:r>"
               for c in range(len(widths))]
    empty = "<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p>"  # no run: LibreOffice sizes it 18 pt
    xml = [f'<a:tbl xmlns:a="{_NS_A}"><a:tblGrid>',
           *(f'<a:gridCol w="{w}"/>' for w in widths), "</a:tblGrid>"]
    for r, row in enumerate(rows):
        run, fill = (head_run, BRAND) if r == 0 else (body_run, band[r % 2])
        # endParaRPr gives an empty cell the table's type size (else 18 pt: a taller row).
        closing = (f'</a:t></a:r><a:endParaRPr sz="{size * 100}"/></a:p></a:txBody><a:tcPr>'
                   f'<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill></a:tcPr></a:tc>')
        xml.append(f'<a:tr h="{heights[r]}">')
        xml += [f"{opening[c]}{run}<a:t>{_xml_text(value)}{closing}" if value else
                f"{empty}{closing.split('</a:r>', 1)[1]}" for c, value in enumerate(row)]
        xml.append("</a:tr>")
    xml.append("</a:tbl>")
    tbl = shape.element.find(f".//{{{_NS_A}}}tbl")
    for old in tbl.findall(f"{{{_NS_A}}}tblGrid") + tbl.findall(f"{{{_NS_A}}}tr"):
        tbl.remove(old)
    tbl.extend(list(parse_xml("".join(xml))))


def _xml_text(text: str) -> str:
    """Escape text for an ``a:t`` element as python-pptx does (control characters as ``_xHHHH_``)."""
    return escape(_CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text))


def _not_available(slide: Slide, left: Emu, top: Emu, width: Emu, locale: str, what: str) -> None:
    _text(slide, left, top, width, Inches(0.6), [t(locale, "section_not_available", what=what)],
          size=14, color=_GREY)


def _cover(prs: Presentation, data: BoardPackData) -> None:
    loc = data.locale
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, _W, Inches(4.6))
    band.fill.solid()
    band.fill.fore_color.rgb = _NAVY
    band.line.fill.background()
    white = RGBColor(0xFF, 0xFF, 0xFF)
    _text(slide, Inches(0.8), Inches(1.4), Inches(11), Inches(1), [data.group_name], size=40,
          bold=True, color=white)
    _text(slide, Inches(0.8), Inches(2.5), Inches(11), Inches(0.8),
          [f"{t(loc, 'board_package')} — {format_period(data.period, loc)}"], size=26,
          color=white)
    _text(slide, Inches(0.8), Inches(5.0), Inches(11.5), Inches(1.6), [
        f"{t(loc, 'run')}: {data.run_id} ({data.run_status})",
        f"{t(loc, 'as_of')}: {format_timestamp(data.as_of, loc)}",
        f"{t(loc, 'currency')}: {data.presentation_currency} · {t(loc, 'basis')}: {data.basis}",
        t(loc, "confidential"),
    ], size=14, color=_GREY)


def _executive_summary(prs: Presentation, data: BoardPackData, st: Statements) -> None:
    loc = data.locale
    slide = _new_slide(prs, t(loc, "executive_summary"))
    rows = [[t(loc, "headline_figures"), data.presentation_currency]]
    rows += [[h.label, format_amount(h.value, loc)] for h in st.headlines]
    _table(slide, rows, _MARGIN, Inches(1.3), Inches(6.4), [3.6, 2.0], size=12,
           row_height=0.36)
    bullets = [f"• {line}" for line in highlight_lines(data, st)]
    material = significant_variances(data, 3)
    names = chart_index(data)
    for v in material:
        name = account_name(data, v.account, names)
        text = v.commentary if v.commentary.startswith(name) else f"{name}: {v.commentary}"
        bullets.append(f"• {text}")
    _text(slide, Inches(7.3), Inches(1.3), Inches(5.5), Inches(0.5), [t(loc, "highlights")],
          size=18, bold=True, color=_NAVY)
    fit, rest = take_fitting(bullets, 5.5, _BOTTOM_IN - 1.9, 13, space_after=8)
    _text(slide, Inches(7.3), Inches(1.9), Inches(5.5), Inches(_BOTTOM_IN - 1.9), fit, size=13,
          space_after=8)
    while rest:  # what does not fit continues on a slide of its own, never over the footer
        slide = _new_slide(prs, f"{t(loc, 'highlights')} ({t(loc, 'continued')})")
        fit, rest = take_fitting(rest, 12.3, _BOTTOM_IN - 1.3, 13, space_after=8)
        _text(slide, _MARGIN, Inches(1.3), _W - 2 * _MARGIN, Inches(_BOTTOM_IN - 1.3), fit,
              size=13, space_after=8)


def _paged_table(prs: Presentation, slide: Slide, title: str, rows: Sequence[Sequence[str]],
                 left: Emu, top_in: float, width_in: float, col_widths: Sequence[float], *,
                 locale: str, size: int = 11, numeric_from: int = 1,
                 row_height: float = 0.3) -> tuple[Slide, float]:
    """Add a table that continues on new slides (header repeated) instead of running off.

    Each row's height is measured (the tallest wrapped cell, with the cell margins) against
    the room left above the footer.

    Returns:
        The last slide and where (inches from the top) the table ends on it.

    """
    total = sum(col_widths)
    widths_in = [width_in * w / total for w in col_widths]

    def height(row: Sequence[str]) -> float:
        # A cell has 0.1 in of vertical margins (text_height counts 0.2 of box insets); LibreOffice
        # renders rows a little taller than asked, hence the 5 % allowance.
        return max(row_height, *((text_height([cell], w, size) - 0.1) * 1.05
                                 for cell, w in zip(row, widths_in, strict=True)))

    header, body = list(rows[0]), list(rows[1:])
    while True:
        room = _BOTTOM_IN - top_in - height(header)
        page: list[Sequence[str]] = []
        while body and (not page or room - height(body[0]) >= 0):
            room -= height(body[0])
            page.append(body.pop(0))
        heights = [height(header)] + [height(r) for r in page]
        _table(slide, [header, *page], left, Inches(top_in), Inches(width_in), col_widths,
               size=size, numeric_from=numeric_from, row_heights=heights)
        if not body:
            return slide, top_in + sum(heights)
        slide = _new_slide(prs, f"{title} ({t(locale, 'continued')})")
        top_in = 1.3


def _style_chart(chart: object, *, legend: bool = True, number_format: str = "#,##0") -> None:
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False
        chart.legend.font.size = Pt(11)
    chart.font.size = Pt(10)
    chart.font.name = _FONT
    value_axis = chart.value_axis
    value_axis.tick_labels.number_format = number_format
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = _rgb("D9D9D9")
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW


def _color_series(chart: object, colors: Sequence[RGBColor]) -> None:
    for series, color in zip(chart.plots[0].series, colors, strict=False):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = color


def _financial_performance(prs: Presentation, data: BoardPackData, st: Statements) -> None:
    loc = data.locale
    slide = _new_slide(prs, t(loc, "financial_performance"))
    half = (_W - 3 * _MARGIN) / 2
    _text(slide, _MARGIN, Inches(1.25), half, Inches(0.4), [t(loc, "trend_revenue_ebitda")],
          size=14, bold=True, color=_NAVY)
    if data.history:
        cd = CategoryChartData(number_format="#,##0")
        points = [(h.period, income_statement_figures(h.balances, data.chart))
                  for h in data.history]
        points.append((data.period, {"revenue": st.headline("revenue_month"),
                                     "ebitda": st.headline("ebitda_month")}))
        cd.categories = [format_short_period(p, loc) for p, _ in points]
        cd.add_series(t(loc, "revenue"), [f["revenue"] for _, f in points])
        cd.add_series(t(loc, "ebitda"), [f["ebitda"] for _, f in points])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, _MARGIN, Inches(1.7),
                                       half, Inches(5.0), cd).chart
        _style_chart(chart)
        _color_series(chart, [_NAVY, _ACCENT])
    else:
        _not_available(slide, _MARGIN, Inches(1.8), half, loc, t(loc, "trend_revenue_ebitda"))
    right = _MARGIN * 2 + half
    _text(slide, right, Inches(1.25), half, Inches(0.4), [t(loc, "pl_vs_budget")], size=14,
          bold=True, color=_NAVY)
    pl = st.income_statement
    keys = [c.key for c in pl.columns]
    if "budget" in keys:
        lines = ("net_revenue", "gross_profit", "ebitda", "operating_profit", "profit_for_period")
        labels = {line.key: line.label for line in pl.lines}
        cd = CategoryChartData(number_format="#,##0")
        cd.categories = [labels[k] for k in lines]
        cd.add_series(t(loc, "actual"), [pl.value(k, keys.index("month")) for k in lines])
        cd.add_series(t(loc, "budget"), [pl.value(k, keys.index("budget")) for k in lines])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, right, Inches(1.7), half,
                                       Inches(5.0), cd).chart
        _style_chart(chart)
        chart.category_axis.reverse_order = True
        _color_series(chart, [_NAVY, _rgb("A6A6A6")])
    else:
        _not_available(slide, right, Inches(1.8), half, loc, t(loc, "budget"))


def _bridge_chart(slide: Slide, steps: Sequence[BridgeStep], left: Emu, top: Emu, width: Emu,
                  height: Emu, loc: str) -> None:
    """Draw a budget-to-actual waterfall: stacked columns on an invisible base, totals in navy."""
    base, above, below, kinds = waterfall_series([amount for _, _, amount in steps])
    colors = [RGBColor.from_string(WATERFALL_COLOURS[k]) for k in kinds]
    cd = CategoryChartData(number_format="#,##0")
    cd.categories = [label for _, label, _ in steps]
    cd.add_series("base", base)
    cd.add_series(t(loc, "increase"), above)
    cd.add_series(t(loc, "decrease"), below)
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_STACKED, left, top, width, height,
                                   cd).chart
    _style_chart(chart, legend=False)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = 100
    invisible = plot.series[0]
    invisible.format.fill.background()
    invisible.format.line.fill.background()
    for series in list(plot.series)[1:]:
        for idx, color in enumerate(colors):
            point = series.points[idx]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = color


def _bridges(prs: Presentation, data: BoardPackData, st: Statements) -> None:
    """Add a slide: the month's EBITDA bridge beside the year-to-date net income bridge."""
    loc = data.locale
    bridges = board_bridges(st, loc)
    if not bridges:  # without a budget the net income slide already says so
        return
    slide = _new_slide(prs, t(loc, "bridges"))
    width_in = (12.33 - 0.3) / len(bridges)
    for i, (title, steps) in enumerate(bridges):
        left = _MARGIN + Inches(i * (width_in + 0.3))
        _text(slide, left, Inches(1.25), Inches(width_in), Inches(0.4), [title], size=13,
              bold=True, color=_NAVY)
        _bridge_chart(slide, steps, left, Inches(1.7), Inches(width_in), Inches(4.7), loc)
        labels = [f"{label}: {format_amount(amount, loc)}" for _, label, amount in steps]
        _text(slide, left, Inches(6.45), Inches(width_in), Inches(0.4),
              ["  ·  ".join(labels[:1] + labels[-1:])], size=11, bold=True, color=_NAVY)


def _waterfall(prs: Presentation, data: BoardPackData, st: Statements) -> None:
    loc = data.locale
    slide = _new_slide(prs, t(loc, "waterfall"))
    steps = budget_bridge(st, loc)
    width = Inches(7.4)
    if steps is None:
        _not_available(slide, _MARGIN, Inches(1.5), width, loc, t(loc, "budget"))
    else:
        _bridge_chart(slide, steps, _MARGIN, Inches(1.3), width, Inches(5.1), loc)
        labels = [f"{label}: {format_amount(amount, loc)}" for _, label, amount in steps]
        _text(slide, _MARGIN, Inches(6.45), width, Inches(0.4), ["  ·  ".join(labels[:1] +
              labels[-1:])], size=12, bold=True, color=_NAVY)
    right = _MARGIN + width + Inches(0.3)
    rest = _W - right - _MARGIN
    _text(slide, right, Inches(1.25), rest, Inches(0.4), [t(loc, "material_variances")],
          size=14, bold=True, color=_NAVY)
    names = chart_index(data)
    material = significant_variances(data, 4)
    if not material:
        _not_available(slide, right, Inches(1.8), rest, loc, t(loc, "variances"))
    top = 1.8
    rest_in = rest / 914400
    for v in material:
        acc = names.get(v.account)
        sign = presented_sign(acc) if acc else 1
        head = (f"{account_name(data, v.account, names)}: "
                f"{format_amount(sign * v.difference, loc)} "
                f"({format_percent(sign * v.pct if v.pct is not None else None, loc)}) · "
                f"{t(loc, f'source_{v.source}')} "
                f"{format_percent(v.confidence, loc, 0)}")
        width_in = rest_in - 0.3
        head_h = text_height([head], width_in, 11, bold=True)
        body_h = text_height([v.commentary], width_in, 10)
        if top + head_h + body_h > _BOTTOM_IN:  # the block continues on a slide of its own
            slide = _new_slide(prs, f"{t(loc, 'material_variances')} ({t(loc, 'continued')})")
            right, rest_in, top = _MARGIN, 12.33, 1.3
            width_in = rest_in - 0.3
            head_h = text_height([head], width_in, 11, bold=True)
            body_h = text_height([v.commentary], width_in, 10)
        dot = slide.shapes.add_shape(MSO_SHAPE.OVAL, right, Inches(top + 0.05), Inches(0.22),
                                     Inches(0.22))
        dot.fill.solid()
        dot.fill.fore_color.rgb = _rgb(LIGHT_DOT[v.light])
        dot.line.fill.background()
        _text(slide, right + Inches(0.3), Inches(top - 0.05), Inches(width_in), Inches(head_h),
              [head], size=11, bold=True)
        _text(slide, right + Inches(0.3), Inches(top - 0.05 + head_h), Inches(width_in),
              Inches(body_h), [v.commentary], size=10, color=_GREY)
        top += head_h + body_h + 0.1


def _statement_slides(prs: Presentation, data: BoardPackData, statement: Statement) -> None:
    """One statement as a table that continues on as many slides as it needs."""
    loc = data.locale
    slide = _new_slide(prs, statement.title)
    n = len(statement.columns)
    rows = [[t(loc, "amounts_in", currency=data.presentation_currency)]
            + [c.label for c in statement.columns]]
    for line in statement.lines:
        label = line.label if line.kind != "item" else f"   {line.label}"
        rows.append([label] + ([format_percent(v, loc) if c.pct_of else
                                format_amount(v, loc, zero_dash=True)
                                for v, c in zip(line.values, statement.columns, strict=True)]
                               if line.values else [""] * n))
    # Eight figures a line (income statement, entities vs budget): 8 pt keeps a 9-digit figure
    # with its decimals on one line in a column of the 66-entity group.
    size = 8 if n > 6 else 9 if n > 4 else 10
    slide, bottom = _paged_table(prs, slide, statement.title, rows, _MARGIN, 1.3, 12.33,
                                 [3.6] + [1.3] * n if n > 4 else [5.0] + [1.8] * n, locale=loc,
                                 size=size, row_height=0.24)
    _notes(prs, slide, statement.title, list(statement.notes), bottom + 0.15, loc)


def _notes(prs: Presentation, slide: Slide, title: str, notes: list[str], top_in: float,
           locale: str) -> None:
    """Print a statement's notes (what is not available, how a column is built) under its table.

    What does not fit above the footer continues on a slide of its own.
    """
    size, width_in = 10, 12.33
    while notes:
        room = _BOTTOM_IN - top_in
        if room < text_height(notes[:1], width_in, size) and top_in > 1.3:
            slide, top_in = _new_slide(prs, f"{title} ({t(locale, 'continued')})"), 1.3
            continue
        fit, notes = take_fitting(notes, width_in, room, size, space_after=4)
        height = text_height(fit, width_in, size, space_after=4)
        _text(slide, _MARGIN, Inches(top_in), Inches(width_in), Inches(height), fit, size=size,
              color=_GREY, space_after=4)
        top_in = _BOTTOM_IN


def _kpi_value(kpi: Kpi, locale: str, currency: str) -> str:
    if kpi.value is None:  # the reason is in the PDF and the workbook; a slide says n/a
        return "n/a"
    if kpi.unit == "percent":
        return format_percent(kpi.value, locale)
    if kpi.unit == "currency":
        return f"{currency} {format_amount(kpi.value, locale)}"
    return format_amount(kpi.value, locale)


def _kpi_trends(prs: Presentation, data: BoardPackData) -> None:
    loc = data.locale
    slide = _new_slide(prs, t(loc, "kpi_trends"))
    if not data.kpis:
        _not_available(slide, _MARGIN, Inches(1.5), Inches(10), loc, t(loc, "kpis"))
        return
    # A line needs two points: a KPI with fewer would be a legend entry with no line.
    trended = [k for k in data.kpis if k.unit == "percent" and sum(
        v is not None for v in [*(p.value for p in k.trend), k.value]) >= 2]
    width = Inches(7.0)
    if trended:
        periods = sorted({p.period for k in trended for p in k.trend})
        cd = CategoryChartData(number_format="0.0%")
        cd.categories = [format_short_period(p, loc) for p in periods] + [
            format_short_period(data.period, loc)]
        for k in trended:
            values = {p.period: p.value for p in k.trend}
            cd.add_series(kpi_name(k.code, k.name, loc), [values.get(p) for p in periods] + [k.value])
        chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, _MARGIN, Inches(1.3), width,
                                       Inches(5.6), cd).chart
        _style_chart(chart, number_format="0%")
    else:
        _not_available(slide, _MARGIN, Inches(1.5), width, loc, t(loc, "kpi_trends"))
    rows = [[t(loc, "col_kpi"), t(loc, "col_value")]]
    rows += [[kpi_name(k.code, k.name, loc), _kpi_value(k, loc, data.presentation_currency)]
             for k in data.kpis]
    right = _MARGIN + width + Inches(0.3)
    _paged_table(prs, slide, t(loc, "kpi_trends"), rows, right, 1.3,
                 (_W - right - _MARGIN) / 914400, [2.6, 2.4], locale=loc, size=11,
                 row_height=0.32)


def _companies(prs: Presentation, data: BoardPackData) -> None:
    loc = data.locale
    cur = data.presentation_currency
    attributions = {a.entity: a for a in data.attributions}
    for e, f in zip(data.entities, entity_figures(data), strict=True):
        slide = _new_slide(prs, f"{e.name} ({e.id})")
        _text(slide, _MARGIN, Inches(1.2), Inches(12), Inches(0.4), [
            f"{t(loc, 'col_local_currency')}: {e.currency} · {t(loc, 'col_ownership')}: "
            f"{format_percent(e.ownership, loc, 0)} · {t(loc, 'col_method_consolidation')}: "
            f"{t(loc, f'method_{e.method}')}"], size=14, color=_GREY)
        rows = [[t(loc, "col_figure"), t(loc, "entity_local", currency=e.currency),
                 t(loc, "entity_presentation", currency=cur), t(loc, "col_after_postings")]]
        rows += [[x.label, format_amount(x.local, loc), format_amount(x.translated, loc),
                  format_amount(x.consolidated, loc)] for x in f.figures]
        _table(slide, rows, _MARGIN, Inches(1.7), Inches(8.0), [2.6, 1.8, 1.8, 1.8], size=13,
               row_height=0.42)
        _entity_chart(slide, data, f)
        extra = [[t(loc, "cta_nci"), cur]]
        a = attributions.get(e.id)
        if a is not None:
            extra += [[t(loc, "col_cta"), format_amount(a.cta, loc)],
                      [t(loc, "col_cta_nci"), format_amount(a.cta_nci, loc)],
                      [t(loc, "col_nci_equity"), format_amount(a.nci_equity, loc)],
                      [t(loc, "col_nci_profit"), format_amount(a.nci_profit_ytd, loc)]]
        if len(extra) > 1:
            _table(slide, extra, Inches(8.9), Inches(1.8), _W - Inches(8.9) - _MARGIN,
                   [2.4, 1.6], size=12, row_height=0.45)


def _entity_chart(slide: Slide, data: BoardPackData, f: EntityFigures) -> None:
    """Chart translated vs consolidated contribution, so the effect of eliminations is visible."""
    loc = data.locale
    keys = ("revenue", "ebitda", "net_income")
    cd = CategoryChartData(number_format="#,##0")
    cd.categories = [f.get(k).label for k in keys]
    cd.add_series(t(loc, "col_translated"), [f.get(k).translated for k in keys])
    cd.add_series(t(loc, "col_after_postings"), [f.get(k).consolidated for k in keys])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, _MARGIN, Inches(4.85),
                                   Inches(8.0), Inches(2.15), cd).chart
    _style_chart(chart)
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    _color_series(chart, [_NAVY, _ACCENT])


def _validation(prs: Presentation, data: BoardPackData) -> None:
    loc = data.locale
    slide = _new_slide(prs, t(loc, "validation"))
    score = (t(loc, "not_available") if data.validation_score is None
             else f"{format_score(data.validation_score, loc)} / 100 — "
             f"{light_label(loc, data.validation_light)}")
    badge = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, _MARGIN, Inches(1.3),
                                   Inches(4.5), Inches(0.7))
    badge.fill.solid()
    badge.fill.fore_color.rgb = _rgb(LIGHT_FILL.get(data.validation_light or "", "F2F2F2"))
    badge.line.fill.background()
    frame = badge.text_frame
    frame.paragraphs[0].alignment = PP_ALIGN.CENTER
    run = frame.paragraphs[0].add_run()
    run.text = f"{t(loc, 'score')}: {score}"
    run.font.size, run.font.bold, run.font.name = Pt(16), True, _FONT
    run.font.color.rgb = _rgb(LIGHT_INK.get(data.validation_light or "", "000000"))
    findings = [f for f in data.validation if f.severity != "pass"]
    passed = len(data.validation) - len(findings)
    _text(slide, Inches(5.3), Inches(1.45), Inches(7), Inches(0.5),
          [t(loc, "checks_passed", n=passed)], size=14, color=_GREY)
    if findings:
        # A board slide: the check's title and its figures in the locale; codes and the
        # checks' own messages are in the PDF appendix and the workbook.
        rows = [[t(loc, "col_check"), t(loc, "col_severity"), t(loc, "col_entity"),
                 t(loc, "col_detail"), t(loc, "col_waived_by")]]
        rows += [[check_title(f.code, loc), t(loc, f"sev_{f.severity}"), f.entity or "",
                  ", ".join(x for x in (account_name(data, f.account), finding_figures(f, loc)) if x),
                  f"{f.waived_by}: {f.waiver_reason}" if f.waived_by else ""]
                 for f in findings]
        _paged_table(prs, slide, t(loc, "validation"), rows, _MARGIN, 2.3, 12.33,
                     [2.5, 1.0, 0.9, 4.9, 3.0], locale=loc, size=10, numeric_from=99,
                     row_height=0.3)


def _fx_and_covenant_slides(prs: Presentation, data: BoardPackData) -> None:
    """Add the FX impact slides (a figure's total per scope) and, when configured, the covenants."""
    loc = data.locale
    tables, notes = fx_tables(data, currencies=False)
    for tb in tables or ([None] if notes else []):
        slide = _new_slide(prs, ft(loc, "fx_title"))
        bottom = Inches(1.25)
        if tb is not None:
            _text(slide, _MARGIN, bottom, Inches(12.33), Inches(0.35), [tb.title], size=13, bold=True,
                  color=_NAVY)
            _paged_table(prs, slide, tb.title, [list(tb.header), *map(list, tb.rows)], _MARGIN, 1.7, 12.33,
                         [2.9, 1.35, 1.35, 1.35, 1.3, 1.35, 1.0, 1.3], locale=loc, size=10, row_height=0.27)
            bottom = _shape_bottom(slide)
        top = bottom + Inches(0.15)
        _text(slide, _MARGIN, top, Inches(12.33), Inches(_BOTTOM_IN) - top, notes, size=10, color=_GREY,
              space_after=2)
    for tb in covenant_tables(data):
        slide = _new_slide(prs, tb.title)
        _paged_table(prs, slide, tb.title, [list(tb.header), *map(list, tb.rows)], _MARGIN, 1.3, 12.33,
                     [3.7, 2.1, 2.0, 1.7, 1.5, 1.3], locale=loc, size=10, row_height=0.27)
        table = slide.shapes[-1]
        for r, c, light in tb.lights:
            cell = table.table.cell(r + 1, c)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(LIGHT_FILL[light])
        bottom = _shape_bottom(slide) + Inches(0.15)
        # The definitions are in the PDF's appendix; the slide keeps the legend and the LTM note.
        _text(slide, _MARGIN, bottom, Inches(12.33), Inches(_BOTTOM_IN) - bottom, list(tb.notes[:-3]),
              size=10, color=_GREY, space_after=2)


def _shape_bottom(slide: Slide) -> Emu:
    """Return the bottom edge of the slide's last shape, with a tenth more for a table.

    A table's height is its measured rows; LibreOffice draws them up to about a tenth taller.
    """
    shape = slide.shapes[-1]
    return Emu(shape.top + int(shape.height * 1.1))


def _footers(prs: Presentation, data: BoardPackData) -> None:
    loc = data.locale
    total = len(prs.slides)
    left = f"{data.group_name} · {format_period(data.period, loc)} · {t(loc, 'run')} {data.run_id}"
    for i, slide in enumerate(prs.slides, start=1):
        if i == 1:
            continue
        _text(slide, _MARGIN, _H - Inches(0.45), Inches(9), Inches(0.3), [left], size=9,
              color=_GREY)
        _text(slide, _W - _MARGIN - Inches(3), _H - Inches(0.45), Inches(3), Inches(0.3),
              [t(loc, "page_x_of_y", x=i, y=total)], size=9, color=_GREY, align=PP_ALIGN.RIGHT)


_CREATED = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fix_embedded_workbook(name: str, content: bytes, stamp: str, data: BoardPackData) -> bytes:
    """Give a chart's embedded XlsxWriter workbook the run's timestamp instead of now()."""
    if not (name.startswith("ppt/embeddings/") and name.endswith(".xlsx")):
        return content
    with zipfile.ZipFile(io.BytesIO(content)) as inner:
        entries = [(i.filename, inner.read(i)) for i in inner.infolist()]
    fixed = [(n, _CREATED.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>", c)
              if n == "docProps/core.xml" else c) for n, c in entries]
    return write_zip(fixed, data.as_of)


def build_deck(data: BoardPackData) -> bytes:
    """Render the board deck.

    Args:
        data: the board pack.

    Returns:
        The ``.pptx`` bytes; the same ``data`` gives the same bytes in any process or time zone.

    """
    st = build_statements(data)
    prs = Presentation()
    prs.slide_width, prs.slide_height = _W, _H
    package = prs.part.package
    package.next_partname = _PartNames(package.next_partname)
    _cover(prs, data)
    _executive_summary(prs, data, st)
    for statement in (st.income_statement, full_year_statement(data), entity_statement(data),
                      st.balance_sheet, st.cash_flow, st.equity_changes):
        _statement_slides(prs, data, statement)
    _financial_performance(prs, data, st)
    _waterfall(prs, data, st)
    _bridges(prs, data, st)
    _fx_and_covenant_slides(prs, data)
    _kpi_trends(prs, data)
    _companies(prs, data)
    _validation(prs, data)
    _footers(prs, data)
    props = prs.core_properties
    moment = to_excel_datetime(data.as_of)  # python-pptx writes naive datetimes as UTC
    props.created = props.modified = props.last_printed = moment
    props.author = props.last_modified_by = "monthclose"
    props.title = f"{t(data.locale, 'board_package')} {data.group_name} {data.period}"
    props.subject = f"run {data.run_id}"
    props.revision = 1
    buffer = io.BytesIO()
    prs.save(buffer)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return normalize_zip(buffer.getvalue(), data.as_of,
                         transform=lambda n, c: _fix_embedded_workbook(n, c, stamp, data))
