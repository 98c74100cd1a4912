"""How much room text takes on a slide, measured with font metrics, so nothing overflows.

PowerPoint and LibreOffice wrap a text box's words at its width; a box that is too small lets
the text run past its bottom (over the footer, off the slide). The deck measures first: each
paragraph is wrapped word by word against the box width with Helvetica's advance widths
(reportlab's built-in metrics, no font file needed) widened by ``WIDTH_FACTOR``, because the
deck's Calibri is rendered by LibreOffice with a metric-compatible or wider fallback (DejaVu Sans
is about 10 % wider than Helvetica). What does not fit goes to the next slide.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.pdfbase.pdfmetrics import stringWidth

WIDTH_FACTOR = 1.12  # the widest fallback seen for Calibri (DejaVu Sans) over Helvetica
LEADING = 1.2  # line height as a multiple of the type size (PowerPoint's single spacing)
POINTS_PER_INCH = 72.0
INSET = 0.2  # inches: a text box's left + right (and top + bottom) insets


def line_count(text: str, width_in: float, size: float, *, bold: bool = False) -> int:
    """Return how many lines ``text`` wraps to in a box ``width_in`` inches wide."""
    font = "Helvetica-Bold" if bold else "Helvetica"
    room = max((width_in - INSET) * POINTS_PER_INCH, 1.0)
    lines, used = 1, 0.0
    space = stringWidth(" ", font, size) * WIDTH_FACTOR
    for word in text.split():
        w = stringWidth(word, font, size) * WIDTH_FACTOR
        while w > room:  # a word longer than the line breaks where it must
            lines += 1 if used else 0
            w -= room
            used = 0.0
        if used and used + space + w > room:
            lines += 1
            used = w
        else:
            used += (space if used else 0.0) + w
    return lines


def text_height(paragraphs: Sequence[str], width_in: float, size: float, *,
                space_after: float = 0, bold: bool = False) -> float:
    """Return the height in inches that ``paragraphs`` take in a box ``width_in`` wide."""
    lines = sum(line_count(p, width_in, size, bold=bold) for p in paragraphs)
    points = lines * size * LEADING + space_after * max(len(paragraphs) - 1, 0)
    return points / POINTS_PER_INCH + INSET


def take_fitting(paragraphs: Sequence[str], width_in: float, height_in: float, size: float, *,
                 space_after: float = 0) -> tuple[list[str], list[str]]:
    """Split ``paragraphs`` into those that fit a box and the rest (at least one is taken).

    Returns:
        ``(fitting, rest)``.

    """
    taken: list[str] = []
    for i, p in enumerate(paragraphs):
        if taken and text_height([*taken, p], width_in, size,
                                 space_after=space_after) > height_in:
            return taken, list(paragraphs[i:])
        taken.append(p)
    return taken, []
