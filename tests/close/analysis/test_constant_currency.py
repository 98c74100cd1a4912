"""Constant-currency growth and translation effect (``close.analysis.constant_currency``), by hand.

Published method followed: Nexon, Q2 2019 investor presentation, note 1 — "Constant-currency
basis amounts are calculated using the average foreign currency exchange rates for the comparable
period in the prior year and applied to the current period"
(https://www.marketscreener.com/NEXON-CO-LTD-10016656/news/NEXON-Q2-2019-Investor-Presentation-29032377/).
The SEC's C&DI on constant currency (quoted in Deloitte's roadmap, §4.13) asks for the historical
amounts beside the constant-currency ones with the process described: the table shows
comparative, reported, constant currency and the split, and reconciles.

Worked example (USD group, fiscal year from January, period 2026-02):

=================  ==========  ==========  ===========  =========
BR1 (BRL)          Jan 2026    Feb 2026    Jan 2025     Feb 2025
=================  ==========  ==========  ===========  =========
revenue (BRL)      1,000.00    1,100.00    900.00       1,000.00
opex (BRL)         300.00      400.00      300.00       350.00
average rate       0.18        0.19        0.20         0.21
=================  ==========  ==========  ===========  =========

HOLD (USD) revenue 500.00 a month this year, 450.00 last year; eliminations −50.00 of revenue
in Feb 2026 and −40.00 in Feb 2025 (−90.00 and −75.00 year to date).

February revenue: BRL 1,100.00 × 0.19 = 209.00 reported, × 0.21 (Feb 2025) = 231.00 at constant
currency, against 1,000.00 × 0.21 = 210.00 last year: growth −1.00 = constant-currency +21.00
+ translation −22.00. Group: 659.00 against 620.00, growth 39.00 = 61.00 − 22.00.
Year to date BRL revenue: reported 180.00 + 209.00 = 389.00; at constant currency each month at
its own month's rate a year earlier, 1,000.00 × 0.20 + 1,100.00 × 0.21 = 431.00 (not the year's
mean rate).
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from close.analysis.constant_currency import MissingRate, constant_currency_impact

CHART = pd.DataFrame({"code": ["4000", "6000", "7000"], "class": ["revenue", "expense", "expense"],
                      "subclass": ["revenue", "opex", "tax"], "system_role": ["", "", ""]})
RATES = {"2026-01": Decimal("0.18"), "2026-02": Decimal("0.19")}
PRIOR = {"2026-01": Decimal("0.20"), "2026-02": Decimal("0.21")}  # Jan / Feb 2025, by current month


def _cents(x: str) -> int:
    return int(Decimal(x) * 100)


def _line(scope: str, side: str, month: str, currency: str, account: str, local: str, rate: Decimal) -> dict:
    amount = Decimal(local)
    return {"scope": scope, "side": side, "month": month, "currency": currency, "account": account,
            "local": _cents(local), "translated": int((amount * rate * 100).to_integral_value())}


def _inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = []
    for month, revenue, opex in (("2026-01", "-1000.00", "300.00"), ("2026-02", "-1100.00", "400.00")):
        scopes = ("ytd", "month") if month == "2026-02" else ("ytd",)
        for scope in scopes:
            rows += [_line(scope, "current", month, "BRL", "4000", revenue, RATES[month]),
                     _line(scope, "current", month, "BRL", "6000", opex, RATES[month]),
                     _line(scope, "current", month, "USD", "4000", "-500.00", Decimal(1))]
    # Last year, as the engine translated it: one row per scope (the comparative is reported).
    rows += [_line("month", "comparative", "2025-02", "BRL", "4000", "-1000.00", Decimal("0.21")),
             _line("month", "comparative", "2025-02", "BRL", "6000", "350.00", Decimal("0.21")),
             _line("month", "comparative", "2025-02", "USD", "4000", "-450.00", Decimal(1)),
             _line("ytd", "comparative", "2025-01", "BRL", "4000", "-900.00", Decimal("0.20")),
             _line("ytd", "comparative", "2025-01", "BRL", "6000", "300.00", Decimal("0.20")),
             _line("ytd", "comparative", "2025-02", "BRL", "4000", "-1000.00", Decimal("0.21")),
             _line("ytd", "comparative", "2025-02", "BRL", "6000", "350.00", Decimal("0.21")),
             _line("ytd", "comparative", "2025-02", "USD", "4000", "-900.00", Decimal(1))]
    lines = pd.DataFrame(rows)
    consolidated = pd.DataFrame([
        # current: entities + eliminations
        ("month", "current", "4000", _cents("-659.00")), ("month", "current", "6000", _cents("76.00")),
        ("ytd", "current", "4000", _cents("-180.00") + _cents("-209.00") + _cents("-1000.00") + 9000),
        ("ytd", "current", "6000", _cents("54.00") + _cents("76.00")),
        ("month", "comparative", "4000", _cents("-620.00")),
        ("month", "comparative", "6000", _cents("73.50")),
        ("ytd", "comparative", "4000", _cents("-180.00") + _cents("-210.00") + _cents("-900.00") + 7500),
        ("ytd", "comparative", "6000", _cents("60.00") + _cents("73.50")),
    ], columns=["scope", "side", "account", "amount"])
    rates = pd.DataFrame([(m, "BRL", r) for m, r in PRIOR.items()], columns=["month", "currency", "rate"])
    return lines, consolidated, rates


def _row(frame: pd.DataFrame, scope: str, figure: str, line: str) -> dict:
    found = frame[(frame["scope"] == scope) & (frame["figure"] == figure) & (frame["line"] == line)]
    assert len(found) == 1, (scope, figure, line)
    return {k: Decimal(int(v)) / 100 if k not in ("scope", "figure", "line") else v
            for k, v in found.iloc[0].to_dict().items()}


def test_the_worked_example_by_hand() -> None:
    impact = constant_currency_impact(*_inputs(), chart=CHART, presentation_currency="USD")
    brl = _row(impact, "month", "revenue", "BRL")
    assert (brl["comparative"], brl["reported"], brl["constant"]) == (
        Decimal("210"), Decimal("209"), Decimal("231"))
    assert (brl["growth"], brl["operational"], brl["translation"]) == (Decimal(-1), Decimal(21), Decimal(-22))
    usd = _row(impact, "month", "revenue", "USD")
    assert (usd["growth"], usd["operational"], usd["translation"]) == (Decimal(50), Decimal(50), Decimal(0))
    elim = _row(impact, "month", "revenue", "eliminations")
    assert (elim["comparative"], elim["reported"], elim["translation"]) == (
        Decimal(-40), Decimal(-50), Decimal(0))
    total = _row(impact, "month", "revenue", "total")
    assert (total["comparative"], total["reported"], total["constant"]) == (
        Decimal(620), Decimal(659), Decimal(681))
    assert (total["growth"], total["operational"], total["translation"]) == (
        Decimal(39), Decimal(61), Decimal(-22))
    # EBITDA: BRL opex 400.00 × 0.19 = 76.00 reported, × 0.21 = 84.00 at constant currency.
    ebitda = _row(impact, "month", "ebitda", "total")
    assert (ebitda["comparative"], ebitda["reported"], ebitda["constant"]) == (
        Decimal("546.50"), Decimal("583.00"), Decimal("597.00"))
    assert ebitda["translation"] == Decimal("-14.00")  # (209 − 76) − (231 − 84)


def test_year_to_date_translates_each_month_at_its_own_month_a_year_earlier() -> None:
    """Nexon's method per month: Jan at Jan 2025's average, Feb at Feb 2025's, never a year mean."""
    impact = constant_currency_impact(*_inputs(), chart=CHART, presentation_currency="USD")
    brl = _row(impact, "ytd", "revenue", "BRL")
    assert (brl["reported"], brl["constant"], brl["comparative"]) == (
        Decimal(389), Decimal(431), Decimal(390))
    assert (brl["operational"], brl["translation"]) == (Decimal(41), Decimal(-42))


def test_every_row_reconciles_exactly() -> None:
    impact = constant_currency_impact(*_inputs(), chart=CHART, presentation_currency="USD")
    assert (impact["unexplained"] == 0).all()
    assert (impact["operational"] + impact["translation"] == impact["growth"]).all()
    for (scope, figure), rows in impact.groupby(["scope", "figure"]):
        parts = rows[rows["line"] != "total"]
        total = rows[rows["line"] == "total"].iloc[0]
        for column in ("comparative", "reported", "constant", "translation"):
            assert parts[column].sum() == total[column], (scope, figure, column)


def test_rounded_once_half_even() -> None:
    """The exact sum is rounded, once, half-even: lines of BRL 0.05 at 0.25 are USD 0.0125 each."""
    lines = pd.DataFrame([{"scope": s, "side": "current", "month": "2026-02", "currency": "BRL",
                           "account": "4000", "local": -5, "translated": -1} for s in ("month", "ytd")] * 2)
    consolidated = pd.DataFrame([(s, "current", "4000", -2) for s in ("month", "ytd")],
                                columns=["scope", "side", "account", "amount"])
    rates = pd.DataFrame([("2026-02", "BRL", Decimal("0.25"))], columns=["month", "currency", "rate"])
    impact = constant_currency_impact(lines, consolidated, rates, CHART, "USD")
    # Two lines: 0.025 → 0.02 (half-even).
    assert _row(impact, "month", "revenue", "BRL")["constant"] == Decimal("0.02")
    three = pd.concat([lines, lines.iloc[:1]])
    impact = constant_currency_impact(three, consolidated, rates, CHART, "USD")
    # three lines: 0.0375 → 0.04 (per line it would be 3 × 0.01 = 0.03)
    assert _row(impact, "month", "revenue", "BRL")["constant"] == Decimal("0.04")


def test_a_missing_comparative_rate_is_said() -> None:
    lines, consolidated, rates = _inputs()
    with pytest.raises(MissingRate, match="BRL.*2026-01"):
        constant_currency_impact(lines, consolidated, rates[rates["month"] != "2026-01"], CHART, "USD")
