"""Covenants: leverage, interest cover and liquidity against the limits the group's facilities set.

Configured in the group TOML (absent: nothing is computed or shown)::

    [covenants]
    net_debt_to_ebitda_max = "3.0"     # net debt ÷ EBITDA of the last twelve months, at most
    interest_cover_min = "4.0"         # LTM EBITDA ÷ LTM interest expense, at least
    minimum_liquidity = "5000000.00"   # cash + undrawn facilities, at least (presentation currency)
    undrawn_facilities = "2000000.00"  # committed, undrawn credit lines (not in the ledger)
    amber_headroom = "0.10"            # amber when the headroom is under 10 % of the limit

Figures come from the one definitions (``close.engine.definitions``): net debt = borrowings
(tag ``debt``) − cash (subclass ``cash``), EBITDA = the income statement's, interest expense =
the finance costs (subclass ``finance_cost``). The last twelve months' (LTM) EBITDA and interest
add this month to the stored months of earlier effective runs; with fewer than twelve the
figure covers only the months there are and says so (``months``), and it is not annualised.

Status: **red** when the limit is broken (headroom below zero), **amber** when the headroom is
under ``amber_headroom`` × the limit, else **green**. Headroom is ``limit − value`` for a
maximum and ``value − limit`` for a minimum, in the figure's unit (times, or currency).

Example: net debt 2,400,000 and LTM EBITDA 1,000,000 → leverage 2.40x against a 3.00x maximum:
headroom 0.60x (20 % of the limit), green; at 2.80x the headroom of 0.20x is 6.7 % of the limit,
under 10 %: amber; at 3.10x the headroom is −0.10x: red.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd

from close.config.covenants import CovenantSettings
from close.engine.definitions import (
    CASH_SUBCLASS,
    DEBT_TAG,
    INTEREST_SUBCLASS,
    block_sums,
    income_statement_totals,
    net_debt,
)
from close.engine.money import ZERO

LTM_MONTHS = 12
Status = Literal["green", "amber", "red"]
CovenantCode = Literal["net_debt_to_ebitda", "interest_cover", "minimum_liquidity"]


@dataclass(frozen=True, slots=True)
class CovenantFigures:
    """The figures the covenants test (presentation currency; debt, cash and interest positive)."""

    borrowings: Decimal
    cash: Decimal
    net_debt: Decimal
    ltm_ebitda: Decimal
    ltm_interest: Decimal
    months: int  # months the LTM figures cover (12 = a full year)
    undrawn_facilities: Decimal
    liquidity: Decimal


@dataclass(frozen=True, slots=True)
class CovenantTest:
    """One covenant against its limit.

    Attributes:
        code: ``net_debt_to_ebitda``, ``interest_cover`` or ``minimum_liquidity``.
        bound: ``max`` or ``min``.
        limit: the configured limit.
        value: the figure, ``None`` when it cannot be computed (``reason`` says why).
        headroom: ``limit − value`` (max) or ``value − limit`` (min); ``None`` with ``value``.
        headroom_pct: ``headroom ÷ limit``, ``None`` with ``value`` or a zero limit.
        status: ``green``, ``amber`` or ``red``.
        reason: why ``value`` is missing or the status is what it is, else ``None``.

    """

    code: CovenantCode
    bound: Literal["max", "min"]
    limit: Decimal
    value: Decimal | None
    headroom: Decimal | None
    headroom_pct: Decimal | None
    status: Status
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CovenantReport:
    """What the board package and the validation gate show: the figures and each test."""

    figures: CovenantFigures
    tests: tuple[CovenantTest, ...]
    amber_headroom: Decimal = Decimal("0.10")  # the settings' amber threshold, for the legend


Account = tuple[str, str, str, str | None, tuple[str, ...]]  # code, class, subclass, role, tags


def chart_accounts(frame: pd.DataFrame) -> tuple[Account, ...]:
    """Return a chart frame (``close.engine.chart.Chart.accounts``, indexed by code) as ``Account`` rows."""
    return tuple((str(code), cls, sub, role or None, tuple(t for t in str(tags).split(";") if t))
                 for code, cls, sub, role, tags in zip(frame.index, frame["class"], frame["subclass"],
                                                       frame["system_role"], frame["kpi_tags"], strict=True))


def covenant_figures(closing: Mapping[str, Decimal], months: Sequence[Mapping[str, Decimal]],
                     accounts: Iterable[Account], undrawn_facilities: Decimal = ZERO) -> CovenantFigures:
    """Compute net debt, LTM EBITDA and LTM interest from the consolidated balances.

    Args:
        closing: this month's consolidated closing balances (account → amount, TB sign).
        months: each month's income-statement movement (account → amount, TB sign), this month
            first, then the earlier months there are; at most ``LTM_MONTHS`` are used.
        accounts: the chart as ``(code, class, subclass, system_role, tags)``.
        undrawn_facilities: from the config (not in the ledger).

    """
    chart = tuple(accounts)
    roles = [(code, cls, subclass, role) for code, cls, subclass, role, _ in chart]
    debt = sum((-closing.get(code, ZERO) for code, *_, tags in chart if DEBT_TAG in tags), ZERO)
    cash = sum((closing.get(code, ZERO) for code, _, subclass, _, _ in chart if subclass == CASH_SUBCLASS),
               ZERO)
    interest_codes = [code for code, _, subclass, _, _ in chart if subclass == INTEREST_SUBCLASS]
    used = months[:LTM_MONTHS]
    ebitda = sum((income_statement_totals(block_sums(m, roles))["ebitda"] for m in used), ZERO)
    interest = sum((m.get(code, ZERO) for m in used for code in interest_codes), ZERO)
    return CovenantFigures(borrowings=debt, cash=cash, net_debt=net_debt(debt, cash), ltm_ebitda=ebitda,
                           ltm_interest=interest, months=len(used), undrawn_facilities=undrawn_facilities,
                           liquidity=cash + undrawn_facilities)


def _status(headroom: Decimal, limit: Decimal, amber: Decimal) -> Status:
    if headroom < ZERO:
        return "red"
    return "amber" if headroom < amber * limit else "green"


def _test(code: CovenantCode, bound: Literal["max", "min"], limit: Decimal, value: Decimal,
          amber: Decimal, reason: str | None) -> CovenantTest:
    headroom = limit - value if bound == "max" else value - limit
    return CovenantTest(code=code, bound=bound, limit=limit, value=value, headroom=headroom,
                        headroom_pct=None if limit == ZERO else headroom / limit,
                        status=_status(headroom, limit, amber), reason=reason)


def evaluate_covenants(settings: CovenantSettings, figures: CovenantFigures) -> CovenantReport:
    """Test each configured covenant; the ratios are exact (the documents round for display)."""
    short = (None if figures.months >= LTM_MONTHS
             else f"LTM covers {figures.months} month(s) only: fewer than 12 stored, not annualised")
    tests: list[CovenantTest] = []
    amber = settings.amber_headroom
    if settings.net_debt_to_ebitda_max is not None:
        limit = settings.net_debt_to_ebitda_max
        if figures.ltm_ebitda > ZERO:
            tests.append(_test("net_debt_to_ebitda", "max", limit, figures.net_debt / figures.ltm_ebitda,
                               amber, short))
        else:
            # No positive EBITDA: the ratio means nothing; with net debt the covenant is broken.
            status: Status = "red" if figures.net_debt > ZERO else "green"
            tests.append(CovenantTest("net_debt_to_ebitda", "max", limit, None, None, None, status,
                                      "LTM EBITDA is not positive"))
    if settings.interest_cover_min is not None:
        limit = settings.interest_cover_min
        if figures.ltm_interest > ZERO:
            tests.append(_test("interest_cover", "min", limit, figures.ltm_ebitda / figures.ltm_interest,
                               amber, short))
        else:
            tests.append(CovenantTest("interest_cover", "min", limit, None, None, None, "green",
                                      "no interest expense in the LTM"))
    if settings.minimum_liquidity is not None:
        tests.append(_test("minimum_liquidity", "min", settings.minimum_liquidity, figures.liquidity,
                           amber, None))
    return CovenantReport(figures=figures, tests=tuple(tests), amber_headroom=amber)
