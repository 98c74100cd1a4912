"""A three-level, three-currency group with effective NCI, checked by hand.

HOLD (USD) owns 80% of A (BRL); A owns 60% of B (EUR). Effective interests: A 80%, B 48%;
NCI 20% in A and 52% in B (40% direct + 20% × 60% indirect). All founded this month, first month
of the fiscal year, no opening balances.

Rates to USD: BRL closing = average = 0.20; EUR closing 1.20, average 1.10.

B (EUR): cash 1,200, share capital (1,000), revenue (500), expenses 300.
  Translated: cash 1,440.00; share capital (1,100.00) (contributed this month, at 1.10);
  revenue (550.00); expenses 330.00; CTA plug = −(1,440 − 1,100 − 550 + 330) = (120.00), a gain.
A (BRL): cash 2,700, investment in B 3,300 (EUR 600 at 5.5), share capital (5,000), revenue
  (1,500), expenses 500. Translated at 0.20: 540, 660, (1,000), (300), 100: CTA 0.
HOLD (USD): cash 9,200, investment in A 800, share capital (10,000).

Investment in A: 800 against A's share capital 1,000; NCI at foundation 20% × 1,000 = 200.
Investment in B: A's 660, of which HOLD's effective share 80% = 528; NCI at foundation 52% × 1,100
  = 572, less the indirect minority's 20% of A's investment 132 = 440 (B's direct 40% × 1,100).
Post-foundation: A's net assets 1,200 − 1,000 = 200 → NCI 20% = 40.00, all profit.
  B's net assets 1,440 − 1,100 = 340 → NCI 52% = 176.80: profit 52% × 220 = 114.40, CTA 52% ×
  120 = 62.40.
NCI: 200 + 40 + 440 + 176.80 = 856.80 (check: 20% × 1,200 + 52% × 1,440 − 20% × 660).
NCI share of profit 40.00 + 114.40 = 154.40; owners' profit 420 − 154.40 = 265.60 (= 80% × 200 +
48% × 220). CTA left to owners: 120 − 62.40 = 57.60 (= 48% × 120).
Consolidated cash 9,200 + 540 + 1,440 = 11,180.00.
"""

from __future__ import annotations

from decimal import Decimal

from close.engine.consolidation import consolidate

from .helpers import amounts, entity, inputs, rates, tb

GROUP = (entity("HOLD", "USD"), entity("A", "BRL", "HOLD", "0.8"), entity("B", "EUR", "A", "0.6"))
BAL = tb("""
HOLD | 1000 |   | 0 | 9200
HOLD | 1800 | A | 0 | 800
HOLD | 3000 |   | 0 | -10000
A    | 1000 |   | 0 | 2700
A    | 1800 | B | 0 | 3300
A    | 3000 |   | 0 | -5000
A    | 4000 |   | 0 | -1500
A    | 6400 |   | 0 | 500
B    | 1000 |   | 0 | 1200
B    | 3000 |   | 0 | -1000
B    | 4000 |   | 0 | -500
B    | 6400 |   | 0 | 300
""")


def test_three_level_group_attributes_effective_nci():
    r = consolidate(
        inputs("2025-01", GROUP, BAL, rates({"BRL": "0.20", "EUR": "1.20"}, {"BRL": "0.20", "EUR": "1.10"}))
    )
    got = amounts(r.consolidated)
    assert got["1000"] == Decimal("11180.00")
    assert got["3000"] == Decimal("-10000.00")
    assert got["3400"] == Decimal("-856.80")
    assert got["8900"] == Decimal("154.40")
    assert got["3300"] == Decimal("-57.60")
    assert got["4000"] == Decimal("-850.00") and got["6400"] == Decimal("430.00")
    assert -(got["4000"] + got["6400"] + got["8900"]) == Decimal("265.60")
    assert "1800" not in got and "3100" not in got
    nci = r.nci.set_index("entity")
    assert nci.loc["A", "nci_pct"] == "0.2" and nci.loc["B", "nci_pct"] == "0.52"
    # The indirect holding adjustment (20% × A's investment in B, 132) is deducted from A's own NCI
    # (240 − 132), as the ACCA/CIMA workings do; B's NCI is 572 + 176.80 (test_multilevel_nci.py).
    assert int(nci.loc["A", "equity"]) == 10800 and int(nci.loc["B", "equity"]) == 74880
    assert int(nci.loc["A", "profit"]) == 4000 and int(nci.loc["B", "profit"]) == 11440
    assert int(nci.loc["B", "cta"]) == -6240
    assert int(r.cta.set_index("entity").loc["B", "plug"]) == -12000
    assert int(r.consolidated["amount"].sum()) == 0
