"""The consolidated cash flow statement, indirect method (IAS 7), without a balancing line.

Built from month-end positions: each (entity, standard account) row of the consolidating
worksheet (translated amount plus the eliminations, PPA and adjustments posted on that row) at
the opening and at the closing of the month, and the rates the engine used. For a row of a
foreign operation on an account translated at the closing rate (and the NCI in it, which is a
share of net assets at the closing rate), the movement is split (IAS 7.25-28, IAS 21.39):

* **at the average rate** — ``(closing ÷ C1 − opening ÷ C0) × A``: the month's local movement
  at the month's average rate; this is what the cash flow line shows;
* **translation difference** — the rest, ``opening_local × (C1 − C0) + movement_local ×
  (C1 − A)``; non-cash, it belongs to the CTA and never reaches a cash flow line.

Rows of the presentation currency and accounts at historical or average rates move at their own
rates and have no translation difference. The lines are then (cash effect, inflow positive):

* operating: profit for the period (before NCI) + non-cash items from the income statement
  (D&A, PPA amortization, impairment, exchange differences, share of associates' profit) +
  finance costs and income tax added back and shown as *interest paid* / *income tax paid*
  (tax paid = expense − increase in taxes payable) − the increase of each operating balance;
* investing: capital expenditure, acquisitions (goodwill, acquired intangibles, investment in
  subsidiaries), associates (contributions less dividends received), disposals (the release of
  accumulated depreciation beyond the month's charge), other investing balances;
* financing: borrowings, share capital, dividends paid to owners, dividends paid to NCI (the
  NCI movement less its share of profit);
* **effect of exchange-rate changes on cash**, computed, not plugged: per foreign operation,
  ``opening cash × (C1 − C0) + net cash flow × (C1 − A)`` on its exact local cash;
* a **reconciliation** (``reconciliation``, exact): the change in cash on the balance sheet −
  (operating + investing + financing + FX effect). The lines use each row's exact local amount
  (``MonthPosition.local_rows``) where the row is its translation alone, so what is left is the
  engine's per-line translation rounding (of cash, of the income statement's lines, of group
  postings on foreign rows); ``reports.statements.cash_flow`` rounds the statement and prints
  anything beyond that rounding in red.

The year to date is the sum of the months since the fiscal year started (the FX effect of the
months adds up to ``opening cash × (C_now − C_start) + Σ flow_m × (C_now − A_m)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from close.engine.definitions import CAPEX_SUBCLASSES, block_sums, income_statement_totals
from close.engine.money import ZERO
from close.engine.periods import parse_period
from close.engine.types import Period
from reports.model import BoardPackData, ChartAccount, MonthPosition

_CLOSING = "closing"
_HALF_CENT = Decimal("0.005")  # of the presentation currency: the engine rounds to its cent
_NCI_EQUITY = "nci_equity"
_ACQUISITION_ROLES = frozenset({"goodwill", "ppa_intangible", "investment_in_subsidiaries"})


@dataclass(frozen=True, slots=True)
class Rates:
    """A currency's rates for one month (presentation units per local unit)."""

    opening: Decimal
    average: Decimal
    closing: Decimal


def _rate_map(position: MonthPosition) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    return dict(position.closing_rates), dict(position.average_rates)


def month_rates(opening: MonthPosition, closing: MonthPosition) -> dict[str, Rates]:
    """Return each currency's opening, average and closing rate of the month ``closing``."""
    c0, _ = _rate_map(opening)
    c1, avg = _rate_map(closing)
    return {cur: Rates(c0.get(cur, c1[cur]), avg.get(cur, c1[cur]), c1[cur]) for cur in c1}


@dataclass(frozen=True, slots=True)
class Split:
    """A row's movement at the average rate and its translation difference."""

    at_average: Decimal
    translation: Decimal


def split_movement(opening: Decimal, closing: Decimal, rates: Rates | None,
                   local: tuple[Decimal, Decimal] | None = None) -> Split:
    """Split a closing-rate row's movement into its average-rate part and translation difference.

    Args:
        opening: the row at the opening (presentation currency).
        closing: the row at the closing.
        rates: the row's currency rates; None for the presentation currency.
        local: the row's exact (opening, closing) in its own currency, when the row is its
            translation alone; otherwise (a group posting — goodwill, PPA, NCI — has no local
            amount of its own) the local equivalent is ``amount ÷ rate``, and a row whose two
            balances are consistent with an unchanged local amount (each was rounded to the
            presentation cent, so it is known to ± ½ cent ÷ rate) did not move.

    Returns:
        ``at_average + translation == closing − opening``; the translation part carries the
        engine's rounding of the row, the average-rate part is exact.

    """
    if rates is None:
        return Split(closing - opening, ZERO)
    if local is None:
        l0, l1 = opening / rates.opening, closing / rates.closing
        if abs(l1 - l0) <= _HALF_CENT / rates.opening + _HALF_CENT / rates.closing:
            l1 = l0
    else:
        l0, l1 = local
    at_average = (l1 - l0) * rates.average
    return Split(at_average, closing - opening - at_average)


def cash_fx_effect(opening_local: Decimal, movement_local: Decimal, rates: Rates) -> Decimal:
    """IAS 7.28: opening cash × (closing − opening rate) + net cash flow × (closing − average)."""
    return opening_local * (rates.closing - rates.opening) + movement_local * (rates.closing
                                                                                - rates.average)


@dataclass(frozen=True, slots=True)
class MonthFlows:
    """One month's cash flows (cash effect, inflow positive), unrounded.

    Attributes:
        lines: line key → amount (``profit``, ``add_d_and_a`` … ``reconciliation``).
        accounts: balance-sheet account → (section, amount) of the lines shown per account:
            ``operating`` (working capital), ``capex``, ``investing``, ``financing``.

    """

    lines: dict[str, Decimal]
    accounts: dict[str, tuple[str, Decimal]]

    def get(self, key: str) -> Decimal:
        """Return the line ``key`` (zero when the month has none)."""
        return self.lines.get(key, ZERO)


def month_flows(opening: MonthPosition, closing: MonthPosition, chart: Iterable[ChartAccount],
                currency_of: Mapping[str, str], presentation: str,
                first_fiscal_month: bool) -> MonthFlows:
    """Compute one month's cash flow lines from two month-end positions.

    Args:
        opening: the prior month-end position.
        closing: this month-end position.
        chart: the chart.
        currency_of: entity → functional currency.
        presentation: the presentation currency.
        first_fiscal_month: income-statement rows hold this month only (the year restarted).

    Returns:
        The month's lines; see the module docstring for their meaning.

    """
    accounts = {a.code: a for a in chart}
    income, moved, fx_cash = _movements(opening, closing, accounts, currency_of, presentation,
                                        first_fiscal_month)

    def is_amount(pred: Callable[[ChartAccount], bool]) -> Decimal:
        return sum((v for c, v in income.items() if pred(accounts[c])), ZERO)

    def bs(pred: Callable[[ChartAccount], bool]) -> dict[str, Decimal]:
        return {c: -v for c, v in moved.items() if pred(accounts[c]) and v != ZERO}

    rows = [(a.code, a.account_class, a.subclass, a.system_role) for a in accounts.values()]
    profit = income_statement_totals(block_sums(income, rows))["profit_for_period"]
    d_and_a = is_amount(lambda a: a.subclass == "d_and_a" and a.system_role != "ppa_amortization")
    ppa = is_amount(lambda a: a.system_role == "ppa_amortization")
    associates = is_amount(lambda a: a.system_role == "share_of_associate_profit")
    interest = is_amount(lambda a: "interest" in a.kpi_tags)
    tax = is_amount(lambda a: a.subclass == "tax")
    lines: dict[str, Decimal] = {
        "profit": profit, "add_d_and_a": d_and_a, "add_ppa_amortization": ppa,
        "add_impairment": is_amount(lambda a: "impairment" in a.kpi_tags),
        "add_exchange_differences": is_amount(lambda a: a.subclass == "fx"),
        "less_associates": associates, "add_interest": interest, "add_tax": tax,
        "interest_paid": -interest,
        "tax_paid": -tax + sum(bs(lambda a: a.subclass == "tax_payable").values(), ZERO)}
    working = bs(lambda a: a.cash_flow_category == "operating" and a.subclass != "tax_payable")
    investing = bs(lambda a: a.cash_flow_category == "investing")
    contra = {c for c in investing if accounts[c].normal_balance == "credit"}
    acquisitions = {c for c in investing if accounts[c].system_role in _ACQUISITION_ROLES}
    in_associates = {c for c in investing
                     if accounts[c].system_role == "investment_in_associates"}
    capex = {c for c in investing if accounts[c].subclass in CAPEX_SUBCLASSES} - contra \
        - acquisitions
    other_investing = set(investing) - contra - acquisitions - in_associates - capex
    # The charge for the month is added back in operating; what the accumulated depreciation
    # released beyond it is the book value of disposals.
    lines["disposals"] = sum((investing[c] for c in contra), ZERO) - d_and_a - lines[
        "add_ppa_amortization"]
    lines["acquisitions"] = sum((investing[c] for c in acquisitions), ZERO)
    # The share of profit raised the investment and is deducted in operating, so it is added
    # back here: what is left is contributions less dividends received.
    lines["associates"] = sum((investing[c] for c in in_associates), ZERO) + associates
    financing = bs(lambda a: a.cash_flow_category == "financing")
    dividends = {c for c in financing if accounts[c].system_role == "dividends"
                 or accounts[c].subclass == "dividends_payable"}
    lines["dividends_paid"] = sum((financing[c] for c in dividends), ZERO)
    nci_movement = sum(bs(lambda a: a.system_role == _NCI_EQUITY).values(), ZERO)
    lines["dividends_nci"] = nci_movement - is_amount(lambda a: a.system_role == "nci_profit")
    per_account = ({c: ("operating", v) for c, v in working.items()}
                   | {c: ("capex", investing[c]) for c in capex}
                   | {c: ("investing", investing[c]) for c in other_investing}
                   | {c: ("financing", v) for c, v in financing.items() if c not in dividends})

    def section(name: str) -> Decimal:
        return sum((v for s, v in per_account.values() if s == name), ZERO)

    lines["net_cash_operating"] = (sum((lines[k] for k in _OPERATING_LINES), ZERO)
                                   + section("operating"))
    lines["net_cash_investing"] = (section("capex") + section("investing") + lines["disposals"]
                                   + lines["acquisitions"] + lines["associates"])
    lines["net_cash_financing"] = (section("financing") + lines["dividends_paid"]
                                   + lines["dividends_nci"])
    lines["fx_effect"] = fx_cash
    lines["net_change"] = (lines["net_cash_operating"] + lines["net_cash_investing"]
                           + lines["net_cash_financing"] + fx_cash)
    cash_codes = {c for c, a in accounts.items() if a.cash_flow_category == "cash"}
    lines["cash_beginning"] = sum((v for e, a, v in opening.rows if a in cash_codes), ZERO)
    lines["cash_end"] = sum((v for e, a, v in closing.rows if a in cash_codes), ZERO)
    lines["reconciliation"] = (lines["cash_end"] - lines["cash_beginning"]) - lines["net_change"]
    return MonthFlows(lines, per_account)


_OPERATING_LINES = ("profit", "add_d_and_a", "add_ppa_amortization", "add_impairment",
                    "add_exchange_differences", "less_associates", "add_interest", "add_tax",
                    "interest_paid", "tax_paid")


def _movements(opening: MonthPosition, closing: MonthPosition,
               accounts: Mapping[str, ChartAccount], currency_of: Mapping[str, str],
               presentation: str, first_fiscal_month: bool
               ) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    """Income-statement results, balance-sheet movements at average rates, FX effect on cash."""
    rates = month_rates(opening, closing)
    before = {(e, a): v for e, a, v in opening.rows}
    after = {(e, a): v for e, a, v in closing.rows}
    local_before = {(e, a): v for e, a, v in opening.local_rows}
    local_after = {(e, a): v for e, a, v in closing.local_rows}
    income: dict[str, Decimal] = {}
    moved: dict[str, Decimal] = {}
    fx_cash = ZERO
    for key in sorted(before.keys() | after.keys()):
        entity, code = key
        acc = accounts.get(code)
        if acc is None:
            continue
        k0, k1 = before.get(key, ZERO), after.get(key, ZERO)
        if acc.account_class in ("revenue", "expense"):
            income[code] = income.get(code, ZERO) + k1 - (ZERO if first_fiscal_month else k0)
            continue
        currency = currency_of.get(entity, presentation)
        translated = (currency != presentation and currency in rates
                      and (acc.rate_type == _CLOSING or acc.system_role == _NCI_EQUITY))
        r = rates[currency] if translated else None
        local = _exact_local(key, k0, k1, local_before, local_after)
        moved[code] = moved.get(code, ZERO) + split_movement(k0, k1, r, local).at_average
        if acc.cash_flow_category == "cash" and r is not None:
            if local is None:
                raise ValueError(f"cash row {entity}/{code} of {closing.period} has no local "
                                 "amount: the effect of exchange rates on cash needs it")
            fx_cash += cash_fx_effect(local[0], local[1] - local[0], r)
    return income, moved, fx_cash


def _exact_local(key: tuple[str, str], k0: Decimal, k1: Decimal,
                 before: Mapping[tuple[str, str], Decimal],
                 after: Mapping[tuple[str, str], Decimal]) -> tuple[Decimal, Decimal] | None:
    """Return a row's exact local (opening, closing) when both ends are its translation alone.

    A row absent at one end (opened or closed this month) is zero there.
    """
    l0 = before.get(key, ZERO if k0 == ZERO else None)
    l1 = after.get(key, ZERO if k1 == ZERO else None)
    return None if l0 is None or l1 is None else (l0, l1)


def position_of(data: BoardPackData) -> MonthPosition:
    """Return the current month-end position from the worksheet and the rates of the run."""
    return MonthPosition.of(data.period, data.worksheet, data.fx_rates)


def fiscal_year_start_of(period: Period, fiscal_year_start: int) -> Period:
    """Return the first period of the fiscal year that contains ``period``."""
    year, month = parse_period(period)
    return f"{year if month >= fiscal_year_start else year - 1:04d}-{fiscal_year_start:02d}"


def month_index(period: Period, fiscal_year_start: int) -> int:
    """Return the month's number in its fiscal year (1 for the first month)."""
    return (parse_period(period)[1] - fiscal_year_start) % 12 + 1
