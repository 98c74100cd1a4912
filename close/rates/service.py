"""Get every rate a close needs: overrides first, then the quoting sources, then the rates file.

For each need (a closing, average or historical rate of a currency pair):

1. an override row of the rates file always wins (stored with ``is_override``);
2. otherwise the pair's route (``routes.choose_route``) names a quoting source — BCB PTAX or the
   ECB — whose daily quotations are fetched once per source and date window (the prior and
   current month in one request) and turned into rates by ``derivation``;
3. a pair no source quotes comes from the rates file;
4. when a source stays down after retries (or has no quotation for the month) and the policy
   allows it, the rates file's figure for the same need is used and the method says why;
   otherwise ``RateSourceUnavailable`` / ``InputDataError`` names the source and currency.

Nothing here touches the database: ``close.rates.store`` persists and reuses what this returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import httpx

from close.engine.types import Currency, Period
from close.errors import CloseError, ConfigError, InputDataError
from close.rates.bcb import BcbPtaxSource
from close.rates.derivation import derive_rate, quote_window
from close.rates.ecb import EcbSource
from close.rates.errors import RateSourceUnavailable
from close.rates.model import FxRate, Quotation, RateNeed, Series
from close.rates.routes import QuoteBase, Route, choose_route
from close.rates.settings import RatePolicy, RateSourceSettings
from close.rates.transport import QuoteHttp


class QuoteSource(Protocol):
    """A source of daily closing quotations (BCB PTAX, the ECB)."""

    name: str
    base: QuoteBase

    @property
    def label(self) -> str:
        """What one quotation is, for methods (``"PTAX venda"``)."""

    def quotations(self, series: Sequence[Series], start: date,
                   end: date) -> dict[Series, tuple[Quotation, ...]]:
        """Return each series' closing quotations between two dates, inclusive."""


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What a fetch produced: one rate per need obtained, and what happened to the others."""

    rates: tuple[FxRate, ...]
    fallbacks: tuple[str, ...]  # one line per need served by the file because its source failed
    skipped: tuple[str, ...] = ()  # one line per optional need nobody could serve


def utc_now() -> datetime:
    """Return the current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def closing_and_average_needs(period: Period, currencies: Iterable[Currency],
                              presentation: Currency) -> tuple[RateNeed, ...]:
    """Return the closing and average needs of every functional currency but the presentation one.

    Args:
        period: ``YYYY-MM``.
        currencies: the group's functional currencies (duplicates allowed).
        presentation: the presentation currency (needs no rate).

    Returns:
        Two needs per foreign currency, sorted by currency.

    """
    return tuple(RateNeed(period, c, presentation, rate_type)
                 for c in sorted(set(currencies) - {presentation})
                 for rate_type in ("closing", "average"))


def _merge_windows(windows: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Merge overlapping or adjacent date windows, so adjacent months are one request."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class RateService:
    """Fetch rates from the quoting sources with the file as override and fallback."""

    def __init__(self, sources: Mapping[str, QuoteSource], policy: RatePolicy, *,
                 clock: Callable[[], datetime] = utc_now,
                 on_close: Callable[[], None] | None = None) -> None:
        """Build the service.

        Args:
            sources: quoting sources by name (``bcb_ptax``, ``ecb``).
            policy: the group's choices (source pins, file fallback); the PTAX side is the
                BCB source's own setting.
            clock: when quotations are retrieved (timezone-aware).
            on_close: releases what the service owns (its HTTP client).

        """
        self.sources, self.policy, self.clock = dict(sources), policy, clock
        self._on_close = on_close

    def close(self) -> None:
        """Release the HTTP client the service created (a client passed in stays open)."""
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> RateService:
        """Use the service in a ``with`` block that closes it."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the service."""
        self.close()

    @classmethod
    def from_settings(cls, settings: RateSourceSettings, policy: RatePolicy, *,
                      client: httpx.Client | None = None,
                      redis_url: str | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> RateService:
        """Build the service on the real BCB and ECB APIs (or the fakes at the configured URLs).

        Args:
            settings: base URLs, timeout, the retry policy.
            policy: the group's choices, PTAX side included.
            client: an httpx client to share between both sources; by default the service
                creates one and closes it in ``close()``.
            redis_url: share each source's breaker through this Redis (workers); memory otherwise.
            sleep: how to wait between attempts.

        Returns:
            The service.

        """
        shared = client or httpx.Client(timeout=settings.timeout_seconds)

        def http(name: str, url: str) -> QuoteHttp:
            return QuoteHttp(name, url, settings, client=shared, redis_url=redis_url,
                             sleep=sleep)

        return cls({
            "bcb_ptax": BcbPtaxSource(http("bcb_ptax", settings.bcb_base_url), side=policy.ptax_side),
            "ecb": EcbSource(http("ecb", settings.ecb_base_url)),
        }, policy, on_close=None if client else shared.close)

    def _quotations(self, source: QuoteSource, routed: Sequence[tuple[RateNeed, Route]],
                     ) -> dict[Series, tuple[Quotation, ...]]:
        """Fetch the quotations the routed needs read: one call per merged date window."""
        series = tuple(sorted({s for _, route in routed for s in route.series},
                              key=lambda s: (s.base, s.quote)))
        quotes: dict[Series, list[Quotation]] = {s: [] for s in series}
        for start, end in _merge_windows(quote_window(need) for need, _ in routed):
            for s, found in source.quotations(series, start, end).items():
                quotes[s].extend(found)
        return {s: tuple(q) for s, q in quotes.items()}

    def fetch_rates(self, needs: Sequence[RateNeed], *, file_rates: Sequence[FxRate] = (),
                    optional: Collection[RateNeed] = frozenset()) -> FetchOutcome:
        """Produce one rate per need.

        Args:
            needs: what translation needs (typically only those not stored yet).
            file_rates: the rates file's rows (``files.parse_rates_file``), overrides included.
            optional: needs that may go unserved (the prior month, fetched for comparison):
                their failures are listed in ``skipped`` instead of raised.

        Returns:
            The rates, in the order of ``needs`` (optional ones that failed left out), the
            fallbacks taken and the optional needs skipped.

        Raises:
            RateSourceUnavailable: a source stayed down and the file has no figure to fall back on.
            InputDataError: a month without quotation and no file figure, or a pair no source
                quotes that the file lacks.
            ConfigError: a route names a source the service does not have.

        """
        overrides = {r.need: r for r in file_rates if r.is_override}
        plain = {r.need: r for r in file_rates if not r.is_override}
        result: dict[RateNeed, FxRate] = {}
        by_source: dict[str, list[tuple[RateNeed, Route]]] = {}
        fallbacks: list[str] = []
        skipped: list[str] = []
        for need in needs:
            if need in overrides:
                result[need] = overrides[need]
                continue
            route = choose_route(need.currency, need.presentation_currency, self.policy.sources)
            if route is not None:
                by_source.setdefault(route.source, []).append((need, route))
            elif need in plain:
                result[need] = plain[need]
            elif need in optional:
                skipped.append(f"{need.describe()}: no source quotes it and the rates file lacks it")
            else:
                raise InputDataError(
                    f"no source quotes {need.currency}->{need.presentation_currency} and the "
                    f"rates file has no {need.describe()} rate", field=need.rate_type)
        for name, routed in by_source.items():
            source = self.sources.get(name)
            if source is None:
                raise ConfigError(f"no rate source {name!r} configured", key="rates.sources",
                                  expected=" | ".join(sorted(self.sources)))
            retrieved_at = self.clock()
            try:
                quotes = self._quotations(source, routed)
            except RateSourceUnavailable as exc:
                result.update(self._fall_back(exc, name, [n for n, _ in routed], plain, optional,
                                              fallbacks, skipped))
                continue
            for need, route in routed:
                try:
                    result[need] = derive_rate(need, route, quotes, label=source.label,
                                               retrieved_at=retrieved_at)
                except InputDataError as exc:
                    result.update(self._fall_back(exc, name, [need], plain, optional, fallbacks,
                                                  skipped))
        return FetchOutcome(tuple(result[n] for n in needs if n in result), tuple(fallbacks),
                            tuple(skipped))

    def _fall_back(self, exc: CloseError, source: str, needs: Sequence[RateNeed],
                   plain: Mapping[RateNeed, FxRate], optional: Collection[RateNeed],
                   fallbacks: list[str], skipped: list[str]) -> dict[RateNeed, FxRate]:
        """Serve a failed source's needs from the rates file, or raise naming what is missing."""
        allowed = self.policy.fallback_to_file
        served = {}
        lacking = []
        for need in needs:
            if allowed and need in plain:
                rate = plain[need]
                served[need] = replace(rate, method=f"{rate.method}; used because {source} failed: {exc}")
                fallbacks.append(f"{need.describe()}: rates file instead of {source} ({exc})")
            elif need in optional:
                skipped.append(f"{need.describe()}: {exc}")
            else:
                lacking.append(need)
        if lacking:
            why = ("fallback to the rates file is off" if not allowed
                   else "the rates file has no " + ", ".join(n.describe() for n in lacking))
            if isinstance(exc, RateSourceUnavailable):
                raise RateSourceUnavailable(
                    f"{exc.detail}; {why}", source=source,
                    currencies=tuple(sorted({n.currency for n in lacking})),
                    status=exc.status, url=exc.url, attempts=exc.attempts) from exc
            # The original message already names endpoint, currency and dates.
            raise InputDataError(f"{exc}; {why}") from exc
        return served
