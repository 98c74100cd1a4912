"""Disposal of a subsidiary with its CTA recycled (IFRS 10.25, B98-B99; IAS 21.48).

CONSTRUCTED figures, kept beside the published example (test_disposal_published.py: a wholly
owned, founded subsidiary) for what it does not cover: goodwill, an NCI with its share of the CTA
not recycled, the months after the disposal and the next fiscal year.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from close.config import Disposal
from close.engine.consolidation import consolidate
from close.errors import InputDataError

from .helpers import acquisition, amounts, entity, inputs, opening, rates, tb

S = replace(
    entity("S", "BRL", "HOLD", "0.8", acquisition=acquisition("2024-12-31", "180", "1000", "0.2")),
    disposal=Disposal(date(2025, 6, 30), Decimal("250")),
)
GROUP = (entity("HOLD", "USD"), S)
# HOLD booked its own disposal: cash 250 in, the investment out at its cost 180, its gain 70.
HOLD = """
HOLD | 1000 |   | 820 | 1070
HOLD | 1800 | S | 180 | 0
HOLD | 3000 |   | -1000 | -1000
HOLD | 7400 | S | 0 | -70
"""
RATES = rates({"BRL": "0.18"}, {"BRL": "0.19"}, {"BRL": "0.18"})


def test_disposal_derecognises_net_assets_goodwill_and_nci_and_recycles_the_cta():
    """The method of the OpenTuition ACCA SBR tutor answers ("Disposal of foreign subsidiaries",
    https://opentuition.com/topic/disposal-of-foreign-subsidiaries): "1. Calculate gain on disposal
    in normal way: proceeds – net assets – goodwill + NCI: answer goes in P&L 2. Recycle CUMULATIVE
    XD: Dr OCI Cr P&L"; and ("Dec 16 Hybrid Q1 note 2", https://opentuition.com/topic/dec-16-hybrid-
    q1-note-2): the parent's own profit on disposal "is replaced by a group profit on disposal ...
    including the removal of the net assets, NCI and goodwill". Figures constructed:

    HOLD (USD) bought 80% of S (BRL) on 31 December 2024 for USD 180.00; S's equity BRL 1,000 at
    0.20 = USD 200.00; NCI 20% = 40.00; goodwill 180 + 40 − 200 = USD 20.00 = BRL 100.00. S earns
    BRL 100 in June 2025 (average 0.19: USD 19.00) and is sold on 30 June for USD 250.00 (closing
    0.18). Net assets BRL 1,100 = USD 198.00; goodwill BRL 100 = USD 18.00; S's CTA 21.00 (a loss:
    200 + 19 − 198) and the goodwill's 2.00; NCI 20% × 198 = 39.60 with 4.20 of the CTA. The
    group's share of the CTA, 21 + 2 − 4.20 = 18.80, is recycled: gain = 250 − 198 − 18 + 39.60 =
    73.60, less 18.80 = USD 54.80 (HOLD's own books show 70.00).
    """
    bal = tb(
        HOLD
        + """
    S | 1000 |   | 1000 | 1100
    S | 3000 |   | -1000 | -1000
    S | 4000 |   | 0 | -100
    """
    )
    ob = opening("S | 3000 |  | -200\nS | 3300 |  | 20", {("S", "3000"): "0.2"})
    june = consolidate(inputs("2025-06", GROUP, bal, RATES, opening_balances=ob))
    (d,) = june.disposals.to_dict("records")
    assert (d["net_assets"], d["goodwill"], d["nci"], d["cta_recycled"]) == (19800, 1800, 3960, 1880)
    assert (d["parent_gain"], d["gain"]) == (7000, 5480)
    got = amounts(june.consolidated)
    assert got["7400"] == Decimal("-54.80")  # the group's gain, with the CTA loss recycled
    assert got["4000"] == Decimal("-19.00")  # S's profit to the disposal stays in the group's
    assert got["8900"] == Decimal("3.80")  # 20% of it to the NCI
    for gone in ("1700", "3400", "3300", "1800"):  # goodwill, NCI, CTA, investment
        assert gone not in got
    assert got["1000"] == Decimal("1070.00")  # HOLD's cash only
    assert int(june.consolidated["amount"].sum()) == 0

    # July: S is out of the group; its contribution to the year is carried from June's result.
    after = HOLD.replace("820 | 1070", "1070 | 1070").replace("180 | 0", "0 | 0")
    after = after.replace("0 | -70", "-70 | -70")
    july = inputs("2025-07", GROUP, tb(after), RATES, prior_consolidated=june.consolidated)
    july = consolidate(replace(july, prior_disposals=june.disposal_lines))
    assert amounts(july.consolidated) == got
    # The next fiscal year: HOLD's own books hold the outcome; nothing is carried.
    nxt = consolidate(inputs("2026-01", GROUP, tb(after.replace("7400 | S", "3100 |  ")), RATES))
    assert "7400" not in amounts(nxt.consolidated)


def test_a_parent_still_carrying_the_investment_is_told_to_book_the_disposal():
    bal = tb("""
    HOLD | 1000 |   | 820 | 820
    HOLD | 1800 | S | 180 | 180
    HOLD | 3000 |   | -1000 | -1000
    S | 1000 |   | 1000 | 1000
    S | 3000 |   | -1000 | -1000
    """)
    ob = opening("S | 3000 |  | -200\nS | 3300 |  | 20", {("S", "3000"): "0.2"})
    with pytest.raises(InputDataError, match="still carries its investment in S"):
        consolidate(inputs("2025-06", GROUP, bal, RATES, opening_balances=ob))
