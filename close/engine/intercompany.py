"""Intercompany matching and elimination, after translation (IFRS 10.B86(c), IAS 21.45).

Only accounts the chart tags in its ``intercompany`` column are matched (``close.engine.chart.IC_TAGS``);
their lines whose counterparty is another consolidated entity are matched by entity pair and kind:

* ``receivable_payable`` — tags ``balance``, ``dividend_receivable`` and ``dividend_payable``;
* ``loan`` — tags ``loan`` and ``net_investment_loan`` (the latter, like a pair listed in
  ``[intercompany] net_investment_loans``, is part of the net investment: IAS 21.32);
* ``revenue_expense`` — tag ``revenue_expense``;
* ``dividend`` — ``dividends_declared`` against the holder's ``dividend_income``.

A counterparty on an untagged account (inventory, fixed assets bought from a group company) is
never a pair: it is what the unrealized-profit rule reads (IFRS 10.B86(c)) and a disclosure.

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

from close.config import IntercompanySettings
from close.engine.chart import Chart, SystemRole
from close.engine.frames import frame_from_rows
from close.engine.fx import _EXACT, PeriodRates, _round_decimal
from close.engine.journals import JournalEntry, JournalLine, balanced_entry
from close.engine.money import exponent
from close.engine.types import AccountCode, Currency, EntityId

KINDS = ("receivable_payable", "loan", "revenue_expense", "dividend")
IC_PAIR_COLUMNS: tuple[str, ...] = (
    "entity",
    "counterparty",
    "kind",
    "entity_amount",
    "counterparty_amount",
    "entity_local",
    "counterparty_local",
    "difference",
    "fx_part",
    "mismatch",
    "status",
)


@dataclass(frozen=True, slots=True)
class IntercompanyResult:
    """The pair report (``IC_PAIR_COLUMNS``), the elimination journals and the matched lines."""

    pairs: pd.DataFrame
    journals: tuple[JournalEntry, ...]
    lines: pd.DataFrame = field(repr=False)  # the IC lines with their kind, for tracing


def classify_intercompany(
    translated: pd.DataFrame, chart: Chart, consolidated: frozenset[EntityId]
) -> pd.DataFrame:
    """Return the intercompany lines among consolidated entities, with a ``kind`` column.

    Args:
        translated: translated lines (entity, std_account, counterparty, local_closing, translated…).
        chart: the standard chart.
        consolidated: the fully consolidated entities.

    Returns:
        The matching rows of ``translated`` plus ``kind``.

    """
    # Most lines have no counterparty: test those cheaply first (on codes, for a categorical).
    candidates = translated.iloc[np.flatnonzero(translated["counterparty"].ne("").to_numpy())]
    kind_of = _kind_by_account(chart)
    kinds = np.array(
        [
            kind_of.get(std, "") if e in consolidated and c in consolidated and e != c else ""
            for e, c, std in zip(
                candidates["entity"].tolist(),
                candidates["counterparty"].tolist(),
                candidates["std_account"].tolist(),
                strict=True,
            )
        ],
        dtype=object,
    )
    found = kinds != ""
    ic = candidates[found].copy()
    ic["kind"] = pd.Series(kinds[found], index=ic.index, dtype=object)
    return ic


# The chart's ``intercompany`` tag → the kind of pair its lines are matched in.
_KIND_OF_TAG = {
    "balance": "receivable_payable",
    "dividend_receivable": "receivable_payable",
    "dividend_payable": "receivable_payable",
    "loan": "loan",
    "net_investment_loan": "loan",
    "revenue_expense": "revenue_expense",
    "dividend_income": "dividend",
    "dividends_declared": "dividend",
}


def _kind_by_account(chart: Chart) -> dict[AccountCode, str]:
    """Return the intercompany kind of every account the chart tags as intercompany."""
    tags = chart.accounts["intercompany"]
    return {str(code): _KIND_OF_TAG[tag] for code, tag in zip(tags.index, tags, strict=True) if tag}


def _band(
    currency: Currency, presentation: Currency, rates: PeriodRates, kind_rates: Iterable[Decimal]
) -> tuple[Decimal, Decimal]:
    """Return the lowest and highest rate of a currency in the period (presentation per local minor)."""
    if currency == presentation:
        return Decimal(1), Decimal(1)
    shift = exponent(presentation) - exponent(currency)
    cands = [rates.closing[currency], rates.average[currency], *kind_rates, *rates.spot.get(currency, ())]
    if currency in rates.opening:
        cands.append(rates.opening[currency])
    cands = [c.scaleb(shift) if shift else c for c in cands]
    return min(cands), max(cands)


def _interval(local: int, lo: Decimal, hi: Decimal) -> tuple[Decimal, Decimal]:
    a, b = _EXACT.multiply(Decimal(local), lo), _EXACT.multiply(Decimal(local), hi)
    return (a, b) if a <= b else (b, a)


def _mismatch(
    kind: str,
    la: int,
    lb: int,
    ta: int,
    tb: int,
    ca: Currency,
    cb: Currency,
    presentation: Currency,
    rates: PeriodRates,
) -> int:
    """Return the part of the translated difference no rate of the period explains (presentation minor)."""
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
    translated: pd.DataFrame,
    *,
    chart: Chart,
    consolidated: frozenset[EntityId],
    currencies: Mapping[EntityId, Currency],
    rates: PeriodRates,
    presentation_currency: Currency,
    settings: IntercompanySettings,
) -> IntercompanyResult:
    """Match intercompany pairs after translation and build their elimination journals.

    Usable on its own (``close ic report``): it needs only the translated lines.

    Args:
        translated: the translated lines (``close.engine.fx.TRANSLATED_COLUMNS``).
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
    net_inv = {frozenset(p) for p in settings.net_investment_loans}
    tagged_net = set(chart.accounts.index[chart.accounts["intercompany"] == "net_investment_loan"])
    ent = ic["entity"].to_numpy(dtype=object)
    cpy = ic["counterparty"].to_numpy(dtype=object)
    a = np.where(ent < cpy, ent, cpy)
    b = np.where(ent < cpy, cpy, ent)
    kinds = ic["kind"].to_numpy(dtype=object)
    t = ic["translated"].to_numpy(dtype=np.int64)
    loc = ic["local_closing"].to_numpy(dtype=np.int64)
    # Plain Python over the (few) IC lines: pandas per pair would cost more than the matching.
    sides: dict[tuple[str, str, str], list[int]] = {}
    members: dict[tuple[str, str, str], list[JournalLine]] = {}
    for i, (e, acc, std, c, cc, dp) in enumerate(
        zip(ent, ic["account"], ic["std_account"], cpy, ic["cost_center"], ic["department"], strict=True)
    ):
        key = (a[i], b[i], kinds[i])
        tot = sides.setdefault(key, [0, 0, 0, 0])
        k = 0 if e == a[i] else 1
        tot[k] += int(t[i])
        tot[2 + k] += int(loc[i])
        members.setdefault(key, []).append(
            JournalLine(e, std, -int(t[i]), c, source=f"TB {e}/{acc}/{c}/{cc}/{dp}")
        )
        if std in tagged_net:
            net_inv.add(frozenset((a[i], b[i])))
    rows, journals = [], []
    for pa, pb, kind in sorted(sides):
        ta, tb, la, lb = sides[(pa, pb, kind)]
        diff = ta + tb
        mismatch = _mismatch(
            kind, la, lb, ta, tb, currencies[pa], currencies[pb], presentation_currency, rates
        )
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
        to_cta = kind in ("revenue_expense", "dividend") or (
            kind == "loan" and frozenset((pa, pb)) in net_inv
        )
        rule = f"rule intercompany {kind} {pa}-{pb}"
        lines = [
            *members[(pa, pb, kind)],
            JournalLine("", cta if to_cta else ic_fx, fx_part, memo="rate-explained difference", source=rule),
            JournalLine("", suspense, mismatch, memo="tolerated mismatch (flagged)", source=rule),
        ]
        entry = balanced_entry(
            f"IC:{kind}:{pa}:{pb}", "elimination", f"eliminate intercompany {kind} {pa}/{pb}", lines
        )
        if entry is not None:
            journals.append(entry)
    pairs = frame_from_rows(rows, IC_PAIR_COLUMNS, ints=IC_PAIR_COLUMNS[3:10])
    return IntercompanyResult(pairs=pairs, journals=tuple(journals), lines=ic)


def eliminate_unrealized_profit(
    translated: pd.DataFrame,
    *,
    chart: Chart,
    consolidated: frozenset[EntityId],
    margins: Mapping[EntityId, Decimal],
    nci: Mapping[EntityId, Decimal],
) -> tuple[JournalEntry, ...]:
    """Eliminate unrealized profit in inventory bought from another group entity (IFRS 10.B86(c)).

    The buyer's inventory lines whose counterparty is a seller with a known gross margin (a
    fraction of the selling price) carry ``margin × amount`` of the seller's profit: it is taken
    off the inventory against cost of sales (the chart's first ``cogs`` account). When the seller
    has a non-controlling interest (an upstream sale) the NCI bears its share: its profit
    attribution and its equity are reduced by ``nci × URP``. The closing URP is eliminated in
    full against this year's cost of sales, which assumes last year-end's intragroup inventory
    was sold during the year.

    Args:
        translated: the translated lines.
        chart: the standard chart (inventory by subclass, NCI accounts by system role).
        consolidated: the fully consolidated entities.
        margins: seller → gross margin on intra-group sales.
        nci: seller → non-controlling interest (0 for the parent and wholly owned entities).

    Returns:
        One journal per (buyer, seller).

    """
    if not margins:
        return ()
    acc = chart.accounts
    cogs_codes = acc.index[acc["subclass"] == "cogs"]
    if len(cogs_codes) == 0:
        return ()
    cogs = str(cogs_codes[0])
    nci_equity = chart.by_role(SystemRole.NCI_EQUITY)
    nci_profit = chart.by_role(SystemRole.NCI_PROFIT)
    sub = translated["std_account"].map(acc["subclass"])
    mask = (
        sub.eq("inventory")
        & translated["counterparty"].isin(set(margins) & consolidated)
        & translated["entity"].isin(consolidated)
    )
    journals = []
    for (buyer, seller), grp in translated[mask.to_numpy()].groupby(["entity", "counterparty"], sort=True):
        margin = margins[seller]
        lines = [
            JournalLine(
                r.entity,
                r.std_account,
                -_round_decimal(_EXACT.multiply(margin, Decimal(int(r.translated)))),
                r.counterparty,
                f"unrealized profit at margin {margin}",
                f"TB {r.entity}/{r.account}/{r.counterparty}",
            )
            for r in grp.itertuples(index=False)
        ]
        urp = -sum(ln.amount for ln in lines)
        lines.append(
            JournalLine(seller, cogs, urp, "", "unrealized profit on intragroup sales", f"rule URP {seller}")
        )
        share = _round_decimal(_EXACT.multiply(nci.get(seller, Decimal(0)), Decimal(urp)))
        lines.append(
            JournalLine(seller, nci_equity, share, "", "NCI share of unrealized profit", f"rule URP {seller}")
        )
        lines.append(
            JournalLine(
                seller, nci_profit, -share, "", "NCI share of unrealized profit", f"rule URP {seller}"
            )
        )
        entry = balanced_entry(
            f"URP:{buyer}:{seller}",
            "elimination",
            f"unrealized profit in {buyer}'s inventory from {seller}",
            lines,
        )
        if entry is not None:
            journals.append(entry)
    return tuple(journals)
