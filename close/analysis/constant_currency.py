"""FX impact: growth against the same period last year, split into constant-currency growth and translation.

Method (the issuers' published one, e.g. Nexon's investor presentation, Q2 2019: "constant-currency
basis amounts are calculated using the average foreign currency exchange rates for the comparable
period in the prior year and applied to the current period"):

* **constant currency** = this period's local figures translated at the *comparative period's*
  average rates — month by month, because the engine translates each month's income statement at
  that month's average (IAS 21.40): the year to date at constant currency is the sum of each
  current month's local figure × the average rate of the same month a year earlier;
* **constant-currency (operational) growth** = constant currency − the comparative as reported;
* **translation effect** = reported − constant currency;

so constant-currency growth + translation effect = reported growth, exactly (the table's
reconciliation row). The balance sheet's translation difference is the CTA
(``close.engine.fx``, shown in the statement of changes in equity); it is not repeated here.

Figures are the one definitions' (``close.engine.definitions``): revenue = ``net_revenue``,
EBITDA = ``ebitda``, net income = ``profit_for_period``. Per currency, the rows are the
entities' own translated figures (functional currency); eliminations and consolidation
journals (presentation currency) are one more row, the consolidated figure less the
entities' own, carried at the rates used (no translation effect of their own: they are shown
apart so that the currency rows are the subsidiaries' results). Amounts are integer minor units
of the presentation currency; the constant-currency figure is computed exactly (Decimal) and
rounded once per cell, half-even.

Worked example (``tests/close/analysis/test_constant_currency.py``): a USD group with a BRL
subsidiary; revenue BRL 1,000.00 last June at 0.20 (USD 200.00) and BRL 1,100.00 this June at
0.18 (USD 198.00). Reported growth −2.00; constant currency 1,100.00 × 0.20 = 220.00, so
constant-currency growth +20.00 (+10 %) and translation effect 198.00 − 220.00 = −22.00.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from close.engine.definitions import income_statement_totals, pl_block
from close.engine.money import ZERO, D, from_minor, to_minor

SCOPES: tuple[str, ...] = ("month", "ytd")
# The figures shown → their key in ``definitions.income_statement_totals``.
FIGURES: tuple[tuple[str, str], ...] = (
    ("revenue", "net_revenue"), ("ebitda", "ebitda"), ("net_income", "profit_for_period"))
ELIMINATIONS = "eliminations"
TOTAL = "total"
LINES_COLUMNS = ("scope", "side", "month", "currency", "account", "local", "translated")
IMPACT_COLUMNS = ("scope", "figure", "line", "comparative", "reported", "constant", "growth",
                  "operational", "translation", "unexplained")


class MissingRate(ValueError):
    """A comparative-period average rate the constant-currency figure needs is not stored."""

    def __init__(self, month: str, currency: str) -> None:
        super().__init__(f"no average rate of {currency} for the month a year before {month}")
        self.month, self.currency = month, currency


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """One row of the FX impact table, in presentation-currency units (see ``IMPACT_COLUMNS``)."""

    scope: str
    figure: str
    line: str
    comparative: Decimal
    reported: Decimal
    constant: Decimal
    growth: Decimal
    operational: Decimal
    translation: Decimal
    unexplained: Decimal


@dataclass(frozen=True, slots=True)
class FxImpact:
    """The FX impact the board package shows.

    Attributes:
        period: the period reported.
        comparative_period: the same month a year earlier.
        rows: the table (``constant_currency_impact``), scopes that could be computed only.
        rates: ``(month, currency, this year's average, the same month's a year earlier)``.
        missing: ``(scope, why, periods)`` for a scope that could not be computed: ``why`` is
            ``no_close`` (no effective close of ``periods``) or ``no_rate`` (no stored average
            rate of ``periods``); the documents word it in their locale.

    """

    period: str
    comparative_period: str
    rows: tuple[ImpactRow, ...] = ()
    rates: tuple[tuple[str, str, Decimal, Decimal], ...] = ()
    missing: tuple[tuple[str, str, str], ...] = ()


def impact_rows(frame: pd.DataFrame, presentation_currency: str) -> tuple[ImpactRow, ...]:
    """Return the output of ``constant_currency_impact`` as records in units."""
    money = IMPACT_COLUMNS[3:]
    return tuple(ImpactRow(r["scope"], r["figure"], r["line"],
                           *(from_minor(int(r[c]), presentation_currency) for c in money))
                 for r in frame.to_dict("records"))


def _block_of(chart: pd.DataFrame) -> dict[str, str]:
    """Account → income-statement block (``definitions.pl_block``), NCI share left out."""
    out = {}
    for code, cls, subclass, role in zip(chart["code"], chart["class"], chart["subclass"],
                                         chart["system_role"], strict=True):
        block = pl_block(cls, subclass, role or None)
        if block is not None and block != "nci":
            out[str(code)] = block
    return out


def _figures(blocks: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Return the three figures from presented-sign block sums, through the one definition."""
    totals = income_statement_totals(blocks)
    return {name: totals[key] for name, key in FIGURES}


def constant_currency_impact(lines: pd.DataFrame, consolidated: pd.DataFrame, rates: pd.DataFrame,
                             chart: pd.DataFrame, presentation_currency: str) -> pd.DataFrame:
    """Split growth against the same period last year into constant-currency growth and translation.

    Args:
        lines: the entities' own translated income-statement lines (``LINES_COLUMNS``): ``scope``
            month | ytd; ``side`` current | comparative; ``month`` the month a current line's
            movement belongs to (a year to date comes as one row per month); ``currency`` the
            entity's functional currency; ``account`` standard account; ``local`` int minor units
            of ``currency``; ``translated`` int minor units of the presentation currency (the
            engine's translation), both in trial-balance sign.
        consolidated: ``scope``, ``side``, ``account``, ``amount`` (int minor units, TB sign):
            the consolidated income statement of the month and the year to date, both periods.
        rates: ``month`` (a current month), ``currency``, ``rate``: the average rate the engine
            used for the same month a year earlier (presentation units per local unit).
        chart: the standard chart (``code``, ``class``, ``subclass``, ``system_role``).
        presentation_currency: ISO code; its entities translate at 1.

    Returns:
        ``IMPACT_COLUMNS`` in int minor units: per scope present in ``lines`` and figure, one row
        per functional currency, then ``eliminations`` and ``total``. ``growth = reported − comparative``,
        ``operational = constant − comparative``, ``translation = reported − constant`` and
        ``unexplained = operational + translation − growth`` (always 0: the check row).

    Raises:
        MissingRate: a current month's currency has no comparative average rate.

    """
    pc = presentation_currency
    block_of = _block_of(chart)
    rate_of = {(m, c): D(r if isinstance(r, Decimal | int) else str(r))
               for m, c, r in zip(rates["month"], rates["currency"], rates["rate"], strict=True)}
    # (scope, side, currency) → block → exact presentation amount (presented sign)
    reported: dict[tuple[str, str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    constant: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    frame = lines.assign(block=lines["account"].astype(str).map(block_of)).dropna(subset=["block"])
    for (scope, side, currency, block), amount in frame.groupby(
            ["scope", "side", "currency", "block"], sort=True)["translated"].sum().items():
        reported[(scope, side, currency)][block] -= from_minor(int(amount), pc)
    current = frame[frame["side"] == "current"]
    for (scope, month, currency, block), local in current.groupby(
            ["scope", "month", "currency", "block"], sort=True)["local"].sum().items():
        rate = Decimal(1) if currency == pc else rate_of.get((month, currency))
        if rate is None:
            raise MissingRate(month, currency)
        constant[(scope, currency)][block] -= from_minor(int(local), currency) * rate
    cons: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for (scope, side, account), amount in consolidated.groupby(
            ["scope", "side", "account"], sort=True)["amount"].sum().items():
        if str(account) in block_of:
            cons[(scope, side)][block_of[str(account)]] -= from_minor(int(amount), pc)
    currencies = sorted({c for _, _, c in reported} | {c for _, c in constant})
    rows = []
    for scope in (s for s in SCOPES if s in set(lines["scope"])):
        for name, _ in FIGURES:
            rows += _scope_rows(scope, name, currencies, reported, constant, cons, pc)
    return pd.DataFrame(rows, columns=list(IMPACT_COLUMNS))


def _scope_rows(scope: str, name: str, currencies: list[str],
                reported: Mapping[tuple[str, str, str], Mapping[str, Decimal]],
                constant: Mapping[tuple[str, str], Mapping[str, Decimal]],
                cons: Mapping[tuple[str, str], Mapping[str, Decimal]], pc: str) -> list[tuple]:
    """Return the currency rows, the eliminations row and the total of one scope and figure."""
    def minor(blocks: Mapping[str, Decimal] | None) -> int:
        return to_minor(_figures(blocks or {})[name], pc)

    rows = []
    sums = [0, 0, 0]
    for currency in currencies:
        comparative = minor(reported.get((scope, "comparative", currency)))
        now = minor(reported.get((scope, "current", currency)))
        at_constant = minor(constant.get((scope, currency)))  # rounded once, here
        rows.append(_row(scope, name, currency, comparative, now, at_constant))
        sums = [sums[0] + comparative, sums[1] + now, sums[2] + at_constant]
    total_comparative = minor(cons.get((scope, "comparative")))
    total_now = minor(cons.get((scope, "current")))
    # Eliminations and consolidation journals: the consolidated figure less the entities' own.
    elim_comparative, elim_now = total_comparative - sums[0], total_now - sums[1]
    rows.append(_row(scope, name, ELIMINATIONS, elim_comparative, elim_now, elim_now))
    rows.append(_row(scope, name, TOTAL, total_comparative, total_now, sums[2] + elim_now))
    return rows


def _row(scope: str, name: str, line: str, comparative: int, reported: int, constant: int) -> tuple:
    growth, operational, translation = reported - comparative, constant - comparative, reported - constant
    return (scope, name, line, comparative, reported, constant, growth, operational, translation,
            operational + translation - growth)
