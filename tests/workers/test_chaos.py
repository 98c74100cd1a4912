"""Chaos (issue 15, acceptance 5): closes of the demo's latest month through 2 real workers, each
with a random fault injected at a random point; every run ends COMPLETED — after one ``close resume``
where the fault failed it — with the figures and row counts of an undisturbed run.

The faults: a whole worker SIGKILLed (a replacement is started), a pool child SIGKILLed, every
PostgreSQL session of the test database terminated, the private Redis restarted empty, and the
in-process runner (``close run`` without a broker) SIGKILLed, each at a random moment between 10 %
and 80 % of an undisturbed close's duration in the same mode, measured first on this machine (so
the faults land inside the runs on a fast machine and a slow one alike; at least half must).
Slow (minutes), so marked ``chaos``: ``pytest -q -m chaos tests/workers/test_chaos.py`` (13 to 17
minutes; ``.ci/run`` runs it after the suite). ``CHAOS_SEED`` replays a sequence, ``CHAOS_RUNS``
changes how many closes (default 10).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest

from close.cli.demo_setup import DEMO_EXAMPLE
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.redis_server import RedisServer, private_redis
from tests.workers.celery_workers import Worker, celery_workers

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(3000)]

PERIOD = "2026-10"  # the demo's latest month
LEASE = 10  # seconds: short, yet safe from heartbeats delayed by a loaded machine
RUNS = int(os.environ.get("CHAOS_RUNS", "10"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.SystemRandom().randrange(1_000_000))))
FAULTS = ("worker SIGKILL", "pool child SIGKILL", "PostgreSQL sessions terminated", "Redis restarted empty",
          "in-process runner SIGKILL")
# Outputs of a run, counted row by row (inputs, events and leases legitimately differ after a fault).
NOT_COUNTED = {"run_inputs", "run_events", "run_leases", "close_runs"}


def _per_run_tables(admin_url: str) -> list[str]:
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = "
                            "'run_id' AND table_schema = 'public' ORDER BY 1").fetchall()
    return [r[0] for r in rows if r[0] not in NOT_COUNTED and not re.search(r"_\d{4}$|_default$", r[0])]


def _outputs(admin_url: str, tables: list[str], run_id: str) -> dict[str, object]:
    """The run's consolidated figures and the row count of every output table (as the superuser)."""
    with psycopg.connect(admin_url) as conn:
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}" WHERE run_id = %s', (run_id,)).fetchone()[0]
                  for t in tables}
        # Through workers REPORTING also checkpoints each of its parts (workbook, deck, PDFs, rendered
        # by parallel tasks); in-process one task renders them all. The stage checkpoints must agree.
        counts["run_stages"] = conn.execute(
            "SELECT count(*) FROM run_stages WHERE run_id = %s AND NOT (stage = 'REPORTING' "
            "AND entity_id <> '')", (run_id,)).fetchone()[0]
        figures = conn.execute("SELECT std_account, amount, movement FROM consolidated_balances "
                               "WHERE run_id = %s ORDER BY std_account", (run_id,)).fetchall()
    return {"counts": counts, "figures": figures}


def _status(admin_url: str, run_id: str) -> str:
    with psycopg.connect(admin_url) as conn:
        return conn.execute("SELECT status FROM close_runs WHERE id = %s", (run_id,)).fetchone()[0]


def _terminate_sessions(admin_url: str) -> None:
    name = admin_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                      "AND pid <> pg_backend_pid()", (name,))


class Pool:
    """Two live workers; a SIGKILLed one is replaced."""

    def __init__(self, stack: ExitStack, env: dict[str, str], folder: Path) -> None:
        self.stack, self.env, self.folder, self.started = stack, env, folder, 0
        self.workers: list[Worker] = []
        for _ in range(2):
            self.add()

    def add(self) -> None:
        folder = self.folder / f"w{self.started}"
        folder.mkdir(parents=True)
        self.workers += self.stack.enter_context(celery_workers(self.env, 1, folder))
        self.started += 1

    def kill_one(self, rng: random.Random) -> None:
        victim = rng.choice(self.workers)
        os.killpg(victim.process.pid, signal.SIGKILL)
        victim.process.wait()
        self.workers.remove(victim)
        self.add()

    def kill_child(self, rng: random.Random) -> None:
        children = [pid for w in self.workers for pid in w.pool_children()]
        if children:
            os.kill(rng.choice(children), signal.SIGKILL)


def _run_ids(admin_url: str, tenant: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        return {r[0] for r in conn.execute("SELECT id::text FROM close_runs WHERE tenant_id = %s",
                                           (tenant,)).fetchall()}


def _new_run(admin_url: str, tenant: str, known: set[str], runner: subprocess.Popen[str]) -> str:
    """Wait for the run ``runner`` creates and return its id.

    The fault's moment is counted from here: on a loaded machine ``close run`` may take longer
    to start than the whole delay, and a fault before the run exists tests nothing.
    """
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ids = _run_ids(admin_url, tenant)
        if ids - known:
            return (ids - known).pop()
        if runner.poll() is not None:
            out, err = runner.communicate()
            raise AssertionError(f"close run ended ({runner.returncode}) without a run: {out}{err}")
        time.sleep(0.2)
    raise AssertionError("close run created no run in 300 s")


def _start(env: dict[str, str], config: str) -> subprocess.Popen[str]:
    # Every close re-runs the completed PERIOD: --rerun supersedes the previous one (issue 17).
    return subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "run",
                             "--config", config, "--period", PERIOD, "--wait", "--rerun"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _undisturbed_seconds(env: dict[str, str], config: str, admin_url: str, tenant: str) -> float:
    """Close PERIOD once with nothing going wrong; return the seconds from the run's creation to its end."""
    known = _run_ids(admin_url, tenant)
    runner = _start(env, config)
    _new_run(admin_url, tenant, known, runner)
    created = time.monotonic()
    out, err = runner.communicate(timeout=600)
    assert runner.returncode == 0, out + err
    return time.monotonic() - created


def test_chaos_closes_all_complete_with_undisturbed_figures(pg_url: str, pg_admin_url: str,
                                                           tmp_path: Path) -> None:
    started = time.monotonic()
    rng = random.Random(SEED)
    group = tmp_path / "demo"
    shutil.copytree(DEMO_EXAMPLE, group, ignore=shutil.ignore_patterns("out", "__pycache__"))
    config = str(group / "group.toml")
    tenant = f"t_chaos_{SEED}"
    in_process = cli_env(pg_url, tmp_path / "home", tenant, CLOSE_LEASE_SECONDS=str(LEASE))
    # The undisturbed reference: the demo closed in-process, every month up to the latest.
    demo = close(in_process, "backfill", "--config", config, "--from", "2025-10", "--to", PERIOD,
                 timeout=1800)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    reference_id = next(r["id"] for r in close_json(in_process, "status")["runs"] if r["period"] == PERIOD)
    # The test reads and terminates as the superuser: the app role sees only a bound tenant's rows.
    tables = _per_run_tables(pg_admin_url)
    reference = _outputs(pg_admin_url, tables, reference_id)
    assert reference["figures"] and reference["counts"]["consolidated_balances"], reference

    report: list[str] = []
    hits = 0
    with ExitStack() as stack:
        broker: RedisServer = stack.enter_context(private_redis())
        distributed = {**in_process, "CLOSE_BROKER_URL": broker.url, "CLOSE_VISIBILITY_TIMEOUT": "5"}
        pool = Pool(stack, distributed, tmp_path / "workers")
        faults: dict[str, Callable[[], None]] = {
            "worker SIGKILL": lambda: pool.kill_one(rng),
            "pool child SIGKILL": lambda: pool.kill_child(rng),
            "PostgreSQL sessions terminated": lambda: _terminate_sessions(pg_admin_url),
            "Redis restarted empty": broker.restart,
        }
        # How long a close takes here, in each mode: the faults' moments are drawn inside it.
        took = {mode: _undisturbed_seconds(env, config, pg_admin_url, tenant)
                for mode, env in (("in-process", in_process), ("distributed", distributed))}
        # Every kind of fault at least twice in ten closes, in a random order.
        sequence = [FAULTS[i % len(FAULTS)] for i in range(RUNS)]
        rng.shuffle(sequence)
        for i, fault in enumerate(sequence):
            mode = "in-process" if fault == "in-process runner SIGKILL" else "distributed"
            env = in_process if mode == "in-process" else distributed
            delay = rng.uniform(0.1, 0.8) * took[mode]
            known = _run_ids(pg_admin_url, tenant)
            runner = _start(env, config)
            run_id = _new_run(pg_admin_url, tenant, known, runner)
            try:
                runner.wait(timeout=delay)
                hit = False  # the run ended before the fault's moment
            except subprocess.TimeoutExpired:
                hit = True
                if fault == "in-process runner SIGKILL":
                    os.killpg(runner.pid, signal.SIGKILL)
                else:
                    faults[fault]()
            out, err = runner.communicate(timeout=600)
            if fault == "in-process runner SIGKILL" and hit:
                time.sleep(LEASE + 1)  # past the lease: the next command touching the group fails the run
                reaped = close(distributed, "runs", "reap")
                assert reaped.returncode == 0, reaped.stderr
            resumed = ""
            if _status(pg_admin_url, run_id) == "FAILED":
                done = close(distributed, "resume", run_id, "--wait", timeout=600)
                assert done.returncode == 0, done.stdout + done.stderr + out + err
                resumed = " + 1 resume"
            assert _status(pg_admin_url, run_id) == "COMPLETED", (fault, hit, out, err)
            assert _outputs(pg_admin_url, tables, run_id) == reference, (fault, hit)
            hits += hit
            moment = "hit" if hit else "after the end"
            report.append(f"{i + 1}: {fault} {delay:.1f} s after the run's creation ({moment}){resumed}")
            print(f"chaos seed {SEED}: {report[-1]}", flush=True)  # noqa: T201 - progress with -s
    print(f"chaos seed {SEED}: {RUNS} runs COMPLETED in {time.monotonic() - started:.0f} s, "  # noqa: T201
          f"{hits} hit during the run (undisturbed: {took})\n" + "\n".join(report))
    # A fault after a run's end tests nothing: most must land inside (the moments are drawn so).
    assert hits >= RUNS // 2, (hits, took, report)
