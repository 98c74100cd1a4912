"""KPIs on an inline month with hand-computed values; missing inputs are n/a, never zero."""

from __future__ import annotations

import pandas as pd
import pytest

from close.analysis.kpis import KPI_DEFINITIONS, Kpi, KpiInputs, compute_kpis
from close.engine.money import D
from close.errors import InputDataError
from tests.close.analysis.frames import chart, figures

PROFIT_AND_LOSS = """
4000 |   -600,000.00
4100 |   -400,000.00
5000 |    400,000.00
6000 |    200,000.00
6100 |     50,000.00
6200 |    100,000.00
6500 |     30,000.00
7100 |     20,000.00
8000 |     40,000.00
8900 |     10,000.00
"""
BALANCE_SHEET = """
1000 |    300,000.00
1100 |    200,000.00
1200 |    100,000.00
1500 |  1,000,000.00
2000 |   -250,000.00
2100 |   -150,000.00
2500 |   -400,000.00
"""
MONTH = figures(PROFIT_AND_LOSS + BALANCE_SHEET)
PRIOR_YEAR = figures("4000 | -800,000.00")
CUSTOMERS = pd.DataFrame(
    [("A", "2024-03", 100000), ("B", "2024-03", 200000), ("C", "2024-03", 100000),
     ("A", "2025-02", 110000), ("B", "2025-02", 200000), ("C", "2025-02", 100000),
     ("D", "2025-02", 50000),
     ("A", "2025-03", 120000), ("B", "2025-03", 250000), ("D", "2025-03", 50000),
     ("E", "2025-03", 80000)],
    columns=["customer", "period", "mrr"],
)


def kpis(**overrides: object) -> dict[str, Kpi]:
    base: dict[str, object] = {"chart": chart(), "period": "2025-03", "currency": "USD",
                               "month": MONTH, "prior_year_month": PRIOR_YEAR}
    base.update(overrides)
    return {k.code: k for k in compute_kpis(KpiInputs(**base))}  # type: ignore[arg-type]


def test_financial_kpis_equal_hand_computed_values() -> None:
    got = kpis()
    # revenue 1,000,000; cost of sales 400,000; profit before NCI 160,000;
    # EBITDA 160,000 + interest 20,000 + tax 40,000 + D&A 30,000 = 250,000.
    expected = {
        "gross_margin": D("60.00"), "ebitda": D("250000.00"), "ebitda_margin": D("25.00"),
        "revenue_growth_yoy": D("25.00"), "rule_of_40": D("50.00"),
        "current_ratio": D("1.50"), "quick_ratio": D("1.25"), "debt_to_equity": D("0.50"),
        # variable: COGS 400,000 + S&M 100,000; fixed: 200,000 + 50,000 + 30,000 = 280,000.
        "contribution_margin": D("50.00"), "break_even_revenue": D("560000.00"),
        # no customer data: MRR from the recurring_revenue account
        "mrr": D("400000.00"), "arr": D("4800000.00"),
    }
    assert {code: got[code].value for code in expected} == expected
    assert got["gross_margin"].unit == "%" and got["ebitda"].unit == "USD"
    assert got["current_ratio"].display == "1.50x"
    assert dict(got["ebitda"].inputs)["EBITDA"] == D("250000.00")


def test_ebitda_does_not_add_back_finance_income_or_fx_gains() -> None:
    # Finance income 30,000 and an FX gain 20,000 raise net income, not EBITDA (close.engine.definitions);
    # the income statement's EBITDA line and this KPI are the same figure.
    got = kpis(month=figures(PROFIT_AND_LOSS + BALANCE_SHEET
                             + "7000 | -30,000.00\n7200 | -20,000.00"))
    assert got["ebitda"].value == D("250000.00")
    assert got["ebitda_margin"].value == D("25.00")


def test_saas_kpis_need_customer_data_and_say_why() -> None:
    got = kpis()
    for code in ("nrr", "churn", "arpu", "ltv_cac"):
        assert got[code].value is None, code
        assert got[code].reason == "no customer-level recurring revenue data"
        assert got[code].display == "n/a"


def test_saas_kpis_from_customer_level_mrr() -> None:
    got = kpis(customers=CUSTOMERS)
    # cohort of 2024-03 (A, B, C: 4,000) pays 1,200 + 2,500 + 0 now; C of A-D churned; E is new.
    assert got["nrr"].value == D("92.50")
    assert got["churn"].value == D("25.00")
    assert (got["mrr"].value, got["arr"].value) == (D("5000.00"), D("60000.00"))
    assert got["arpu"].value == D("1250.00")
    # LTV = 1,250 × 60 % ÷ 25 % = 3,000; CAC = 100,000 ÷ 1 new customer.
    assert got["ltv_cac"].value == D("0.03")


def test_missing_inputs_are_not_available_never_zero() -> None:
    got = kpis(month=figures(BALANCE_SHEET), prior_year_month=None)
    for code in ("gross_margin", "ebitda", "ebitda_margin", "rule_of_40", "contribution_margin",
                 "break_even_revenue", "mrr", "arr", "revenue_growth_yoy"):
        assert got[code].value is None, code
        assert got[code].reason, code
    assert got["gross_margin"].reason == "no revenue figures"
    assert got["mrr"].reason == "no customer-level or recurring-revenue data"
    assert got["current_ratio"].value == D("1.50")
    no_bs = kpis(month=figures(PROFIT_AND_LOSS), prior_year_month=None)
    assert no_bs["current_ratio"].reason == "no current assets"
    assert no_bs["debt_to_equity"].reason == "no balance sheet figures"
    assert no_bs["revenue_growth_yoy"].reason == "no figures for the same month last year"
    assert no_bs["gross_margin"].value == D("60.00")


def test_a_month_without_cost_of_sales_has_no_gross_margin() -> None:
    got = kpis(month=figures("4000 | -100.00"))
    assert got["gross_margin"].value is None
    assert got["gross_margin"].reason == "no cost of sales figures"


def test_every_definition_yields_one_kpi_in_order() -> None:
    assert list(kpis()) == [d[0] for d in KPI_DEFINITIONS]


def test_customer_data_without_mrr_column_is_bad_input() -> None:
    with pytest.raises(InputDataError, match="mrr"):
        kpis(customers=CUSTOMERS.drop(columns=["mrr"]))
