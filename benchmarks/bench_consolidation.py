"""Consolidation benchmark: the engine against a bare numpy floor on the same synthetic group.

Usage::

    python -m benchmarks.bench_consolidation                 # both sizes, each in its own process
    python -m benchmarks.bench_consolidation 66 2000 --repeat 5
    python -m benchmarks.bench_consolidation --text object    # input text as Python strings

For each size it generates the group (``benchmarks.synthetic``), consolidates month 1, then times
month 2 (``prior`` and ``prior_consolidated`` from month 1: the steady-state monthly run)
``--repeat`` times, and in the same run
times the floor: join every line to its entity's closing rate, translate int64 minor units exactly
(``close.engine.fx.multiply_exact``) and sum by standard account. It prints the median wall and CPU
timings, their ratio and the consolidation's peak memory. Targets: 66 × 2,000 < 0.1 s,
1,000 × 5,000 < 3 s, peak memory < 4 GB. The input's text columns are categoricals (``--text
object``: Python strings, which the engine then codes itself; the floor reads either form).

Peak memory is the process's resident high-water mark (Linux ``VmHWM``) over the timed month-2
consolidations only: it is reset (``/proc/self/clear_refs``) after the group is generated and
month 1 consolidated, so it counts the inputs held in memory (both months' TBs and month 1's
result) plus the consolidation's own working memory, which is printed apart (``own``: the
high-water mark less the resident memory just before). Where the reset is not available the
process's lifetime ``ru_maxrss`` is printed instead, and said so.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmarks.synthetic import synthetic_group
from close.engine.consolidation import consolidate
from close.engine.fx import RATE_SCALE, multiply_exact

SIZES = ((66, 2000, 0.1), (1000, 5000, 3.0))


def numpy_floor(balances: pd.DataFrame, currencies: dict[str, str], closing: dict[str, object]) -> np.ndarray:
    """Join to rates, translate exactly in int64, group-by sum: the least any engine must do."""
    ent_codes, ents = pd.factorize(balances["entity"])
    scaled = np.array(
        [int(closing[currencies[e]] * RATE_SCALE) if currencies[e] != "USD" else RATE_SCALE for e in ents],
        dtype=np.int64,
    )
    translated = multiply_exact(balances["closing"].to_numpy(dtype=np.int64), scaled[ent_codes])
    std_codes, stds = pd.factorize(balances["std_account"])
    sums = np.zeros(len(stds), dtype=np.int64)
    np.add.at(sums, std_codes, translated)
    return sums


def _status_mb(field: str) -> float | None:
    """Return a ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MB, None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the resident high-water mark (Linux); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - t0, time.process_time() - c0, value


def run(n_entities: int, n_accounts: int, repeat: int, text: str) -> dict[str, float | str]:
    group = synthetic_group(n_entities, n_accounts, text=text)
    first = consolidate(group.inputs(1))
    inputs = group.inputs(2, first.translated, first.consolidated)
    currencies = {e.id: e.currency for e in group.entities}
    closing = dict(group.rates2.closing)
    gc.collect()
    before = _status_mb("VmRSS")
    measured = "VmHWM over the timed consolidations" if _reset_peak() and before is not None else ""
    engine, engine_cpu = [], []
    for _ in range(repeat):
        wall, cpu, result = _timed(lambda: consolidate(inputs))
        engine.append(wall)
        engine_cpu.append(cpu)
        del result
    peak = _status_mb("VmHWM") if measured else None
    if peak is None or before is None:
        peak, before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0.0
        measured = "process ru_maxrss (peak reset unavailable: includes generating the group)"
    floor, floor_cpu = [], []
    for _ in range(repeat):
        wall, cpu, _ = _timed(lambda: numpy_floor(group.month2, currencies, closing))
        floor.append(wall)
        floor_cpu.append(cpu)
    check = consolidate(inputs)
    assert int(check.consolidated["amount"].sum()) == 0
    out: dict[str, float | str] = {
        "lines": len(group.month2),
        "engine_s": statistics.median(engine),
        "engine_cpu_s": statistics.median(engine_cpu),
        "floor_s": statistics.median(floor),
        "floor_cpu_s": statistics.median(floor_cpu),
        "peak_mb": peak,
        "own_mb": peak - before,
        "measured": measured,
    }
    out["ratio"] = out["engine_s"] / out["floor_s"]
    out["cpu_ratio"] = out["engine_cpu_s"] / out["floor_cpu_s"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entities", type=int, nargs="?")
    parser.add_argument("accounts", type=int, nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--text",
        choices=("category", "object"),
        default="category",
        help="text columns of the input trial balances: categoricals (default) or Python strings",
    )
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
                    "--text",
                    args.text,
                ],
                check=True,
            )
        return
    r = run(args.entities, args.accounts, args.repeat, args.text)
    print(
        f"lines {r['lines']:,}  engine median {r['engine_s']:.3f} s (cpu {r['engine_cpu_s']:.3f} s)  "
        f"numpy floor median {r['floor_s']:.3f} s (cpu {r['floor_cpu_s']:.3f} s)  "
        f"ratio {r['ratio']:.1f}x (cpu {r['cpu_ratio']:.1f}x)\n"
        f"peak memory {r['peak_mb']:.0f} MB, of which the consolidation's own {r['own_mb']:.0f} MB "
        f"[{r['measured']}]",
        flush=True,
    )


if __name__ == "__main__":
    main()
