"""Benchmark: render the board package of a synthetic 66-entity group (target: under 10 s).

Usage: ``python benchmarks/bench_reports.py [--entities 66] [--repeat 3]``. Prints the median
wall and CPU seconds per document and for the whole package (workbook, deck, both PDFs and the
zip), and exits 1 if the package's median wall time exceeds ``--budget`` seconds. It also prints
the machine's load average before and after (wall time on a shared machine follows it; CPU time
much less) and whether reportlab's C accelerator (``reportlab[accel]``) is installed.

The synthetic group comes from the report tests' sample factory (a miniature consolidation that
balances), so the documents have the shape of a real run: a consolidating worksheet, trial
balances, journals and one page or slide per company.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reports")]

from board_pack_sample import sample_board_pack  # noqa: E402

from reports.excel import build_workbook  # noqa: E402
from reports.model import BoardPackData  # noqa: E402
from reports.package import build_board_package, build_package_zip  # noqa: E402
from reports.pdf import build_board_pdf, build_summary_pdf  # noqa: E402
from reports.pptx import build_deck  # noqa: E402


def _package(data: BoardPackData) -> bytes:
    return build_package_zip(build_board_package(data), run_id=data.run_id,
                             created_at=data.as_of)


def _floor(data: BoardPackData) -> bytes:
    """A bare XlsxWriter + reportlab write of the same tables: no formats, no layout, no charts."""
    import io

    import xlsxwriter
    from reportlab.pdfgen.canvas import Canvas

    tables = [[(w.entity, w.account, float(w.local_amount), float(w.translated),
                float(w.consolidated)) for w in data.worksheet],
              [(x.entity, x.account, float(x.opening), float(x.debits), float(x.credits),
                float(x.closing)) for x in data.trial_balance],
              [(j.id, line.entity, line.account, float(line.amount))
               for j in data.journals for line in j.lines]]
    xlsx = io.BytesIO()
    wb = xlsxwriter.Workbook(xlsx, {"in_memory": True})
    for rows in tables:
        ws = wb.add_worksheet()
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    for rows in tables:
        for i, row in enumerate(rows):
            if i and i % 60 == 0:
                canvas.showPage()
            canvas.drawString(40, 800 - (i % 60) * 12, "  ".join(str(c) for c in row))
        canvas.showPage()
    canvas.save()
    return xlsx.getvalue() + pdf.getvalue()


def _machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load} (1, 5, 15 min)"


def _median(fn: Callable[[], bytes], repeat: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds; CPU time shows the work when the machine is shared."""
    walls, cpus, size = [], [], 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        size = len(fn())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), size


def main() -> int:
    """Run the benchmark and print a table; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=66)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds for the package")
    args = parser.parse_args()
    accel = importlib.util.find_spec("_rl_accel") is not None
    print(f"machine: {_machine()}; reportlab accelerator {'on' if accel else 'off'}")
    start = time.perf_counter()
    data = sample_board_pack(n_entities=args.entities)
    print(f"synthetic group: {len(data.entities)} entities, {len(data.worksheet)} worksheet rows, "
          f"{len(data.trial_balance)} TB lines, {len(data.journals)} journals "
          f"(built in {time.perf_counter() - start:.1f} s)")
    cases: list[tuple[str, Callable[[], bytes]]] = [
        ("workbook (xlsx)", lambda: build_workbook(data)),
        ("deck (pptx)", lambda: build_deck(data)),
        ("board package (pdf)", lambda: build_board_pdf(data)),
        ("executive summary (pdf)", lambda: build_summary_pdf(data)),
        ("whole package (zip)", lambda: _package(data)),
    ]
    package_median = 0.0
    floor, _, _ = _median(lambda: _floor(data), args.repeat)
    print(f"{'floor: bare xlsx + pdf':<26} median {floor:6.2f} s wall (XlsxWriter + reportlab "
          "write of the worksheet, TB and journal tables)")
    for name, fn in cases:
        median, cpu, size = _median(fn, args.repeat)
        print(f"{name:<26} median {median:6.2f} s wall, {cpu:6.2f} s CPU over {args.repeat} runs "
              f"{size / 1024:8.0f} KiB")
        package_median = median
    print(f"machine: {_machine()}")
    ok = package_median < args.budget
    print(f"package median {package_median:.2f} s {'<' if ok else '>='} budget {args.budget:.0f} s; "
          f"{package_median / floor:.1f}x the floor ({floor:.2f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
