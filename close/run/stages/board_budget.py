"""Load the board package's full-year budget and the entities' results against budget.

Both read the budget file of the run's snapshot (``[files] budget``, ``close.analysis.budget``):
rows with a blank entity are the consolidated budget, rows naming an entity are that entity's
own books (intercompany included). The forecast (``[files] forecast``, consolidated rows) replaces
the budget in the full-year outlook for the months after the reported one that it covers. Like
the month's budget (``board_pack.budget_of``), a budget
set in another currency than the presentation currency is not translated here: it is reported
as not available rather than at a rate the engine did not use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.budget import parse_budget, parse_forecast
from close.config import GroupConfig
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart
from close.engine.fx import PPA_BOOK
from close.engine.money import ZERO, from_minor
from close.engine.periods import add_months, fiscal_year_first, period_range
from close.engine.types import AccountCode, Currency, EntityId, Period
from close.errors import InputDataError
from close.run.inputs import read_file
from close.run.stages.consolidating import translated_of
from close.storage.runs import Run, effective_run, get_run
from reports.budget_model import AccountYear, EntityAmount, EntityResults, FullYearBudget
from reports.model import Entity, WorksheetRow

_SHOWN_METHODS = frozenset({"parent", "full"})  # equity-accounted entities have no revenue lines


def budget_frame(conn: Connection, run: Run, config: GroupConfig) -> pd.DataFrame | None:
    """Return every row of the run's budget file, or ``None`` without one in the presentation currency."""
    name, pc = config.files.budget, config.presentation_currency
    if not name or (config.budget_currency or pc) != pc:
        return None
    return parse_budget(read_file(conn, run.id, name), period=None, currency=pc, source=name,
                        consolidated_only=False)


def forecast_frame(conn: Connection, run: Run, config: GroupConfig, chart: Chart) -> pd.DataFrame | None:
    """Return the run's forecast file (``parse_forecast``), ``None`` without one.

    Raises:
        InputDataError: a bad row (file, row, column), or an account the run's chart does not
            have, or a forecast in a currency other than the presentation currency.

    """
    name, pc = config.files.forecast, config.presentation_currency
    if not name:
        return None
    if (config.budget_currency or pc) != pc:
        raise InputDataError(f"the forecast is read in the budget currency {config.budget_currency}; "
                             f"the package needs the presentation currency {pc}", file=name,
                             field="budget_currency")
    frame = parse_forecast(read_file(conn, run.id, name), currency=pc, source=name)
    income = {str(c) for c, cls in chart.column("class").items() if cls in INCOME_STATEMENT_CLASSES}
    unknown = sorted(set(frame["std_account"]) - income)
    if unknown:
        raise InputDataError(f"accounts that are not income-statement accounts of the chart: {unknown}",
                             file=name, column="account")
    return frame


def full_year_budget_of(frame: pd.DataFrame | None, forecast: pd.DataFrame | None, period: Period,
                        fiscal_year_start: int, pc: Currency) -> FullYearBudget | None:
    """Return the consolidated budget of the run's fiscal year, and what the outlook adds after its month.

    ``frame`` is ``parse_budget``'s (every row), ``forecast`` ``parse_forecast``'s. The months
    after ``period`` that the forecast covers take its figures, the others the
    budget's. Returns ``None`` without a budget; months of the fiscal year the budget does not
    cover are listed in ``missing`` (the package then shows the full-year columns as not
    available).
    """
    if frame is None:
        return None
    first = fiscal_year_first(period, fiscal_year_start)
    last = add_months(first, 11)
    group = frame[(frame["entity"] == "") & (frame["period"] >= first) & (frame["period"] <= last)]
    missing = tuple(p for p in period_range(first, last) if p not in set(group["period"]))
    ahead = forecast[(forecast["period"] > period) & (forecast["period"] <= last)] \
        if forecast is not None else None
    forecast_months = tuple(sorted(set(ahead["period"]))) if ahead is not None else ()
    budgeted = group[(group["period"] > period) & ~group["period"].isin(forecast_months)]
    rest: dict[str, int] = defaultdict(int)  # integer minor units: exact, no float alignment
    for part in (budgeted, ahead):
        if part is not None:
            for code, amount in part.groupby("std_account")["amount"].sum().items():
                rest[str(code)] += int(amount)
    year = {str(c): int(v) for c, v in group.groupby("std_account")["amount"].sum().items()}
    return FullYearBudget(
        first=first, last=last, missing=missing, forecast_months=forecast_months,
        accounts=tuple(AccountYear(account=str(code), full_year=from_minor(int(year.get(code, 0)), pc),
                                   rest_of_year=from_minor(int(rest.get(code, 0)), pc))
                       for code in sorted(set(year) | set(rest))))


def entity_results_of(conn: Connection, run: Run, config: GroupConfig, chart: Chart,
                      entities: Sequence[Entity], worksheet: Sequence[WorksheetRow],
                      budget: pd.DataFrame | None,
                      prior_worksheet: Sequence[WorksheetRow] | None) -> EntityResults | None:
    """Return each parent or subsidiary's own income statement beside its budget.

    The year to date is the worksheet's translated column (the engine's rates, PPA push-down in
    its own column); the month is the stored translated movement of the entity's own books.
    Everything else between the entities and the consolidation (eliminations, PPA, adjustments,
    the lines of entities not shown) is summed from the worksheet's columns, the month as this
    worksheet less the prior month's (``prior_worksheet``; ``None`` when it is unknown).
    """
    if not worksheet:
        return None
    pc = config.presentation_currency
    income = {str(c) for c, cls in chart.column("class").items() if cls in INCOME_STATEMENT_CLASSES}
    shown = tuple(e.id for e in entities if e.method in _SHOWN_METHODS)
    ytd = {(w.entity, w.account): w.translated for w in worksheet
           if w.account in income and w.entity in shown}
    month = _translated_months(conn, run, config, set(shown), income)
    # A worksheet row that carries only group postings (the NCI share on the subsidiary's row)
    # is no result of the entity's own books.
    actual = tuple(EntityAmount(entity=e, account=a, month=month.get((e, a), ZERO), ytd=ytd.get((e, a), ZERO))
                   for e, a in _ordered(set(ytd) | set(month), shown)
                   if ytd.get((e, a), ZERO) or month.get((e, a), ZERO))
    first_month = run.period == fiscal_year_first(run.period, config.fiscal_year_start)
    now = _adjustments(worksheet, income, set(shown))
    before = ({} if first_month else
              None if prior_worksheet is None else _adjustments(prior_worksheet, income, set(shown)))
    adjustments = tuple(EntityAmount(entity="", account=a, ytd=now.get(a, ZERO),
                                     month=now.get(a, ZERO) - (before or {}).get(a, ZERO))
                        for a in sorted(set(now) | set(before or {})))
    return EntityResults(actual=actual, budget=_entity_budget(budget, run, config, shown, pc),
                         adjustments=adjustments, shown=shown,
                         month_adjustments_known=before is not None)


def prior_worksheet_run(conn: Connection, run: Run, config: GroupConfig) -> Run | None:
    """Return the prior month's effective run (its worksheet gives the month's adjustments)."""
    found = effective_run(conn, config.id, add_months(run.period, -1))
    return get_run(conn, found.id) if found else None


def _translated_months(conn: Connection, run: Run, config: GroupConfig, shown: set[EntityId],
                       income: set[AccountCode]) -> dict[tuple[EntityId, AccountCode], Decimal]:
    currencies = {e.id: e.currency for e in config.entities}
    pc = config.presentation_currency
    frame = translated_of(conn, run.id, currencies, pc)
    own = frame[(frame["book"] != PPA_BOOK) & frame["entity"].isin(shown) & frame["std_account"].isin(income)]
    sums = own.groupby(["entity", "std_account"])["translated_movement"].sum()
    return {(str(e), str(a)): from_minor(int(v), pc) for (e, a), v in sums.items()}


def _adjustments(worksheet: Iterable[WorksheetRow], income: set[AccountCode],
                 shown: set[EntityId]) -> dict[AccountCode, Decimal]:
    """Sum, by account, what the worksheet adds to the shown entities' translated books."""
    out: dict[AccountCode, Decimal] = defaultdict(lambda: ZERO)
    for w in worksheet:
        if w.account in income:
            out[w.account] += w.eliminations + w.ppa + w.adjustments + (
                ZERO if w.entity in shown else w.translated)
    return dict(out)


def _entity_budget(frame: pd.DataFrame | None, run: Run, config: GroupConfig,
                   shown: Sequence[EntityId], pc: Currency) -> tuple[EntityAmount, ...]:
    if frame is None:
        return ()
    first = fiscal_year_first(run.period, config.fiscal_year_start)
    rows = frame[frame["entity"].isin(shown) & (frame["period"] >= first) & (frame["period"] <= run.period)]
    ytd = rows.groupby(["entity", "std_account"])["amount"].sum()
    month = rows[rows["period"] == run.period].groupby(["entity", "std_account"])["amount"].sum()
    keys = {(str(e), str(a)) for e, a in ytd.index}
    return tuple(EntityAmount(entity=e, account=a, month=from_minor(int(month.get((e, a), 0)), pc),
                              ytd=from_minor(int(ytd.get((e, a), 0)), pc))
                 for e, a in _ordered(keys, shown))


def _ordered(keys: set[tuple[EntityId, AccountCode]],
             shown: Sequence[EntityId]) -> list[tuple[EntityId, AccountCode]]:
    order = {e: i for i, e in enumerate(shown)}
    return sorted(keys, key=lambda k: (order.get(k[0], len(order)), k[1]))
