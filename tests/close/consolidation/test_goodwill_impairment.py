"""Goodwill impairment (IAS 36.104, 36.124) of a foreign subsidiary, NCI at fair value."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from close.engine.consolidation import consolidate
from close.engine.journals import JournalEntry, JournalLine
from close.errors import InputDataError

from .helpers import acquisition, amounts, entity, inputs, opening, rates, tb

# S's acquisition on 1 January 20X7 (published in EUR): P's investment EUR 16,800, NCI at fair value
# EUR 3,600, net assets EUR 15,200 (12,000 + 3,200). The acquisition-date rate is not in the excerpt;
# 0.25 USD per EUR (EUR 4 per USD) is assumed: it moves none of the figures checked below.
GROUP = (
    entity("P", "USD"),
    entity("S", "EUR", "P", "0.8", acquisition=acquisition(
        "2017-01-01", "4200", "15200", "0.25", nci_method="full", nci_fair_value="3600")),
)  # fmt: skip
BALANCES = tb("""
P | 1800 | S | 4200 | 4200
P | 1000 |   | 5800 | 5800
P | 3000 |   | -10000 | -10000
S | 1000 |   | 20400 | 23200
S | 3000 |   | -12000 | -12000
S | 3100 |   | -8400 | -8400
S | 4000 |   | 0 | -2800
""")
# The prior year-end's translation of S's equity (historical), its net assets EUR 20,400 at 1/3.
OPENING = opening("S | 3000 |  | -3000\nS | 3100 |  | -2360\nS | 3300 |  | -1440", {("S", "3000"): "0.25"})
# EUR 3 (opening), 2.5 (average), 2 (closing) per USD, as USD per EUR.
RATES = rates({"EUR": "0.5"}, {"EUR": "0.4"}, {"EUR": "0.3333333333"})


def impairment(journal_id: str, amount: int) -> JournalEntry:
    return JournalEntry(
        journal_id, "adjustment", "IFRS", "impairment of goodwill on S",
        (JournalLine("S", "6560", amount), JournalLine("S", "1700", -amount)),
    )  # fmt: skip


def whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


def test_goodwill_impairment_of_a_foreign_subsidiary_kaplan_cima_f2_example_17_2():
    """Kaplan, CIMA F2 Advanced Financial Reporting Integrated Workbook (2019), chapter 19
    "Foreign currency", Example 17.2 (https://online.flipbuilder.com/bmcx/tfag/files/basic-html/
    page490.html) and the same example as 18.2 in the 2018 edition (https://online.flipbuilder.com/
    bmcx/mhuh/files/basic-html/page447.html and page444.html).

    Published: goodwill "Fair value of P's investment 16,800, NCI at fair value at acquisition 3,600,
    Less: S's net assets at acquisition (12,000 + 3,200) (15,200), Goodwill at acquisition 5,200,
    Impairment (800)"; rates EUR 3 (opening), 2.5 (average), 2 (closing) per USD; "S's profit for
    the year 2,800, Impairment (fair value method) (800) ... 2,000, NCI share of profits × 20% 400,
    Translated at average rate (400 @ 2.5), NCI share of profits $160"; "(W3) Closing net assets
    at closing rate (23,200/2) 11,600, Less opening net assets at opening rate (23,200 − 2,800)/3
    (6,800), Less comprehensive income for the year at average rate (2,800/2.5) (1,120), Exchange
    difference on net assets 3,680, Annual exchange difference on goodwill (W4) 787, Total 4,467";
    "(W4) Goodwill at CR ((5,200 − 800 = 4,400)/2) 2,200, Goodwill at OR (5,200/3) 1,733,
    Impairment at AR (800/2.5) (320)"; "(W5) Impairment of EUR 800 would be translated at the
    average rate of 2.5 ... $320. As the fair value method was used, the impairment was split
    between the parent and the NCI."
    The year is closed as one period (fiscal year starting in December).
    """
    r = consolidate(
        inputs("2018-12", GROUP, BALANCES, RATES, opening_balances=OPENING, fiscal_year_start=12,
               adjustments=(impairment("IMP-20X8", 32000),))
    )  # fmt: skip
    got = amounts(r.consolidated)
    assert got["6560"] == Decimal("320.00")  # impairment at AR, its own line
    assert got["1700"] == Decimal("2200.00")  # EUR 4,400 at CR
    assert got["8900"] == Decimal("160.00")  # 20% × (2,800 − 800) at 2.5
    gw = r.goodwill.set_index("entity").loc["S"]
    assert (int(gw["local"]), int(gw["impairment"])) == (440000, 32000)
    at_opening_rate = Decimal("5200") / 3  # published 1,733
    at_acquisition = Decimal(int(gw["at_acquisition"])).scaleb(-2)
    annual_on_goodwill = -Decimal(int(gw["cta"])).scaleb(-2) - (at_opening_rate - at_acquisition)
    assert whole(annual_on_goodwill) == 787
    s_cta = r.cta.set_index("entity").loc["S"]
    on_net_assets = -(Decimal(int(s_cta["plug"])).scaleb(-2) - Decimal("-1440"))
    assert on_net_assets == 3680  # W3
    assert whole(on_net_assets + annual_on_goodwill) == 4467
    assert int(r.consolidated["amount"].sum()) == 0

    # The next year: the impairment is carried (never reversed), in retained earnings; the same
    # journal in that run's file is not booked twice.
    nxt = consolidate(_next_year(r, adjustments=(impairment("IMP-20X8", 32000),)))
    got = amounts(nxt.consolidated)
    assert "6560" not in got and got["1700"] == Decimal("2200.00")


def _next_year(prior, adjustments):
    bal = tb("""
    P | 1800 | S | 4200 | 4200
    P | 1000 |   | 5800 | 5800
    P | 3000 |   | -10000 | -10000
    S | 1000 |   | 23200 | 23200
    S | 3000 |   | -12000 | -12000
    S | 3100 |   | -11200 | -11200
    """)
    nxt = inputs("2019-12", GROUP, bal, rates({"EUR": "0.5"}, {"EUR": "0.5"}, {"EUR": "0.5"}),
                 prior=prior.translated, prior_consolidated=prior.consolidated, fiscal_year_start=12,
                 adjustments=adjustments)  # fmt: skip
    return replace(nxt, prior_impairments=prior.impairments)


def test_a_reversal_of_a_goodwill_impairment_is_refused():
    with pytest.raises(InputDataError, match=r"never reversed \(IAS 36.124\)"):
        consolidate(
            inputs("2018-12", GROUP, BALANCES, RATES, opening_balances=OPENING, fiscal_year_start=12,
                   adjustments=(impairment("REV-1", -32000),))
        )  # fmt: skip
