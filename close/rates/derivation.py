"""Closing, average and historical rates derived from daily closing quotations (pure).

IAS 21.39-40 and the group's policy:

* **closing** — the closing quotation of the month's last business day. When the month ends on a
  weekend or holiday the last day with a quotation is used, and the method says which days had
  none and why (a Saturday/Sunday, or a weekday without a quotation: a holiday).
* **average** — the mean of the month's daily closing quotations *in the direction the source
  quotes them*, inverted once at the end. For a cross (two series through the source's base) the
  average is the mean of each day's cross (design.md), over the days every leg is quoted.
* **historical** — the closing quotation of the contribution/acquisition date, or of the last
  business day before it within ``lookback_days``.

Worked example (PTAX, BRL entity, USD presentation): venda 5.00 on the 1st and 5.10 on the 2nd;
average = 1 / ((5.00 + 5.10) / 2) = 1 / 5.05 = 0.1980198020 USD per BRL, quoted 5.05 BRL per USD.

A month (or look-back window) with no quotation at all raises ``InputDataError`` naming the
currency pair and the dates searched.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, localcontext

from close.engine.periods import period_end
from close.engine.types import Period
from close.errors import InputDataError
from close.rates.model import FxRate, Quotation, RateNeed, Series, quantize_rate
from close.rates.routes import Route

# Enough digits that the 10th place of a mean of crosses is exact before the one final rounding.
_PRECISION = 50
DEFAULT_LOOKBACK_DAYS = 10


def month_bounds(period: Period) -> tuple[date, date]:
    """Return the first and last calendar day of a ``YYYY-MM`` period."""
    end = period_end(period)
    return end.replace(day=1), end


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def describe_missing_days(days: Iterable[date]) -> str:
    """Say why each day had no quotation: ``"30th was Saturday, 31st was Sunday"``.

    A weekday without a quotation is reported as a holiday: the sources publish every business
    day, so that is the only reason left.
    """
    parts = []
    for d in days:
        weekday = calendar.day_name[d.weekday()]
        if d.weekday() >= 5:
            parts.append(f"{_ordinal(d.day)} was {weekday}")
        else:
            parts.append(f"{_ordinal(d.day)} ({weekday}) had no quotation, a holiday")
    return ", ".join(parts)


def _by_day(route: Route, quotes: Mapping[Series, Sequence[Quotation]],
            start: date, end: date) -> dict[date, tuple[Quotation, ...]]:
    """Return, for each day in [start, end] on which every leg is quoted, the legs' quotations."""
    per_series = [{q.day: q for q in quotes.get(s, ()) if start <= q.day <= end} for s in route.series]
    common = set(per_series[0]).intersection(*per_series[1:])
    return {d: tuple(legs[d] for legs in per_series) for d in sorted(common)}


def _cross(route: Route, legs: tuple[Quotation, ...]) -> Decimal:
    """P per F on one day: product of the numerator legs over product of the denominator legs."""
    n = len(route.numerator)
    value = Decimal(1)
    for q in legs[:n]:
        value *= q.value
    for q in legs[n:]:
        value /= q.value
    return value


def _no_quotation(need: RateNeed, route: Route, start: date, end: date) -> InputDataError:
    series = ", ".join(s.direction for s in route.series)
    return InputDataError(
        f"no quotation for {need.currency}->{need.presentation_currency} ({series}) between "
        f"{start.isoformat()} and {end.isoformat()}: cannot make the {need.rate_type} rate "
        f"of {need.period}",
        endpoint=route.source, field=need.currency,
    )


def _rate(need: RateNeed, route: Route, *, rate: Decimal, quoted: Decimal, method: str,
          as_of: date | None, legs: Iterable[tuple[Quotation, ...]], retrieved_at: datetime) -> FxRate:
    return FxRate(
        period=need.period, currency=need.currency, presentation_currency=need.presentation_currency,
        rate_type=need.rate_type, rate=quantize_rate(rate), quoted=quantize_rate(quoted),
        quote_direction=route.quote_direction, source=route.source, method=method, as_of=as_of,
        path=route.path, is_override=False,
        raw=tuple(q.as_record() for day_legs in legs for q in day_legs),
        retrieved_at=retrieved_at, entity_id=need.entity_id, account=need.account,
        rate_date=need.rate_date,
    )


def _spot(need: RateNeed, route: Route, day: date, legs: tuple[Quotation, ...], *, label: str,
          why: str, retrieved_at: datetime) -> FxRate:
    """Make a rate from one day's quotation(s): closing and historical rates."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        cross = _cross(route, legs)
        if route.is_cross:
            quoted = cross
            how = f"cross of {label} " + " / ".join(s.direction for s in route.series)
        else:
            quoted = legs[0].value
            how = f"{label} {quoted} {route.quote_direction}"
            if route.is_inverted:
                how += ", inverted"
    return _rate(need, route, rate=cross, quoted=quoted, method=f"{how}, {why}", as_of=day,
                 legs=(legs,), retrieved_at=retrieved_at)


def closing_rate(need: RateNeed, route: Route, quotes: Mapping[Series, Sequence[Quotation]], *,
                 label: str, retrieved_at: datetime) -> FxRate:
    """Derive the closing rate: the last business day's closing quotation of the month.

    Args:
        need: a closing need.
        route: how the pair is quoted.
        quotes: daily closing quotations per series (covering at least the month).
        label: what a quotation is, e.g. ``"PTAX venda"`` or ``"ECB reference rate"``.
        retrieved_at: when the quotations were fetched.

    Returns:
        The rate; its method names the day used and why later days were skipped.

    Raises:
        InputDataError: when the month has no quotation at all.

    """
    first, last = month_bounds(need.period)
    days = _by_day(route, quotes, first, last)
    if not days:
        raise _no_quotation(need, route, first, last)
    day = max(days)
    if day == last:
        why = f"of {day.isoformat()}, the last day of the month"
    else:
        skipped = [day + timedelta(days=i) for i in range(1, (last - day).days + 1)]
        why = f"last business day {day.isoformat()} ({describe_missing_days(skipped)})"
    return _spot(need, route, day, days[day], label=label, why=why, retrieved_at=retrieved_at)


def average_rate(need: RateNeed, route: Route, quotes: Mapping[Series, Sequence[Quotation]], *,
                 label: str, retrieved_at: datetime) -> FxRate:
    """Derive the average rate: the mean of the month's daily closing quotations.

    One series: the mean in the quoted direction, inverted once. A cross: the mean of each day's
    cross. Weekdays without a quotation are named in the method.

    Args:
        need: an average need.
        route: how the pair is quoted.
        quotes: daily closing quotations per series (covering at least the month).
        label: what a quotation is, e.g. ``"PTAX venda"``.
        retrieved_at: when the quotations were fetched.

    Returns:
        The rate, with every quotation averaged in ``raw`` and ``as_of`` ``None``.

    Raises:
        InputDataError: when the month has no quotation at all.

    """
    first, last = month_bounds(need.period)
    days = _by_day(route, quotes, first, last)
    if not days:
        raise _no_quotation(need, route, first, last)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if route.is_cross:
            quoted = sum((_cross(route, legs) for legs in days.values()), Decimal(0)) / len(days)
            rate = quoted
            how = (f"mean of {len(days)} daily crosses of {label} "
                   + " / ".join(s.direction for s in route.series))
        else:
            quoted = sum((legs[0].value for legs in days.values()), Decimal(0)) / len(days)
            rate = Decimal(1) / quoted if route.is_inverted else quoted
            how = f"mean of {len(days)} daily {label} quotations in {route.quote_direction}"
            if route.is_inverted:
                how += ", inverted once"
    span = f"{min(days).isoformat()}..{max(days).isoformat()}"
    holidays = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    holidays = [d for d in holidays if d.weekday() < 5 and d not in days]
    note = f"; no quotation on weekday(s) {', '.join(d.isoformat() for d in holidays)}" if holidays else ""
    return _rate(need, route, rate=rate, quoted=quoted, method=f"{how}, {span}{note}", as_of=None,
                 legs=days.values(), retrieved_at=retrieved_at)


def historical_rate(need: RateNeed, route: Route, quotes: Mapping[Series, Sequence[Quotation]], *,
                    label: str, retrieved_at: datetime) -> FxRate:
    """Derive a historical rate: the closing quotation of the need's date or the last before it.

    The quotation may come from up to ``DEFAULT_LOOKBACK_DAYS`` days before the date (a long
    holiday weekend), never after it.

    Args:
        need: a historical need (``rate_date`` set).
        route: how the pair is quoted.
        quotes: daily closing quotations per series covering the look-back window.
        label: what a quotation is.
        retrieved_at: when the quotations were fetched.

    Returns:
        The rate with ``as_of`` the quotation date and ``rate_date`` the requested date.

    Raises:
        InputDataError: when the window has no quotation.

    """
    if need.rate_date is None:
        raise InputDataError(f"{need.describe()}: a historical rate needs a date",
                             entity=need.entity_id, account=need.account, field="rate_date")
    start, _ = quote_window(need)
    days = _by_day(route, quotes, start, need.rate_date)
    if not days:
        raise _no_quotation(need, route, start, need.rate_date)
    day = max(days)
    what = f"rate date {need.rate_date.isoformat()} for {need.entity_id or '-'}/{need.account or '-'}"
    if day == need.rate_date:
        why = f"of {day.isoformat()}, the historical {what}"
    else:
        skipped = [day + timedelta(days=i) for i in range(1, (need.rate_date - day).days + 1)]
        why = (f"of {day.isoformat()}, the last business day before the historical {what} "
               f"({describe_missing_days(skipped)})")
    return _spot(need, route, day, days[day], label=label, why=why, retrieved_at=retrieved_at)


def derive_rate(need: RateNeed, route: Route, quotes: Mapping[Series, Sequence[Quotation]], *,
                label: str, retrieved_at: datetime) -> FxRate:
    """Dispatch a need to the closing, average or historical derivation.

    Raises:
        InputDataError: when the quotations do not cover the need.

    """
    derive = {"closing": closing_rate, "average": average_rate, "historical": historical_rate}
    return derive[need.rate_type](need, route, quotes, label=label, retrieved_at=retrieved_at)


def quote_window(need: RateNeed) -> tuple[date, date]:
    """Return the dates whose quotations a need reads (its month, or its look-back window)."""
    if need.rate_type == "historical" and need.rate_date is not None:
        return need.rate_date - timedelta(days=DEFAULT_LOOKBACK_DAYS), need.rate_date
    return month_bounds(need.period)
