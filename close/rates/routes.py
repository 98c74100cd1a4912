"""Which source quotes a currency pair, and how: direct, inverted, or a cross through a base.

Each quoting source has a base currency and publishes one series per other currency: BCB PTAX
quotes *BRL per unit of X* (base BRL), the ECB quotes *X per EUR* (base EUR). For functional F and
presentation P the rate is

    P per F = (base per F) / (base per P)

so a route is a product of series values over a product of series values. BRL->USD through PTAX
is ``1 / (BRL per USD)`` (one series, inverted once); EUR->USD through the ECB is ``USD per EUR``
(direct); GBP->USD through the ECB is ``(USD per EUR) / (GBP per EUR)`` (a cross via EUR).

Default choice: a pair with BRL goes to BCB PTAX, a pair with EUR (or two ECB currencies) to the
ECB, anything else to the rates file; a group may pin a functional currency to a source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from close.engine.types import Currency
from close.errors import ConfigError
from close.rates.model import Series

QuoteSourceName = Literal["bcb_ptax", "ecb"]
RouteChoice = Literal["bcb_ptax", "ecb", "file"]

# The ECB's reference-rate currencies still published (eurofxref-hist header, discontinued ones
# such as HRK or RUB left out); each is quoted as units per EUR.
ECB_CURRENCIES: frozenset[Currency] = frozenset(
    "USD JPY BGN CZK DKK GBP HUF PLN RON SEK CHF ISK NOK TRY AUD BRL CAD CNY HKD IDR ILS INR "
    "KRW MXN MYR NZD PHP SGD THB ZAR".split()
)


@dataclass(frozen=True, slots=True)
class QuoteBase:
    """How a source quotes: its base currency and which side of the series the base is on."""

    source: QuoteSourceName
    base: Currency
    base_is_quote: bool  # True: series are "base per X" (PTAX); False: "X per base" (ECB)

    def series_for(self, currency: Currency) -> Series:
        """Return the series this source publishes for a non-base currency."""
        if self.base_is_quote:
            return Series(base=currency, quote=self.base)
        return Series(base=self.base, quote=currency)


BCB_BASE = QuoteBase("bcb_ptax", "BRL", base_is_quote=True)
ECB_BASE = QuoteBase("ecb", "EUR", base_is_quote=False)
QUOTE_BASES: Mapping[QuoteSourceName, QuoteBase] = {"bcb_ptax": BCB_BASE, "ecb": ECB_BASE}
SOURCE_LABELS: Mapping[QuoteSourceName, str] = {"bcb_ptax": "BCB PTAX", "ecb": "ECB"}


@dataclass(frozen=True, slots=True)
class Route:
    """P per F as a product of series values (numerator) over another (denominator)."""

    source: QuoteSourceName
    currency: Currency
    presentation_currency: Currency
    numerator: tuple[Series, ...]
    denominator: tuple[Series, ...]

    @property
    def series(self) -> tuple[Series, ...]:
        """Every series the route reads."""
        return self.numerator + self.denominator

    @property
    def is_cross(self) -> bool:
        """True when two series meet through the source's base currency."""
        return len(self.series) > 1

    @property
    def is_inverted(self) -> bool:
        """True for one series read upside down (PTAX BRL per USD for a BRL->USD rate)."""
        return not self.numerator and len(self.denominator) == 1

    @property
    def quote_direction(self) -> str:
        """Direction of the stored ``quoted`` figure: the series' own, or the cross's."""
        if self.is_cross:
            return f"{self.presentation_currency} per {self.currency}"
        return self.series[0].direction

    @property
    def path(self) -> str:
        """The route in words for ``fx_rates.path``.

        For example ``"BRL->USD via BCB PTAX BRL per USD, inverted"`` or
        ``"GBP->USD via EUR: ECB USD per EUR / ECB GBP per EUR"``.
        """
        pair = f"{self.currency}->{self.presentation_currency}"
        label = SOURCE_LABELS[self.source]
        if self.is_cross:
            num = " x ".join(f"{label} {s.direction}" for s in self.numerator)
            den = " x ".join(f"{label} {s.direction}" for s in self.denominator)
            return f"{pair} via {QUOTE_BASES[self.source].base}: {num} / {den}"
        suffix = ", inverted" if self.is_inverted else ""
        return f"{pair} via {label} {self.series[0].direction}{suffix}"


def route_through(base: QuoteBase, currency: Currency, presentation: Currency) -> Route:
    """Build the route P per F = (base per F) / (base per P) through one source.

    Args:
        base: the source's quoting convention.
        currency: the functional currency F.
        presentation: the presentation currency P (different from F).

    Returns:
        The route, with each leg on the side that keeps every series in its quoted direction.

    """
    numerator: list[Series] = []
    denominator: list[Series] = []
    # base per F: a "base per X" series reads as is; an "X per base" series is inverted.
    if currency != base.base:
        (numerator if base.base_is_quote else denominator).append(base.series_for(currency))
    if presentation != base.base:
        (denominator if base.base_is_quote else numerator).append(base.series_for(presentation))
    return Route(base.source, currency, presentation, tuple(numerator), tuple(denominator))


def choose_route(currency: Currency, presentation: Currency,
                 pinned: Mapping[Currency, RouteChoice] | None = None) -> Route | None:
    """Pick the source and route of a pair; ``None`` means the pair comes from the rates file.

    Args:
        currency: functional currency.
        presentation: presentation currency.
        pinned: per functional currency, the source a group chose (``file`` for none).

    Returns:
        The route, or ``None`` for a pair no quoting source covers (or pinned to ``file``).

    Raises:
        ConfigError: when the pair is a currency with itself (no rate is needed).

    """
    if currency == presentation:
        raise ConfigError(f"{currency}->{presentation} needs no rate", key="rates.sources",
                          expected="a functional currency different from the presentation one")
    choice = (pinned or {}).get(currency)
    if choice is None:
        if "BRL" in (currency, presentation):
            choice = "bcb_ptax"
        elif {currency, presentation} <= ECB_CURRENCIES | {"EUR"}:
            choice = "ecb"
        else:
            choice = "file"
    if choice == "file":
        return None
    return route_through(QUOTE_BASES[choice], currency, presentation)
