"""Benchmark of a whole close: the synthetic group written as files, closed with ``close run``.

The group is ``benchmarks.synthetic`` (a USD parent and subsidiaries in BRL/EUR/GBP/JPY/MXN, an
intercompany payable per subsidiary, share capital and the parent's investment), written as the
README documents it: ``group.toml``, ``mapping.csv``, ``rates.csv``, ``budget.csv``,
``opening_balances.csv`` and one
trial-balance file per entity and month (``account,name,counterparty,cost_center,department,
opening,debit,credit,closing``). Each month is closed in-process with the real ``close run``
command against a fresh PostgreSQL database (dropped at the end), and the stage times are read
back from the run's own events.

Beside them, measured in the same process on the same lines (the floors):

- ``split``: ``csv.reader`` over every trial-balance file's bytes;
- ``copy``: COPY of every line into an unlogged table without row-level security;
- ``read``: the same lines read back in one query (``COPY … TO STDOUT``);
- ``engine``: ``close.engine.consolidation.consolidate`` on the generator's frames;
- ``xlsx``: a bare XlsxWriter (constant-memory) write of the lines.

Each stage is set against the sum of the floors of the work it has to do (EXTRACTING: split +
copy; MAPPING: read + copy; CONSOLIDATING: read + engine + copy; VALIDATING and ANALYZING: read;
REPORTING: xlsx) and the ratio printed.

Usage::

    python -m benchmarks.bench_close                          # S: 66 entities × 2,000 accounts, 2 months
    python -m benchmarks.bench_close --entities 10 --accounts 500 --months 1
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import AVERAGE_1, AVERAGE_2, CLOSING_1, CLOSING_2, SyntheticGroup, synthetic_group  # noqa: E402
from close.engine.money import exponent  # noqa: E402

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PERIODS = ("2025-01", "2025-02")
TB_HEADER = ("account", "name", "counterparty", "cost_center", "department", "opening", "debit", "credit",
             "closing")
STAGES = ("EXTRACTING", "MAPPING", "CONSOLIDATING", "VALIDATING", "ANALYZING", "REPORTING", "DISTRIBUTING")
FLOORS = {"EXTRACTING": ("split", "copy"), "MAPPING": ("read", "copy"),
          "CONSOLIDATING": ("read", "engine", "copy"), "VALIDATING": ("read",), "ANALYZING": ("read",),
          "REPORTING": ("xlsx",), "DISTRIBUTING": ()}


def _decimal_text(minor: np.ndarray, places: int) -> np.ndarray:
    """Format integer minor units as plain ``-1234.56`` text at ``places`` decimals."""
    if places == 0:
        return minor.astype(str)
    units, cents = np.divmod(np.abs(minor), 10**places)
    sign = np.where(minor < 0, "-", "")
    return np.char.add(np.char.add(np.char.add(sign, units.astype(str)), "."),
                       np.char.zfill(cents.astype(str), places))


def write_group(group: SyntheticGroup, folder: Path, periods: tuple[str, ...]) -> int:
    """Write the group as its documented files under ``folder``; return the bytes of TB files."""
    ccy = {e.id: e.currency for e in group.entities}
    entities = "\n".join(
        f'[[entities]]\nid = "{e.id}"\nname = "{e.name}"\ncurrency = "{e.currency}"\nconnector = "file"\n'
        + (f'parent = "{e.parent}"\nownership = "1"\n' if e.parent else "")
        + f'\n[entities.source]\npath = "tb/{e.id}/{{period}}.csv"\n' for e in group.entities)
    sources = ", ".join(f'{c} = "file"' for c in sorted(set(ccy.values()) - {"USD"}))
    (folder / "group.toml").write_text(
        '[group]\nid = "bench"\nname = "Benchmark Group"\npresentation_currency = "USD"\n'
        'fiscal_year_start = 1\nbudget_currency = "USD"\n\n'
        '[files]\nmapping = "mapping.csv"\nbudget = "budget.csv"\nrates = "rates.csv"\n'
        'opening_balances = "opening_balances.csv"\n\n'
        f'[ai]\nenabled = false\n\n[rates]\nsources = {{ {sources} }}\n\n'
        # Random balances have random signs: the warnings they raise (every check still runs) may
        # take off a point each, not turn the score red and stop the run before ANALYZING.
        + "".join(f'[validation.weights.{c}]\ncap = "1"\n\n'
                  for c in ("diagnostics", "intercompany", "reasonableness"))
        +
        f'[distribution]\noutput_dir = "out"\n\n{entities}', encoding="utf-8")
    frame = group.month1
    mapping = frame[["account", "std_account"]].drop_duplicates()
    pd.DataFrame({"entity": "*", "account": mapping["account"], "std_account": mapping["std_account"]}
                 ).to_csv(folder / "mapping.csv", index=False)
    rates = [("2024-12", CLOSING_1, AVERAGE_1), ("2025-01", CLOSING_1, AVERAGE_1),
             ("2025-02", CLOSING_2, AVERAGE_2)]
    pd.DataFrame([(p, c, closing[c], average[c]) for p, closing, average in rates for c in sorted(closing)],
                 columns=["period", "currency", "closing", "average"]
                 ).to_csv(folder / "rates.csv", index=False)
    # The group starts in January: nothing carried, share capital at its contribution (average) rate.
    pd.DataFrame([(e.id, "3000", "", "0.00", AVERAGE_1[e.currency]) for e in group.entities if e.parent],
                 columns=["entity", "account", "counterparty", "translated_closing", "historical_rate"]
                 ).to_csv(folder / "opening_balances.csv", index=False)
    results = sorted({a for a in frame["std_account"] if a[0] in "4567"})
    rng = np.random.default_rng(11)
    pd.DataFrame([(p, "", a, f"{rng.integers(-10**8, 10**8) / 100:.2f}") for p in periods for a in results],
                 columns=["period", "entity", "account", "amount"]).to_csv(folder / "budget.csv", index=False)
    size = 0
    for month, period in enumerate(periods, start=1):
        tb = group.month1 if month == 1 else group.month2
        for entity, lines in tb.groupby("entity", sort=False, observed=True):
            places = exponent(ccy[str(entity)])
            out = pd.DataFrame({"account": lines["account"], "name": lines["account_name"],
                                "counterparty": lines["counterparty"], "cost_center": lines["cost_center"],
                                "department": lines["department"],
                                **{c: _decimal_text(lines[c].to_numpy(), places)
                                   for c in ("opening", "debit", "credit", "closing")}})
            path = folder / "tb" / str(entity) / f"{period}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            out.to_csv(path, index=False, header=list(TB_HEADER))
            size += path.stat().st_size
    return size


@contextmanager
def fresh_database() -> Iterator[tuple[str, str]]:
    """Create a migrated database; yield (application URL, owner URL); drop it afterwards."""
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from close.storage.engine import normalize_url
    from close.storage.migrate import upgrade
    from close.storage.roles import APP_ROLE, OWNER_ROLE, create_database, ensure_roles, url_for

    name = f"bench_close_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        ensure_roles(admin)
        create_database(admin, name)
    try:
        owner = sa.create_engine(normalize_url(url_for(ADMIN_URL, OWNER_ROLE, name)), poolclass=NullPool)
        upgrade(owner)
        owner.dispose()
        yield url_for(ADMIN_URL, APP_ROLE, name), url_for(ADMIN_URL, OWNER_ROLE, name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def close_month(config: Path, period: str) -> tuple[str, int]:
    """Run ``close run --json`` in this process; return the run id and the exit code."""
    import contextlib
    import json

    from close.cli.commands import app

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            # Not standalone, click returns the exit code a typer.Exit carries.
            code = int(app(["run", "--config", str(config), "--period", period, "--json"],
                           standalone_mode=False) or 0)
        except SystemExit as exc:
            code = int(exc.code or 0)
    text = out.getvalue()
    start = text.find("{")
    return (json.loads(text[start:])["id"] if start >= 0 else ""), code


def stage_seconds(run_id: str) -> tuple[dict[str, float], str]:
    """Return each stage's seconds from the run's transitions (``close.run.workflow.durations``) and
    the run's status (with its failure, if any)."""
    from close.api import CloseSession
    from close.run.workflow.durations import stage_durations
    from close.storage.runs import get_run
    from close.storage.workflow import transitions_of

    env = CloseSession.connect().env
    try:
        with env.db.tx() as conn:
            durations = stage_durations(transitions_of(conn, [run_id]))
            run = get_run(conn, run_id)
            if run is not None and run.status.value == "AWAITING_REVIEW":
                from collections import Counter

                from close.run.summary import run_summary

                findings = run_summary(conn, run_id)["validation"]
                found = Counter(f"{f['severity']} {f['code']}" for f in findings if f["severity"] != "pass")
                print(f"awaiting review: {', '.join(f'{n} × {k}' for k, n in found.most_common(8))}")
    finally:
        env.db.dispose()
    status = "" if run is None else run.status.value + (f" at {run.failed_stage}: {run.failure_reason}"
                                                         if run.failure_reason else "")
    return {stage: sum(v) for (stage, entity), v in durations.items() if not entity}, status


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def floors(group: SyntheticGroup, folder: Path, period: str, url: str) -> dict[str, float]:
    """Measure the floors on the same lines: split, COPY, read-back, engine, xlsx."""
    import psycopg
    import xlsxwriter

    from close.engine.consolidation import consolidate

    month = PERIODS.index(period) + 1
    tb = group.month1 if month == 1 else group.month2
    files = sorted((folder / "tb").glob(f"*/{period}.csv"))
    blobs = [f.read_bytes() for f in files]
    out: dict[str, float] = {}
    out["split"] = _timed(lambda: [sum(1 for _ in csv.reader(io.StringIO(b.decode("utf-8"))))
                                   for b in blobs])
    text = tb.to_csv(index=False, header=False)
    cols = ", ".join(f"{c} {'bigint' if c in ('opening', 'debit', 'credit', 'closing') else 'text'}"
                     for c in tb.columns)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(f"CREATE TEMP TABLE floor_lines ({cols})")

        def copy_in() -> None:
            with conn.cursor().copy("COPY floor_lines FROM STDIN (FORMAT csv)") as copy:
                copy.write(text)

        def read_back() -> None:
            buf = io.BytesIO()
            with conn.cursor().copy("COPY (SELECT * FROM floor_lines) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    buf.write(block)
            buf.seek(0)
            pd.read_csv(buf, header=None, names=list(tb.columns), keep_default_na=False, dtype={
                c: "int64" if c in ("opening", "debit", "credit", "closing") else str for c in tb.columns})

        out["copy"] = _timed(copy_in)
        out["read"] = _timed(read_back)
    prior = consolidate(group.inputs(1)).translated if month == 2 else None
    out["engine"] = _timed(lambda: consolidate(group.inputs(month, prior=prior)))

    def xlsx() -> None:
        wb = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True, "in_memory": True})
        ws = wb.add_worksheet()
        for r, row in enumerate(tb.itertuples(index=False)):
            ws.write_row(r, 0, row)
        wb.close()
    out["xlsx"] = _timed(xlsx)
    return out


def main(argv: list[str] | None = None) -> int:
    """Close the synthetic group month by month; print per-stage times beside their floors."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=66)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--months", type=int, choices=(1, 2), default=2)
    args = parser.parse_args(argv)
    periods = PERIODS[:args.months]
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min) at start", flush=True)
    group = synthetic_group(args.entities, args.accounts, text="object")
    with tempfile.TemporaryDirectory(prefix="bench_close_") as tmp, fresh_database() as (app_url, _owner):
        folder = Path(tmp) / "group"
        folder.mkdir()
        size = write_group(group, folder, periods)
        print(f"group: {args.entities} entities × {args.accounts} accounts, {len(group.month1):,} TB lines a "
              f"month, {size / 1e6:.1f} MB of TB files for {len(periods)} month(s)", flush=True)
        os.environ.update(DATABASE_URL=app_url, CLOSE_HOME=str(Path(tmp) / "home"),
                          CLOSE_TENANT="bench", CLOSE_ACTOR="bench")
        for key in ("CLOSE_BROKER_URL", "CLOSE_MIGRATE_URL", "ANTHROPIC_API_KEY"):
            os.environ.pop(key, None)
        rows: list[tuple[str, dict[str, float], dict[str, float], float, int]] = []
        for period in periods:
            start, cpu = time.perf_counter(), time.process_time()
            run_id, code = close_month(folder / "group.toml", period)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            stages, status = stage_seconds(run_id) if run_id else ({}, "not created")
            rows.append((period, stages, floors(group, folder, period, app_url), wall, code))
            # On a shared machine wall time follows the load; the close's CPU time much less.
            print(f"{period}: run {run_id} {status} (exit {code}), {wall:.1f} s wall, {cpu:.1f} s CPU "
                  "in this process (PostgreSQL's own work not included)", flush=True)
        load = os.getloadavg()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for period, stages, floor, wall, code in rows:
        print(f"\n{period} (exit {code}); floors: " + ", ".join(f"{k} {v:.3f} s" for k, v in floor.items()))
        print(f"{'stage':<15} {'time s':>8} {'floor s':>8} {'ratio':>7}")
        for stage in STAGES:
            took = stages.get(stage)
            f = sum(floor[k] for k in FLOORS[stage])
            ratio = f"{took / f:6.1f}×" if took is not None and f > 0 else "      -"
            print(f"{stage:<15} {took if took is not None else float('nan'):>8.2f} {f:>8.3f} {ratio}")
        outside = wall - sum(stages.values())
        print(f"{'outside stages':<15} {outside:>8.2f}  (imports, run creation, input snapshot, follow)")
        total = sum(floor.values())
        print(f"{'whole close':<15} {wall:>8.2f} {total:>8.3f} {wall / total:6.1f}×")
    print(f"\npeak memory (this process: generator, close, floors) {peak:,.0f} MB; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    walls = [r[3] for r in rows]
    print(f"median whole close {statistics.median(walls):.1f} s a month over {len(walls)} month(s)")
    return 0 if all(r[4] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
