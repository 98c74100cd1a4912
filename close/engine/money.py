"""Exact money: one constructor that refuses float, minor units and half-even rounding.

Amounts travel through the pure stages as integer minor units (``int64`` in pandas frames) and
become ``Decimal`` only at the edges (files, database, reports). ``D`` is the only way in.

Example:
    >>> to_minor(D("1234.565"), "BRL")
    123456
    >>> from_minor(123456, "BRL")
    Decimal('1234.56')

"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType
from typing import NamedTuple

from close.engine.types import Currency

ZERO = Decimal(0)
ONE = Decimal(1)
# The largest amount an input may hold, in minor units (10^15 in a 2-decimal currency, far above
# any real balance): amounts travel as int64 minor units, and a million of these still add up
# without overflow checks failing silently (sums are checked where files are read).
MAX_MINOR = 10**17

# ISO 4217 minor-unit exponents that differ from 2; every other currency has 2.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    "JPY": 0, "KRW": 0, "CLP": 0, "PYG": 0, "ISK": 0, "VND": 0, "XOF": 0, "XAF": 0, "UGX": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3,
}
# Read-only, for SQL that converts amounts to minor units in the database (close/storage/balances.py).
EXPONENT_EXCEPTIONS: Mapping[str, int] = MappingProxyType(_EXPONENT_EXCEPTIONS)
DEFAULT_EXPONENT = 2


def D(value: str | int | Decimal) -> Decimal:  # noqa: N802 - beancount's name for the one constructor
    """Build a Decimal from text, an int or a Decimal; refuse float.

    Args:
        value: ``"1.234,56"`` is not accepted here (locale parsing belongs to the file reader);
            plain ``"1234.56"``, an ``int`` or a ``Decimal``.

    Returns:
        The exact Decimal.

    Raises:
        TypeError: for a float (binary floats cannot hold cents exactly) or another type.
        ValueError: for text that is not a number.

    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"refusing {type(value).__name__} {value!r}: money is never a binary float")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
        if not result.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        return result
    raise TypeError(f"cannot make money of {type(value).__name__} {value!r}")


def exponent(currency: Currency) -> int:
    """Return the ISO 4217 minor-unit exponent of a currency (BRL 2, JPY 0, KWD 3)."""
    return _EXPONENT_EXCEPTIONS.get(currency.upper(), DEFAULT_EXPONENT)


def quantize_cents(x: Decimal, places: int = 2) -> Decimal:
    """Round to ``places`` decimals, half-even (banker's rounding), explicitly."""
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def to_minor(amount: Decimal, currency: Currency) -> int:
    """Convert a Decimal amount to integer minor units, rounding half-even."""
    return int(quantize_cents(amount, exponent(currency)).scaleb(exponent(currency)))


def from_minor(minor: int, currency: Currency) -> Decimal:
    """Convert integer minor units back to a Decimal at the currency's scale."""
    return Decimal(int(minor)).scaleb(-exponent(currency))


def round_half_even_div(numerator: int, denominator: int) -> int:
    """Divide two integers exactly and round half-even, without floats.

    Args:
        numerator: any integer (Python ints do not overflow).
        denominator: a positive integer.

    Returns:
        ``round(numerator / denominator)`` with ties to even.

    """
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2 == 1):
        q += 1
    return q


class Money(NamedTuple):
    """An amount with its currency (a NamedTuple already has ``__slots__ = ()``: no per-instance dict)."""

    amount: Decimal
    currency: Currency

    def __str__(self) -> str:
        """Format as ``1234.56 BRL``."""
        return f"{quantize_cents(self.amount, exponent(self.currency))} {self.currency}"
