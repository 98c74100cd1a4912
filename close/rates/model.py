"""The records of the rates package: daily quotations, what translation needs, the rate it gets.

A rate is stored as *presentation-currency units per one functional-currency unit* (IAS 21
multiplies a functional amount by it), quantized to 10 places half-even (``NUMERIC(20,10)``).
The figure as the source quoted it (``quoted``, ``quote_direction``) and every raw quotation used
(``raw``) are kept beside it, so a controller can recompute any rate from its provenance.

Example: PTAX quotes 5.4500 BRL per USD; a BRL entity in a USD group gets
``rate = 1 / 5.4500 = 0.1834862385`` USD per BRL, ``quoted = 5.4500``, ``quote_direction =
"BRL per USD"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from close.engine.types import AccountCode, Currency, EntityId, Period, RateType

RateSourceName = Literal["bcb_ptax", "ecb", "file", "override"]
PtaxSide = Literal["venda", "compra"]
# One raw quotation or file row as (field, text) pairs: immutable, and JSON-ready via dict().
RawRecord = tuple[tuple[str, str], ...]

RATE_PLACES = 10
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)


def raw_record(fields: Mapping[str, str]) -> RawRecord:
    """Freeze a raw quotation or file row, keys sorted so it compares equal after a jsonb trip."""
    return tuple(sorted((str(k), str(v)) for k, v in fields.items()))


def quantize_rate(x: Decimal) -> Decimal:
    """Round a rate to the stored scale (10 places, ``NUMERIC(20,10)``), half-even."""
    return x.quantize(_RATE_QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Series:
    """A quoted series: ``quote`` units per one ``base`` unit (ECB USD per EUR: base EUR)."""

    base: Currency
    quote: Currency

    @property
    def direction(self) -> str:
        """Human form of the quotation, e.g. ``"BRL per USD"``."""
        return f"{self.quote} per {self.base}"


@dataclass(frozen=True, slots=True)
class Quotation:
    """One day's closing quotation of a series, as the source published it.

    Attributes:
        series: what is quoted.
        day: the quotation date (the business day the rate belongs to).
        value: the figure used (PTAX venda or compra per the group's policy; ECB OBS_VALUE).
        fields: every field of the source row, as text exactly as received (trailing zeros kept).

    """

    series: Series
    day: date
    value: Decimal
    fields: tuple[tuple[str, str], ...] = ()

    def as_record(self) -> RawRecord:
        """Return the quotation as a raw record (series, date, value used, and every field)."""
        return raw_record({"series": self.series.direction, "date": self.day.isoformat(),
                           "value": str(self.value), **dict(self.fields)})


@dataclass(frozen=True, slots=True)
class RateNeed:
    """One rate translation needs: a closing or average rate of a period, or a historical rate.

    Historical needs carry the equity item (entity, account) and the date of the
    contribution/acquisition; closing and average needs leave those ``None``.
    """

    period: Period
    currency: Currency  # functional
    presentation_currency: Currency
    rate_type: RateType
    entity_id: EntityId | None = None
    account: AccountCode | None = None
    rate_date: date | None = None

    def describe(self) -> str:
        """Name the need in messages: ``"2025-08 closing BRL->USD"``."""
        text = f"{self.period} {self.rate_type} {self.currency}->{self.presentation_currency}"
        if self.rate_type == "historical":
            text += f" on {self.rate_date} for {self.entity_id or '-'}/{self.account or '-'}"
        return text


@dataclass(frozen=True, slots=True)
class FxRate:
    """A rate as stored in ``fx_rates``: the figure, where it came from and how it was made.

    Attributes:
        period: the close period the rate belongs to, ``YYYY-MM``.
        currency: the functional currency translated from.
        presentation_currency: the currency translated into.
        rate_type: closing, average or historical.
        rate: presentation units per one functional unit, 10 places.
        quoted: the figure in the source's direction (for averages: the mean in that direction;
            for crosses: the cross itself), 10 places.
        quote_direction: the direction of ``quoted``, e.g. ``"BRL per USD"``.
        source: bcb_ptax, ecb, file or override.
        method: how the figure was obtained, in words a controller can check.
        as_of: the quotation date used (``None`` for averages).
        path: how the currencies were connected, e.g. ``"EUR->USD via ECB USD per EUR"``.
        is_override: a file override replaced what the sources said.
        raw: every quotation used (or the file row), as received.
        retrieved_at: when the quotations were fetched or the file read (timezone-aware).
        entity_id, account, rate_date: the equity item and date of a historical rate.

    """

    period: Period
    currency: Currency
    presentation_currency: Currency
    rate_type: RateType
    rate: Decimal
    quoted: Decimal
    quote_direction: str
    source: RateSourceName
    method: str
    as_of: date | None
    path: str
    is_override: bool
    raw: tuple[RawRecord, ...]
    retrieved_at: datetime
    entity_id: EntityId | None = None
    account: AccountCode | None = None
    rate_date: date | None = None

    @property
    def need(self) -> RateNeed:
        """The need this rate answers (its identity in ``fx_rates``)."""
        return RateNeed(self.period, self.currency, self.presentation_currency, self.rate_type,
                        self.entity_id, self.account, self.rate_date)

    def raw_records(self) -> list[dict[str, str]]:
        """Return the raw quotations as JSON-ready records for ``fx_rates.raw``."""
        return [dict(r) for r in self.raw]
