"""The presented statements: one derivation of every figure that the three documents print.

The workbook, the deck and the PDF never add up balances themselves: they render the
``Statement`` objects and ``Headline`` figures built here, so a number is the same number in
all three files.

Presentation turns the trial-balance sign (debit positive) into the reader's sign:

* balance sheet: assets as stored, liabilities and equity flipped (credit balances positive);
* income statement and cash flow: flipped, so income is positive and costs show in parentheses;
  every subtotal is then a plain sum of the lines above it (the workbook writes it as a formula).

Lines are placed by the chart's data (class, subclass, ``current_*`` tags, system roles), never
by account code. Worked example: revenue ``4000`` with ``closing=-1200`` and COGS ``5000`` with
``closing=540`` give *Net revenue 1,200.00*, *Cost of sales (540.00)*, *Gross profit 660.00*.

The indirect cash flow (IAS 7) is built in ``reports.cash_flow`` from the month's movements with
translation differences removed line by line and the effect of exchange rates on cash computed
by its own formula; it has no balancing line. Its last line reconciles it to the balance
sheet's cash and is 0.00 unless the lines leave more than translation rounding unexplained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from close.engine.definitions import (
    PL_SUBTOTALS,
    block_sums,
    income_statement_totals,
    is_current_asset,
    pl_block,
)
from close.engine.money import ZERO, quantize_cents
from close.engine.periods import add_months, parse_period
from reports.cash_flow import (
    MonthFlows,
    fiscal_year_start_of,
    month_flows,
    month_index,
    position_of,
)
from reports.format import format_amount, format_short_period
from reports.labels import t
from reports.model import BoardPackData, ChartAccount, ConsolidatedBalance

LineKind = Literal["section", "item", "subtotal", "total"]

_NCI_PROFIT = "nci_profit"
_NCI_EQUITY = "nci_equity"
_CTA = "cta"
_ALWAYS_SHOWN_ROLES = frozenset({_CTA, _NCI_EQUITY})


@dataclass(frozen=True, slots=True)
class Column:
    """A numeric column of a statement.

    Attributes:
        key: stable id (``current``, ``budget``, ``variance``…).
        label: heading in the document's locale.
        diff_of: for a variance column, the indices of the two columns it subtracts.
        pct_of: for a variance-percentage column, ``(variance, base)``: the variance column
            over the absolute value of the base column, a fraction (``None`` when the base is
            zero); the documents print it as a percentage.

    """

    key: str
    label: str
    diff_of: tuple[int, int] | None = None
    pct_of: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """A statement line.

    Attributes:
        key: account code for an account line, else a label key (``total_assets``…).
        label: text in the document's locale.
        kind: ``section`` (heading, no values), ``item``, ``subtotal`` or ``total``.
        values: one per column, in presented sign; empty for a section.
        components: for subtotals, ``(line index, sign)`` pairs it adds up.
        account: the standard account of an account line.

    """

    key: str
    label: str
    kind: LineKind
    values: tuple[Decimal, ...] = ()
    components: tuple[tuple[int, int], ...] = ()
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A statement ready to render.

    Attributes:
        key: ``balance_sheet``, ``income_statement``, ``cash_flow`` or ``equity_changes``.
        title: heading in the document's locale.
        columns: numeric columns.
        lines: lines, top to bottom.
        notes: sentences printed under the statement ("Budget: not available…").
        alerts: keys of lines the documents print in red (a reconciliation that is not zero).

    """

    key: str
    title: str
    columns: tuple[Column, ...]
    lines: tuple[Line, ...]
    notes: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()

    def value(self, key: str, column: int = 0) -> Decimal:
        """Return the value of the line ``key`` in ``column``.

        Raises:
            KeyError: when the statement has no such line.

        """
        for line in self.lines:
            if line.key == key and line.values:
                return line.values[column]
        raise KeyError(f"{self.key}: no line {key!r}")


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline figure shown in all three documents (presented sign)."""

    key: str
    label: str
    value: Decimal


class _Builder:
    """Collects lines and computes subtotals from their components, column by column."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[Line] = []

    def section(self, key: str, label: str) -> None:
        self.lines.append(Line(key, label, "section"))

    def item(self, key: str, label: str, values: tuple[Decimal, ...],
             account: str | None = None) -> int:
        self.lines.append(Line(key, label, "item", values, (), account))
        return len(self.lines) - 1

    def subtotal(self, key: str, label: str, components: Iterable[tuple[int, int]],
                 kind: LineKind = "subtotal") -> int:
        comps = tuple(components)
        values = tuple(
            sum((sign * self.lines[i].values[c] for i, sign in comps), ZERO)
            for c in range(self.width))
        self.lines.append(Line(key, label, kind, values, comps))
        return len(self.lines) - 1


def _closing_map(balances: Iterable[ConsolidatedBalance]) -> dict[str, Decimal]:
    return {b.account: b.closing for b in balances}


def _month_map(balances: Iterable[ConsolidatedBalance]) -> dict[str, Decimal]:
    return {b.account: b.month for b in balances}


def _is_income_statement(account: ChartAccount) -> bool:
    return account.account_class in ("revenue", "expense")


def _pl_group(account: ChartAccount) -> str:
    return pl_block(account.account_class, account.subclass, account.system_role) or ""


def _shown(values: tuple[Decimal, ...], account: ChartAccount) -> bool:
    return account.system_role in _ALWAYS_SHOWN_ROLES or any(v != 0 for v in values)


def balance_sheet(data: BoardPackData) -> Statement:
    """Build the consolidated balance sheet with prior-month, prior year-end and prior-year columns.

    Each comparative column is shown when its effective run exists; the prior year-end is IAS 1's
    comparative (paragraph 38), the other two are what a board compares the month with.

    Equity shows the owners' share (share capital, reserves, CTA in OCI, the year's profit
    attributable to owners) and, separately, non-controlling interests.

    Args:
        data: the board pack.

    Returns:
        The statement; ``Statement.value("total_assets")`` is the headline total assets.

    """
    loc = data.locale
    sources: list[tuple[Column, Mapping[str, Decimal]]] = [
        (Column("current", format_short_period(data.period, loc)), _closing_map(data.balances))]
    notes: list[str] = []
    comparatives = [("prior_month", data.prior_month), ("prior_year_end", data.prior_year_end),
                    ("prior_year", data.prior_year)]
    if data.prior_month is not None and data.prior_year_end is not None \
            and data.prior_month.period == data.prior_year_end.period:
        comparatives.pop(0)  # the first month of a fiscal year: the prior month is the year-end
    for key, comp in comparatives:
        if comp is None:
            notes.append(t(loc, "section_not_available", what=t(loc, key)))
        else:
            sources.append((Column(key, f"{t(loc, key)} {format_short_period(comp.period, loc)}"),
                            _closing_map(comp.balances)))
    b = _Builder(len(sources))

    def values(account: ChartAccount, sign: int) -> tuple[Decimal, ...]:
        return tuple(sign * m.get(account.code, ZERO) for _, m in sources)

    def items(accounts: Iterable[ChartAccount], sign: int) -> list[tuple[int, int]]:
        out = []
        for a in accounts:
            v = values(a, sign)
            if _shown(v, a):
                out.append((b.item(a.code, a.name, v, a.code), 1))
        return out

    assets = [a for a in data.chart if a.account_class == "asset"]
    liabilities = [a for a in data.chart if a.account_class == "liability"]
    equity = [a for a in data.chart if a.account_class == "equity"]

    b.section("assets", t(loc, "assets"))
    b.section("current_assets", t(loc, "current_assets"))
    cur_a = b.subtotal("total_current_assets", t(loc, "total_current_assets"), items(
        (a for a in assets if is_current_asset(a.subclass, a.kpi_tags)), 1))
    b.section("non_current_assets", t(loc, "non_current_assets"))
    non_a = b.subtotal("total_non_current_assets", t(loc, "total_non_current_assets"), items(
        (a for a in assets if not is_current_asset(a.subclass, a.kpi_tags)), 1))
    b.subtotal("total_assets", t(loc, "total_assets"), [(cur_a, 1), (non_a, 1)], "total")

    b.section("liabilities", t(loc, "liabilities"))
    b.section("current_liabilities", t(loc, "current_liabilities"))
    cur_l = b.subtotal("total_current_liabilities", t(loc, "total_current_liabilities"), items(
        (a for a in liabilities if "current_liability" in a.kpi_tags), -1))
    b.section("non_current_liabilities", t(loc, "non_current_liabilities"))
    non_l = b.subtotal("total_non_current_liabilities", t(loc, "total_non_current_liabilities"),
                       items((a for a in liabilities if "current_liability" not in a.kpi_tags), -1))
    total_l = b.subtotal("total_liabilities", t(loc, "total_liabilities"), [(cur_l, 1), (non_l, 1)])

    b.section("equity", t(loc, "equity"))
    owner_items = items((a for a in equity if a.system_role != _NCI_EQUITY), -1)
    is_accounts = [a for a in data.chart if _is_income_statement(a)]
    # The year's result still sits in the income-statement accounts (year to date); the NCI
    # share is already booked to its own expense line, so what is left belongs to the owners.
    profit = tuple(-sum((m.get(a.code, ZERO) for a in is_accounts), ZERO) for _, m in sources)
    owner_items.append((b.item("profit_for_year_owners", t(loc, "profit_for_year_owners"),
                               profit), 1))
    owners = b.subtotal("equity_owners", t(loc, "equity_owners"), owner_items)
    nci_accounts = [a for a in equity if a.system_role == _NCI_EQUITY]
    nci_values = tuple(-sum((m.get(a.code, ZERO) for a in nci_accounts), ZERO) for _, m in sources)
    nci = b.item("nci", t(loc, "nci"), nci_values)
    total_e = b.subtotal("total_equity", t(loc, "total_equity"), [(owners, 1), (nci, 1)])
    b.subtotal("total_liabilities_equity", t(loc, "total_liabilities_equity"),
               [(total_l, 1), (total_e, 1)], "total")
    return Statement("balance_sheet", t(loc, "balance_sheet"),
                     tuple(c for c, _ in sources), tuple(b.lines), tuple(notes))


def income_statement(data: BoardPackData) -> Statement:
    """Build the income statement: month and year to date, each vs budget and the prior year.

    Args:
        data: the board pack.

    Returns:
        The statement; ``value("net_revenue")`` / ``value("profit_for_period")`` give the month
        (column 0) and, at ``ytd_column``, the year to date.

    """
    loc = data.locale
    cols: list[Column] = [Column("month", t(loc, "col_month"))]
    maps: list[Mapping[str, Decimal] | None] = [_month_map(data.balances)]
    notes: list[str] = []
    if data.budget is not None:
        cols += [Column("budget", t(loc, "col_budget")),
                 Column("variance", t(loc, "col_variance"), (0, 1))]
        maps += [_month_map(data.budget.balances), None]
    if data.prior_year is not None:
        cols.append(Column("prior_year_month", t(loc, "col_prior_year_month")))
        maps.append(_month_map(data.prior_year.balances))
    cols.append(Column("ytd", t(loc, "col_ytd")))
    maps.append(_closing_map(data.balances))
    ytd = len(cols) - 1
    if data.budget is not None:
        cols += [Column("budget_ytd", t(loc, "col_budget_ytd")),
                 Column("variance_ytd", t(loc, "col_variance_ytd"), (ytd, ytd + 1))]
        maps += [_closing_map(data.budget.balances), None]
    else:
        notes.append(t(loc, "section_not_available", what=t(loc, "budget")))
    if data.prior_year is not None:
        cols.append(Column("prior_year_ytd", f"{t(loc, 'col_prior_year_ytd')}"))
        maps.append(_closing_map(data.prior_year.balances))
    else:
        notes.append(t(loc, "section_not_available", what=t(loc, "prior_year")))
    columns = tuple(cols)
    return Statement("income_statement", t(loc, "income_statement"), columns,
                     income_lines(data, columns, maps), tuple(notes))


def income_lines(data: BoardPackData, columns: tuple[Column, ...],
                 maps: list[Mapping[str, Decimal] | None]) -> tuple[Line, ...]:
    """Lay out the income statement's lines: accounts by block, the subtotals of ``PL_SUBTOTALS``.

    Args:
        data: the board pack (chart and locale).
        columns: the statement's columns.
        maps: one per column, account → amount in TB sign; ``None`` for a difference column.

    Returns:
        The lines, subtotals adding up their components column by column.

    """
    loc = data.locale

    def values(account: ChartAccount) -> tuple[Decimal, ...]:
        raw = [None if m is None else -m.get(account.code, ZERO) for m in maps]
        return _fill_differences(raw, columns)

    b = _Builder(len(columns))
    groups: dict[str, list[ChartAccount]] = {}
    for a in data.chart:
        if _is_income_statement(a):
            groups.setdefault(_pl_group(a), []).append(a)

    def items(group: str) -> list[tuple[int, int]]:
        out = []
        for a in groups.get(group, []):
            v = values(a)
            if _shown(v, a):
                out.append((b.item(a.code, a.name, v, a.code), 1))
        return out

    sections = {"revenue": "revenue", "cogs": "cost_of_sales", "opex": "operating_expenses",
                "finance": "finance_and_other"}
    subtotals: dict[str, int] = {}
    for key, start, block in PL_SUBTOTALS:
        if block in sections:
            b.section(sections[block], t(loc, sections[block]))
        parts = ([(subtotals[start], 1)] if start else []) + items(block)
        subtotals[key] = b.subtotal(key, t(loc, key), parts,
                                    "total" if key == "profit_for_period" else "subtotal")
    profit = subtotals["profit_for_period"]
    b.section("attributable_to", t(loc, "attributable_to"))
    nci_accounts = groups.get("nci", [])
    nci_values = _fill_differences(
        [None if m is None else sum((m.get(a.code, ZERO) for a in nci_accounts), ZERO)
         for m in maps], columns)
    nci = b.item("nci_share", t(loc, "nci_share"), nci_values)
    b.subtotal("owners_of_parent", t(loc, "owners_of_parent"), [(profit, 1), (nci, -1)])
    return tuple(b.lines)


# The statement of changes in equity's component columns, in order: where each equity account
# of the balance sheet sits. The income-statement accounts (the year's result, before the
# fiscal year-end roll) and the roll's accounts belong to retained earnings, as on the balance
# sheet's "profit for the year attributable to owners" line.
_SOCE_COMPONENTS = ("share_capital", "retained_earnings", "translation_reserve", "other_reserves")
_RETAINED_ROLES = frozenset({"retained_earnings", "dividends", "current_year_result"})


def _equity_component(account: ChartAccount) -> str | None:
    if _is_income_statement(account):
        return "retained_earnings"
    if account.account_class != "equity":
        return None
    if account.system_role == _NCI_EQUITY:
        return "nci"
    if account.system_role == _CTA:
        return "translation_reserve"
    if account.subclass == "share_capital":
        return "share_capital"
    if account.system_role in _RETAINED_ROLES:
        return "retained_earnings"
    return "other_reserves"


def _equity_by_component(balances: Iterable[ConsolidatedBalance],
                         chart: Iterable[ChartAccount]) -> dict[str, Decimal]:
    """Return each component's equity (credit positive) as the balance sheet presents it."""
    where = {a.code: _equity_component(a) for a in chart}
    out: dict[str, Decimal] = {}
    for b in balances:
        key = where.get(b.account)
        if key is not None:
            out[key] = out.get(key, ZERO) - b.closing
    return out


def statement_of_changes_in_equity(data: BoardPackData) -> Statement:
    """Build the consolidated statement of changes in equity (IAS 1.106), fiscal year to date.

    Columns: share capital, retained earnings (with the year's result), translation reserve
    (CTA), other reserves (when the chart has any), attributable to owners, NCI, total. Rows: the
    prior fiscal year-end's balance sheet, the year's profit (the income statement's owners' and
    NCI shares), exchange differences on translating foreign operations (the owners' CTA account
    movement; the NCI's share of CTA from the attributions at both dates), other reserve
    movements from their own accounts, dividends declared (owners: the dividends account, reset
    at each year end; NCI: the engine's NCI journals' share of the subsidiaries' dividends),
    transactions with NCI (owners: the parent's equity account of ownership steps; NCI: the
    steps' NCI change this fiscal year), the closing balance sheet and the reconciliation:
    closing − (opening + every movement), 0.00 when every movement is explained, else printed in
    red with a note. There is no balancing line.

    At the prior year-end the year's result still sits in the income-statement accounts and the
    dividends account: the opening retained earnings include them, as the balance sheet's prior
    year-end column does (``profit_for_year_owners``).

    Args:
        data: the board pack.

    Returns:
        The statement; without a prior year-end it has no lines and a "not available" note.

    """
    loc = data.locale
    components = [c for c in _SOCE_COMPONENTS
                  if c != "other_reserves" or any(_equity_component(a) == c for a in data.chart)]
    keys = [*components, "equity_owners", "nci", "total_equity"]
    columns = tuple(Column(k, t(loc, f"soce_col_{k}")) for k in keys)
    title = t(loc, "equity_changes")
    if data.prior_year_end is None:
        return Statement("equity_changes", title, columns, (), (
            t(loc, "section_not_available", what=t(loc, "prior_year_end")),))

    def row(parts: Mapping[str, Decimal]) -> tuple[Decimal, ...]:
        owners = sum((parts.get(c, ZERO) for c in components), ZERO)
        nci = parts.get("nci", ZERO)
        return (*(parts.get(c, ZERO) for c in components), owners, nci, owners + nci)

    def account_total(balances: Iterable[ConsolidatedBalance], role: str) -> Decimal:
        codes = {a.code for a in data.chart if a.system_role == role}
        return -sum((b.closing for b in balances if b.account in codes), ZERO)

    opening_balances, closing_balances = data.prior_year_end.balances, data.balances
    pl = income_statement(data)
    ytd = ytd_column(pl)
    b = _Builder(len(columns))
    opening = b.item("soce_opening", t(loc, "soce_opening", period=format_short_period(
        data.prior_year_end.period, loc)), row(_equity_by_component(opening_balances, data.chart)))
    profit = b.item("soce_profit", t(loc, "soce_profit"), row({
        "retained_earnings": pl.value("owners_of_parent", ytd), "nci": pl.value("nci_share", ytd)}))
    notes: list[str] = []
    cta_owners = account_total(closing_balances, _CTA) - account_total(opening_balances, _CTA)
    if data.prior_year_end_attributions is None:
        cta_nci = ZERO
        notes.append(t(loc, "soce_no_prior_nci_cta"))
    else:
        cta_nci = (sum((a.cta_nci for a in data.attributions), ZERO)
                   - sum((a.cta_nci for a in data.prior_year_end_attributions), ZERO))
    oci = [(b.item("soce_exchange_differences", t(loc, "soce_exchange_differences"),
                   row({"translation_reserve": cta_owners, "nci": cta_nci})), 1)]
    associates = (account_total(closing_balances, "share_of_associate_oci")
                  - account_total(opening_balances, "share_of_associate_oci"))
    if associates:
        oci.append((b.item("soce_associates_oci", t(loc, "soce_associates_oci"),
                           row({"other_reserves": associates})), 1))
    comprehensive = b.subtotal("soce_total_comprehensive", t(loc, "soce_total_comprehensive"),
                               [(profit, 1), *oci])
    movements = [(comprehensive, 1)]
    # The dividends account holds the year's declarations (the roll empties it at year end); the
    # engine's NCI journals take the minority's share out of it (``nci_journal``, year to date).
    dividends = account_total(closing_balances, "dividends")
    dividend_codes = {a.code for a in data.chart if a.system_role == "dividends"}
    nci_dividends = sum((ln.amount for j in data.journals if j.kind == "nci" for ln in j.lines
                         if ln.account in dividend_codes), ZERO)
    if dividends or nci_dividends:
        movements.append((b.item("soce_dividends", t(loc, "soce_dividends"),
                                 row({"retained_earnings": dividends, "nci": nci_dividends})), 1))
    # Owners: the parent's equity account of the steps; NCI: each step's NCI change this year.
    with_nci = (account_total(closing_balances, "transactions_with_nci")
                - account_total(opening_balances, "transactions_with_nci"))
    fy_first = add_months(data.prior_year_end.period, 1)
    nci_steps = sum((s.nci_change for s in data.ownership_steps if fy_first <= s.period <= data.period),
                    ZERO)
    if with_nci or nci_steps:
        movements.append((b.item("soce_transactions_with_nci", t(loc, "soce_transactions_with_nci"),
                                 row({"other_reserves": with_nci, "nci": nci_steps})), 1))
    closing = b.item("soce_closing", t(loc, "soce_closing", period=format_short_period(
        data.period, loc)), row(_equity_by_component(closing_balances, data.chart)))
    recon = b.subtotal("soce_reconciliation", t(loc, "soce_reconciliation"),
                       [(closing, 1), (opening, -1), *((i, -s) for i, s in movements)])
    alerts: tuple[str, ...] = ()
    for column, value in zip(columns, b.lines[recon].values, strict=True):
        if value != ZERO:
            notes.append(t(loc, "soce_not_reconciled", column=column.label,
                           amount=format_amount(value, loc)))
            alerts = ("soce_reconciliation",)
    return Statement("equity_changes", title, columns, tuple(b.lines), tuple(notes), alerts)


def _fill_differences(raw: list[Decimal | None], columns: tuple[Column, ...]) -> tuple[Decimal, ...]:
    out = list(raw)
    for i, col in enumerate(columns):
        if col.diff_of is not None:
            left, right = col.diff_of
            out[i] = _require(out[left]) - _require(out[right])
    return tuple(_require(v) for v in out)


def _require(value: Decimal | None) -> Decimal:
    if value is None:
        raise ValueError("a statement column has no value and is not a difference column")
    return value


def ytd_column(statement: Statement) -> int:
    """Return the index of the year-to-date column of the income statement."""
    return next(i for i, c in enumerate(statement.columns) if c.key == "ytd")


def cash_flow(data: BoardPackData) -> Statement:
    """Build the IAS 7 indirect cash flow statement: the month, the prior month and the year to date.

    The lines come from ``reports.cash_flow``, exact (translation differences removed line by
    line from each row's exact local amounts). Rounding, per column:

    * the effect of exchange rates on cash is the IAS 7.28 formula on the exact local cash,
      summed over the column's months and rounded once (half-even);
    * cash at the beginning and at the end are the balance sheets' cash;
    * the exact reconciliation (balance-sheet change in cash − exact lines − exact FX effect)
      is what the engine's per-line translation rounding leaves (each translated line of cash
      and of the income statement is rounded once, ``close.engine.fx``; the exact lines are not):
      within ``reconciliation_tolerance`` it is presentation rounding, beyond it the statement
      is incomplete and the line prints it, in red, with a note;
    * the activity lines are apportioned (``_apportion``) to what the balance sheet's change in
      cash leaves after the FX effect and the printed reconciliation, so they add up to it.

    The printed reconciliation (balance sheet's cash − cash at the end) is therefore 0.00 for a
    complete statement, and every subtotal is the sum of the printed lines above it.

    Args:
        data: the board pack.

    Returns:
        The statement; ``value("cash_balance_sheet")`` is the balance sheet's cash and
        ``value("reconciliation")`` the difference (zero when the statement is complete).

    """
    loc = data.locale
    chain = [*data.positions, position_of(data)]
    currency_of = {e.id: e.currency for e in data.entities}
    months: dict[str, MonthFlows] = {}
    for before, after in zip(chain, chain[1:], strict=False):
        first = parse_period(after.period)[1] == data.fiscal_year_start
        months[after.period] = month_flows(before, after, data.chart, currency_of,
                                           data.presentation_currency, first)
    notes: list[str] = []
    columns: list[tuple[Column, list[MonthFlows]]] = []
    current = months.get(data.period)
    if current is None:
        notes.append(t(loc, "cf_no_opening"))
        current = month_flows(chain[-1], chain[-1], data.chart, currency_of,
                              data.presentation_currency, False)
    columns.append((Column("month", t(loc, "col_month")), [current]))
    prior = months.get(add_months(data.period, -1))
    if prior is not None:
        columns.append((Column("prior_month", t(loc, "prior_month")), [prior]))
    start = fiscal_year_start_of(data.period, data.fiscal_year_start)
    year = [m for p, m in months.items() if p >= start]
    if len(year) == month_index(data.period, data.fiscal_year_start):
        columns.append((Column("ytd", t(loc, "col_ytd")), year))
    else:
        notes.append(t(loc, "section_not_available", what=t(loc, "col_ytd")))
    return _cash_flow_statement(data, columns, notes)


def _cash_flow_statement(data: BoardPackData, columns: list[tuple[Column, list[MonthFlows]]],
                         notes: list[str]) -> Statement:
    loc = data.locale
    names = {a.code: a.name for a in data.chart}
    width = len(columns)

    def total(key: str) -> list[Decimal]:
        return [sum((m.get(key) for m in ms), ZERO) for _, ms in columns]

    def by_account(section: str) -> dict[str, list[Decimal]]:
        out: dict[str, list[Decimal]] = {}
        for i, (_, ms) in enumerate(columns):
            for m in ms:
                for code, (s, v) in m.accounts.items():
                    if s == section:
                        out.setdefault(code, [ZERO] * width)[i] += v
        return out

    # (key, label, exact values) of every line that adds up to the net change in cash
    plan: list[tuple[str, str, list[tuple[str, str, list[Decimal]]]]] = []
    operating = [(k, t(loc, f"cf_{k}"), total(k)) for k in _CF_OPERATING]
    working = [(c, names.get(c, c), v) for c, v in by_account("operating").items()]
    operating[-2:-2] = working
    plan.append(("operating_activities", "net_cash_operating", operating))
    capex = [sum(vs, ZERO) for vs in zip(*by_account("capex").values(), strict=True)] \
        if by_account("capex") else [ZERO] * width
    disposals = total("disposals")
    investing = [("capex", t(loc, "cf_capex"), [c + d for c, d in zip(capex, disposals,
                                                                        strict=True)])]
    investing += [(c, names.get(c, c), v) for c, v in by_account("investing").items()]
    investing += [(k, t(loc, f"cf_{k}"), total(k)) for k in ("acquisitions", "associates")]
    plan.append(("investing_activities", "net_cash_investing", investing))
    financing = [(c, names.get(c, c), v) for c, v in by_account("financing").items()]
    financing += [(k, t(loc, f"cf_{k}"), total(k)) for k in ("dividends_paid", "dividends_nci")]
    plan.append(("financing_activities", "net_cash_financing", financing))
    begin = [_cents(ms[0].get("cash_beginning")) for _, ms in columns]
    end = [_cents(ms[-1].get("cash_end")) for _, ms in columns]
    rows = sum(1 for w in data.worksheet if w.local_currency != data.presentation_currency)
    # The effect of exchange rates is the IAS 7.28 formula on the exact local cash, rounded once.
    fx = [quantize_cents(v) for v in total("fx_effect")]
    # What the exact lines leave unexplained of the balance sheet's change in cash: beyond the
    # translation rounding it is printed, in red; within it, it is presentation rounding.
    recon = [ZERO if abs(v) <= reconciliation_tolerance(rows, len(ms)) else quantize_cents(v)
             for v, (_, ms) in zip(total("reconciliation"), columns, strict=True)]
    activities = [e - b0 - f - r for b0, e, f, r in zip(begin, end, fx, recon, strict=True)]
    rounded = _apportion([v for _, _, items in plan for _, _, v in items], activities)
    b = _Builder(width)
    subtotals = []
    it = iter(rounded)
    for section, subtotal, items in plan:
        b.section(section, t(loc, section))
        parts = []
        for key, label, _ in items:
            values = next(it)
            if any(v != 0 for v in values) or key in _CF_ALWAYS:
                parts.append((b.item(key, label, values, key if key in names else None), 1))
        subtotals.append((b.subtotal(subtotal, t(loc, subtotal), parts), 1))
    fx_line = b.item("fx_effect", t(loc, "cf_fx_effect"), tuple(fx))
    net = b.subtotal("net_change_cash", t(loc, "net_change_cash"), [*subtotals, (fx_line, 1)])
    begin_line = b.item("cash_beginning", t(loc, "cash_beginning"), tuple(begin))
    end_line = b.subtotal("cash_end", t(loc, "cash_end"), [(begin_line, 1), (net, 1)], "total")
    sheet = b.item("cash_balance_sheet", t(loc, "cf_cash_balance_sheet"), tuple(end))
    recon_line = b.subtotal("reconciliation", t(loc, "cf_reconciliation"),
                            [(sheet, 1), (end_line, -1)])
    alerts: tuple[str, ...] = ()
    for (column, _), value in zip(columns, b.lines[recon_line].values, strict=True):
        if value != ZERO:
            notes.append(t(loc, "cf_not_reconciled", column=column.label,
                           amount=format_amount(value, loc)))
            alerts = ("reconciliation",)
    return Statement("cash_flow", t(loc, "cash_flow"), tuple(c for c, _ in columns),
                     tuple(b.lines), tuple(notes), alerts)


def reconciliation_tolerance(translated_rows: int, months: int) -> Decimal:
    """Return the translation rounding the exact lines may leave: ½ cent per translated row a month.

    The engine rounds every translated line half-even once and the CTA, the balancing figure,
    absorbs the rounding (``close.engine.fx``: the same ½ minor unit per line bounds CTA plug − parts);
    the exact cash flow differs from the balance sheet's rounded cash by that and nothing more.
    """
    return Decimal("0.005") * max(translated_rows, 1) * max(months, 1)


_CF_OPERATING = ("profit", "add_d_and_a", "add_ppa_amortization", "add_impairment",
                 "add_exchange_differences", "less_associates", "add_interest", "add_tax",
                 "interest_paid", "tax_paid")
_CF_ALWAYS = frozenset({"profit", "capex"})


_CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT)


def _apportion(lines: list[list[Decimal]], totals: list[Decimal]) -> list[tuple[Decimal, ...]]:
    """Round each column's lines to cents so that they add up to the column's total, in cents.

    Each line is rounded half-even; the cents still missing (or too many) go one at a time to
    the lines whose rounding moved them furthest the other way (the largest-remainder method).
    Lines already in whole cents (the income statement's figures) come last, so the cash flow
    repeats them unchanged, and so do lines that round to nothing (a goodwill row's rounding
    noise), so no cent appears on a line without a flow. The total differs from the exact
    lines' sum by presentation rounding only (see ``cash_flow``): the balance sheet's cash is
    a sum of lines each translated and rounded once, the lines are exact.
    """
    out = [[ZERO] * len(totals) for _ in lines]
    for col, target in enumerate(totals):
        exact = [line[col] for line in lines]
        cents = [quantize_cents(v) for v in exact]
        missing = int((target - sum(cents, ZERO)) / _CENT)
        step = 1 if missing > 0 else -1
        order = sorted(range(len(lines)), key=lambda i: (
            cents[i] == exact[i], cents[i] == ZERO, -step * (exact[i] - cents[i]), i))
        for rank in range(abs(missing)):
            cents[order[rank % len(order)]] += step * _CENT
        for i, v in enumerate(cents):
            out[i][col] = v + ZERO  # no "-0.00"
    return [tuple(v) for v in out]


@dataclass(frozen=True, slots=True)
class Statements:
    """The four statements and the headline figures, derived once per document."""

    balance_sheet: Statement
    income_statement: Statement
    cash_flow: Statement
    equity_changes: Statement
    headlines: tuple[Headline, ...]

    def headline(self, key: str) -> Decimal:
        """Return the headline figure ``key`` (e.g. ``total_assets``).

        Raises:
            KeyError: for an unknown key.

        """
        for h in self.headlines:
            if h.key == key:
                return h.value
        raise KeyError(key)


def build_statements(data: BoardPackData) -> Statements:
    """Derive the statements and headline figures every document prints.

    Args:
        data: the board pack.

    Returns:
        The statements; headline keys: ``total_assets``, ``revenue_month``, ``revenue_ytd``,
        ``ebitda_month``, ``ebitda_ytd``, ``net_income_month``, ``net_income_ytd``,
        ``net_income_owners_ytd``, ``total_equity``, ``cta``, ``nci``, ``cash``.

    """
    bs, pl, cf = balance_sheet(data), income_statement(data), cash_flow(data)
    ytd = ytd_column(pl)
    cta_codes = {a.code for a in data.chart if a.system_role == _CTA}
    cta = -sum((b.closing for b in data.balances if b.account in cta_codes), ZERO)
    figures: list[tuple[str, Callable[[], Decimal]]] = [
        ("total_assets", lambda: bs.value("total_assets")),
        ("revenue_month", lambda: pl.value("net_revenue", 0)),
        ("revenue_ytd", lambda: pl.value("net_revenue", ytd)),
        ("ebitda_month", lambda: pl.value("ebitda", 0)),
        ("ebitda_ytd", lambda: pl.value("ebitda", ytd)),
        ("net_income_month", lambda: pl.value("profit_for_period", 0)),
        ("net_income_ytd", lambda: pl.value("profit_for_period", ytd)),
        ("net_income_owners_ytd", lambda: pl.value("owners_of_parent", ytd)),
        ("total_equity", lambda: bs.value("total_equity")),
        ("cta", lambda: cta),
        ("nci", lambda: bs.value("nci")),
        ("cash", lambda: cf.value("cash_balance_sheet")),
    ]
    headlines = tuple(Headline(k, t(data.locale, f"hl_{k}"), f()) for k, f in figures)
    return Statements(bs, pl, cf, statement_of_changes_in_equity(data), headlines)


def income_statement_figures(balances: Iterable[ConsolidatedBalance],
                             chart: Iterable[ChartAccount], *, use_month: bool = True
                             ) -> dict[str, Decimal]:
    """Revenue, EBITDA and net income (presented sign) of any set of balances, e.g. a trend point.

    Uses the same placement rules as ``income_statement`` so a trend point and the statement
    agree for the same period.

    Args:
        balances: consolidated balances.
        chart: the chart.
        use_month: the month's movement (``True``) or the year to date.

    Returns:
        ``{"revenue": …, "ebitda": …, "net_income": …}``.

    """
    amounts = _month_map(balances) if use_month else _closing_map(balances)
    totals = income_statement_totals(block_sums(amounts, _chart_rows(chart)))
    return {"revenue": totals["net_revenue"], "ebitda": totals["ebitda"],
            "net_income": totals["profit_for_period"]}


def _chart_rows(chart: Iterable[ChartAccount]) -> list[tuple[str, str, str, str | None]]:
    return [(a.code, a.account_class, a.subclass, a.system_role) for a in chart]


@dataclass(frozen=True, slots=True)
class EntityFigure:
    """One line of a company's page: local, translated and after consolidation postings.

    Attributes:
        key: ``revenue``, ``ebitda``, ``net_income`` (YTD), ``total_assets``,
            ``total_liabilities`` or ``net_assets``.
        label: text in the document's locale.
        local: in the entity's currency.
        translated: in presentation currency.
        consolidated: translated plus its eliminations, PPA and adjustments (its contribution).

    """

    key: str
    label: str
    local: Decimal
    translated: Decimal
    consolidated: Decimal


@dataclass(frozen=True, slots=True)
class EntityFigures:
    """A company's headline figures (presented sign) for its page and slide."""

    entity: str
    currency: str
    figures: tuple[EntityFigure, ...]

    def get(self, key: str) -> EntityFigure:
        """Return the figure ``key``.

        Raises:
            KeyError: for an unknown key.

        """
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)


_ENTITY_FIGURES = (("revenue", "entity_revenue_ytd"), ("ebitda", "entity_ebitda_ytd"),
                   ("net_income", "entity_net_income_ytd"), ("total_assets", "entity_total_assets"),
                   ("total_liabilities", "entity_total_liabilities"),
                   ("net_assets", "entity_net_assets"))


def entity_figures(data: BoardPackData) -> tuple[EntityFigures, ...]:
    """Sum each entity's consolidating-worksheet rows into its headline figures.

    Args:
        data: the board pack.

    Returns:
        One record per entity of ``data.entities``, in that order.

    """
    chart = {a.code: a for a in data.chart}
    rows_by_entity: dict[str, list] = {}
    for r in data.worksheet:
        rows_by_entity.setdefault(r.entity, []).append(r)
    out = []
    for e in data.entities:
        rows = rows_by_entity.get(e.id, [])
        columns = (lambda r: r.local_amount, lambda r: r.translated, lambda r: r.consolidated)
        values: dict[str, list[Decimal]] = {key: [] for key, _ in _ENTITY_FIGURES}
        for pick in columns:
            pl = income_statement_figures(
                [ConsolidatedBalance(r.account, pick(r), ZERO) for r in rows], data.chart,
                use_month=False)
            by_class: dict[str, Decimal] = {}
            for r in rows:
                cls = chart[r.account].account_class if r.account in chart else ""
                by_class[cls] = by_class.get(cls, ZERO) + pick(r)
            values["revenue"].append(pl["revenue"])
            values["ebitda"].append(pl["ebitda"])
            values["net_income"].append(pl["net_income"])
            values["total_assets"].append(by_class.get("asset", ZERO))
            values["total_liabilities"].append(-by_class.get("liability", ZERO))
            values["net_assets"].append(by_class.get("asset", ZERO) + by_class.get("liability", ZERO))
        out.append(EntityFigures(e.id, e.currency, tuple(
            EntityFigure(key, t(data.locale, label), *values[key]) for key, label in _ENTITY_FIGURES)))
    return tuple(out)


# Each income-statement block's variance is the change of its subtotal less the one above it.
_BRIDGE_BLOCKS = (("net_revenue", None, "revenue"), ("gross_profit", "net_revenue", "cost_of_sales"),
                  ("ebitda", "gross_profit", "operating_expenses"),
                  ("operating_profit", "ebitda", "d_and_a"),
                  ("profit_before_tax", "operating_profit", "finance_and_other"),
                  ("profit_for_period", "profit_before_tax", "income_tax"))
BridgeStep = tuple[str, str, Decimal]


def budget_bridge(st: Statements, locale: str, *, result: str = "profit_for_period",
                  ytd: bool = False) -> tuple[BridgeStep, ...] | None:
    """Walk a result from budget to actual, one step per income-statement block above it.

    Args:
        st: the statements.
        locale: label language.
        result: the subtotal to walk to: ``profit_for_period`` (net income) or ``ebitda``.
        ytd: walk the year to date instead of the month.

    Returns:
        ``(key, label, amount)`` steps: the budgeted result, the variance of each block down to
        ``result`` (revenue, cost of sales, operating expenses, then for net income D&A,
        finance and tax; favourable positive), the actual result; ``None`` without a budget.
        The steps add up: budget + every variance = actual.

    """
    pl = st.income_statement
    keys = [c.key for c in pl.columns]
    if "budget" not in keys:
        return None
    actual, budget = ((keys.index("ytd"), keys.index("budget_ytd")) if ytd
                      else (keys.index("month"), keys.index("budget")))

    def diff(key: str) -> Decimal:
        return pl.value(key, actual) - pl.value(key, budget)

    steps: list[BridgeStep] = [("budget", t(locale, "budget"), pl.value(result, budget))]
    for key, before, label in _BRIDGE_BLOCKS:
        steps.append((label, t(locale, label), diff(key) - (diff(before) if before else ZERO)))
        if key == result:
            break
    steps.append(("actual", t(locale, "actual"), pl.value(result, actual)))
    return tuple(steps)


def board_bridges(st: Statements, locale: str) -> tuple[tuple[str, tuple[BridgeStep, ...]], ...]:
    """Return the bridges every document shows after the month's net income one.

    The month's EBITDA and the year-to-date net income, each from budget to actual.

    Returns:
        ``(title, steps)`` pairs, empty without a budget.

    """
    out = []
    for title, result, ytd in (("bridge_ebitda_month", "ebitda", False),
                               ("bridge_net_income_ytd", "profit_for_period", True)):
        steps = budget_bridge(st, locale, result=result, ytd=ytd)
        if steps is not None:
            out.append((t(locale, title), steps))
    return tuple(out)
