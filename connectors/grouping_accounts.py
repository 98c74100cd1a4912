"""Grouping (synthetic) accounts in an exported trial balance, found and checked in sorted order.

A Brazilian balancete prints every level of the chart: ``1`` ATIVO, ``1.1`` ATIVO CIRCULANTE,
``1.1.01`` Caixa … Only the leaves are the trial balance; a grouping line must equal the sum of
the leaves under it, and is then dropped so nothing is counted twice. A code ``P`` groups ``C``
when ``C`` starts with ``P`` followed by ``.`` or ``-``. Comparing every code with every other, as
this check once did, took minutes for 20,000 lines. Here the codes are sorted once (numpy, in C):
the codes under ``P`` are then exactly those in ``[P + "-", P + "/")`` (``-`` and ``.`` are the two
characters before ``/``), one contiguous block that starts right after ``P`` unless the next code
sorts before ``P + "-"`` (then a binary search finds it) and ends where a binary search puts
``P + "/"``, and the sum of the leaves in a block is a difference of two cumulative sums.
``O(n log n)`` comparisons, no Python step per line.

Example:
    >>> split = split_grouping_accounts(["1", "1.01", "1.02"], [30, 10, 20])
    >>> split.leaves, split.mismatch
    ((1, 2), None)

"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Fixed-width arrays sort fastest, but take (lines × longest code) characters each and drop
# trailing NULs; past this size, or with a NUL in a code, the codes stay Python strings.
_FIXED_WIDTH_BUDGET = 1 << 25


@dataclass(frozen=True, slots=True)
class GroupingSplit:
    """Which lines are leaves, and the first grouping account that disagrees with its leaves.

    Attributes:
        leaves: positions of the analytic lines, in order.
        mismatch: ``(position, sum of its sub-accounts)`` of the first grouping line whose
            closing differs, or ``None``.

    """

    leaves: tuple[int, ...]
    mismatch: tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class _Sorted:
    """The codes, their sorted order, and per code where ``code + "-"`` would sort (its block's start).

    The block under a code is ``[start, end)`` with ``end`` where ``code + "/"`` would sort; it is
    not empty exactly when the code at ``start`` sorts before ``code + "/"``, a comparison per
    code rather than a second binary search.
    """

    keys: np.ndarray
    order: np.ndarray
    ordered: np.ndarray
    start: np.ndarray

    def groups(self) -> np.ndarray:
        """Say per code whether another code continues it with ``.`` or ``-``."""
        n = len(self.ordered)
        start = self.start[self.order]  # in sorted order, as the comparison below
        first = self.ordered[np.minimum(start, n - 1)]
        in_sorted_order = (start < n) & (first < _suffixed(self.ordered, "/"))
        grouping = np.empty(n, dtype=bool)
        grouping[self.order] = in_sorted_order
        return grouping

    def end(self, lines: np.ndarray) -> np.ndarray:
        """Return the end of the block under each of ``lines``."""
        return np.searchsorted(self.ordered, _suffixed(self.keys[lines], "/"))


def _code_array(codes: Sequence[str]) -> np.ndarray:
    width = max(map(len, codes), default=0)
    codes_array = np.asarray(codes, dtype=object).reshape(len(codes))
    if len(codes) * width > _FIXED_WIDTH_BUDGET or "\x00" in "".join(codes):
        return codes_array
    # Through object dtype: numpy converts a list of str to fixed width several times slower.
    # One character wider than the longest code, so that every code followed by a separator has
    # the same type: numpy would otherwise copy the sorted codes to a wider type at each search.
    try:  # ASCII codes as bytes, which sort and compare in the same order, several times faster
        return codes_array.astype(f"S{width + 1}")
    except UnicodeEncodeError:
        return codes_array.astype(f"U{width + 1}")


def _suffixed(keys: np.ndarray, character: str) -> np.ndarray:
    """Return every code followed by ``character``, of the codes' type (as bytes when they are)."""
    if keys.dtype.kind not in "SU":
        return keys + character
    # Written into a copy's padding, one character per code: a string concatenation would make
    # a wider type to be cast back.
    unit = np.uint8 if keys.dtype.kind == "S" else np.uint32
    suffixed = keys.copy()
    chars = suffixed.view(unit).reshape(len(keys), keys.itemsize // np.dtype(unit).itemsize)
    chars[np.arange(len(keys)), np.strings.str_len(keys)] = ord(character)
    return suffixed


def _sorted(codes: Sequence[str]) -> _Sorted:
    keys = _code_array(codes)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    # ``code + "-"`` sorts after the code itself and every code before it; unless the next code
    # sorts before it too (a repeat of the code, or the code followed by a character below "-"),
    # it sorts right after the code. One comparison per code, a binary search for the few others.
    dashed = _suffixed(ordered, "-")
    start_sorted = np.arange(1, len(keys) + 1, dtype=np.intp)
    unusual = np.flatnonzero(ordered[1:] < dashed[:-1])
    start_sorted[unusual] = np.searchsorted(ordered, dashed[unusual])
    start = np.empty(len(keys), dtype=np.intp)
    start[order] = start_sorted
    return _Sorted(keys, order, ordered, start)


def grouping_codes(codes: Iterable[str]) -> frozenset[str]:
    """Return the codes that prefix another code followed by ``.`` or ``-`` (``1.1`` over ``1.1.01``).

    Args:
        codes: the account codes of one trial balance (repeats allowed).

    Returns:
        The grouping (synthetic) codes among them.

    """
    known = list(set(codes))
    if not known:
        return frozenset()
    return frozenset(np.asarray(known, dtype=object)[_sorted(known).groups()].tolist())


def split_grouping_accounts(codes: Sequence[str], closings: Sequence[int] | np.ndarray,
                            synthetic: Sequence[bool] | None = None) -> GroupingSplit:
    """Separate grouping (synthetic) lines from leaves and check each against its sub-accounts.

    Args:
        codes: account code per line (non-empty).
        closings: closing per line (minor units; their sum must fit in int64, as the file
            connector checks before).
        synthetic: per line, whether a ``Tipo`` column marks it synthetic; ``None`` when the file
            has none, and then a code that prefixes another (``1.1`` over ``1.1.01``) is grouping.

    Returns:
        The leaves and the first mismatch. A grouping line must equal the sum of the leaves
        under it; with a ``Tipo`` column a synthetic line with no leaf under it is not checked.

    """
    leaves, mismatch = grouping_leaves(codes, closings, synthetic)
    return GroupingSplit(tuple(leaves.tolist()), mismatch)


def grouping_leaves(codes: Sequence[str], closings: Sequence[int] | np.ndarray,
                    synthetic: Sequence[bool] | None = None) -> tuple[np.ndarray,
                                                                      tuple[int, int] | None]:
    """``split_grouping_accounts`` with the leaves as an array, for a million lines.

    Returns:
        The positions of the leaves (``intp``) and the first mismatch, as there.

    """
    n = len(codes)
    if not n:
        return np.zeros(0, dtype=np.intp), None
    blocks = _sorted(codes)
    if synthetic is None:
        is_parent = blocks.groups()
    else:
        is_parent = np.asarray(synthetic, dtype=bool).reshape(n)
    leaves = np.flatnonzero(~is_parent)
    if not is_parent.any():
        return leaves, None
    amounts = np.asarray(closings, dtype=np.int64).reshape(n)
    # Cumulative closings and counts of the leaves in sorted order: a block's sum is a difference.
    is_leaf = ~is_parent[blocks.order]
    total_before = np.concatenate(([0], np.cumsum(np.where(is_leaf, amounts[blocks.order], 0))))
    leaves_before = np.concatenate(([0], np.cumsum(is_leaf)))
    parents = np.flatnonzero(is_parent)
    start, end = blocks.start[parents], blocks.end(parents)
    totals = total_before[end] - total_before[start]
    checked = leaves_before[end] > leaves_before[start] if synthetic is not None else True
    wrong = np.flatnonzero(checked & (totals != amounts[parents]))
    if wrong.size:
        k = int(wrong[0])
        return leaves, (int(parents[k]), int(totals[k]))
    return leaves, None
