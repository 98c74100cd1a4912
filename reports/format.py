"""Number, date and period formatting for en-US and pt-BR, without the process locale.

The documents must render identically on any machine, so formatting never consults
``locale.setlocale`` or the time zone: separators and month names come from Babel's bundled
CLDR data (``close.engine.numbers``, the same the commentary uses) and dates from ``as_of`` converted
to UTC.

Example:
    >>> format_amount(D("-1234567.891"), "pt-BR")
    '(1.234.567,89)'
    >>> format_amount(D("1234567.891"), "en-US")
    '1,234,567.89'

"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.dates import format_skeleton

from close.engine.money import quantize_cents
from close.engine.numbers import babel_locale, format_decimal
from close.engine.types import Period

_SHORT_MONTHS: dict[str, tuple[str, ...]] = {
    "en-US": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "pt-BR": ("jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"),
}

DASH = "–"  # what a zero looks like in a statement, as in printed accounts


def format_number(value: Decimal, locale: str, places: int = 2) -> str:
    """Format a number with the locale's separators and a leading minus sign.

    Args:
        value: the number.
        locale: ``en-US`` or ``pt-BR``.
        places: decimals to show (half-even rounding).

    Returns:
        e.g. ``-1,234.50`` (en-US) or ``-1.234,50`` (pt-BR).

    """
    return format_decimal(value, locale, places)


def format_amount(value: Decimal | None, locale: str, places: int = 2, *,
                  zero_dash: bool = False) -> str:
    """Format an amount as accountants print it: negatives in parentheses.

    Args:
        value: the amount, ``None`` for "not available".
        locale: ``en-US`` or ``pt-BR``.
        places: decimals to show.
        zero_dash: print an exact zero as an en dash (statement style).

    Returns:
        ``1,234.56``, ``(1,234.56)``, ``–`` or ``n/a``.

    """
    if value is None:
        return "n/a"
    if zero_dash and quantize_cents(value, places) == 0:
        return DASH
    text = format_number(abs(value), locale, places)
    return f"({text})" if quantize_cents(value, places) < 0 else text


def format_percent(fraction: Decimal | None, locale: str, places: int = 1) -> str:
    """Format a fraction as a percentage (``Decimal("0.123")`` → ``12.3%``); ``None`` → ``n/a``."""
    if fraction is None:
        return "n/a"
    return format_number(fraction * 100, locale, places) + "%"


def format_score(score: Decimal | None, locale: str) -> str:
    """Format a validation score (0–100): ``97.5`` / ``97,5``, ``100``; ``None`` → ``n/a``."""
    if score is None:
        return "n/a"
    return format_number(score, locale, 0 if score == score.to_integral_value() else 1)


def format_axis(value: float, locale: str, places: int = 0) -> str:
    """Format a chart axis tick in the locale (a float from the chart's scale, not money)."""
    return format_number(Decimal(repr(value)), locale, places)


def format_rate(rate: Decimal | None, locale: str) -> str:
    """Format an FX rate with six decimals; ``None`` (several rates applied) → ``–``."""
    if rate is None:
        return DASH
    return format_number(rate, locale, 6)


def format_period(period: Period, locale: str) -> str:
    """Format ``2025-06`` as ``June 2025`` / ``junho de 2025`` (CLDR's year-month pattern)."""
    year, month = period.split("-")
    return format_skeleton("yMMMM", date(int(year), int(month), 1), locale=babel_locale(locale))


def format_short_period(period: Period, locale: str) -> str:
    """Format ``2025-06`` as ``Jun 25`` / ``jun 25`` (chart categories)."""
    year, month = period.split("-")
    return f"{_SHORT_MONTHS[locale][int(month) - 1]} {year[2:]}"


def format_date(day: date, locale: str) -> str:
    """Format a day: ``2025-07-03`` / ``03/07/2025``."""
    return day.strftime("%d/%m/%Y" if locale == "pt-BR" else "%Y-%m-%d")


def format_timestamp(moment: datetime, locale: str) -> str:
    """Format an aware datetime in UTC: ``2025-07-03 14:05 UTC`` / ``03/07/2025 14:05 UTC``."""
    utc = moment.astimezone(UTC)
    if locale == "pt-BR":
        return utc.strftime("%d/%m/%Y %H:%M UTC")
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def to_excel_datetime(moment: datetime) -> datetime:
    """Return the UTC wall time without tzinfo (Excel has no time zones; sheets say UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None)
