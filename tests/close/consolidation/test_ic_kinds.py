"""Issue 16: the chart says which accounts are intercompany, and of what kind."""

from __future__ import annotations

import pytest

from close.engine.chart import load_chart
from close.engine.intercompany import classify_intercompany
from close.errors import ConfigError

from .helpers import CHART, tb

HEADER = "code,name,class,subclass,normal_balance,rate_type,cash_flow_category,kpi_tags,system_role"


def test_the_default_chart_tags_intercompany_accounts_and_leaves_non_monetary_items_out() -> None:
    tags = CHART.accounts["intercompany"]
    assert (tags["1150"], tags["2050"], tags["1160"], tags["2400"]) == (
        "balance", "balance", "dividend_receivable", "dividend_payable")
    assert (tags["1850"], tags["4150"], tags["4950"], tags["3150"]) == (
        "loan", "revenue_expense", "dividend_income", "dividends_declared")
    assert tags["1200"] == tags["1500"] == tags["1700"] == tags["1800"] == ""


def test_only_tagged_accounts_are_classified() -> None:
    lines = tb("""
    P | 1200 | S | 0 | 1000
    P | 1500 | S | 0 | 300
    P | 2050 | S | 0 | -100
    S | 1150 | P | 0 | 100
    """).assign(local_closing=0, translated=0)
    ic = classify_intercompany(lines, CHART, frozenset({"P", "S"}))
    assert sorted(zip(ic["entity"], ic["std_account"], ic["kind"], strict=True)) == [
        ("P", "2050", "receivable_payable"), ("S", "1150", "receivable_payable")]


def test_a_chart_without_the_column_keeps_the_old_matching_but_never_for_inventory() -> None:
    chart = load_chart((HEADER + "\n"
                        "1100,AR,asset,receivable,debit,closing,operating,,\n"
                        "1200,Inventory,asset,inventory,debit,closing,operating,,\n"
                        "3100,RE,equity,retained_earnings,credit,historical,none,,retained_earnings\n"
                        "4000,Sales,revenue,revenue,credit,average,operating,,\n").encode(), source="own.csv")
    assert chart.accounts["intercompany"].to_dict() == {
        "1100": "balance", "1200": "", "3100": "", "4000": "revenue_expense"}


def test_an_unknown_tag_names_the_file_row_and_column() -> None:
    data = (HEADER + ",intercompany\n1100,AR,asset,receivable,debit,closing,operating,,,stock\n").encode()
    with pytest.raises(ConfigError) as err:
        load_chart(data, source="own.csv")
    text = str(err.value)
    assert "own.csv" in text and "row 2" in text and "intercompany" in text and "balance" in text
