"""Top-side and GAAP journals from CSV, and an associate under the equity method."""

from __future__ import annotations

from decimal import Decimal

import pytest

from close.engine.adjustments import parse_adjustments
from close.engine.consolidation import consolidate, consolidated_on_basis
from close.errors import InputDataError

from .helpers import CHART, amounts, entity, inputs, rates, tb

CSV = b"""journal_id,basis,entity,account,amount,memo
TS-1,IFRS,S,6400,1500.00,accrue audit fee
TS-1,IFRS,S,2100,-1500.00,accrue audit fee
GAAP-1,US_GAAP,,6100,200.00,lease reclass
GAAP-1,US_GAAP,,2500,-200.00,lease reclass
"""
GROUP = (entity("HOLD", "USD"), entity("S", "USD", "HOLD"))
BAL = tb("""
HOLD | 1000 |   | 0 | 9000
HOLD | 1800 | S | 0 | 1000
HOLD | 3000 |   | 0 | -10000
S    | 1000 |   | 0 | 1000
S    | 3000 |   | 0 | -1000
""")


def test_adjustments_are_parsed_tagged_by_basis_and_applied_to_their_view():
    journals = parse_adjustments(
        CSV, source="adj.csv", chart=CHART, entities=("HOLD", "S"), presentation_currency="USD"
    )
    assert [(j.journal_id, j.basis) for j in journals] == [("TS-1", "IFRS"), ("GAAP-1", "US_GAAP")]
    assert journals[0].lines[0].source == "file adj.csv row 2"
    r = consolidate(inputs("2025-01", GROUP, BAL, rates({}, {}), adjustments=journals))
    ifrs = amounts(r.consolidated)
    assert ifrs["6400"] == Decimal("1500.00") and "6100" not in ifrs
    gaap = amounts(consolidated_on_basis(r, "US_GAAP"))
    assert gaap["6100"] == Decimal("200.00") and gaap["6400"] == Decimal("1500.00")
    ws = r.worksheet[r.worksheet["column"] == "adjustment"]
    assert set(ws["basis"]) == {"IFRS", "US_GAAP"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            b"journal_id,basis,entity,account,amount,memo\nJ9,IFRS,,6400,10.00,x\nJ9,IFRS,,2100,-9.99,x\n",
            r"adj.csv.*journal J9 does not balance: debits 10.00 != credits 9.99 \(0.01 too much debits\)",
        ),
        (b"journal_id,basis,entity,account,amount,memo\nJ1,IFRS,,9999,10.00,x\n", r"row 2.*account '9999'"),
        (
            b"journal_id,basis,entity,account,amount,memo\nJ1,IFRS,,6400,10.001,x\n",
            r"row 2.*more than 2 decimals",
        ),
        (
            b"journal_id,basis,entity,account,amount,memo\nJ1,LOCAL,,6400,10,x\n",
            r"row 2.*not IFRS or US_GAAP",
        ),
    ],
)
def test_bad_adjustment_files_are_refused_naming_the_culprit(text, message):
    with pytest.raises(InputDataError, match=message):
        parse_adjustments(
            text, source="adj.csv", chart=CHART, entities=("HOLD", "S"), presentation_currency="USD"
        )


def test_associate_is_picked_up_by_the_equity_method():
    """HOLD holds 30% of ASC (founded with share capital 1,000; HOLD paid 300). ASC earns 200:
    HOLD's investment rises by 30% × 200 = 60, shown as share of profit of associates; ASC's own
    lines stay out of the consolidated TB."""
    group = (entity("HOLD", "USD"), entity("ASC", "USD", "HOLD", "0.3", method="equity"))
    bal = tb("""
    HOLD | 1000 |     | 0 | 9700
    HOLD | 1810 | ASC | 0 | 300
    HOLD | 3000 |     | 0 | -10000
    ASC  | 1000 |     | 0 | 1200
    ASC  | 3000 |     | 0 | -1000
    ASC  | 4000 |     | 0 | -200
    """)
    r = consolidate(inputs("2025-01", group, bal, rates({}, {})))
    got = amounts(r.consolidated)
    assert got["1810"] == Decimal("360.00")
    assert got["7300"] == Decimal("-60.00")
    assert got["1000"] == Decimal("9700.00") and "4000" not in got
    assert int(r.consolidated["amount"].sum()) == 0


def test_a_dividend_from_an_associate_reduces_the_investment_and_is_not_income():
    """IAS 28.10: "Distributions received from an investee reduce the carrying amount of the
    investment." ASC (30%, founded with 1,000, HOLD paid 300) earns 200 and pays a dividend of
    100, of which HOLD receives 30 and books it as dividend income. The investment is
    300 + 30% × (200 − 100) = 330; the share of profit is 30% × 200 = 60; the 30 is reversed out of
    income against the investment, so group profit counts ASC's result once (60, not 90)."""
    group = (entity("HOLD", "USD"), entity("ASC", "USD", "HOLD", "0.3", method="equity"))
    bal = tb("""
    HOLD | 1000 |     | 0 |   9730
    HOLD | 1810 | ASC | 0 |    300
    HOLD | 3000 |     | 0 | -10000
    HOLD | 4950 | ASC | 0 |    -30
    ASC  | 1000 |     | 0 |   1100
    ASC  | 3000 |     | 0 |  -1000
    ASC  | 4000 |     | 0 |   -200
    ASC  | 3150 |     | 0 |    100
    """)
    r = consolidate(inputs("2025-01", group, bal, rates({}, {})))
    got = amounts(r.consolidated)
    assert got["1810"] == Decimal("330.00")
    assert got["7300"] == Decimal("-60.00")
    assert "4950" not in got and "3100" not in got and "3150" not in got
    assert got["1000"] == Decimal("9730.00") and got["3000"] == Decimal("-10000.00")
    [eqm] = [j for j in r.journals if j.kind == "equity_method"]
    assert any(ln.std_account == "4950" and ln.amount == 3000 for ln in eqm.lines)
    assert int(r.consolidated["amount"].sum()) == 0
