"""Key performance indicators of the month, computed from the chart's KPI tags.

The rule: every KPI reads the standard accounts that carry a KPI tag (``revenue``, ``cogs``,
``current_asset`` …, column ``kpi_tags`` of the chart), so a group's own chart drives them
without code. A KPI whose inputs are missing is *not available* (``value=None`` with the
reason), never zero: a month without a cost-of-sales line has no gross margin, not a 100 % one.
Amounts presented here are in normal-balance sign (revenue positive).

Example: revenue 1,000,000, cost of sales 400,000 → gross margin (1,000,000 − 400,000) /
1,000,000 = 60.00 %.

SaaS KPIs (MRR, ARR, NRR, churn, ARPU, LTV/CAC) need customer-level recurring revenue
(``CUSTOMER_COLUMNS``); MRR and ARR fall back to the month's revenue on accounts tagged
``recurring_revenue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from close.engine.definitions import block_sums, definition, income_statement_totals
from close.engine.money import ZERO, exponent, from_minor, quantize_cents
from close.engine.periods import previous_period
from close.engine.types import Currency, Period
from close.errors import InputDataError

# customer: any id; period: YYYY-MM; mrr: int64 minor units of the presentation currency.
CUSTOMER_COLUMNS: tuple[str, ...] = ("customer", "period", "mrr")

PERCENT = "%"
RATIO = "x"


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI of the month.

    Attributes:
        code: stable identifier (``gross_margin``).
        name: display name.
        value: the figure, or None when not available.
        unit: ``%`` (percent, 2 places), ``x`` (ratio, 2 places) or a currency code.
        formula: how it is computed, in words a controller reads.
        reason: why it is not available (None when it is).
        inputs: the named figures it was computed from.

    """

    code: str
    name: str
    value: Decimal | None
    unit: str
    formula: str
    reason: str | None = None
    inputs: tuple[tuple[str, Decimal], ...] = ()

    @property
    def display(self) -> str:
        """The value as text, ``n/a`` when not available."""
        if self.value is None:
            return "n/a"
        return f"{self.value} {self.unit}" if self.unit not in (PERCENT, RATIO) \
            else f"{self.value}{self.unit}"


@dataclass(frozen=True, eq=False)
class KpiInputs:
    """What the KPIs are computed from; the stage adapter builds it from PostgreSQL.

    Attributes:
        chart: the standard chart (code, class, kpi_tags, system_role).
        period: this month.
        currency: the presentation currency.
        month: consolidated figures (std_account, amount int64 minor units, debit positive):
            income-statement accounts as the month's movement, balance-sheet accounts as closings.
        prior_year_month: the same month a year earlier (revenue growth for the Rule of 40).
        customers: customer-level MRR (``CUSTOMER_COLUMNS``) for this month, the prior month
            and the month a year earlier when they exist; None when there is none.

    """

    chart: pd.DataFrame
    period: Period
    currency: Currency
    month: pd.DataFrame
    prior_year_month: pd.DataFrame | None = None
    customers: pd.DataFrame | None = None


class _Figures:
    """Tag and class sums of one month's figures, in presentation-currency Decimals."""

    def __init__(self, frame: pd.DataFrame, chart: pd.DataFrame, currency: Currency) -> None:
        for column in ("std_account", "amount"):
            if column not in frame.columns:
                raise InputDataError("KPI figures: missing column", column=column)
        sums = frame.astype({"std_account": str}).groupby("std_account")["amount"].sum()
        self.amounts = {code: from_minor(int(v), currency) for code, v in sums.items()}
        self.tags: dict[str, set[str]] = {}
        self.classes: dict[str, set[str]] = {}
        self.roles: dict[str, str] = {}
        self.accounts = list(zip(chart["code"].astype(str), chart["class"],
                                 chart["subclass"].fillna(""), chart["system_role"].fillna(""),
                                 strict=True))
        for code, cls, tags, role in zip(chart["code"].astype(str), chart["class"],
                                         chart["kpi_tags"].fillna(""),
                                         chart["system_role"].fillna(""), strict=True):
            self.classes.setdefault(cls, set()).add(code)
            self.roles[code] = role
            for tag in filter(None, (t.strip() for t in str(tags).split(";"))):
                self.tags.setdefault(tag, set()).add(code)

    def tagged(self, tag: str) -> Decimal | None:
        """Debit-positive sum of the accounts tagged ``tag``; None when none has a figure."""
        return self._sum(self.tags.get(tag, set()))

    def of_class(self, *classes: str) -> Decimal | None:
        """Debit-positive sum of the accounts of ``classes``; None when none has a figure."""
        return self._sum(set().union(*(self.classes.get(c, set()) for c in classes)))

    def income_statement(self) -> dict[str, Decimal] | None:
        """Return the income-statement subtotals of ``close.engine.definitions`` (None without P&L)."""
        if self.of_class("revenue", "expense") is None:
            return None
        return income_statement_totals(block_sums(self.amounts, self.accounts))

    def _sum(self, codes: set[str]) -> Decimal | None:
        present = [self.amounts[c] for c in codes if c in self.amounts]
        return sum(present, ZERO) if present else None


class _Missing(Exception):  # noqa: N818 - control flow inside this module, never escapes it
    """An input of a KPI is missing; carries the reason shown as n/a."""


def compute_kpis(inputs: KpiInputs) -> tuple[Kpi, ...]:
    """Compute every KPI of the month; unavailable ones carry their reason.

    Args:
        inputs: the month's consolidated figures, the chart and optional customer data.

    Returns:
        One ``Kpi`` per entry of ``KPI_DEFINITIONS``, in that order.

    Raises:
        InputDataError: a frame lacks a required column.

    """
    ctx = _Context(inputs)
    out: list[Kpi] = []
    for code, name, unit, formula, compute in KPI_DEFINITIONS:
        unit_text = inputs.currency if unit == "currency" else unit
        ctx.used = {}
        try:
            value: Decimal | None = compute(ctx)
            reason = None
        except _Missing as missing:
            value, reason = None, str(missing)
        if value is not None:
            value = quantize_cents(value, exponent(inputs.currency) if unit == "currency" else 2)
        out.append(Kpi(code, name, value, unit_text, formula, reason, tuple(ctx.used.items())))
    return tuple(out)


class _Context:
    """Named inputs of the KPIs; each accessor records what it returned, or raises _Missing."""

    def __init__(self, inputs: KpiInputs) -> None:
        self.inputs = inputs
        self.month = _Figures(inputs.month, inputs.chart, inputs.currency)
        self.prior_year = (_Figures(inputs.prior_year_month, inputs.chart, inputs.currency)
                           if inputs.prior_year_month is not None else None)
        self.customers = (_customer_mrr(inputs.customers, inputs.currency)
                          if inputs.customers is not None else None)
        self.used: dict[str, Decimal] = {}

    def use(self, name: str, value: Decimal | None, missing: str) -> Decimal:
        """Record a named input, or raise _Missing with ``missing`` when it is None."""
        if value is None:
            raise _Missing(missing)
        self.used[name] = value
        return value

    def tag(self, tag: str, *, credit: bool = False, missing: str | None = None) -> Decimal:
        """Sum of the accounts tagged ``tag``, credit tags negated (presented positive).

        When no such account has a figure: n/a with the ``missing`` reason, or zero for an
        optional input (``missing`` None: nothing posted means nothing to add).
        """
        value = self.month.tagged(tag)
        if value is None and missing is None:
            value = ZERO
        return self.use(tag, -value if credit and value is not None else value, missing or "")

    def revenue(self) -> Decimal:
        value = self.tag("revenue", credit=True, missing="no revenue figures")
        if value == ZERO:
            raise _Missing("revenue is zero")
        return value

    def ebitda(self) -> Decimal:
        # One EBITDA (close.engine.definitions): finance income and FX are not added back.
        self.revenue()
        totals = self.month.income_statement()
        if totals is None:
            raise _Missing("no P&L figures")
        return self.use("EBITDA", totals["ebitda"], "no P&L figures")

    def current_liabilities(self) -> Decimal:
        value = self.tag("current_liability", credit=True, missing="no current liabilities")
        if value <= ZERO:
            raise _Missing("current liabilities are not positive")
        return value

    def equity(self) -> Decimal:
        # Net assets equal total equity whether or not the current-year result is posted yet.
        value = self.use("equity", self.month.of_class("asset", "liability"),
                         "no balance sheet figures")
        if value <= ZERO:
            raise _Missing("equity is not positive")
        return value

    def customer_mrr(self, period: Period) -> Mapping[str, Decimal]:
        if self.customers is None:
            raise _Missing("no customer-level recurring revenue data")
        if period not in self.customers:
            raise _Missing(f"no customer-level recurring revenue for {period}")
        by_customer = self.customers[period]
        self.used[f"customer MRR {period}"] = sum(by_customer.values(), ZERO)
        return by_customer

    def mrr(self) -> Decimal:
        if self.customers is not None and self.inputs.period in self.customers:
            return sum(self.customer_mrr(self.inputs.period).values(), ZERO)
        return self.tag("recurring_revenue", credit=True,
                        missing="no customer-level or recurring-revenue data")

    def monthly_churn(self) -> Decimal:
        before = self.customer_mrr(previous_period(self.inputs.period))
        now = self.customer_mrr(self.inputs.period)
        active_before = [c for c, v in before.items() if v > ZERO]
        if not active_before:
            raise _Missing("no paying customers last month")
        lost = [c for c in active_before if now.get(c, ZERO) <= ZERO]
        return _div(len(lost), len(active_before))

    def arpu(self) -> Decimal:
        active = [v for v in self.customer_mrr(self.inputs.period).values() if v > ZERO]
        if not active:
            raise _Missing("no paying customers")
        return sum(active, ZERO) / len(active)


def _customer_mrr(frame: pd.DataFrame, currency: Currency) -> dict[Period, dict[str, Decimal]]:
    missing = [c for c in CUSTOMER_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError("customer data: missing column(s)", column=", ".join(missing))
    sums = frame.astype({"customer": str, "period": str}).groupby(["period", "customer"])["mrr"]
    out: dict[Period, dict[str, Decimal]] = {}
    for (period, customer), mrr in sums.sum().items():
        out.setdefault(period, {})[customer] = from_minor(int(mrr), currency)
    return out


def _div(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


def _pct(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    return _div(numerator, denominator) * 100


def _gross_margin(c: _Context) -> Decimal:
    revenue = c.revenue()
    return _pct(revenue - c.tag("cogs", missing="no cost of sales figures"), revenue)


def _contribution_margin(c: _Context) -> Decimal:
    revenue = c.revenue()
    return _pct(revenue - c.tag("variable_cost", missing="no variable cost figures"), revenue)


def _break_even_revenue(c: _Context) -> Decimal:
    ratio = _contribution_margin(c) / 100
    if ratio <= ZERO:
        raise _Missing("contribution margin is not positive")
    return c.tag("fixed_cost", missing="no fixed cost figures") / ratio


def _revenue_growth(c: _Context) -> Decimal:
    revenue = c.revenue()
    if c.prior_year is None:
        raise _Missing("no figures for the same month last year")
    prior = c.prior_year.tagged("revenue")
    before = c.use("revenue a year earlier", None if prior is None else -prior,
                   "no revenue a year earlier")
    if before == ZERO:
        raise _Missing("revenue a year earlier is zero")
    return _pct(revenue - before, abs(before))


def _nrr(c: _Context) -> Decimal:
    year_ago = previous_period(c.inputs.period)
    for _ in range(11):
        year_ago = previous_period(year_ago)
    cohort = {k: v for k, v in c.customer_mrr(year_ago).items() if v > ZERO}
    if not cohort:
        raise _Missing(f"no paying customers in {year_ago}")
    now = c.customer_mrr(c.inputs.period)
    return _pct(sum((now.get(k, ZERO) for k in cohort), ZERO), sum(cohort.values(), ZERO))


def _ltv_to_cac(c: _Context) -> Decimal:
    churn = c.monthly_churn()
    if churn == ZERO:
        raise _Missing("no churn this month: customer lifetime is undefined")
    ltv = c.arpu() * (_gross_margin(c) / 100) / churn
    before = c.customer_mrr(previous_period(c.inputs.period))
    new = [k for k, v in c.customer_mrr(c.inputs.period).items()
           if v > ZERO and before.get(k, ZERO) <= ZERO]
    if not new:
        raise _Missing("no new customers this month: CAC is undefined")
    cac = c.tag("sales_marketing", missing="no sales and marketing figures") / len(new)
    if cac <= ZERO:
        raise _Missing("no sales and marketing spend: CAC is undefined")
    return _div(ltv, cac)


KpiCompute = Callable[[_Context], Decimal]

# code, name, unit ("%", "x" or "currency"), formula, computation. The order is the report's.
KPI_DEFINITIONS: tuple[tuple[str, str, str, str, KpiCompute], ...] = (
    ("mrr", "Monthly recurring revenue", "currency",
     "sum of customer MRR this month (else revenue on recurring_revenue accounts)",
     lambda c: c.mrr()),
    ("arr", "Annual recurring revenue", "currency", "MRR × 12", lambda c: c.mrr() * 12),
    ("nrr", "Net revenue retention (12 months)", PERCENT,
     "MRR now of customers paying 12 months ago ÷ their MRR then × 100", _nrr),
    ("churn", "Customer churn (monthly)", PERCENT,
     "customers paying last month who pay nothing now ÷ customers paying last month × 100",
     lambda c: c.monthly_churn() * 100),
    ("arpu", "Average revenue per user", "currency", "MRR ÷ paying customers",
     lambda c: c.arpu()),
    ("ltv_cac", "LTV / CAC", RATIO,
     "(ARPU × gross margin ÷ monthly churn) ÷ (sales and marketing ÷ new customers)",
     _ltv_to_cac),
    ("gross_margin", "Gross margin", PERCENT, "(revenue − cost of sales) ÷ revenue × 100",
     _gross_margin),
    ("ebitda", "EBITDA", "currency",
     definition("ebitda").formula, lambda c: c.ebitda()),
    ("ebitda_margin", "EBITDA margin", PERCENT, definition("ebitda_margin").formula,
     lambda c: _pct(c.ebitda(), c.revenue())),
    ("revenue_growth_yoy", "Revenue growth (year over year)", PERCENT,
     "(revenue − revenue a year earlier) ÷ |revenue a year earlier| × 100", _revenue_growth),
    ("rule_of_40", "Rule of 40", PERCENT, "revenue growth (YoY) % + EBITDA margin %",
     lambda c: _revenue_growth(c) + _pct(c.ebitda(), c.revenue())),
    ("current_ratio", "Current ratio", RATIO, "current assets ÷ current liabilities",
     lambda c: _div(c.tag("current_asset", missing="no current assets"),
                    c.current_liabilities())),
    ("quick_ratio", "Quick ratio", RATIO, "quick assets ÷ current liabilities",
     lambda c: _div(c.tag("quick_asset", missing="no quick assets"), c.current_liabilities())),
    ("debt_to_equity", "Debt to equity", RATIO, "borrowings ÷ total equity (net assets)",
     lambda c: _div(c.tag("debt", credit=True), c.equity())),
    ("contribution_margin", "Contribution margin", PERCENT,
     "(revenue − variable costs) ÷ revenue × 100", _contribution_margin),
    ("break_even_revenue", "Break-even revenue (monthly)", "currency",
     "fixed costs ÷ contribution margin ratio", _break_even_revenue),
)
