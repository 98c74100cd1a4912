"""The rates check before CONSOLIDATING: every rate each entity needs is there, or a clear error.

Translation needs, per foreign entity (functional currency other than the presentation
currency, consolidated or equity-accounted): the period's closing and average rates; in the
first period of a group (no prior run: translated history comes from the opening-balances file)
the prior month's closing rate, which dates the opening balance sheet; the acquisition-date rate
of an acquiree whose config does not state it; and the declaration-date rate of each dividend
declared in or open during the period (``close.engine.dividends``). A missing one fails the run at the
rates task, before CONSOLIDATING, with a message naming the currency, the kind of rate, the
date and where to fix it, so that no journal ever fails to balance for want of a rate.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from close.config import GroupConfig
from close.engine.dividends import dividend_rate_needs
from close.engine.periods import previous_period
from close.engine.types import EntityId, Period
from close.errors import InputDataError
from close.rates.model import RateNeed
from close.rates.routes import choose_route


@dataclass(frozen=True, slots=True)
class RequiredRate:
    """A rate some entity needs, and in what words to ask for it."""

    need: RateNeed
    kind: str  # closing | average | prior closing | acquisition-date | declaration-date
    entity: EntityId


def required_rates(config: GroupConfig, period: Period, *, first_period: bool) -> tuple[RequiredRate, ...]:
    """Return every rate the period's translation needs (see the module doc).

    Args:
        config: the group.
        period: the close period.
        first_period: no effective run for the prior month (the opening-balances file is used).

    Returns:
        The required rates, by entity order of the config.

    """
    pres = config.presentation_currency
    out: list[RequiredRate] = []
    for e in config.entities:
        if e.currency == pres or e.method == "none":
            continue
        out.append(RequiredRate(RateNeed(period, e.currency, pres, "closing"), "closing", e.id))
        out.append(RequiredRate(RateNeed(period, e.currency, pres, "average"), "average", e.id))
        if first_period:
            prior = previous_period(period)
            out.append(RequiredRate(RateNeed(prior, e.currency, pres, "closing"), "prior closing", e.id))
        if e.acquisition is not None and e.acquisition.rate is None:
            need = RateNeed(period, e.currency, pres, "historical", e.id, None, e.acquisition.date)
            out.append(RequiredRate(need, "acquisition-date", e.id))
    out += [RequiredRate(n, "declaration-date", n.entity_id or "")
            for n in dividend_rate_needs(config, period)]
    return tuple(out)


def check_rates(
    config: GroupConfig,
    period: Period,
    available: Collection[RateNeed],
    *,
    first_period: bool,
    only: Callable[[RateNeed], bool] | None = None,
) -> None:
    """Fail on the first required rate that is not available.

    Args:
        config: the group.
        period: the close period.
        available: the needs the stored rates (and the rates file) answer.
        first_period: no effective run for the prior month.
        only: check only the needs it accepts (e.g. those no source quotes, before a fetch).

    Raises:
        InputDataError: naming the currency, the kind of rate, its date and the file or source to fix.

    """
    for req in required_rates(config, period, first_period=first_period):
        if req.need not in available and (only is None or only(req.need)):
            raise InputDataError(missing_rate_message(config, req), entity=req.entity or None,
                                 field=f"{req.kind} rate {req.need.currency}")


def file_routed(config: GroupConfig) -> Callable[[RateNeed], bool]:
    """Tell which needs no quoting source serves: only the rates file can give them."""
    pinned = dict(config.rate_policy.sources)
    return lambda n: choose_route(n.currency, n.presentation_currency, pinned) is None


def missing_rate_message(config: GroupConfig, req: RequiredRate) -> str:
    """Say which rate is missing and where to add it."""
    n = req.need
    when = f"on {n.rate_date.isoformat()}" if n.rate_date is not None else (
        f"at the end of {n.period}" if n.rate_type == "closing" else f"for {n.period}")
    route = choose_route(n.currency, n.presentation_currency, dict(config.rate_policy.sources))
    file = config.files.rates
    row = (f"a row '{n.period},{n.currency},"
           + ("<closing>,," if n.rate_type == "closing" else ",<average>," if n.rate_type == "average"
              else f",,<rate>,{n.rate_date},{n.entity_id or ''},{n.account or ''}")
           + "' (period,currency,closing,average,historical,rate_date,entity,account)")
    where = (f"add {row} to the rates file {file}" if file
             else f"name a rates file in [files] rates with {row}")
    if route is not None:
        where = f"the {route.source} source did not give it; {where} as a fallback or override"
    return (f"no {req.kind} rate for {n.currency}->{n.presentation_currency} {when}, "
            f"which entity {req.entity} needs: {where}")
