"""The board package's full-year budget and its entity results against budget (records only).

Kept apart from ``reports.model`` so that the two pages built on them (``reports.budget_pages``)
travel with their own data. Signs and units follow ``reports.model``: presentation currency,
trial-balance sign (debit positive, revenue negative).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from close.engine.types import AccountCode, EntityId, Period


@dataclass(frozen=True, slots=True)
class AccountYear:
    """One income-statement account of the fiscal year's budget.

    Attributes:
        account: standard account code.
        full_year: the budget of every month of the fiscal year.
        rest_of_year: what the outlook adds to the year-to-date actual for the months after the
            reported one: the forecast of the months it covers, the budget of the others.

    """

    account: AccountCode
    full_year: Decimal
    rest_of_year: Decimal


@dataclass(frozen=True, slots=True)
class FullYearBudget:
    """The consolidated budget of the reported month's fiscal year.

    Attributes:
        first: the fiscal year's first period.
        last: its last period.
        accounts: the budget by account (an account not listed has no budget: zero).
        missing: fiscal-year months the budget file has no consolidated rows for; while any
            is missing, the full-year columns say "not available" rather than add up a part
            of the year.
        forecast_months: the months after the reported one whose outlook is the forecast's
            (``[files] forecast``); the other months after it are the budget's.

    """

    first: Period
    last: Period
    accounts: tuple[AccountYear, ...]
    missing: tuple[Period, ...] = ()
    forecast_months: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityAmount:
    """One entity's income-statement account: the month and the fiscal year to date.

    Attributes:
        entity: entity id.
        account: standard account code.
        month: the month's amount.
        ytd: the fiscal year to date.

    """

    entity: EntityId
    account: AccountCode
    month: Decimal
    ytd: Decimal


@dataclass(frozen=True, slots=True)
class EntityResults:
    """The entities' own results beside their budgets, and what ties them to the consolidation.

    Attributes:
        actual: each consolidated entity's own books (PPA push-down excluded) translated at the
            rates the engine used, as on the consolidating worksheet's "translated" column.
        budget: the entities' own budget rows (budget file rows naming the entity), ``()``
            without any; set in the presentation currency.
        adjustments: by account, everything between the entities' sum and the consolidated
            balance: the worksheet's eliminations, PPA and adjustments columns (and the
            translated lines of entities not shown, such as equity-accounted ones); ``entity``
            is blank; ``month`` is the year-to-date figure less the prior month-end's (the year
            to date in a fiscal year's first month).
        shown: the entities listed, in group order (parent and subsidiaries).
        month_adjustments_known: ``False`` when the prior month's worksheet is not available,
            so the month's adjustments are not known (the month columns then say "n/a").

    """

    actual: tuple[EntityAmount, ...]
    budget: tuple[EntityAmount, ...]
    adjustments: tuple[EntityAmount, ...]
    shown: tuple[EntityId, ...]
    month_adjustments_known: bool = True
