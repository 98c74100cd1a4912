"""Smoke tests of the consolidation contract: sums to zero, eliminations, refusals naming the culprit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from close.config import IntercompanySettings, PpaIntangible
from close.engine.consolidation import consolidate, trace_account
from close.engine.journals import JournalEntry, JournalLine
from close.errors import ConfigError, InputDataError

from .helpers import acquisition, amounts, entity, inputs, opening, rates, tb

GROUP = (entity("HOLD", "USD"), entity("BR1", "BRL", "HOLD"))
BAL = tb("""
HOLD | 1000 |      | 0 | 9800
HOLD | 1800 | BR1  | 0 | 200
HOLD | 1150 | BR1  | 0 | 18
HOLD | 4150 | BR1  | 0 | -18
HOLD | 3000 |      | 0 | -10000
BR1  | 1000 |      | 0 | 1100
BR1  | 2050 | HOLD | 0 | -100
BR1  | 5150 | HOLD | 0 | 100
BR1  | 4000 |      | 0 | -100
BR1  | 3000 |      | 0 | -1000
""")
RATES = rates({"BRL": "0.18"}, {"BRL": "0.18"})
OPEN = opening("BR1 | 3000 | | -200", {("BR1", "3000"): "0.20"})


def test_founded_subsidiary_consolidates_to_zero_with_ic_eliminated():
    r = consolidate(inputs("2025-01", GROUP, BAL, RATES, opening_balances=OPEN))
    got = amounts(r.consolidated)
    # BR1: cash 1,100 × 0.18 = 198.00; SC at 0.20 = -200.00 eliminated against HOLD's 200.00.
    # IC 18.00 receivable vs BRL 100 × 0.18 = 18.00 payable: eliminated exactly.
    assert got["1000"] == Decimal("9998.00")
    assert "1150" not in got and "2050" not in got and "1800" not in got
    assert got["4000"] == Decimal("-18.00")  # BR1's external revenue BRL 100 × 0.18
    assert got["3000"] == Decimal("-10000.00")
    # CTA: BR1's translated lines 198 - 18 + 18 - 18 - 200 = -20 → plug +20.00.
    assert got["3300"] == Decimal("20.00")
    assert int(r.consolidated["amount"].sum()) == 0
    assert set(r.ic_pairs["status"]) == {"eliminated"}
    assert all(j.total() == 0 for j in r.journals)
    for e, grp in r.translated.groupby("entity"):
        assert int(grp["translated"].sum()) == 0, e
    assert (r.cta["difference"].abs() <= r.cta["tolerance"]).all()
    trace = trace_account(r, "3300")
    assert int(trace["amount"].sum()) == 2000


def test_missing_rate_names_currency_and_entity():
    with pytest.raises(InputDataError, match=r"BR1.*no closing rate for BRL"):
        consolidate(inputs("2025-01", GROUP, BAL, rates({}, {}), opening_balances=OPEN))


def test_ownership_above_100_percent_is_refused():
    bad = (entity("HOLD", "USD"), entity("BR1", "BRL", "HOLD", ownership="1.2"))
    with pytest.raises(ConfigError, match=r"BR1: ownership 1.2"):
        consolidate(inputs("2025-01", bad, BAL, RATES, opening_balances=OPEN))


def test_negative_ppa_life_is_refused():
    acq = acquisition(
        "2023-06-30", "200", "1000", "0.20", ppa=(PpaIntangible("brand", Decimal("10"), -12, "2023-07"),)
    )
    bad = (entity("HOLD", "USD"), entity("BR1", "BRL", "HOLD", acquisition=acq))
    with pytest.raises(ConfigError, match=r"'brand' of entity BR1 has useful life -12"):
        consolidate(inputs("2025-01", bad, BAL, RATES, opening_balances=OPEN))


def test_unbalanced_adjustment_is_refused():
    j = JournalEntry(
        "TS-9", "adjustment", "IFRS", "bad", (JournalLine("", "6400", 100), JournalLine("", "2100", -90))
    )
    with pytest.raises(InputDataError, match=r"TS-9 does not balance: debits 1.00 != credits 0.90"):
        consolidate(inputs("2025-01", GROUP, BAL, RATES, opening_balances=OPEN, adjustments=(j,)))


def test_ic_mismatch_beyond_tolerance_is_left_uneliminated():
    bal = BAL.copy()
    bal.loc[(bal["entity"] == "HOLD") & (bal["std_account"] == "1150"), "closing"] = 5000  # 50.00 vs 18.00
    bal.loc[(bal["entity"] == "HOLD") & (bal["std_account"] == "1000"), "closing"] = 980000 - 3200
    r = consolidate(
        inputs(
            "2025-01",
            GROUP,
            bal,
            RATES,
            opening_balances=OPEN,
            intercompany=IntercompanySettings(Decimal(1), Decimal("0.01")),
        )
    )
    pair = r.ic_pairs[r.ic_pairs["kind"] == "receivable_payable"].iloc[0]
    assert pair["status"] == "uneliminated"
    assert int(pair["difference"]) == 3200
    assert int(r.consolidated["amount"].sum()) == 0
