"""The equity method in full: a foreign associate with OCI (IAS 28.10; IAS 21.47 through IAS 28).

CONSTRUCTED, not published. No published worked example with figures of an equity-accounted
foreign associate with OCI was found. Searched (December 2026, the stored pages, docs and code
corpora, some fifteen queries: ACCA SBR / P2, Kaplan, BPP, OpenTuition, CIMA F2, ICAEW, ICAI,
IFRS Foundation, PwC, Deloitte, EY, KPMG, US advanced-accounting texts). What came back states
the method without figures — PwC Viewpoint, Foreign currency guide 5.6.2 (quoted below); BKD,
"Equity method of accounting for investments in foreign entities" (2017); IAS 28.10 — or has
figures for a foreign subsidiary, not an associate (Kaplan CIMA F2 Example 17.2 / 18.2; the
OpenTuition SBR threads; IFRScommunity's IAS 21 example); the IFRS for SMEs training module 30
and Deloitte's Roadmap were found by title only. The figures below are worked by hand.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from close.engine.consolidation import consolidate

from .helpers import acquisition, amounts, entity, inputs, opening, rates, tb

GROUP = (
    entity("HOLD", "USD"),
    entity(
        "ASC",
        "BRL",
        "HOLD",
        "0.3",
        method="equity",
        acquisition=acquisition("2024-12-31", "130", "2000", "0.2"),
    ),
)
BALANCES = tb("""
HOLD | 1000 |     | 870 | 870
HOLD | 1810 | ASC | 130 | 130
HOLD | 3000 |     | -1000 | -1000
ASC  | 1000 |     | 2000 | 2140
ASC  | 3000 |     | -2000 | -2000
ASC  | 4000 |     | 0 | -100
ASC  | 3300 |     | 0 | -40
""")
OPENING = opening("ASC | 3000 |  | -400\nASC | 3300 |  | 0", {("ASC", "3000"): "0.2"})


def test_a_foreign_associate_with_oci_carried_at_the_closing_rate():
    """IAS 28.10: "Adjustments to the carrying amount may also be necessary for changes in the
    investor's proportionate interest in the investee arising from changes in the investee's other
    comprehensive income. Such changes include those arising from ... foreign exchange translation
    differences. The investor's share of those changes is recognised in the investor's other
    comprehensive income." PwC, Foreign currency guide, 5.6.2 "CTA attributable to an equity
    method investee": "First, determine the carrying value of the investment in terms of the
    investee's functional currency. Second, the reporting entity's proportionate share of the
    investee's undistributed net income is translated using the average exchange rate ... Third,
    the ending foreign currency investment balance is translated using the" current rate
    (https://viewpoint.pwc.com/dt/us/en/pwc/accounting_guides/foreign_currency/foreign_currency__2_US/
    chapter_5_translatin_US/56_cumulative_transl_US.html). Figures constructed:

    HOLD paid USD 130.00 for 30% of ASC (BRL) on 31 December 2024, when ASC's net assets were
    BRL 2,000 at 0.20 (USD 400.00): notional goodwill 130 − 120 = USD 10.00 = BRL 50. In January
    ASC earns BRL 100 (average 0.19) and books BRL 40 of OCI of its own; closing 0.18.
    In ASC's currency the investment is 30% × 2,140 + 50 = BRL 692, at 0.18 USD 124.56. Share of
    profit 30% × 19.00 = 5.70 (at the average rate); share of OCI 30% × (41.40 of translation
    loss − 7.60 of own OCI) = 10.14 (a loss), and the goodwill's translation 10.00 − 9.00 = 1.00.
    Roll-forward: 130.00 + 5.70 − 10.14 − 1.00 = 124.56.
    """
    r = consolidate(
        inputs("2025-01", GROUP, BALANCES, rates({"BRL": "0.18"}, {"BRL": "0.19"}, {"BRL": "0.2"}),
               opening_balances=OPENING)
    )  # fmt: skip
    got = amounts(r.consolidated)
    assert got["1810"] == Decimal("124.56")  # BRL 692 at 0.18
    assert got["7300"] == Decimal("-5.70")  # share of profit, its own P&L line
    assert got["3310"] == Decimal("11.14")  # share of OCI: 10.14 + goodwill translation 1.00
    assert "3300" not in got and "3100" not in got  # nothing to CTA or retained earnings
    assert int(r.consolidated["amount"].sum()) == 0
    (roll,) = r.associates.to_dict("records")
    assert (roll["opening"], roll["share_of_profit"], roll["share_of_oci"]) == (13000, 570, -1014)
    assert (roll["dividends"], roll["translation"], roll["closing"], roll["difference"]) == (
        0,
        -100,
        12456,
        0,
    )

    # February, chained: the opening is January's closing; ASC pays a dividend of BRL 100 (HOLD's
    # 30 at 0.18 = 5.40 as income, reversed against the investment); the rate stays at 0.18.
    feb_bal = tb("""
    HOLD | 1000 |     | 870 | 875.40
    HOLD | 1810 | ASC | 130 | 130
    HOLD | 3000 |     | -1000 | -1000
    HOLD | 4950 | ASC | 0 | -5.40
    ASC  | 1000 |     | 2140 | 2040
    ASC  | 3000 |     | -2000 | -2000
    ASC  | 4000 |     | -100 | -100
    ASC  | 3300 |     | -40 | -40
    ASC  | 3150 |     | 0 | 100
    """)
    feb = inputs("2025-02", GROUP, feb_bal, rates({"BRL": "0.18"}, {"BRL": "0.18"}, {"BRL": "0.18"}),
                 prior=r.translated, prior_consolidated=r.consolidated)  # fmt: skip
    f = consolidate(replace(feb, prior_associates=r.associates))
    (roll,) = f.associates.to_dict("records")
    assert (roll["opening"], roll["dividends"], roll["closing"], roll["difference"]) == (
        12456,
        -540,
        11916,
        0,
    )
    got = amounts(f.consolidated)
    assert got["1810"] == Decimal("119.16") and "4950" not in got  # 30% × 2,040 + 50 = 662 at 0.18
    assert int(f.consolidated["amount"].sum()) == 0
