"""Intercompany matching and elimination, after translation (IFRS 10.B86(c), IAS 21.45).

Lines whose counterparty is another consolidated entity are matched by entity pair and kind:

* ``receivable_payable`` — balance-sheet lines (subclasses ic_receivable / ic_payable, and any
  other asset or liability with a group counterparty, dividends payable included);
* ``loan`` — ic_loan_receivable / ic_loan_payable;
* ``revenue_expense`` — income-statement lines (ic_revenue / ic_expense and other P&L lines with
  a group counterparty);
* ``dividend`` — dividends declared (system role ``dividends``) against the holder's dividend
  income (revenue lines of subclass ``dividend_income`` or ``other_income`` with a counterparty).

Each side is eliminated at its translated amount. Their difference is split in two. The part the
period's rates explain: the sides' local amounts could agree at some rates within each
currency's band of the period (prior closing, average, closing and the side's own effective
rate; one shared rate when both sides have the same currency). The rest is the mismatch. The
rate-explained part goes, for balances, to the IC FX account (IAS 21.45: exchange differences on
intragroup monetary items stay in consolidated profit), for a loan flagged as part of the net
investment to CTA (IAS 21.32), and for revenue/expense and dividends (transaction rate vs
average rate) to CTA. A mismatch within both ``abs_tolerance`` and ``pct_tolerance`` of the larger
side is plugged to the IC suspense account (status ``plugged``); beyond that the pair is left
uneliminated (status ``uneliminated``) and reported.

Example: HOLD (USD) sold to BR1 (BRL) for USD 100.00 booked by BR1 at the spot 5.00 as BRL 500.00
of expense; the month's average is 5.10 BRL/USD, so BR1's expense translates to USD 98.04. The
difference of USD 1.96 is explained by a rate within the month's band (prior closing 5.00 to
closing 5.20): both sides are eliminated and USD 1.96 goes to CTA; the mismatch is zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from close.chart import Chart, SystemRole
from close.config import IntercompanySettings
from close.fx import _EXACT, PeriodRates, _round_decimal
from close.journals import JournalEntry, JournalLine, balanced_entry
from close.money import exponent
from close.types import Currency, EntityId

KINDS = ("receivable_payable", "loan", "revenue_expense", "dividend")
IC_PAIR_COLUMNS: tuple[str, ...] = (
    "entity", "counterparty", "kind", "entity_amount", "counterparty_amount", "entity_local",
    "counterparty_local", "difference", "fx_part", "mismatch", "status",
)
_DIVIDEND_INCOME_SUBCLASSES = frozenset({"dividend_income", "other_income"})


@dataclass(frozen=True, slots=True)
class IntercompanyResult:
    """The pair report (``IC_PAIR_COLUMNS``), the elimination journals and the matched lines."""

    pairs: pd.DataFrame
    journals: tuple[JournalEntry, ...]
    lines: pd.DataFrame = field(repr=False)  # the IC lines with their kind, for tracing


def classify_intercompany(translated: pd.DataFrame, chart: Chart,
                          consolidated: frozenset[EntityId]) -> pd.DataFrame:
    """Return the intercompany lines among consolidated entities, with a ``kind`` column.

    Args:
        translated: translated lines (entity, std_account, counterparty, local_closing, translated…).
        chart: the standard chart.
        consolidated: the fully consolidated entities.

    Returns:
        The matching rows of ``translated`` plus ``kind``.
    """
    mask = (translated["counterparty"].isin(consolidated) & translated["entity"].isin(consolidated)
            & (translated["entity"] != translated["counterparty"]))
    ic = translated[mask].copy()
    acc = chart.accounts
    cls = ic["std_account"].map(acc["class"])
    sub = ic["std_account"].map(acc["subclass"])
    role = ic["std_account"].map(acc["system_role"])
    kind = np.select(
        [sub.isin(["ic_loan_receivable", "ic_loan_payable"]),
         role.eq(SystemRole.DIVIDENDS.value) | (cls.eq("revenue") & sub.isin(_DIVIDEND_INCOME_SUBCLASSES)),
         cls.isin(["asset", "liability"]) & ~sub.eq("investment"),
         cls.isin(["revenue", "expense"])],
        ["loan", "dividend", "receivable_payable", "revenue_expense"], default="")
    ic["kind"] = kind
    return ic[ic["kind"] != ""]


def _band(currency: Currency, presentation: Currency, rates: PeriodRates, kind_rates: Iterable[Decimal]
          ) -> tuple[Decimal, Decimal]:
    """The lowest and highest rate of a currency in the period (presentation minor per local minor)."""
    if currency == presentation:
        return Decimal(1), Decimal(1)
    shift = exponent(presentation) - exponent(currency)
    cands = [rates.closing[currency], rates.average[currency], *kind_rates]
    if currency in rates.opening:
        cands.append(rates.opening[currency])
    cands = [c.scaleb(shift) if shift else c for c in cands]
    return min(cands), max(cands)


def _interval(local: int, lo: Decimal, hi: Decimal) -> tuple[Decimal, Decimal]:
    a, b = _EXACT.multiply(Decimal(local), lo), _EXACT.multiply(Decimal(local), hi)
    return (a, b) if a <= b else (b, a)


def _mismatch(kind: str, la: int, lb: int, ta: int, tb: int, ca: Currency, cb: Currency,
              presentation: Currency, rates: PeriodRates) -> int:
    """The part of the translated difference no rate of the period explains (presentation minor)."""
    if ca == cb:
        if ca == presentation:
            return ta + tb
        shift = exponent(presentation) - exponent(ca)
        rate = rates.closing[ca] if kind in ("receivable_payable", "loan") else rates.average[ca]
        return _round_decimal(_EXACT.multiply(Decimal(la + lb), rate.scaleb(shift)))
    eff_a = [Decimal(ta) / Decimal(la)] if la else []
    eff_b = [Decimal(tb) / Decimal(lb)] if lb else []
    sa = exponent(presentation) - exponent(ca)
    sb = exponent(presentation) - exponent(cb)
    lo_a, hi_a = _band(ca, presentation, rates, [r.scaleb(-sa) for r in eff_a])
    lo_b, hi_b = _band(cb, presentation, rates, [r.scaleb(-sb) for r in eff_b])
    a0, a1 = _interval(la, lo_a, hi_a)
    b0, b1 = _interval(lb, lo_b, hi_b)
    lo, hi = a0 + b0, a1 + b1
    if lo <= 0 <= hi:
        return 0
    return _round_decimal(lo if lo > 0 else hi)


def match_intercompany(
    translated: pd.DataFrame, *, chart: Chart, consolidated: frozenset[EntityId],
    currencies: Mapping[EntityId, Currency], rates: PeriodRates, presentation_currency: Currency,
    settings: IntercompanySettings,
) -> IntercompanyResult:
    """Match intercompany pairs after translation and build their elimination journals.

    Usable on its own (``close ic report``): it needs only the translated lines.

    Args:
        translated: the translated lines (``close.fx.TRANSLATED_COLUMNS``).
        chart: the standard chart (IC FX, CTA and IC suspense accounts by system role).
        consolidated: the fully consolidated entities; other counterparties are not matched.
        currencies: each entity's functional currency.
        rates: the period's rates (the band that explains a difference).
        presentation_currency: the group's presentation currency.
        settings: tolerances and net-investment loans.

    Returns:
        The pair report, one journal per eliminated or plugged pair, and the classified lines.
    """
    ic = classify_intercompany(translated, chart, consolidated)
    ic_fx = chart.by_role(SystemRole.IC_FX)
    cta = chart.by_role(SystemRole.CTA)
    suspense = chart.by_role(SystemRole.IC_SUSPENSE)
    abs_tol = int(settings.abs_tolerance.scaleb(exponent(presentation_currency)))
    net_inv = {frozenset(p) for p in getattr(settings, "net_investment_loans", ())}
    a = np.where(ic["entity"] < ic["counterparty"], ic["entity"], ic["counterparty"])
    b = np.where(ic["entity"] < ic["counterparty"], ic["counterparty"], ic["entity"])
    ic = ic.assign(pair_a=a, pair_b=b, side_a=ic["entity"].to_numpy() == a)
    rows, journals = [], []
    for (pa, pb, kind), grp in ic.groupby(["pair_a", "pair_b", "kind"], sort=True):
        sa, sb = grp[grp["side_a"]], grp[~grp["side_a"]]
        ta, tb = int(sa["translated"].sum()), int(sb["translated"].sum())
        la, lb = int(sa["local_closing"].sum()), int(sb["local_closing"].sum())
        diff = ta + tb
        mismatch = _mismatch(kind, la, lb, ta, tb, currencies[pa], currencies[pb], presentation_currency, rates)
        fx_part = diff - mismatch
        larger = max(abs(ta), abs(tb))
        if mismatch == 0:
            status = "eliminated"
        elif abs(mismatch) <= abs_tol and Decimal(abs(mismatch)) <= settings.pct_tolerance * larger:
            status = "plugged"
        else:
            status = "uneliminated"
        rows.append((pa, pb, kind, ta, tb, la, lb, diff, fx_part, mismatch, status))
        if status == "uneliminated":
            continue
        to_cta = kind in ("revenue_expense", "dividend") or (kind == "loan" and frozenset((pa, pb)) in net_inv)
        lines = [JournalLine(r.entity, r.std_account, -int(r.translated), r.counterparty,
                             source=f"TB {r.entity}/{r.account}/{r.counterparty}/{r.cost_center}/{r.department}")
                 for r in grp.itertuples(index=False)]
        lines.append(JournalLine("", cta if to_cta else ic_fx, fx_part, memo="rate-explained difference",
                                 source=f"rule intercompany {kind} {pa}-{pb}"))
        lines.append(JournalLine("", suspense, mismatch, memo="tolerated mismatch (flagged)",
                                 source=f"rule intercompany {kind} {pa}-{pb}"))
        entry = balanced_entry(f"IC:{kind}:{pa}:{pb}", "elimination",
                               f"eliminate intercompany {kind} {pa}/{pb}", lines)
        if entry is not None:
            journals.append(entry)
    pairs = pd.DataFrame(rows, columns=list(IC_PAIR_COLUMNS))
    for c in ("entity_amount", "counterparty_amount", "entity_local", "counterparty_local", "difference",
              "fx_part", "mismatch"):
        pairs[c] = pairs[c].astype(np.int64)
    return IntercompanyResult(pairs=pairs, journals=tuple(journals), lines=ic)
