"""Benchmark of trial-balance file parsing: lines per second beside a bare ``csv.reader`` floor.

The target (issue 15, acceptance 4): a 1,000,000-line trial balance parses in seconds — under
10 s on the 2-core reference machine, and within 5× of the floor, which is a bare ``csv.reader``
pass (decode the same bytes, split every row) measured in the same run. The product's figure is
``connectors.files.read_trial_balance`` end to end: decoding, delimiter sniffing, header
detection, decimal-separator decision, amount parsing, the roll-forward check of every line, the
grouping-account check and the sum-to-zero check, down to the ``LOCAL_TB_COLUMNS`` frame.

The file is written as the README documents it (``account,name,counterparty,cost_center,
department,opening,debit,credit,closing``, ``.`` decimals), with hierarchical codes, about 2 %
grouping accounts that must equal their sub-accounts, and a balancing line.

Usage::

    python benchmarks/bench_parse.py                    # 10k, 100k, 1M lines, medians of 5 (20 at 10k)
    python benchmarks/bench_parse.py --lines 10000 100000 --repeat 5
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.files import read_trial_balance  # noqa: E402

HEADER = "account,name,counterparty,cost_center,department,opening,debit,credit,closing\n"
_LEAVES_PER_GROUP = 50
# Below this many lines a size gets more than --repeat calls (lines × calls ≥ this).
_SMALL_FILE_CALLS = 200_000


def _money(minor: np.ndarray) -> list[str]:
    """Format minor units as ``-1234.56`` text."""
    sign = np.where(minor < 0, "-", "")
    units, cents = np.divmod(np.abs(minor), 100)
    return [f"{s}{u}.{c:02d}" for s, u, c in zip(sign, units.tolist(), cents.tolist(), strict=True)]


def synthetic_tb(lines: int, seed: int = 0) -> bytes:
    """Write a balanced trial balance of about ``lines`` lines as CSV bytes.

    Args:
        lines: number of lines, grouping accounts included.
        seed: random seed.

    Returns:
        UTF-8 CSV bytes in the documented layout.

    """
    rng = np.random.default_rng(seed)
    groups = max(1, lines // (_LEAVES_PER_GROUP + 1))
    leaves = lines - groups
    opening = rng.integers(-10_000_000, 10_000_000, leaves)
    debit = np.where(rng.random(leaves) < 0.6, rng.integers(0, 1_000_000, leaves), 0)
    credit = np.where(rng.random(leaves) < 0.6, rng.integers(0, 1_000_000, leaves), 0)
    # The last leaf balances the entity: its opening and turnovers take the differences.
    opening[-1] -= opening.sum()
    flow = debit.sum() - credit.sum()
    if flow > 0:
        credit[-1] += flow
    else:
        debit[-1] -= flow
    closing = opening + debit - credit
    group_of = np.minimum(np.arange(leaves) // _LEAVES_PER_GROUP, groups - 1)
    out = io.StringIO()
    out.write(HEADER)
    columns = [_money(a) for a in (opening, debit, credit, closing)]
    group_closing = np.zeros(groups, dtype=np.int64)
    group_opening = np.zeros(groups, dtype=np.int64)
    group_debit = np.zeros(groups, dtype=np.int64)
    group_credit = np.zeros(groups, dtype=np.int64)
    for acc, col in ((group_opening, opening), (group_debit, debit), (group_credit, credit),
                     (group_closing, closing)):
        np.add.at(acc, group_of, col)
    group_text = [_money(a) for a in (group_opening, group_debit, group_credit, group_closing)]
    current = -1
    for i in range(leaves):
        g = int(group_of[i])
        if g != current:
            current = g
            out.write(f"{1 + g % 5}.{g:05d},Group {g},,,,{group_text[0][g]},{group_text[1][g]},"
                      f"{group_text[2][g]},{group_text[3][g]}\n")
        out.write(f"{1 + g % 5}.{g:05d}.{i:07d},Account {i},,CC{i % 20},,{columns[0][i]},"
                  f"{columns[1][i]},{columns[2][i]},{columns[3][i]}\n")
    return out.getvalue().encode("utf-8")


def csv_floor(data: bytes) -> int:
    """The floor: decode the bytes and split every row with ``csv.reader``; returns the row count."""
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def product(data: bytes) -> int:
    """The product: parse and check the file into a trial-balance frame; returns its line count."""
    return len(read_trial_balance(data, filename="tb.csv", entity="BR1", currency="BRL"))


def _median_seconds(fns: Sequence[Callable[[bytes], int]], data: bytes,
                    repeat: int) -> list[tuple[float, int]]:
    """Return per function the median time of ``repeat`` calls and its result.

    The functions take turns (floor, product, floor, product …) so that a change in the load of
    a shared machine during the run weighs on both alike, and their ratio stays comparable.
    """
    times: list[list[float]] = [[] for _ in fns]
    results = [0] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            results[k] = fn(data)
            times[k].append(time.perf_counter() - start)
    return [(statistics.median(t), r) for t, r in zip(times, results, strict=True)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one row per size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per size (median)")
    args = parser.parse_args(argv)
    print(f"{'lines':>10} {'MB':>6} {'floor s':>8} {'floor l/s':>11} {'parse s':>8} "
          f"{'parse l/s':>11} {'ratio':>6}")
    for lines in args.lines:
        data = synthetic_tb(lines)
        # A small file takes milliseconds: more calls, so that one slow call moves no median.
        repeat = max(args.repeat, _SMALL_FILE_CALLS // lines)
        (floor, rows), (took, parsed) = _median_seconds((csv_floor, product), data, repeat)
        # Every row but the header, less the grouping accounts, became a trial-balance line.
        assert rows == lines + 1 and parsed == lines - max(1, lines // (_LEAVES_PER_GROUP + 1))
        print(f"{lines:>10,} {len(data) / 1e6:>6.1f} {floor:>8.3f} {lines / floor:>11,.0f} "
              f"{took:>8.3f} {lines / took:>11,.0f} {took / floor:>5.1f}×", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
