"""Two statements a group's board reads beside the income statement: the year and the entities.

* ``full_year_statement``: the income statement's lines with the year to date (actual and
  budget), the fiscal year's budget, the full-year outlook (year-to-date actual + the forecast
  of the months left that ``[files] forecast`` covers + the budget of the others) and the
  outlook's variance to the budget.
* ``entity_statement``: each parent or subsidiary's revenue, EBITDA and net income for the month
  and the year to date against its own budget (variance and variance %), then the
  reconciliation of the entities' sum to the consolidated income statement: the eliminations and
  consolidation adjustments summed from the worksheet, the consolidated figure, and the
  difference to the income statement, which must be zero (else printed in red with a note).

Both are ``reports.statements.Statement`` objects, so the PDF, the deck and the workbook render
them with their statement code (percent columns are ``Column.pct_of``). Every subtotal comes from
``close.engine.definitions`` (``PL_SUBTOTALS``, ``block_sums``, ``income_statement_totals``);
nothing is derived here.

Worked example (one entity, month): revenue actual 120, budget 100 → variance 20, 20.0 %;
EBITDA actual −5, budget 10 → variance −15, −150.0 %; a zero budget gives "n/a".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from close.engine.definitions import block_sums, income_statement_totals
from close.engine.money import ZERO
from close.engine.periods import period_range
from reports.budget_model import EntityAmount, EntityResults, FullYearBudget
from reports.format import format_amount, format_short_period
from reports.labels import t
from reports.model import BoardPackData
from reports.statements import Column, Line, Statement, income_lines, income_statement

# The entity page's figures: income-statement subtotals of ``close.engine.definitions``.
ENTITY_FIGURES: tuple[str, ...] = ("net_revenue", "ebitda", "profit_for_period")
Cell = Decimal | None  # None: not available ("n/a")


def variance_pct(variance: Cell, base: Cell) -> Cell:
    """Return ``variance / |base|`` as a fraction; ``None`` when either is unknown or the base is 0."""
    if variance is None or base is None or base == ZERO:
        return None
    return variance / abs(base)


def _with_percent(lines: Iterable[Line], columns: Sequence[Column]) -> tuple[Line, ...]:
    """Insert the ``pct_of`` columns' values into lines that carry only the other columns."""
    out = []
    for line in lines:
        if not line.values:
            out.append(line)
            continue
        amounts = iter(line.values)
        values: list[Cell] = []
        for column in columns:
            if column.pct_of is None:
                values.append(next(amounts))
            else:
                variance, base = column.pct_of
                values.append(variance_pct(values[variance], values[base]))
        out.append(Line(line.key, line.label, line.kind, tuple(values),  # type: ignore[arg-type]
                        line.components, line.account))  # None prints "n/a"
    return tuple(out)


# ------------------------------------------------------------------------------ full year


def full_year_statement(data: BoardPackData) -> Statement:
    """Build the income statement's full-year view: YTD, FY budget, FY outlook and its variance.

    Returns:
        The statement; without a budget for the whole fiscal year it has no lines and a note
        naming what is missing.

    """
    loc = data.locale
    columns = (Column("ytd", t(loc, "col_ytd")), Column("budget_ytd", t(loc, "col_budget_ytd")),
               Column("fy_budget", t(loc, "col_fy_budget")),
               Column("fy_outlook", t(loc, "col_fy_outlook")),
               Column("outlook_variance", t(loc, "col_outlook_variance"), (3, 2)),
               Column("outlook_variance_pct", t(loc, "col_variance_pct"), pct_of=(4, 2)))
    title = t(loc, "full_year")
    year = data.full_year_budget
    if year is None or data.budget is None:
        return Statement("full_year", title, columns, (),
                         (t(loc, "section_not_available", what=t(loc, "budget")),))
    if year.missing:
        months = ", ".join(format_short_period(p, loc) for p in year.missing)
        return Statement("full_year", title, columns, (), (t(loc, "fy_budget_missing", months=months),))
    actual = {b.account: b.closing for b in data.balances}
    rest = {a.account: a.rest_of_year for a in year.accounts}
    outlook = {code: actual.get(code, ZERO) + rest.get(code, ZERO) for code in set(actual) | set(rest)}
    maps: list[Mapping[str, Decimal] | None] = [
        actual, {b.account: b.closing for b in data.budget.balances},
        {a.account: a.full_year for a in year.accounts}, outlook, None]
    lines = income_lines(data, columns[:5], maps)
    return Statement("full_year", title, columns, _with_percent(lines, columns), (_outlook_note(data, year),))


def _outlook_note(data: BoardPackData, year: FullYearBudget) -> str:
    loc = data.locale
    first, last = format_short_period(year.first, loc), format_short_period(year.last, loc)
    period = format_short_period(data.period, loc)
    if data.period >= year.last:
        return t(loc, "fy_outlook_year_end", period=period, first=first, last=last)
    following = [p for p in period_range(year.first, year.last) if p > data.period]
    forecast = [p for p in following if p in year.forecast_months]
    budget = [p for p in following if p not in year.forecast_months]
    parts = [t(loc, key, months=_span(months, loc))
             for key, months in (("fy_outlook_forecast", forecast), ("fy_outlook_budget", budget))
             if months]
    return t(loc, "fy_outlook_note", period=period, rest=t(loc, "fy_outlook_and").join(parts), first=first,
             last=last)


def _span(months: Sequence[str], locale: str) -> str:
    """Name consecutive months as ``Nov 26–Dec 26`` (one month by itself), others by a list."""
    text = [format_short_period(p, locale) for p in months]
    consecutive = months == period_range(months[0], months[-1])
    return f"{text[0]}–{text[-1]}" if len(text) > 1 and consecutive else ", ".join(text)


# ------------------------------------------------------------------------------ entities


def _figures(amounts: Mapping[str, Decimal], data: BoardPackData) -> dict[str, Decimal]:
    """Return the entity page's figures from TB-sign amounts by account, by the one definition."""
    chart = ((a.code, a.account_class, a.subclass, a.system_role) for a in data.chart)
    return income_statement_totals(block_sums(amounts, chart))


def _by_entity(rows: Iterable[EntityAmount], scope: str) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        out.setdefault(r.entity, {})[r.account] = r.month if scope == "month" else r.ytd
    return out


def entity_statement(data: BoardPackData) -> Statement:
    """Build the entities' revenue, EBITDA and net income against budget, with the reconciliation.

    Columns: the month's actual, budget, variance and variance %, then the same year to date
    (without entity budgets: the actuals only). Lines: one section per entity, then the
    reconciliation per figure: the sum of the entities, the eliminations and consolidation
    adjustments (from the worksheet's columns), the consolidated figure (their sum) and its
    difference to the income statement, which is zero when the worksheet ties.

    Returns:
        The statement; without a worksheet it has no lines and a "not available" note.

    """
    loc = data.locale
    results = data.entity_results
    with_budget = results is not None and bool(results.budget)
    columns = _entity_columns(loc, with_budget)
    title = t(loc, "entity_pl")
    if results is None:
        return Statement("entity_pl", title, columns, (),
                         (t(loc, "section_not_available", what=t(loc, "consolidating")),))
    scopes = ("month", "ytd")
    actual = {s: _by_entity(results.actual, s) for s in scopes}
    budget = {s: _by_entity(results.budget, s) for s in scopes}
    adjust = {s: {r.account: (r.month if s == "month" else r.ytd) for r in results.adjustments}
              for s in scopes}
    names = {e.id: e for e in data.entities}
    lines: list[Line] = []
    figure_rows: dict[str, list[int]] = {f: [] for f in ENTITY_FIGURES}
    for entity in results.shown:
        e = names[entity]
        lines.append(Line(f"entity:{entity}", f"{e.name} ({e.currency})", "section"))
        figs = [(_figures(actual[s].get(entity, {}), data), _figures(budget[s].get(entity, {}), data))
                for s in scopes]
        for f in ENTITY_FIGURES:
            figure_rows[f].append(len(lines))
            lines.append(Line(f"{entity}:{f}", t(loc, f), "item",
                              _amounts([(a[f], b[f]) for a, b in figs], with_budget)))
    notes = [t(loc, "entity_pl_note")]
    notes.append(t(loc, "entity_budget_note") if with_budget else t(loc, "entity_budget_missing"))
    if not results.month_adjustments_known:
        notes.append(t(loc, "entity_month_unknown"))
    alerts = _reconciliation(data, results, lines, figure_rows, adjust, budget, with_budget, notes)
    return Statement("entity_pl", title, columns, _with_percent(lines, columns), tuple(notes), alerts)


def _entity_columns(loc: str, with_budget: bool) -> tuple[Column, ...]:
    if not with_budget:
        return (Column("month", t(loc, "col_month")), Column("ytd", t(loc, "col_ytd")))
    return (Column("month", t(loc, "col_month")), Column("budget", t(loc, "col_budget")),
            Column("variance", t(loc, "col_variance"), (0, 1)),
            Column("variance_pct", t(loc, "col_variance_pct"), pct_of=(2, 1)),
            Column("ytd", t(loc, "col_ytd")), Column("budget_ytd", t(loc, "col_budget_ytd")),
            Column("variance_ytd", t(loc, "col_variance_ytd"), (4, 5)),
            Column("variance_ytd_pct", t(loc, "col_variance_ytd_pct"), pct_of=(6, 5)))


def _amounts(pairs: Sequence[tuple[Cell, Cell]], with_budget: bool) -> tuple[Cell, ...]:
    """Return the amount cells of a line (percentages come later): per scope actual[, budget, variance]."""
    out: list[Cell] = []
    for a, b in pairs:
        out += [a, b, None if a is None or b is None else a - b] if with_budget else [a]
    return tuple(out)


def _reconciliation(data: BoardPackData, results: EntityResults, lines: list[Line],
                    figure_rows: Mapping[str, list[int]], adjust: Mapping[str, Mapping[str, Decimal]],
                    budget: Mapping[str, Mapping[str, Mapping[str, Decimal]]], with_budget: bool,
                    notes: list[str]) -> tuple[str, ...]:
    """Append the reconciliation lines; return the keys of differences that are not zero."""
    loc = data.locale
    consolidated = _consolidated(data)
    scopes = ("month", "ytd")
    adjustment_figs = {s: _figures(adjust[s], data) for s in scopes}
    alerts = []
    for f in ENTITY_FIGURES:
        name = t(loc, f)
        lines.append(Line(f"entity_reconciliation:{f}", t(loc, "entity_reconciliation", figure=name),
                          "section"))
        rows = figure_rows[f]
        total = len(lines)
        lines.append(_sum_line(f"entities_total:{f}", t(loc, "entities_total"),
                               [lines[i] for i in rows], rows))
        pairs: list[tuple[Cell, Cell]] = []
        for s in scopes:
            known = s == "ytd" or results.month_adjustments_known
            entities_budget = sum((_figures(b, data)[f] for b in budget[s].values()), ZERO)
            group_budget = consolidated[f"budget_{s}"]
            pairs.append((adjustment_figs[s][f] if known else None,
                          None if group_budget is None else group_budget[f] - entities_budget))
        eliminations = len(lines)
        lines.append(Line(f"eliminations:{f}", t(loc, "entity_eliminations"), "item",
                          _amounts(pairs, with_budget)))
        combined = _sum_line(f"consolidated:{f}", t(loc, "entity_consolidated"),
                             [lines[total], lines[eliminations]], [total, eliminations], kind="total")
        lines.append(combined)
        statement = _amounts([(consolidated[s][f], None if consolidated[f"budget_{s}"] is None
                               else consolidated[f"budget_{s}"][f]) for s in scopes], with_budget)
        difference = tuple(None if c is None or v is None else v - c
                           for v, c in zip(statement, combined.values, strict=True))
        key = f"difference:{f}"
        lines.append(Line(key, t(loc, "entity_difference"), "item", difference))  # type: ignore[arg-type]
        amount_columns = [c for c in _entity_columns(loc, with_budget) if c.pct_of is None]
        for column, value in zip(amount_columns, difference, strict=True):
            if value is not None and value != ZERO:
                alerts.append(key)
                notes.append(t(loc, "entity_not_reconciled", figure=name, column=column.label,
                               amount=format_amount(value, loc)))
    return tuple(dict.fromkeys(alerts))


def _sum_line(key: str, label: str, parts: Sequence[Line], indices: Sequence[int],
              kind: str = "subtotal") -> Line:
    """Return a subtotal line: each column the sum of ``parts`` (``None`` when any part is unknown)."""
    width = len(parts[0].values)
    values: list[Cell] = []
    for c in range(width):
        cells = [p.values[c] for p in parts]
        values.append(None if any(v is None for v in cells) else sum(cells, ZERO))  # type: ignore[arg-type]
    return Line(key, label, kind, tuple(values), tuple((i, 1) for i in indices))  # type: ignore[arg-type]


def _consolidated(data: BoardPackData) -> dict[str, dict[str, Decimal] | None]:
    """Return the income statement's figures (month, YTD, their budgets), from the statement itself."""
    st = income_statement(data)
    keys = [c.key for c in st.columns]

    def at(column: str) -> dict[str, Decimal] | None:
        if column not in keys:
            return None
        return {f: st.value(f, keys.index(column)) for f in ENTITY_FIGURES}

    return {"month": at("month"), "ytd": at("ytd"), "budget_month": at("budget"),
            "budget_ytd": at("budget_ytd")}
