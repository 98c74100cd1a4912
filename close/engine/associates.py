"""The equity method for associates (IAS 28.10, 28.32; IAS 21.47 through IAS 28).

The investor's investment (role ``investment_in_associates``, counterparty the associate, at
cost in the investor's books) is carried at:

    cost + share × (the associate's translated net assets now − at acquisition)
         + the translation of the notional goodwill since acquisition

* the share of the associate's profit goes to its own P&L line (``share_of_associate_profit``);
* the share of its OCI — its translation difference and any other OCI account (subclass ``oci``)
  — goes to an OCI reserve of its own (``share_of_associate_oci``), not to retained earnings;
* the notional goodwill (cost over the share of the associate's net assets at acquisition,
  fair-value adjustments included: they are not amortized here) is part of the foreign
  operation: fixed in the associate's currency, translated at the closing rate, the difference
  in the OCI reserve (IAS 21.47);
* dividends received reduce the investment (IAS 28.10): the investor's dividend income from the
  associate is reversed, its share of the associate's net assets already fell by them.

The carrying amount's month roll-forward (``ASSOCIATE_COLUMNS``): opening (the prior run's
closing), share of profit, share of OCI, dividends, translation of the notional goodwill,
closing, and the difference that must be zero (a rounding unit at most per part; anything else
is an equity movement of the associate the parts do not name, such as a share issue).

Example: the investor pays USD 130 for 30% of an associate (BRL) whose net assets are BRL 2,000
at 0.20 (USD 400): notional goodwill USD 130 − 120 = 10 = BRL 50. At a closing rate of 0.18 the
goodwill is USD 9: the investment falls by 1, the OCI reserve by 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart, SystemRole
from close.engine.frames import frame_from_rows
from close.engine.fx import _EXACT, _exponent_shift_rate, _round_decimal, translate_amount
from close.engine.journals import JournalEntry, JournalLine, balanced_entry
from close.engine.ownership_changes import share as share_of
from close.engine.types import Currency, EntityId
from close.errors import InputDataError

ASSOCIATE_COLUMNS: tuple[str, ...] = (
    "entity",
    "investor",
    "share",
    "opening",
    "share_of_profit",
    "share_of_oci",
    "dividends",
    "translation",
    "closing",
    "difference",
)


@dataclass(frozen=True, slots=True)
class AssociateFigures:
    """One associate's figures this period (presentation minor units, TB sign)."""

    sid: EntityId
    investor: EntityId
    share: Decimal  # the investor's effective interest
    cost: int  # the investor's investment lines
    net_assets: int  # the associate's translated net assets now
    net_assets_at_acquisition: int
    profit: int  # YTD
    profit_month: int
    oci: int  # cumulative, its CTA included
    oci_month: int
    dividends: int  # the investor's dividend income from it, YTD (negative)
    dividends_month: int
    goodwill_local: int  # notional goodwill in the associate's currency
    goodwill_at_acquisition: int
    goodwill_closing: int
    goodwill_opening: int  # at the prior month's closing rate


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates one associate's goodwill needs (presentation per associate unit)."""

    currency: Currency
    presentation: Currency
    acquisition: Decimal
    closing: Decimal
    opening: Decimal


def associate_figures(
    sid: EntityId,
    investor: EntityId,
    share: Decimal,
    *,
    translated: pd.DataFrame,
    chart: Chart,
    investment: int,
    net_assets: int,
    net_assets_at_acquisition: int,
    rates: Rates,
) -> AssociateFigures:
    """Gather an associate's figures from the translated lines (its own and the investor's)."""
    acc = chart.accounts
    own = translated[(translated["entity"] == sid).to_numpy()]
    subclass = own["std_account"].map(acc["subclass"]).to_numpy(dtype=object)
    klass = own["std_account"].map(acc["class"]).to_numpy(dtype=object)
    is_pl = np.isin(klass, list(INCOME_STATEMENT_CLASSES))
    is_oci = subclass == "oci"
    t = own["translated"].to_numpy(dtype=np.int64)
    m = own["translated_movement"].to_numpy(dtype=np.int64)
    income = set(acc.index[(acc["class"] == "revenue") & (acc["subclass"] == "dividend_income")])
    inv_rows = translated[(translated["entity"] == investor).to_numpy()]
    from_it = (inv_rows["counterparty"] == sid).to_numpy() & inv_rows["std_account"].isin(income).to_numpy()
    div = inv_rows[from_it]
    goodwill_acq = max(investment - share_of(share, net_assets_at_acquisition), 0)
    shift = _exponent_shift_rate(rates.acquisition, rates.currency, rates.presentation)
    goodwill_local = _round_decimal(_EXACT.divide(Decimal(goodwill_acq), shift))
    return AssociateFigures(
        sid=sid,
        investor=investor,
        share=share,
        cost=investment,
        net_assets=net_assets,
        net_assets_at_acquisition=net_assets_at_acquisition,
        profit=int(t[is_pl].sum()),
        profit_month=int(m[is_pl].sum()),
        oci=int(t[is_oci].sum()),
        oci_month=int(m[is_oci].sum()),
        dividends=int(div["translated"].sum()),
        dividends_month=int(div["translated_movement"].sum()),
        goodwill_local=goodwill_local,
        goodwill_at_acquisition=goodwill_acq,
        goodwill_closing=translate_amount(goodwill_local, rates.closing, rates.currency, rates.presentation),
        goodwill_opening=translate_amount(goodwill_local, rates.opening, rates.currency, rates.presentation),
    )


def equity_method_journal(
    f: AssociateFigures, inv_account: str, dividend_lines: list[JournalLine], chart: Chart
) -> JournalEntry | None:
    """Return the equity-method journal of one associate on its investor's books."""
    p, sid, rule = f.investor, f.sid, f"rule IAS 28.10 {f.sid}"
    oci_code = chart.by_role(SystemRole.SHARE_OF_ASSOCIATE_OCI)
    translation = f.goodwill_closing - f.goodwill_at_acquisition
    lines = [
        JournalLine(p, inv_account, share_of(f.share, f.net_assets - f.net_assets_at_acquisition), sid,
                    f"equity pickup of {sid}", rule),
        JournalLine(p, inv_account, translation, sid, f"notional goodwill in {sid} at the closing rate",
                    f"rule IAS 21.47 {sid}"),
        JournalLine(p, chart.by_role(SystemRole.SHARE_OF_ASSOCIATE_PROFIT), share_of(f.share, f.profit), "",
                    f"share of {sid}'s profit", rule),
        JournalLine(p, oci_code, share_of(f.share, f.oci), "", f"share of {sid}'s OCI", rule),
        JournalLine(p, oci_code, -translation, "", f"translation of the notional goodwill in {sid}",
                    f"rule IAS 21.47 {sid}"),
        *dividend_lines,
    ]  # fmt: skip
    lines.append(
        JournalLine(p, chart.by_role(SystemRole.RETAINED_EARNINGS), -sum(ln.amount for ln in lines), "",
                    f"share of {sid}'s post-acquisition reserves", rule)
    )  # fmt: skip
    return balanced_entry(f"EQM:{p}:{sid}", "equity_method", f"equity method for associate {sid}", lines)


def roll_forward(f: AssociateFigures, prior: pd.DataFrame | None) -> tuple:
    """Return the carrying amount's month roll-forward (a row of ``ASSOCIATE_COLUMNS``).

    Each part is the change of its cumulative, rounded figure, so that the parts add up.
    """
    closing = f.cost + share_of(f.share, f.net_assets - f.net_assets_at_acquisition)
    closing += f.goodwill_closing - f.goodwill_at_acquisition
    profit = -(share_of(f.share, f.profit) - share_of(f.share, f.profit - f.profit_month))
    oci = -(share_of(f.share, f.oci) - share_of(f.share, f.oci - f.oci_month))
    dividends = f.dividends_month  # negative: received
    translation = f.goodwill_closing - f.goodwill_opening
    moved = profit + oci + dividends + translation
    rows = None if prior is None else prior[(prior["entity"] == f.sid) & (prior["investor"] == f.investor)]
    opening = int(rows.iloc[0]["closing"]) if rows is not None and not rows.empty else closing - moved
    return (
        f.sid, f.investor, str(f.share), opening, profit, oci, dividends, translation, closing,
        opening + moved - closing,
    )  # fmt: skip


def require_investment(sid: EntityId, investor: EntityId, found: bool, account: str) -> None:
    """Refuse an associate its investor carries no investment in.

    Raises:
        InputDataError: naming the investor and the account.

    """
    if not found:
        raise InputDataError(
            f"investor {investor} carries no investment in associate {sid}",
            entity=investor,
            account=account,
            field="counterparty",
        )


def associates_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return roll-forward rows as an ``ASSOCIATE_COLUMNS`` frame."""
    return frame_from_rows(rows, ASSOCIATE_COLUMNS, ints=ASSOCIATE_COLUMNS[3:])


def rates_for(
    ccy: Currency,
    pres: Currency,
    acquisition: Decimal | None,
    closing: Decimal,
    opening: Mapping[Currency, Decimal],
) -> Rates:
    """Return an associate's goodwill rates (its acquisition rate, else the closing one: no goodwill)."""
    if ccy == pres:
        return Rates(ccy, pres, Decimal(1), Decimal(1), Decimal(1))
    return Rates(ccy, pres, acquisition or closing, closing, opening.get(ccy, closing))
