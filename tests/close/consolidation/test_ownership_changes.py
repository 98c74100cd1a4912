"""Changes in ownership without loss of control (IFRS 10.23, B96; IAS 21.48C)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from close.config import OwnershipStep, parse_group_config
from close.engine.consolidation import consolidate
from close.errors import ConfigError, InputDataError

from .helpers import acquisition, amounts, entity, inputs, opening, rates, tb


def units(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)


# RBE holds 70% of DCA (acquired 31 December 2009 for 1,500; DCA's net assets 2,000; NCI at fair
# value 650, so goodwill 150) and buys 20% more on 30 September 2010 for 540.
STEP = OwnershipStep(date(2010, 9, 30), Decimal("0.9"), Decimal("540"))
DCA_ACQ = replace(
    acquisition("2009-12-31", "1500", "2000", "1", nci_method="full", nci_fair_value="650"), steps=(STEP,)
)
GROUP = (entity("RBE", "USD"), entity("DCA", "USD", "RBE", "0.7", acquisition=DCA_ACQ))


def _balances(months: int) -> str:
    """DCA earns 50 a month (600 for the year) and declared 100 in April (70 to RBE, 30 outside)."""
    profit = 50 * months
    return f"""
    RBE | 1800 | DCA | 2040 | 2040
    RBE | 1000 |     | 4680 | 4680
    RBE | 3000 |     | -5950 | -5950
    RBE | 4000 |     | -{75 * months} | -{75 * months}
    RBE | 4950 | DCA | -70 | -70
    RBE | 3150 |     | 200 | 200
    RBE | 3100 |     | {75 * months} | {75 * months}
    DCA | 1000 |     | {2000 + profit - 100} | {2000 + profit - 100}
    DCA | 3000 |     | -2000 | -2000
    DCA | 4000 |     | -{profit} | -{profit}
    DCA | 3150 | RBE | 70 | 70
    DCA | 3150 |     | 30 | 30
    """


def test_a_purchase_of_nci_shares_is_an_equity_transaction_acca_p2_rbe():
    """ACCA P2 (Corporate Reporting) December 2010, "RBE" (parent) and "DCA" (subsidiary): the
    published answer's statement of changes in equity and workings (reproduced at
    https://tutorsglobe.com/question/the-additional-20-purchase-by-rbe-results-is-5289623.aspx).

    Published: NCI at the start of the year 650; DCA's total comprehensive income 600 for the
    year; "NCI at 30% x $600,000 x 9/12 months 135", "NCI at 10% x $600,000 x 3/12 months 15",
    "NCI share of TCI 150"; "NCI share of dividend paid April 2010 by DCA = 30% x $100,000 =
    $30,000"; "Value of NCI at 1 October 2010 is $650,000 + $135,000 − $30,000 = $755,000.
    Therefore the value transferred is $755,000 x 2/3 = $503,333"; "Consideration transferred 540,
    Value of non-controlling interest transferred (503), Adjustment to parent equity 37"; NCI at
    the end of the year 267 ($000).

    Inputs: the published figures in $000 as units; the NCI at fair value 650 on acquisition on
    31 December 2009 (net assets 2,000, so 50 of goodwill is the NCI's); the step recognised at
    the end of September (the published 1 October, after nine months at 30%).
    """
    sept = consolidate(inputs("2010-09", GROUP, tb(_balances(9)), rates({}, {})))
    (step,) = sept.steps.to_dict("records")
    assert step["nci_before"] == 75500000 // 1000  # 755
    assert units(Decimal(-step["nci_change"]).scaleb(-2)) == 503  # 755 × 2/3 = 503.333
    assert step["nci_change"] == -50333
    assert units(Decimal(step["equity_difference"]).scaleb(-2)) == 37  # 540 − 503
    got = amounts(sept.consolidated)
    assert got["3250"] == Decimal("36.67")  # a debit: paid more than the NCI given up
    assert got["8900"] == Decimal("135.00")  # 30% × 450 for nine months
    assert got["3400"] == Decimal("-251.67")  # 755 − 503.33
    assert int(sept.consolidated["amount"].sum()) == 0

    dec = consolidate(
        replace(inputs("2010-12", GROUP, tb(_balances(12)), rates({}, {})), prior_steps=sept.steps)
    )
    got = amounts(dec.consolidated)
    assert got["8900"] == Decimal("150.00")  # 135 + 10% × 150
    assert units(-got["3400"]) == 267 and got["3400"] == Decimal("-266.67")  # 650 + 150 − 30 − 503.33
    assert got["3250"] == Decimal("36.67")  # the adjustment to the parent's equity, 37
    assert got["3150"] == Decimal("200.00")  # the parent's own dividends; DCA's 30 went to the NCI
    assert got["1700"] == Decimal("150.00")  # goodwill is not remeasured
    nci = dec.nci.set_index("entity").loc["DCA"]
    assert (Decimal(nci["nci_pct"]), int(nci["equity"]), int(nci["profit"])) == (Decimal("0.1"), 26667, 15000)
    assert int(dec.consolidated["amount"].sum()) == 0


def test_a_sale_without_loss_of_control_reattributes_the_cta_to_the_nci():
    """Constructed: HOLD (USD) acquired 100% of S (BRL) with net assets BRL 1,000 at
    0.20 for USD 200 (no goodwill). At the end of 2025-06 (closing 0.18) S's net assets are BRL
    1,100 (profit 100 at 0.19 average) = USD 198.00, its CTA 200 − 198 + 19 = +21.00 (a debit,
    a loss). HOLD sells 25% for USD 60.00, keeping control: the NCI takes 25% × 198 = 49.50,
    the parent's equity 60 − 49.50 = 10.50 (a credit); IAS 21.48C re-attributes 25% of the CTA,
    5.25, to the NCI, so the group's CTA is 75% × 21 = 15.75 and the NCI's 5.25.
    """
    acq = replace(
        acquisition("2024-12-31", "200", "1000", "0.2"),
        steps=(OwnershipStep(date(2025, 6, 15), Decimal("0.75"), Decimal("60")),),
    )
    group = (entity("HOLD", "USD"), entity("S", "BRL", "HOLD", "1", acquisition=acq))
    bal = tb("""
    HOLD | 1800 | S | 140 | 140
    HOLD | 1000 |   | 860 | 860
    HOLD | 3000 |   | -1000 | -1000
    S    | 1000 |   | 1100 | 1100
    S    | 3000 |   | -1000 | -1000
    S    | 4000 |   | -100 | -100
    """)
    ob = opening("S | 3000 |  | -200\nS | 4000 |  | -19\nS | 3300 |  | 21", {("S", "3000"): "0.2"})
    r = consolidate(
        inputs(
            "2025-06",
            group,
            bal,
            rates({"BRL": "0.18"}, {"BRL": "0.19"}, {"BRL": "0.18"}),
            opening_balances=ob,
        )
    )
    (step,) = r.steps.to_dict("records")
    assert (step["net_assets"], step["nci_change"], step["equity_difference"]) == (19800, 4950, -1050)
    assert (step["cta"], step["cta_reattributed"]) == (2100, 525)
    got = amounts(r.consolidated)
    assert got["3250"] == Decimal("-10.50")
    assert got["3400"] == Decimal("-49.50")
    assert got["3300"] == Decimal("15.75")
    assert "8900" not in got  # the half-year's profit stays the parent's
    assert int(r.consolidated["amount"].sum()) == 0


def test_a_step_whose_month_no_prior_run_carries_is_a_clear_error():
    with pytest.raises(InputDataError, match=r"ownership step of DCA on 2010-09-30.*close that month first"):
        consolidate(inputs("2010-12", GROUP, tb(_balances(12)), rates({}, {})))


def test_steps_below_the_top_parents_subsidiaries_are_refused():
    mid = replace(acquisition("2009-12-31", "1", "1", "1"), steps=(STEP,))
    group = (entity("P", "USD"), entity("A", "USD", "P"), entity("B", "USD", "A", "0.7", acquisition=mid))
    with pytest.raises(ConfigError, match="top parent"):
        consolidate(inputs("2010-12", group, tb("P | 1000 | | 0 | 0"), rates({}, {})))


GROUP_TOML = """
[group]
id = "g"
name = "G"
presentation_currency = "USD"
[[entities]]
id = "P"
name = "P"
currency = "USD"
[[entities]]
id = "S"
name = "S"
currency = "USD"
parent = "P"
ownership = "0.7"
[entities.acquisition]
date = 2009-12-31
consideration = "1500"
[[entities.acquisition.steps]]
date = 2010-09-30
ownership = "0.9"
consideration = "540"
[[entities.acquisition.steps]]
date = {second}
ownership = "0.8"
consideration = "100"
[entities.disposal]
date = 2012-03-31
proceeds = "2500"
"""


def test_steps_and_a_disposal_are_read_from_the_config_and_out_of_order_steps_are_refused():
    config = parse_group_config(GROUP_TOML.format(second="2011-03-31"), source="group.toml")
    s = config.entity("S")
    assert [(x.date.isoformat(), x.ownership, x.consideration) for x in s.acquisition.steps] == [
        ("2010-09-30", Decimal("0.9"), Decimal("540")),
        ("2011-03-31", Decimal("0.8"), Decimal("100")),
    ]
    assert (s.disposal.date, s.disposal.proceeds) == (date(2012, 3, 31), Decimal("2500"))
    with pytest.raises(ConfigError, match=r"entities\[1\]\.acquisition\.steps\[1\]\.date"):
        parse_group_config(GROUP_TOML.format(second="2010-09-15"), source="group.toml")


def test_a_tax_rate_outside_0_to_1_is_refused_naming_the_key():
    text = GROUP_TOML.format(second="2011-03-31").replace(
        'consideration = "1500"', 'consideration = "1500"\ntax_rate = "34"'
    )
    with pytest.raises(ConfigError, match=r"entities\[1\]\.acquisition\.tax_rate"):
        parse_group_config(text, source="group.toml")


def test_the_nci_moves_by_exactly_its_rounded_profit_cta_and_dividends_within_a_year():
    """Issue 17: within a fiscal year the NCI's change is its profit − dividends − CTA movement, to the cent.

    20 % of a subsidiary with reserves of 1,468.17 brought forward (minor units); each month's
    profit, dividends and CTA are chosen so that rounding the parts on their own and taking the
    reserves as the difference loses a cent in the second month.
    """
    from close.engine.ownership_changes import nci_parts

    n = Decimal("0.2")

    def parts(profit: int, dividends: int, cta: int):
        # TB signs: a profit is a credit (the NCI's share a debit), CTA a debit when it fell.
        net_assets = 146817 + profit - dividends - cta
        return nci_parts(n * profit, n * cta, n * dividends, n * net_assets)

    def rounded(x: Decimal) -> int:
        return int(x.quantize(Decimal(1), ROUND_HALF_EVEN))

    first, second = parts(1017, 0, 333), parts(2039, 1007, -1461)
    assert second.post - first.post == (second.profit - second.dividends) - (first.profit - first.dividends) \
        - (second.cta - first.cta)
    assert first.reserves == second.reserves
    for m, (profit, dividends, cta) in ((first, (1017, 0, 333)), (second, (2039, 1007, -1461))):
        assert (m.profit, m.dividends) == (rounded(n * profit), rounded(n * dividends))
        assert m.post == rounded(n * (146817 + profit - dividends - cta))
        assert abs(m.cta - n * cta) < 1  # the remainder: within a cent of its exact share
