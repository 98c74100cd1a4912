"""Benchmark: render the board package of a 66-entity group (target: under 10 s).

Usage: ``python benchmarks/bench_reports.py [--entities 66] [--repeat 3]`` renders the report
tests' sample (a miniature consolidation that balances: a consolidating worksheet, journals and
one page or slide per company, but a few lines per entity);
``python benchmarks/bench_reports.py --group S`` renders the real S group instead:
``benchmarks.synthetic`` (66 entities × 2,000 accounts, 132,326 trial-balance lines) written as
its documented files, closed in-process with ``close run`` against a fresh PostgreSQL database
(``benchmarks.bench_close``), then loaded back as REPORTING loads it. ``--group L`` is 1,000 ×
5,000 (its close takes long: it is there to show the package never fails for its size).

Prints the median wall and CPU seconds per part of the package (the workbook with its
trial-balance lines CSV, the deck, the PDFs — the parts REPORTING renders as parallel tasks) and
for the whole package, beside the floor: a bare XlsxWriter + reportlab write of the same tables
(worksheet, journal lines and, for a real group, every trial-balance line) with no formats,
layout or charts; and the ratio. Exits 1 if the package's median wall time exceeds ``--budget``
seconds. It prints the machine's load average before and after (wall time on a shared machine
follows it; CPU time much less) and whether reportlab's C accelerator is installed.
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

from reports.finance import FinancePack  # noqa: E402
from reports.model import BoardPackData  # noqa: E402
from reports.package import build_package_zip  # noqa: E402

Lines = list[tuple[object, ...]]


def _floor(data: BoardPackData, lines: Lines) -> bytes:
    """A bare XlsxWriter + reportlab write of the same tables: no formats, no layout, no charts.

    The workbook gets the worksheet, the journal lines and every trial-balance line (the product
    writes those as a CSV); the PDF the worksheet and the journal lines (the product's appendix
    sums the worksheet by account).
    """
    import io

    import xlsxwriter
    from reportlab.pdfgen.canvas import Canvas

    worksheet = [(w.entity, w.account, float(w.local_amount), float(w.translated),
                  float(w.consolidated)) for w in data.worksheet]
    journals = [(j.id, line.entity, line.account, float(line.amount))
                for j in data.journals for line in j.lines]
    xlsx = io.BytesIO()
    wb = xlsxwriter.Workbook(xlsx, {"constant_memory": True})
    for rows in (worksheet, journals, lines):
        ws = wb.add_worksheet()
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    pdf = io.BytesIO()
    canvas = Canvas(pdf)
    for rows in (worksheet, journals):
        for i, row in enumerate(rows):
            if i and i % 60 == 0:
                canvas.showPage()
            canvas.drawString(40, 800 - (i % 60) * 12, "  ".join(str(c) for c in row))
        canvas.showPage()
    canvas.save()
    return xlsx.getvalue() + pdf.getvalue()


def _sample(entities: int) -> tuple[BoardPackData, FinancePack, bytes]:
    data = sample_board_pack(n_entities=entities)
    return data, FinancePack(data.group_id, data.period, data.run_id, data.presentation_currency), b""


def _real_group(size: str) -> tuple[BoardPackData, FinancePack, bytes]:
    """Close month 1 of the synthetic group in a fresh database; load the package as REPORTING does."""
    import tempfile

    from benchmarks.bench_close import PERIODS, close_month, fresh_database, stage_seconds, write_group
    from benchmarks.synthetic import synthetic_group

    entities, accounts = {"S": (66, 2000), "L": (1000, 5000)}[size]
    group = synthetic_group(entities, accounts, text="object")
    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp, fresh_database() as (url, _owner):
        folder = Path(tmp) / "group"
        folder.mkdir()
        write_group(group, folder, PERIODS[:1])
        os.environ.update(DATABASE_URL=url, CLOSE_HOME=str(Path(tmp) / "home"), CLOSE_TENANT="bench",
                          CLOSE_ACTOR="bench")
        for key in ("CLOSE_BROKER_URL", "CLOSE_MIGRATE_URL", "ANTHROPIC_API_KEY"):
            os.environ.pop(key, None)
        start = time.perf_counter()
        run_id, code = close_month(folder / "group.toml", PERIODS[0])
        stages, status = stage_seconds(run_id)
        print(f"closed {size} ({entities} × {accounts}) in {time.perf_counter() - start:.1f} s: {status} "
              f"(exit {code}); REPORTING inside the close {stages.get('REPORTING', float('nan')):.2f} s")
        from close.api import CloseSession
        from close.run.stages.reporting import line_detail, load_package
        from close.storage.runs import get_run

        env = CloseSession.connect().env
        try:
            with env.db.tx() as conn:
                run = get_run(conn, run_id)
                assert run is not None
                start = time.perf_counter()
                data, finance = load_package(conn, run)
                loaded = time.perf_counter() - start
                (csv,) = line_detail(conn, run, data).values()
                print(f"load as REPORTING does: {loaded:.2f} s; lines CSV from PostgreSQL "
                      f"{time.perf_counter() - start - loaded:.2f} s ({len(csv) / 1e6:.1f} MB)")
        finally:
            env.db.dispose()
    return data, finance, csv


def _lines(csv: bytes) -> Lines:
    import csv as csv_module
    import io

    rows = csv_module.reader(io.StringIO(csv.decode()))
    next(rows, None)
    return [(*r[:6], *(float(x) for x in r[6:])) for r in rows]


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
    from close.run.stages.reporting import REPORT_PARTS, render_part

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=66, help="entities of the sample")
    parser.add_argument("--group", choices=("S", "L"), help="render the real synthetic group instead")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget", type=float, default=10.0, help="seconds for the package")
    args = parser.parse_args()
    accel = importlib.util.find_spec("_rl_accel") is not None
    print(f"machine: {_machine()}; reportlab accelerator {'on' if accel else 'off'}")
    start = time.perf_counter()
    data, finance, csv = _real_group(args.group) if args.group else _sample(args.entities)
    lines = _lines(csv) if csv else []
    print(f"{'group ' + args.group if args.group else 'sample'}: {len(data.entities)} entities, "
          f"{len(data.worksheet)} worksheet rows, {len(lines):,} TB lines, {len(data.journals)} journals "
          f"(built in {time.perf_counter() - start:.1f} s)")

    def part(name: str) -> Callable[[], bytes]:
        extra = [csv] if name == "workbook" else []  # the lines CSV goes with the workbook
        return lambda: b"".join([*render_part(data, finance, name).values(), *extra])

    def package() -> bytes:
        files = {n: c for p in REPORT_PARTS for n, c in render_part(data, finance, p).items()}
        return build_package_zip({**files, "lines.csv": csv} if csv else files, run_id=data.run_id,
                                 created_at=data.as_of)

    floor, floor_cpu, _ = _median(lambda: _floor(data, lines), args.repeat)
    print(f"{'floor: bare xlsx + pdf':<26} median {floor:6.2f} s wall, {floor_cpu:6.2f} s CPU (XlsxWriter "
          "+ reportlab write of the worksheet, journal and TB-line tables)")
    print(f"{'part':<26} {'wall s':>8} {'CPU s':>8} {'KiB':>8}")
    parts = []
    for name in REPORT_PARTS:
        median, cpu, size = _median(part(name), args.repeat)
        parts.append(median)
        print(f"{name:<26} {median:8.2f} {cpu:8.2f} {size / 1024:8.0f}")
    package_median, cpu, size = _median(package, args.repeat)
    print(f"{'whole package (zip)':<26} {package_median:8.2f} {cpu:8.2f} {size / 1024:8.0f}")
    print(f"machine: {_machine()}")
    ok = package_median < args.budget
    print(f"package median {package_median:.2f} s {'<' if ok else '>='} budget {args.budget:.0f} s; "
          f"product {package_median:.2f} s / floor {floor:.2f} s = {package_median / floor:.1f}x; "
          f"parts in parallel (the slowest part) {max(parts):.2f} s = {max(parts) / floor:.1f}x the floor")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
