"""The linear grouping-account check agrees with the quadratic one it replaced (issue 15).

The reference below is the check ``connectors/files.py`` had before: every code compared with
every other. Hypothesis generates charts of accounts (codes built from a small alphabet so that
prefixes, separators, repeats and near-misses like ``1.1`` vs ``1.10`` are common) and both must
agree on which lines are leaves and on the first grouping line that disagrees with its leaves.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.grouping_accounts import GroupingSplit, grouping_codes, split_grouping_accounts


def quadratic_split(codes: Sequence[str], closings: Sequence[int],
                    synthetic: Sequence[bool] | None) -> GroupingSplit:
    """The former check, kept as the oracle: O(n²) prefix comparisons."""
    if synthetic is not None:
        parents = {i for i, flag in enumerate(synthetic) if flag}
    else:
        known = set(codes)
        parents = {i for i, code in enumerate(codes)
                   if any(c.startswith(code + sep) for c in known for sep in ".-")}
    leaves = tuple(i for i in range(len(codes)) if i not in parents)
    for i in sorted(parents):
        subs = [j for j in leaves if codes[j].startswith((codes[i] + ".", codes[i] + "-"))]
        if synthetic is None or subs:
            total = sum(closings[j] for j in subs)
            if total != closings[i]:
                return GroupingSplit(leaves, (i, total))
    return GroupingSplit(leaves, None)


_SEGMENT = st.sampled_from(["1", "2", "01", "1a", "10", ""])
_CODE = st.lists(st.tuples(_SEGMENT, st.sampled_from([".", "-", ""])), min_size=1, max_size=4).map(
    lambda parts: "".join(seg + sep for seg, sep in parts).rstrip(".-") or "1")
_LINES = st.lists(st.tuples(_CODE, st.integers(-5, 5), st.booleans()), max_size=25)


@settings(max_examples=200, deadline=None)
@given(_LINES)
def test_linear_check_agrees_with_the_quadratic_one_by_prefix(lines: list[tuple[str, int, bool]]) -> None:
    codes, closings = [c for c, _, _ in lines], [v for _, v, _ in lines]
    assert split_grouping_accounts(codes, closings) == quadratic_split(codes, closings, None)


@settings(max_examples=150, deadline=None)
@given(_LINES)
def test_linear_check_agrees_with_the_quadratic_one_by_tipo_column(
        lines: list[tuple[str, int, bool]]) -> None:
    codes, closings, flags = ([c for c, _, _ in lines], [v for _, v, _ in lines],
                              [f for _, _, f in lines])
    assert split_grouping_accounts(codes, closings, flags) == quadratic_split(codes, closings, flags)


@settings(max_examples=100, deadline=None)
@given(st.lists(_CODE, max_size=30))
def test_grouping_codes_are_exactly_the_codes_that_prefix_another(codes: list[str]) -> None:
    expected = {c for c in codes if any(o.startswith(c + s) for o in codes for s in ".-")}
    assert grouping_codes(codes) == expected


def test_consistent_hierarchy_is_accepted_and_sums_each_level() -> None:
    codes = ["1", "1.1", "1.1.01", "1.1.02", "1.2", "1.2-01", "2", "2.1"]
    closings = [30, 10, 4, 6, 20, 20, -30, -30]
    split = split_grouping_accounts(codes, closings)
    assert split.mismatch is None
    assert [codes[i] for i in split.leaves] == ["1.1.01", "1.1.02", "1.2-01", "2.1"]


def test_hundred_thousand_codes_take_linear_time() -> None:
    """Not a timing assertion: 100,000 codes would take hours compared pairwise."""
    codes = [f"{a}.{b}.{c:04d}" for a in range(1, 6) for b in range(1, 21) for c in range(1000)]
    groups = [f"{a}.{b}" for a in range(1, 6) for b in range(1, 21)]
    split = split_grouping_accounts(groups + codes, [0] * (len(groups) + len(codes)))
    assert split.mismatch is None and len(split.leaves) == len(codes)
