"""Numbers in the reader's locale (CLDR data through Babel), for commentary and documents.

The board package and the commentary print every figure with the separators of the group's
locale (``en-US``: ``1,234.50``; ``pt-BR``: ``1.234,50``), never mixed. Rounding is ours
(``quantize_cents``, half-even) before Babel lays out the digits, so a figure rounds the same
way in every document; Babel's CLDR tables are bundled with it, so the output never depends on
the machine's locale settings.

Example:
    >>> format_decimal(Decimal("-1234567.891"), "pt-BR")
    '-1.234.567,89'

"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal as _babel_decimal

from close.engine.money import quantize_cents

LOCALES: tuple[str, ...] = ("en-US", "pt-BR")


def babel_locale(locale: str) -> str:
    """Return Babel's name of a locale (``pt-BR`` → ``pt_BR``)."""
    return locale.replace("-", "_")


def format_decimal(value: Decimal, locale: str, places: int = 2, *, signed: bool = False) -> str:
    """Format a number with the locale's grouping and decimal separator.

    Args:
        value: the number.
        locale: ``en-US`` or ``pt-BR``.
        places: decimals shown (half-even rounding).
        signed: print ``+`` before a positive number.

    Returns:
        e.g. ``-1,234.50`` (en-US) or ``-1.234,50`` (pt-BR).

    """
    q = quantize_cents(value, places)
    pattern = "#,##0" + ("." + "0" * places if places > 0 else "")
    text = _babel_decimal(abs(q), format=pattern, locale=babel_locale(locale),
                          decimal_quantization=True)
    sign = "-" if q < 0 else "+" if signed and q > 0 else ""
    return sign + text
