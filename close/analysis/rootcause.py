"""Root cause of an anomaly or a material variance: where the change came from, level by level.

A standard account's change between two sets of figures (this month against the prior month,
the prior year or the budget) is decomposed entity → local account → cost centre →
counterparty. Every node's change is the sum of its children's changes, exactly (integer minor
units; nothing is a remainder assigned to "other": ``(others)`` is the sum of the children not
listed). The journal lines behind a local account, where the connector gives them, are
attached as evidence with what they leave unexplained.

Whether the change is a one-off or recurs comes from the account's own monthly changes over the
past twelve months (``recurrence``). ``waterfall`` lays any decomposition out as the steps of a
bridge from the comparison figure to the current one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from close.engine.types import AccountCode, Period

LEVELS = ("entity", "account", "cost_center", "counterparty")
LINE_COLUMNS = ("std_account", *LEVELS, "amount")  # amount: int64 minor units, debit positive
OTHERS = "(others)"
_MIN_HISTORY = 3


@dataclass(frozen=True, slots=True)
class DrillNode:
    """One node of the decomposition: a key at a level and its figures (minor units).

    ``change == current − comparison`` and, when ``children`` is not empty,
    ``change == sum(child.change for child in children)``.
    """

    level: str  # "total" at the root, then one of LEVELS
    key: str
    current: int
    comparison: int
    children: tuple[DrillNode, ...] = ()
    journal: tuple[tuple[str, str, int], ...] = ()  # (date, description, amount) lines behind it
    unexplained: int | None = None  # change − Σ journal lines, when lines are attached

    @property
    def change(self) -> int:
        """The change from the comparison to the current figure."""
        return self.current - self.comparison


def decompose(current: pd.DataFrame, comparison: pd.DataFrame, std_account: AccountCode, *,
              levels: Sequence[str] = LEVELS, top: int = 5,
              journal_lines: pd.DataFrame | None = None) -> DrillNode:
    """Decompose a standard account's change level by level.

    Args:
        current: lines with ``LINE_COLUMNS`` (this period).
        comparison: the same columns for the comparison figures.
        std_account: the standard account to explain.
        levels: the drill-down order.
        top: children listed per node by size of change; the rest are summed into ``(others)``.
        journal_lines: entity, account, date, description, amount (int64), or None.

    Returns:
        The root node (level ``total``).

    """
    cur = _lines(current, std_account, levels)
    com = _lines(comparison, std_account, levels)
    both = cur.merge(com, on=list(levels), how="outer", suffixes=("_cur", "_com")).fillna(
        {"amount_cur": 0, "amount_com": 0})
    both = both.astype({"amount_cur": "int64", "amount_com": "int64"})
    # Plain tuples (keys…, current, comparison): a node groups its rows with a dict, where a
    # pandas groupby per node cost ~1 ms each, most of REPORTING at 66 entities (11,000 nodes).
    rows = list(zip(*(both[c].tolist() for c in (*levels, "amount_cur", "amount_com")), strict=True))
    return _node("total", std_account, rows, tuple(levels), top, journal_lines, {})


def _lines(frame: pd.DataFrame, std_account: AccountCode, levels: Sequence[str]) -> pd.DataFrame:
    rows = frame[frame["std_account"].astype(str) == std_account]
    keys = rows[list(levels)].astype(str).fillna("")
    keys["amount"] = rows["amount"].astype("int64")
    return keys.groupby(list(levels), as_index=False)["amount"].sum()


def _node(level: str, key: str, rows: list[tuple[Any, ...]], levels: tuple[str, ...], top: int,
          journal: pd.DataFrame | None, path: Mapping[str, str]) -> DrillNode:
    """Build a node from its rows ``(level keys…, current, comparison)``; ``path`` holds the keys above."""
    current, comparison = sum(r[-2] for r in rows), sum(r[-1] for r in rows)
    lines, unexplained = _journal(journal, path, current - comparison) if level == "account" else ((), None)
    depth = len(path)
    if depth == len(levels):
        return DrillNode(level, key, current, comparison, journal=lines, unexplained=unexplained)
    child_level = levels[depth]
    groups: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        groups.setdefault(r[depth], []).append(r)
    children = [_node(child_level, k, group, levels, top, journal, {**path, child_level: str(k)})
                for k, group in sorted(groups.items())]
    children.sort(key=lambda n: (-abs(n.change), n.key))
    if len(children) > top + 1:
        kept, folded = children[:top], children[top:]
        children = [*kept, DrillNode(child_level, OTHERS, sum(n.current for n in folded),
                                     sum(n.comparison for n in folded))]
    return DrillNode(level, key, current, comparison, tuple(children), lines, unexplained)


def _journal(journal: pd.DataFrame | None, path: Mapping[str, str], change: int
             ) -> tuple[tuple[tuple[str, str, int], ...], int | None]:
    if journal is None or "entity" not in path:
        return (), None
    mine = journal[(journal["entity"].astype(str) == path["entity"])
                   & (journal["account"].astype(str) == path.get("account", ""))]
    if mine.empty:
        return (), None
    lines = tuple((str(r["date"]), str(r["description"]), int(r["amount"]))
                  for r in mine.sort_values("amount", key=abs, ascending=False).to_dict("records"))
    return lines, change - sum(a for _, _, a in lines)


def walk(node: DrillNode) -> list[DrillNode]:
    """Return every node of a tree, parents before children."""
    out = [node]
    for child in node.children:
        out.extend(walk(child))
    return out


@dataclass(frozen=True, slots=True)
class Recurrence:
    """Whether this month's change is a one-off or recurs, and the evidence."""

    label: str  # one-off | recurring | insufficient history
    similar_months: tuple[Period, ...]
    months: int


def recurrence(change: Decimal | int, history: Mapping[Period, Decimal | int]) -> Recurrence:
    """Label a change from the account's monthly changes over the past twelve months.

    A month is similar when its change has the same sign and at least half the size of this
    month's. Two or more similar months: ``recurring`` (it happened before, e.g. a quarterly
    billing or a seasonal cost); none or one: ``one-off``. Fewer than three months of history:
    ``insufficient history``.

    Args:
        change: this month's change.
        history: period → the change of that month, for the twelve months before.

    """
    months = sorted(history)[-12:]
    if len(months) < _MIN_HISTORY:
        return Recurrence("insufficient history", (), len(months))
    c = Decimal(change)
    similar = tuple(p for p in months if c != 0 and Decimal(history[p]) * c > 0
                    and abs(Decimal(history[p])) * 2 >= abs(c))
    return Recurrence("recurring" if len(similar) >= 2 else "one-off", similar, len(months))


@dataclass(frozen=True, slots=True)
class Step:
    """One bar of a waterfall: a label, its amount and the running total after it."""

    label: str
    amount: int
    running: int


def waterfall(start: tuple[str, int], steps: Sequence[tuple[str, int]], end: tuple[str, int]
              ) -> tuple[Step, ...]:
    """Lay out a bridge from ``start`` through ``steps`` to ``end``.

    Raises:
        ValueError: when start + Σ steps ≠ end (a bridge that does not close is a defect).

    """
    running = start[1]
    out = [Step(start[0], start[1], running)]
    for label, amount in steps:
        running += amount
        out.append(Step(label, amount, running))
    if running != end[1]:
        raise ValueError(f"the bridge does not close: {start[1]} + steps = {running} != {end[0]} {end[1]}")
    out.append(Step(end[0], end[1], running))
    return tuple(out)


def node_waterfall(node: DrillNode, *, start_label: str = "comparison",
                   end_label: str = "current") -> tuple[Step, ...]:
    """Bridge a node's comparison figure to its current one through its children's changes."""
    return waterfall((start_label, node.comparison), [(c.key, c.change) for c in node.children],
                     (end_label, node.current))
