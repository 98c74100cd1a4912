"""A whole column of plain numbers (``-1234.5``) into integer minor units, in one numpy pass.

Most trial balances written by a program (and the documented file format) print amounts as
plain numbers: an optional minus, digits, optionally a ``.`` and decimals. Parsing them one cell
at a time costs microseconds a cell, more than reading the CSV itself; here each block of the
column becomes a matrix of bytes and every digit is weighed by its power of ten with array
operations, exactly (integers throughout, no float).

Anything else in a column (a comma, a currency sign, ``(1.00)``, a ``D``/``C`` suffix, more
decimals than the currency has, more than 17 digits) makes ``parse_plain_column`` return
``None``, and the file connector parses that column cell by cell with its full rules and errors.

Example:
    >>> column = parse_plain_column(["12.5", "", "-0.07", "3"], places=2)
    >>> column.values.tolist(), column.present.tolist(), column.proves_dot
    ([1250, 0, -7, 300], [True, False, True, True], True)

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from close.engine.money import MAX_MINOR

# At most 17 digits in minor units: below close.engine.money.MAX_MINOR, so values fit in int64.
MAX_DIGITS = len(str(MAX_MINOR)) - 1
_POWERS = 10 ** np.arange(MAX_DIGITS, dtype=np.int64)
_NEWLINE, _MINUS, _DOT, _ZERO, _NINE = (ord(c) for c in "\n-.09")
# Cells per block: bounds the temporary (cells × width) arrays to a few megabytes.
_BLOCK = 65536


@dataclass(frozen=True, slots=True)
class PlainColumn:
    """A parsed column.

    Attributes:
        values: minor units per cell (0 where empty).
        present: whether each cell held a number.
        proves_dot: some cell's ``.`` is followed by other than exactly three digits, so it can
            only be a decimal point (``1.234`` alone could be a thousands separator).

    """

    values: np.ndarray
    present: np.ndarray
    proves_dot: bool


def parse_plain_column(texts: Sequence[str], places: int) -> PlainColumn | None:
    """Parse stripped cells that are all plain numbers with ``.`` decimals, or say they are not.

    Args:
        texts: the column's cells, stripped (``""`` for an empty cell).
        places: the currency's decimals (more in a cell → ``None``).

    Returns:
        The column, or ``None`` when any cell is not a plain number of at most ``places``
        decimals and ``MAX_DIGITS`` digits in minor units.

    """
    exact = _parse_exact_places(texts, places)
    if exact is not None:
        return exact
    blocks = []
    for start in range(0, len(texts), _BLOCK):
        block = _parse_block(texts[start:start + _BLOCK], places)
        if block is None:
            return None
        blocks.append(block)
    if not blocks:
        return PlainColumn(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool), False)
    return PlainColumn(np.concatenate([b.values for b in blocks]),
                       np.concatenate([b.present for b in blocks]),
                       any(b.proves_dot for b in blocks))


def _parse_exact_places(texts: Sequence[str], places: int) -> PlainColumn | None:
    """Parse a column whose every cell has exactly ``places`` decimals (``-1234.56``), or decline.

    This is how programs print money, and it needs no digit arithmetic: once the points are
    known to sit ``places`` from each cell's end, removing them leaves the minor units, which
    numpy reads in C.
    """
    n = len(texts)
    joined = "\n".join(texts)
    if not places or not n or not joined.isascii():
        return None
    b = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    newlines = np.flatnonzero(b == _NEWLINE)
    if len(newlines) != n - 1:
        return None
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(b)]))
    if (ends - starts).min() < places + 2:  # "0.00" at least: an empty cell goes the long way
        return None
    negative = b[starts] == _MINUS
    digits = ends - starts - 1 - negative  # a point in every cell, checked next
    # A point ``places`` from each end and no other; a minus at cells' starts and no other;
    # digits in every other place. Counted, not located: no array of positions is made.
    if (not (b[ends - places - 1] == _DOT).all() or np.count_nonzero(b == _DOT) != n
            or np.count_nonzero(b == _MINUS) != np.count_nonzero(negative)
            or digits.min() < places + 1 or digits.max() > MAX_DIGITS
            or np.count_nonzero((b >= _ZERO) & (b <= _NINE)) != int(digits.sum())):
        return None
    values = np.fromstring(joined.replace(".", ""), dtype=np.int64, sep="\n")
    return PlainColumn(values, np.ones(n, dtype=bool), places != 3)


def _parse_block(texts: Sequence[str], places: int) -> PlainColumn | None:
    """Parse one block as a (cells × width) matrix of bytes, NUL-padded on the right."""
    n = len(texts)
    width = max(map(len, texts))
    if width == 0:
        return PlainColumn(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), False)
    if width > MAX_DIGITS + 2:  # a sign, 17 digits and a point at most
        return None
    try:
        m = np.array(texts, dtype=f"S{width}").view(np.uint8).reshape(n, width)
    except UnicodeEncodeError:
        return None
    pad, dot, minus = m == 0, m == _DOT, m == _MINUS
    digit = (m >= _ZERO) & (m <= _NINE)
    # Only digits, one point, a leading minus, padding at the end (a NUL inside is not plain).
    if (not (digit | pad | dot | minus).all() or minus[:, 1:].any()
            or (pad[:, :-1] & ~pad[:, 1:]).any()):
        return None
    dots = dot.sum(axis=1)
    if dots.max() > 1:
        return None
    length = width - pad.sum(axis=1)
    has_dot = dots == 1
    int_end = np.where(has_dot, dot.argmax(axis=1), length)
    negative = minus[:, 0]
    fraction = np.where(has_dot, length - int_end - 1, 0)
    present = length > 0
    if (present & ((int_end - negative < 1) | (has_dot & (fraction < 1)) | (fraction > places)
                   | (int_end - negative + places > MAX_DIGITS))).any():
        return None
    # A digit weighs 10^(places + digits after it in the integer part), or 10^(places - its
    # place after the point) in the fraction.
    column, end = np.arange(width), int_end[:, None]
    weight = np.where(column < end, end - column - 1 + places, places - (column - end))
    weight = np.where(digit, weight, 0)
    values = np.where(digit, (m - _ZERO).astype(np.int64) * _POWERS[weight], 0).sum(axis=1)
    values[negative] *= -1
    return PlainColumn(values, present, bool((has_dot & (fraction != 3)).any()))
