"""Intragroup dividends as data, translated at the rate of the date they were declared (IAS 21.40).

A group lists its intragroup dividends in ``[[dividends]]`` (payer, payee, amount in the payer's
currency, ``declared_on``, ``paid_on``). For the period a dividend is declared in:

* the payer's dividends-declared line (system role ``dividends``) and the payee's dividend
  income (the chart's ``dividend_income`` account, counterparty the payer) take that part of the
  month's movement at the spot rate of ``declared_on`` instead of the average (IAS 21.21-22 and
  21.40: the average only approximates the rates of the transaction dates);
* the CTA from its parts then holds the dividend × (closing − declaration rate): the payer's
  net assets fell by the dividend at that rate, and are translated at the closing rate.

While a dividend is open (declared, not yet paid at the period end) its receivable and payable
are intragroup monetary items: the exchange difference between the declaration rate and the
closing rate stays in consolidated profit (IAS 21.45), on the IC FX account, through the
receivable/payable pair (its declaration rate widens the band of rates that explains the pair).

Declaration-date rates are historical rates of the rates package with ``account = "dividends"``
and ``entity`` the payer (or, for the payee's own currency, the payee), dated ``declared_on``:
fetched from the rate source's daily quotation, or a ``historical`` row of the rates file.

Example (the payer S in EUR, the parent P in USD): S declares EUR 48,000.00 when 1 EUR = USD
0.625; P books USD 30,000.00 of dividend income. Both translate to USD 30,000.00 and the dividend
pair eliminates with no difference. At a closing rate of 0.6666666667 the open payable is USD
32,000.00: S's CTA holds 48,000 × (0.6666666667 − 0.625) = USD 2,000.00 (debit), and the pair
P receivable 30,000.00 / S payable −32,000.00 leaves USD 2,000.00 of exchange gain in profit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from close.config import Dividend, GroupConfig
from close.engine.chart import Chart, SystemRole
from close.engine.fx import translate_amount
from close.engine.money import ONE, to_minor
from close.engine.periods import period_end
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.rates.model import FxRate, RateNeed

DIVIDEND_RATE_ACCOUNT = "dividends"  # the ``account`` of a declaration-date rate


@dataclass(frozen=True, slots=True)
class DeclaredDividend:
    """A dividend with its declaration-date rates (presentation units per functional unit)."""

    payer: EntityId
    payee: EntityId
    amount: int  # minor units of the payer's currency
    declared_on: date
    paid_on: date | None
    payer_rate: Decimal
    payee_rate: Decimal


def _bounds(period: Period) -> tuple[date, date]:
    end = period_end(period)
    return end.replace(day=1), end


def is_relevant(dividend: Dividend, period: Period) -> bool:
    """Tell whether a dividend is declared in the period or open during it."""
    start, end = _bounds(period)
    return dividend.declared_on <= end and (dividend.paid_on is None or dividend.paid_on >= start)


def declared_in(dividend: Dividend | DeclaredDividend, period: Period) -> bool:
    """Tell whether a dividend was declared in the period."""
    start, end = _bounds(period)
    return start <= dividend.declared_on <= end


def dividend_rate_needs(config: GroupConfig, period: Period) -> tuple[RateNeed, ...]:
    """Return the declaration-date rates the period needs: its dividends' and the open ones'."""
    currencies = {e.id: e.currency for e in config.entities}
    pres = config.presentation_currency
    needs: dict[RateNeed, None] = {}
    for d in config.dividends:
        if not is_relevant(d, period):
            continue
        for who in (d.payer, d.payee):
            if currencies[who] != pres:
                needs[RateNeed(period, currencies[who], pres, "historical", who, DIVIDEND_RATE_ACCOUNT,
                               d.declared_on)] = None
    return tuple(needs)


def resolve_dividends(
    config: GroupConfig, period: Period, rates: Iterable[FxRate]
) -> tuple[DeclaredDividend, ...]:
    """Attach the stored declaration-date rates to the period's relevant dividends.

    Args:
        config: the group (its ``[[dividends]]``).
        period: the close period.
        rates: the period's stored rates (the rates check has made sure the needed ones are there).

    Returns:
        The relevant dividends, in amount minor units, with their rates.

    """
    by_need = {r.need: r.rate for r in rates}
    currencies = {e.id: e.currency for e in config.entities}
    pres = config.presentation_currency

    def rate_of(who: EntityId, day: date) -> Decimal:
        if currencies[who] == pres:
            return ONE
        return by_need[RateNeed(period, currencies[who], pres, "historical", who, DIVIDEND_RATE_ACCOUNT, day)]

    out = []
    for d in config.dividends:
        if not is_relevant(d, period):
            continue
        out.append(DeclaredDividend(d.payer, d.payee, to_minor(d.amount, currencies[d.payer]),
                                    d.declared_on, d.paid_on,
                                    rate_of(d.payer, d.declared_on), rate_of(d.payee, d.declared_on)))
    return tuple(out)


def declaration_portions(
    dividends: Sequence[DeclaredDividend],
    *,
    period: Period,
    chart: Chart,
    currencies: Mapping[EntityId, Currency],
) -> dict[tuple[EntityId, AccountCode, str], list[tuple[int, Decimal]]]:
    """Return the parts of this month's movements translated at declaration-date rates.

    The payer's dividends-declared account carries the dividend (a debit), the payee's dividend
    income account its counterpart in the payee's currency (a credit; converted at the two
    currencies' declaration-date rates when they differ).

    Returns:
        (entity, standard account, counterparty) → [(local minor units, rate)], for ``translate_balances``.

    """
    declared = chart.by_role(SystemRole.DIVIDENDS)
    tags = chart.accounts["intercompany"]
    income = [str(c) for c in tags.index[tags == "dividend_income"]]
    out: dict[tuple[EntityId, AccountCode, str], list[tuple[int, Decimal]]] = {}
    for d in dividends:
        if not declared_in(d, period):
            continue
        out.setdefault((d.payer, declared, d.payee), []).append((d.amount, d.payer_rate))
        if income:
            local = d.amount if currencies[d.payee] == currencies[d.payer] else translate_amount(
                d.amount, d.payer_rate / d.payee_rate, currencies[d.payer], currencies[d.payee])
            out.setdefault((d.payee, income[0], d.payer), []).append((-local, d.payee_rate))
    return out


def spot_rates(
    dividends: Sequence[DeclaredDividend], currencies: Mapping[EntityId, Currency]
) -> dict[Currency, tuple[Decimal, ...]]:
    """Return the declaration-date rates by currency (for ``PeriodRates.spot``)."""
    out: dict[Currency, set[Decimal]] = {}
    for d in dividends:
        out.setdefault(currencies[d.payer], set()).add(d.payer_rate)
        out.setdefault(currencies[d.payee], set()).add(d.payee_rate)
    return {c: tuple(sorted(r)) for c, r in out.items()}
