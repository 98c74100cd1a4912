"""Unrealized profit in inventory from an upstream sale, shared with the NCI.

S (80% owned) sold goods costing 750 to HOLD for 1,000 (margin 25% of the selling price); HOLD
still holds them. Unrealized profit 25% × 1,000 = 250 comes off inventory against cost of sales;
the NCI bears 20% × 250 = 50. S's profit is 1,000 − 750 = 250, of which the NCI's 20% = 50 is
entirely unrealized, so the NCI's profit attribution nets to zero and the group's inventory is
the cost to the group, 750.
"""

from __future__ import annotations

from decimal import Decimal

from close.config import IntercompanySettings
from close.engine.consolidation import consolidate

from .helpers import amounts, entity, inputs, rates, tb


def test_upstream_unrealized_profit_is_eliminated_and_shared_with_nci():
    group = (entity("HOLD", "USD"), entity("S", "USD", "HOLD", "0.8"))
    bal = tb("""
    HOLD | 1200 | S | 0 | 1000
    HOLD | 1800 | S | 0 | 800
    HOLD | 1000 |   | 0 | 8200
    HOLD | 3000 |   | 0 | -10000
    S    | 1000 |   | 0 | 1250
    S    | 3000 |   | 0 | -1000
    S    | 4000 |   | 0 | -1000
    S    | 5000 |   | 0 | 750
    """)
    settings = IntercompanySettings(inventory_margins=(("S", Decimal("0.25")),))
    r = consolidate(inputs("2025-01", group, bal, rates({}, {}), intercompany=settings))
    got = amounts(r.consolidated)
    assert got["1200"] == Decimal("750.00")
    assert got["5000"] == Decimal("1000.00")  # 750 + 250 unrealized
    assert "8900" not in got  # NCI profit 50 − 50
    assert got["3400"] == Decimal("-200.00")  # NCI 20% × 1,000 share capital; its 50 profit is unrealized
    assert int(r.consolidated["amount"].sum()) == 0
