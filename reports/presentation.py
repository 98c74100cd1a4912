"""Small presentation rules shared by the three documents (sign flip, light colours, labels).

Kept apart from ``statements`` because they apply to single figures (a variance, a worksheet
row), not to whole statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from close.engine.definitions import margin
from reports.format import format_amount, format_percent, format_score
from reports.labels import t
from reports.model import BoardPackData, ChartAccount, Variance
from reports.statements import Statements

# Traffic-light colours (fill, as RRGGBB) shared by the workbook, the deck and the PDF.
LIGHT_FILL: Mapping[str, str] = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE"}
LIGHT_INK: Mapping[str, str] = {"green": "006100", "yellow": "9C5700", "red": "9C0006"}
# A light drawn as a dot (deck): saturated, so yellow reads as amber, not brown.
LIGHT_DOT: Mapping[str, str] = {"green": "2E7D32", "yellow": "F2B800", "red": "C62828"}
BRAND = "1F3864"  # headings and table headers: dark navy
ACCENT = "2E75B6"
GREY = "D9D9D9"
# Waterfall columns (deck, workbook; the PDF draws the same): totals navy, rises green, falls red.
WATERFALL_COLOURS: Mapping[str, str] = {"total": BRAND, "rise": "2E7D32", "fall": "C62828"}


def waterfall_series(amounts: Sequence[Decimal]
                     ) -> tuple[list[Decimal], list[Decimal], list[Decimal], list[str]]:
    """Split a bridge (first and last amounts totals, the rest steps) into stacked-column series.

    A stacked column stacks positives up and negatives down separately, so a step from ``a``
    to ``b`` is drawn as: base ``min(a, b)`` plus the rise when both are >= 0; base
    ``max(a, b)`` plus the fall when both are <= 0; and no base, one part on each side of
    zero, when the step crosses zero. Totals (first and last) stand on zero.

    Returns:
        The invisible base, the visible parts above and below zero, and each column's kind
        (``total``, ``rise`` or ``fall``: a key of ``WATERFALL_COLOURS``).

    """
    base: list[Decimal] = []
    above: list[Decimal] = []
    below: list[Decimal] = []
    kinds: list[str] = []
    running = Decimal(0)
    last = len(amounts) - 1
    for i, amount in enumerate(amounts):
        if i in (0, last):
            start, end = Decimal(0), amount
            running = amount
            kinds.append("total")
        else:
            start, end = running, running + amount
            running = end
            kinds.append("rise" if amount >= 0 else "fall")
        lo, hi = min(start, end), max(start, end)
        if lo >= 0:
            base.append(lo), above.append(hi - lo), below.append(Decimal(0))
        elif hi <= 0:
            base.append(hi), above.append(Decimal(0)), below.append(lo - hi)
        else:
            base.append(Decimal(0)), above.append(hi), below.append(lo)
    return base, above, below, kinds


def line_detail_file_name(data: BoardPackData) -> str:
    """Return the name of the package's trial-balance lines CSV (the workbook's note names it)."""
    return f"{data.group_id}-{data.period}-trial-balance-lines.csv"


def presented_sign(account: ChartAccount) -> int:
    """Return +1 or -1: the factor that turns a TB-sign amount into the reader's sign.

    Assets stay debit-positive; liabilities, equity, revenue and expenses flip, so that income
    and equity read positive and costs read negative (in parentheses), as on the statements.
    """
    return 1 if account.account_class == "asset" else -1


def chart_index(data: BoardPackData) -> dict[str, ChartAccount]:
    """Index the chart by account code."""
    return {a.code: a for a in data.chart}


def account_name(data: BoardPackData, code: str | None,
                 index: Mapping[str, ChartAccount] | None = None) -> str:
    """Return the chart name of ``code`` (the code itself if unknown, empty for ``None``)."""
    if code is None:
        return ""
    account = (index or chart_index(data)).get(code)
    return account.name if account else code


def entity_names(data: BoardPackData) -> dict[str, str]:
    """Index entity display names by id."""
    return {e.id: e.name for e in data.entities}


def light_label(locale: str, light: str | None) -> str:
    """Return the localized name of a traffic light (``n/a`` for ``None``)."""
    return t(locale, f"light_{light}") if light else "n/a"


def pct_of(difference: Decimal, comparison: Decimal) -> Decimal | None:
    """Return ``difference / |comparison|``, ``None`` when the comparison is zero."""
    return difference / abs(comparison) if comparison else None


def highlight_lines(data: BoardPackData, st: Statements) -> list[str]:
    """Return the executive summary's highlights: revenue against budget, net income, validation.

    One wording for the PDF and the deck, so both say the same thing with the same numbers.
    """
    loc = data.locale
    pl = st.income_statement
    keys = [c.key for c in pl.columns]
    if "budget" in keys:
        actual = pl.value("net_revenue", keys.index("month"))
        budget = pl.value("net_revenue", keys.index("budget"))
        vs = t(loc, "highlight_vs_budget",
               pct=format_percent((actual - budget) / abs(budget), loc) if budget else "n/a")
    else:
        vs = t(loc, "highlight_no_budget")
    open_findings = sum(1 for f in data.validation if f.severity != "pass" and not f.waived_by)
    score = format_score(data.validation_score, loc)
    against_budget = []
    if "budget" in keys:  # the two figures a board reads first: EBITDA and net income vs budget
        for key in ("ebitda", "profit_for_period"):
            actual = pl.value(key, keys.index("month"))
            budget = pl.value(key, keys.index("budget"))
            if budget:
                pct = (actual - budget) / abs(budget)
                against_budget.append(t(
                    loc, f"highlight_{key}_vs_budget", value=format_amount(actual, loc),
                    pct=format_percent(abs(pct), loc),
                    direction=t(loc, "above" if pct >= 0 else "below"),
                    budget=format_amount(budget, loc),
                    margin=format_percent(margin(actual, st.headline("revenue_month")), loc)))
    return [
        t(loc, "highlight_revenue", value=format_amount(st.headline("revenue_month"), loc), vs=vs),
        *against_budget,
        t(loc, "highlight_net_income", value=format_amount(st.headline("net_income_month"), loc),
          ytd=format_amount(st.headline("net_income_ytd"), loc)),
        t(loc, "highlight_validation", score=score,
          light=light_label(loc, data.validation_light), fails=open_findings),
    ]


# Relevance of a variance to a board (issue 17: "absolute variance × relevance"): against budget
# counts fully, against the prior month or year less; the income statement before the balance
# sheet, and equity least (retained earnings and dividends move with results a board already
# sees in the income statement); the month before the year to date. EBITDA and net income
# against budget lead the summary through ``highlight_lines``; these weights order the account
# variances after them.
RELEVANCE_BASIS: Mapping[str, Decimal] = {"budget": Decimal(1), "prior_month": Decimal("0.6"),
                                          "prior_year": Decimal("0.4")}
RELEVANCE_CLASS: Mapping[str, Decimal] = {"revenue": Decimal(1), "expense": Decimal(1),
                                          "asset": Decimal("0.2"), "liability": Decimal("0.2"),
                                          "equity": Decimal("0.05")}
RELEVANCE_YTD = Decimal("0.5")


def significance(v: Variance, account: ChartAccount | None) -> Decimal:
    """Return ``|difference| × relevance`` (see ``RELEVANCE_BASIS``).

    Example: 62,000 over budget on salaries scores 62,000; 100,000 of cash movement against
    the prior month scores 100,000 × 0.6 × 0.2 = 12,000, so the salaries overrun comes first.
    """
    weight = RELEVANCE_BASIS.get(v.basis, Decimal("0.3")) \
        * RELEVANCE_CLASS.get(account.account_class if account else "", Decimal("0.05")) \
        * (Decimal(1) if v.scope == "month" else RELEVANCE_YTD)
    return abs(v.difference) * weight


def significant_variances(data: BoardPackData, count: int) -> list[Variance]:
    """Return the ``count`` most significant material variances for the executive summaries.

    Ranked by ``significance`` (largest first, then by account), so the summaries (PDF,
    one-pager, deck) lead with what a board reads, not the order analysed.
    """
    accounts = chart_index(data)
    return sorted((v for v in data.variances if v.material),
                  key=lambda v: (-significance(v, accounts.get(v.account)), v.account,
                                 v.basis, v.scope))[:count]
