"""Consolidation benchmark: the engine against a bare numpy floor on the same synthetic group.

Usage::

    python -m benchmarks.bench_consolidation                 # both sizes, each in its own process
    python -m benchmarks.bench_consolidation 66 2000 --repeat 5

For each size it generates the group (``benchmarks.synthetic``), consolidates month 1, then times
month 2 (``prior`` = month 1, the steady-state monthly run) ``--repeat`` times, and in the same run
times the floor: join every line to its entity's closing rate, translate int64 minor units exactly
(``close.fx.multiply_exact``) and sum by standard account. It prints the median timings, their
ratio and the process's peak resident memory. Targets: 66 × 2,000 < 0.1 s, 1,000 × 5,000 < 3 s,
peak memory < 4 GB.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from benchmarks.synthetic import synthetic_group
from close.consolidation import consolidate
from close.fx import RATE_SCALE, multiply_exact

SIZES = ((66, 2000, 0.1), (1000, 5000, 3.0))


def numpy_floor(balances: pd.DataFrame, currencies: dict[str, str], closing: dict[str, object]) -> np.ndarray:
    """Join to rates, translate exactly in int64, group-by sum: the least any engine must do."""
    ent_codes, ents = pd.factorize(balances["entity"].to_numpy(dtype=object))
    scaled = np.array(
        [int(closing[currencies[e]] * RATE_SCALE) if currencies[e] != "USD" else RATE_SCALE for e in ents],
        dtype=np.int64,
    )
    translated = multiply_exact(balances["closing"].to_numpy(dtype=np.int64), scaled[ent_codes])
    std_codes, stds = pd.factorize(balances["std_account"].to_numpy(dtype=object))
    sums = np.zeros(len(stds), dtype=np.int64)
    np.add.at(sums, std_codes, translated)
    return sums


def run(n_entities: int, n_accounts: int, repeat: int) -> dict[str, float]:
    group = synthetic_group(n_entities, n_accounts)
    first = consolidate(group.inputs(1))
    engine, floor = [], []
    currencies = {e.id: e.currency for e in group.entities}
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = consolidate(group.inputs(2, first.translated))
        engine.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        numpy_floor(group.month2, currencies, dict(group.rates2.closing))
        floor.append(time.perf_counter() - t0)
    assert int(result.consolidated["amount"].sum()) == 0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "lines": len(group.month2),
        "engine_s": statistics.median(engine),
        "floor_s": statistics.median(floor),
        "peak_mb": peak_mb,
    }
    out["ratio"] = out["engine_s"] / out["floor_s"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entities", type=int, nargs="?")
    parser.add_argument("accounts", type=int, nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.entities is None:
        for n, m, target in SIZES:
            print(f"--- {n} entities x {m} accounts (target < {target} s, < 4096 MB)", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bench_consolidation",
                    str(n),
                    str(m),
                    "--repeat",
                    str(args.repeat if n < 1000 else min(args.repeat, 3)),
                ],
                check=True,
            )
        return
    r = run(args.entities, args.accounts, args.repeat)
    print(
        f"lines {r['lines']:,}  engine median {r['engine_s']:.3f} s  "
        f"numpy floor median {r['floor_s']:.3f} s  "
        f"ratio {r['ratio']:.1f}x  peak RSS {r['peak_mb']:.0f} MB",
        flush=True,
    )


if __name__ == "__main__":
    main()
