"""Grouping (synthetic) accounts in an exported trial balance, found and checked in linear time.

A Brazilian balancete prints every level of the chart: ``1`` ATIVO, ``1.1`` ATIVO CIRCULANTE,
``1.1.01`` Caixa … Only the leaves are the trial balance; a grouping line must equal the sum of
the leaves under it, and is then dropped so nothing is counted twice. A code ``P`` groups ``C``
when ``C`` starts with ``P`` followed by ``.`` or ``-``, so the only codes that can group ``C``
are its *separator prefixes* (``1`` and ``1.1`` for ``1.1.01``). Looking those up in a set is
linear in the number of lines; comparing every code with every other, as this check once did,
took minutes for 20,000 lines. The prefixes are taken level by level over the whole column
(``str.rpartition`` per code, the sums by pandas), not code by code.

Example:
    >>> split = split_grouping_accounts(["1", "1.01", "1.02"], [30, 10, 20])
    >>> split.leaves, split.mismatch
    ((1, 2), None)

"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


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


def prefix_levels(codes: Sequence[str]) -> list[list[str]]:
    """Return the separator prefixes of every code, one list per level, longest first.

    Level ``k`` holds, for each code, the prefix before its ``k+1``-th separator from the right
    (``""`` when it has no more): ``["1.1-02", "7"]`` gives ``[["1.1", ""], ["1", ""]]``. A code
    is never empty, so ``""`` never names a real prefix.

    Args:
        codes: account codes.

    Returns:
        The levels (none when no code has a separator).

    """
    hyphens = "-" in "\x1f".join(codes)  # one C-level scan
    # With "-" turned into "." a prefix has the same length as in the code, so it lines up.
    dotted = [code.replace("-", ".") for code in codes] if hyphens else list(codes)
    levels = []
    while True:
        dotted = [d.rpartition(".")[0] for d in dotted]
        if not any(dotted):
            return levels
        levels.append([c[:len(d)] if d else "" for c, d in zip(codes, dotted, strict=True)]
                      if hyphens else dotted)


def grouping_codes(codes: Iterable[str]) -> frozenset[str]:
    """Return the codes that prefix another code followed by ``.`` or ``-`` (``1.1`` over ``1.1.01``).

    Args:
        codes: the account codes of one trial balance (repeats allowed).

    Returns:
        The grouping (synthetic) codes among them.

    """
    known = list(set(codes))
    return _grouping_among(set(known), prefix_levels(known))


def _grouping_among(known: set[str], levels: list[list[str]]) -> frozenset[str]:
    return frozenset(set().union(*levels) & known - {""}) if levels else frozenset()


def split_grouping_accounts(codes: Sequence[str], closings: Sequence[int] | np.ndarray,
                            synthetic: Sequence[bool] | None = None) -> GroupingSplit:
    """Separate grouping (synthetic) lines from leaves and check each against its sub-accounts.

    Args:
        codes: account code per line (non-empty).
        closings: closing per line (minor units).
        synthetic: per line, whether a ``Tipo`` column marks it synthetic; ``None`` when the file
            has none, and then a code that prefixes another (``1.1`` over ``1.1.01``) is grouping.

    Returns:
        The leaves and the first mismatch. A grouping line must equal the sum of the leaves
        under it; with a ``Tipo`` column a synthetic line with no leaf under it is not checked.

    """
    levels = prefix_levels(codes)  # once: both steps below need them
    if synthetic is None:
        grouping = _grouping_among(set(codes), levels)
        is_parent = pd.Series(codes, dtype=object).isin(grouping).to_numpy()
    else:
        is_parent = np.asarray(synthetic, dtype=bool).reshape(len(codes))
    if not is_parent.any():
        return GroupingSplit(tuple(range(len(codes))), None)
    parents, leaves = np.flatnonzero(is_parent), np.flatnonzero(~is_parent)
    parent_codes = {codes[i] for i in parents.tolist()}
    amounts = np.asarray(closings, dtype=np.int64)[leaves]
    # Sum the closings of the leaves under each grouping code: a leaf counts once per ancestor,
    # as each ancestor sits at one level of its prefixes.
    totals: dict[str, int] = {}
    for level in levels:
        ancestors = pd.Series(np.asarray(level, dtype=object)[leaves])
        under = ancestors.isin(parent_codes).to_numpy()
        if under.any():
            sums = pd.Series(amounts[under]).groupby(ancestors[under].to_numpy()).sum()
            for code, total in sums.items():
                totals[code] = totals.get(code, 0) + int(total)
    for i in parents.tolist():
        if synthetic is None or codes[i] in totals:
            total = totals.get(codes[i], 0)
            if total != int(closings[i]):
                return GroupingSplit(tuple(leaves.tolist()), (i, total))
    return GroupingSplit(tuple(leaves.tolist()), None)
