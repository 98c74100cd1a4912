"""Load the board package's FX impact (constant currency) and covenants from PostgreSQL.

Both figures are computed by the pure functions of ``close.analysis`` (``constant_currency``,
``covenants``); this module only reads what they need: the entities' translated lines of this
month, of each month of the fiscal year so far and of the same month last year, the stored
average rates the engine used, and the consolidated balances of the earlier effective runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pandas as pd
from sqlalchemy.engine import Connection

from close.analysis.constant_currency import (
    LINES_COLUMNS,
    FxImpact,
    MissingRate,
    constant_currency_impact,
    impact_rows,
)
from close.analysis.covenants import (
    LTM_MONTHS,
    CovenantReport,
    chart_accounts,
    covenant_figures,
    evaluate_covenants,
)
from close.config import GroupConfig
from close.engine.chart import INCOME_STATEMENT_CLASSES, Chart
from close.engine.money import to_minor
from close.engine.periods import add_months, fiscal_year_first
from close.engine.types import Period, RunId
from close.storage.fx_impact import translated_amounts
from close.storage.rates import load_rates
from close.storage.runs import Run
from reports.model import ConsolidatedBalance

AVERAGE = "average"
NO_CLOSE, NO_RATE = "no_close", "no_rate"  # why a scope is missing (FxImpact.missing)


def _months(first: Period, last: Period) -> list[Period]:
    out = [first]
    while out[-1] < last:
        out.append(add_months(out[-1], 1))
    return out


def _average_rates(conn: Connection, config: GroupConfig, periods: Sequence[Period]
                   ) -> dict[tuple[Period, str], Decimal]:
    """Return the stored group-wide average rates of ``periods`` (the ones the engine translated with)."""
    return {(r.period, r.currency): r.rate
            for r in load_rates(conn, periods, presentation_currency=config.presentation_currency,
                                group_id=config.id)
            if r.rate_type == AVERAGE and r.entity_id is None}


def fx_impact_of(conn: Connection, run: Run, config: GroupConfig, chart: Chart,
                 earlier: Mapping[Period, RunId],
                 stored: Mapping[RunId, tuple[ConsolidatedBalance, ...]]) -> FxImpact | None:
    """Return the FX impact of the run against the same period last year.

    ``None`` for a group without a foreign operation. A scope (month, year to date) whose inputs
    are not all stored — last year's run, a month of this fiscal year, an average rate of the
    same month last year — is listed in ``missing`` with the reason instead of being guessed.
    """
    pc = config.presentation_currency
    currency_of = {e.id: e.currency for e in config.entities}
    foreign = sorted({c for c in currency_of.values() if c != pc})
    if not foreign:
        return None
    comparative = add_months(run.period, -12)
    py_run = earlier.get(comparative)
    if py_run is None or py_run not in stored:
        return FxImpact(run.period, comparative,
                        missing=(("month", NO_CLOSE, comparative), ("ytd", NO_CLOSE, comparative)))
    codes = [str(c) for c, cls in chart.accounts["class"].items() if cls in INCOME_STATEMENT_CLASSES]
    months = _months(fiscal_year_first(run.period, config.fiscal_year_start), run.period)
    run_of = {m: earlier.get(m) for m in months} | {run.period: run.id}
    rates = _average_rates(conn, config, [*months, *(add_months(m, -12) for m in months)])
    missing: list[tuple[str, str, str]] = []
    scopes = {"month": [run.period], "ytd": months}
    for scope, needed in list(scopes.items()):
        lacking = sorted({add_months(m, -12) for m in needed for c in foreign
                          if (add_months(m, -12), c) not in rates})
        no_run = [m for m in needed if run_of[m] is None]
        if lacking or no_run:
            missing.append((scope, NO_RATE, _span(lacking)) if lacking else (scope, NO_CLOSE, _span(no_run)))
            del scopes[scope]
    if not scopes:
        return FxImpact(run.period, comparative, missing=tuple(missing),
                        rates=_shown_rates(run.period, foreign, rates))
    rows: list[tuple] = []
    cons: list[tuple] = []

    def add(scope: str, side: str, month: Period, run_id: RunId, ytd: bool) -> None:
        for t in translated_amounts(conn, run_id, codes):
            ccy = currency_of.get(t.entity, pc)
            local, translated = ((t.local_closing, t.translated) if ytd
                                 else (t.local_movement, t.translated_movement))
            rows.append((scope, side, month, ccy, t.account, to_minor(local, ccy), to_minor(translated, pc)))

    py_balances = stored[py_run]
    for scope in scopes:
        ytd = scope == "ytd"
        add(scope, "comparative", comparative, py_run, ytd)
        for month in scopes[scope]:
            add(scope, "current", month, run_of[month], False)  # type: ignore[arg-type]  # checked above
        for side, balances in (("current", stored.get(run.id, ())), ("comparative", py_balances)):
            cons += [(scope, side, b.account, to_minor(b.closing if ytd else b.month, pc)) for b in balances]
    frame = pd.DataFrame([(m, c, rates[(add_months(m, -12), c)]) for m in months for c in foreign
                          if (add_months(m, -12), c) in rates], columns=["month", "currency", "rate"])
    try:
        impact = constant_currency_impact(
            pd.DataFrame(rows, columns=list(LINES_COLUMNS)),
            pd.DataFrame(cons, columns=["scope", "side", "account", "amount"]), frame,
            chart.accounts.reset_index(drop=True), pc)
    except MissingRate as exc:  # a rate only some entities need; the check above covers the group's
        last_year = add_months(exc.month, -12)
        return FxImpact(run.period, comparative,
                        missing=(("month", NO_RATE, last_year), ("ytd", NO_RATE, last_year)))
    return FxImpact(run.period, comparative, rows=impact_rows(impact, pc),
                    rates=_shown_rates(run.period, foreign, rates), missing=tuple(missing))


def _span(periods: Sequence[Period]) -> str:
    """``2025-01 … 2025-08`` for a run of months, the month itself for one."""
    return periods[0] if len(periods) == 1 else f"{periods[0]} … {periods[-1]}"


def _shown_rates(period: Period, foreign: Sequence[str], rates: Mapping[tuple[Period, str], Decimal]
                 ) -> tuple[tuple[str, str, Decimal, Decimal], ...]:
    last = add_months(period, -12)
    return tuple((period, c, rates[(period, c)], rates[(last, c)]) for c in foreign
                 if (period, c) in rates and (last, c) in rates)


def covenants_of(config: GroupConfig, chart: Chart, period: Period,
                 balances: Sequence[ConsolidatedBalance], earlier: Mapping[Period, RunId],
                 stored: Mapping[RunId, tuple[ConsolidatedBalance, ...]]) -> CovenantReport | None:
    """Return the covenants tested on this month and the stored earlier months; None unconfigured."""
    settings = config.covenants
    if settings is None:
        return None
    months = [{b.account: b.month for b in balances}]
    for back in range(1, LTM_MONTHS):
        run_id = earlier.get(add_months(period, -back))
        if run_id is not None and run_id in stored:
            months.append({b.account: b.month for b in stored[run_id]})
    figures = covenant_figures({b.account: b.closing for b in balances}, months,
                               chart_accounts(chart.accounts),
                               settings.undrawn_facilities)
    return evaluate_covenants(settings, figures)
