"""Acceptance 4 of issue 21: every root-cause decomposition sums exactly to its parent (property test)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from close.analysis.rootcause import LEVELS, OTHERS, decompose, node_waterfall, recurrence, walk, waterfall

_KEYS = {"entity": ["BR1", "BR2", "US1"], "account": ["3.1", "3.2", "4100"],
         "cost_center": ["", "CC1", "CC2"], "counterparty": ["", "ACME", "BETA", "GAMMA"]}
_line = st.fixed_dictionaries({
    "std_account": st.sampled_from(["4000", "5000"]),
    **{level: st.sampled_from(_KEYS[level]) for level in LEVELS},
    "amount": st.integers(min_value=-10**12, max_value=10**12),
})


def _frame(lines: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(lines, columns=["std_account", *LEVELS, "amount"]).astype({"amount": "int64"})


@settings(max_examples=60, deadline=None)
@given(st.lists(_line, max_size=40), st.lists(_line, max_size=40), st.integers(min_value=1, max_value=4))
def test_every_level_sums_exactly_to_its_parent(current: list[dict], prior: list[dict], top: int) -> None:
    cur, com = _frame(current), _frame(prior)
    root = decompose(cur, com, "4000", top=top)
    assert root.current == int(cur.loc[cur["std_account"] == "4000", "amount"].sum())
    assert root.comparison == int(com.loc[com["std_account"] == "4000", "amount"].sum())
    for node in walk(root):
        if node.children:
            assert sum(c.current for c in node.children) == node.current
            assert sum(c.comparison for c in node.children) == node.comparison
            assert sum(c.change for c in node.children) == node.change
            assert len(node.children) <= top + 1
            assert [c.key for c in node.children].count(OTHERS) <= 1
        steps = node_waterfall(node) if node.children else ()
        assert not steps or steps[-1].running == node.current


def _l(entity: str, account: str, cost_center: str, counterparty: str, amount: int) -> dict:
    return {"std_account": "5000", "entity": entity, "account": account, "cost_center": cost_center,
            "counterparty": counterparty, "amount": amount}


def test_a_hand_made_drill_down_and_journal_evidence() -> None:
    cur = _frame([_l("BR1", "3.1", "CC1", "ACME", 1500), _l("BR1", "3.1", "CC2", "", 200),
                  _l("US1", "4100", "", "", 300)])
    com = _frame([_l("BR1", "3.1", "CC1", "ACME", 500), _l("US1", "4100", "", "", 300)])
    journal = pd.DataFrame({"entity": ["BR1"], "account": ["3.1"], "date": ["2026-11-20"],
                            "description": ["ACME one-off repair"], "amount": [1000]})
    root = decompose(cur, com, "5000", journal_lines=journal)
    # 2,000 − 800 = 1,200: BR1 +1,200 (CC1 ACME +1,000, CC2 +200), US1 0.
    assert root.change == 1200 and [(n.key, n.change) for n in root.children] == [("BR1", 1200), ("US1", 0)]
    account = root.children[0].children[0]
    assert [(n.key, n.change) for n in account.children] == [("CC1", 1000), ("CC2", 200)]
    assert account.journal == (("2026-11-20", "ACME one-off repair", 1000),) and account.unexplained == 200
    bridge = node_waterfall(root)
    assert [(s.label, s.amount, s.running) for s in bridge] == [
        ("comparison", 800, 800), ("BR1", 1200, 2000), ("US1", 0, 2000), ("current", 2000, 2000)]


def test_one_off_or_recurring_from_twelve_months() -> None:
    flat = {f"2026-{m:02d}": Decimal(10) for m in range(1, 11)}
    assert recurrence(1000, flat).label == "one-off"
    quarterly = {**flat, "2026-01": Decimal(900), "2026-04": Decimal(950), "2026-07": Decimal(1100)}
    r = recurrence(1000, quarterly)
    assert r.label == "recurring" and r.similar_months == ("2026-01", "2026-04", "2026-07")
    assert recurrence(1000, {"2026-09": Decimal(1), "2026-10": Decimal(2)}).label == "insufficient history"


def test_a_bridge_that_does_not_close_is_refused() -> None:
    with pytest.raises(ValueError, match="does not close"):
        waterfall(("standard", 100), [("price", 5)], ("actual", 106))
