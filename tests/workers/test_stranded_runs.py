"""No run is stranded (issue 15, acceptance 1): each of the six causes that left a run active for
ever now ends FAILED with its reason and the resume command within the lease timeout, and
``close resume`` completes it with the figures of an undisturbed run.

Leases are short here (``CLOSE_LEASE_SECONDS=3``) so a lost holder is noticed in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from connectors.fakes.omie import OmieFake
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import write_group
from tests.conftest import ADMIN_URL
from tests.redis_server import RedisServer, free_port, private_redis
from tests.workers.celery_workers import celery_workers
from tests.workers.omie_group import OMIE_SECRETS, PERIOD, write_omie_group

LEASE = "3"
DEADLINE = 60  # seconds: far above the lease timeout plus the reaper's grace


@pytest.fixture
def omie_fake() -> Iterator[OmieFake]:
    fake = OmieFake().start()
    yield fake
    fake.stop()


def _env(pg_url: str, home: Path, **extra: str) -> dict[str, str]:
    return cli_env(pg_url, home, CLOSE_LEASE_SECONDS=LEASE, **OMIE_SECRETS, **extra)


def _start(env: dict[str, str], config: Path, period: str = PERIOD, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "run", "--config",
                             str(config), "--period", period, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_first_request(fake: OmieFake) -> None:
    deadline = time.monotonic() + 120
    while not fake.requests:
        assert time.monotonic() < deadline, "the extract never reached the ERP"
        time.sleep(0.05)


def _only_run(env: dict[str, str]) -> dict[str, Any]:
    runs = close_json(env, "status")["runs"]
    assert len(runs) == 1, runs
    return runs[0]


def _failed_within_lease(env: dict[str, str]) -> dict[str, Any]:
    """Poll ``close status`` (which reaps) until the run is FAILED; return it."""
    deadline = time.monotonic() + DEADLINE
    while True:
        run = _only_run(env)
        if run["status"] == "FAILED":
            return run
        assert time.monotonic() < deadline, f"the run is still {run['status']}"
        time.sleep(0.5)


def _assert_alert(env: dict[str, str], run: dict[str, Any]) -> None:
    alerts = [e for e in close_json(env, "show", run["id"])["events"] if e["kind"] == "alert"]
    assert alerts, "no alert event"
    assert alerts[-1]["detail"]["resume"] == f"close resume {run['id']}"
    assert f"close resume {run['id']}" in alerts[-1]["message"]


def _figures(env: dict[str, str], run_id: str) -> list[tuple[str, str, str]]:
    shown = close_json(env, "show", run_id)
    assert shown["run"]["status"] == "COMPLETED"
    return [(r["account"], r["amount"], r["movement"]) for r in shown["consolidated"]]


def _undisturbed(pg_url: str, home: Path, config: Path, period: str = PERIOD) -> list[tuple[str, str, str]]:
    """The figures of the same close run in-process with nothing going wrong (a tenant of its own)."""
    env = _env(pg_url, home)
    done = close(env, "run", "--config", str(config), "--period", period)
    assert done.returncode == 0, done.stdout + done.stderr
    return _figures(env, _only_run(env)["id"])


def _resume_completes(env: dict[str, str], run_id: str, *args: str) -> list[tuple[str, str, str]]:
    resumed = close(env, "resume", run_id, *args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    return _figures(env, run_id)


def test_in_process_run_killed_mid_stage(pg_url: str, tmp_path: Path, omie_fake: OmieFake) -> None:
    config = write_omie_group(tmp_path / "group", omie_fake.url + "/api/v1")
    env = _env(pg_url, tmp_path / "home")
    omie_fake.delay = 1.0
    runner = _start(env, config)
    _wait_first_request(omie_fake)
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    omie_fake.delay = 0.0

    run = _failed_within_lease(env)
    assert run["failure_reason"] == "worker lost during EXTRACTING for entity S"
    _assert_alert(env, run)
    assert _resume_completes(env, run["id"]) == _undisturbed(pg_url, tmp_path / "ref", config)


def _block_database(url: str) -> None:
    """Refuse new connections to the test database and end every session on it."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                      "AND pid <> pg_backend_pid()", (name,))


def _unblock_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


@pytest.mark.parametrize(("outage", "budget", "outcome"), [(3, 30, "COMPLETED"), (10, 2, "FAILED")],
                         ids=["short outage retried", "outage past the retry budget"])
def test_database_unreachable_during_a_stage(outage: int, budget: int, outcome: str, pg_url: str,
                                             tmp_path: Path, omie_fake: OmieFake) -> None:
    config = write_omie_group(tmp_path / "group", omie_fake.url + "/api/v1")
    env = _env(pg_url, tmp_path / "home", CLOSE_DB_RETRY_SECONDS=str(budget))
    omie_fake.delay = 0.5
    runner = _start(env, config)
    _wait_first_request(omie_fake)
    _block_database(pg_url)
    omie_fake.delay = 0.0
    try:
        time.sleep(outage)
    finally:
        _unblock_database(pg_url)
    out, err = runner.communicate(timeout=180)
    assert "Traceback" not in err and "SELECT" not in err and "INSERT" not in err, err
    run = _only_run(env)
    assert run["status"] == outcome, out + err
    if outcome == "COMPLETED":
        assert runner.returncode == 0, out + err
        assert _figures(env, run["id"]) == _undisturbed(pg_url, tmp_path / "ref", config)
        return
    assert runner.returncode == 1, out + err
    assert run["failure_reason"] == (f"the database stayed unreachable for {budget} s during EXTRACTING "
                                     "for entity S")
    assert f"close resume {run['id']}" in out + err
    _assert_alert(env, run)
    assert _resume_completes(env, run["id"]) == _undisturbed(pg_url, tmp_path / "ref", config)


@contextmanager
def _omie_through_workers(pg_url: str, tmp_path: Path, fake: OmieFake, delay: float,
                          **extra: str) -> Iterator[tuple[Path, dict[str, str], RedisServer]]:
    """The Omie group, a private Redis and 2 workers, the ERP answering after ``delay`` seconds."""
    config = write_omie_group(tmp_path / "group", fake.url + "/api/v1")
    with private_redis() as broker:
        env = _env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=broker.url, **extra)
        fake.delay = delay
        with celery_workers(env, 2, tmp_path):
            yield config, env, broker


def test_redis_restarted_empty_mid_run(pg_url: str, tmp_path: Path, omie_fake: OmieFake) -> None:
    with _omie_through_workers(pg_url, tmp_path, omie_fake, 1.0, CLOSE_VISIBILITY_TIMEOUT="5") as (
            config, env, broker):
        waiting = _start(env, config, PERIOD, "--wait")
        _wait_first_request(omie_fake)
        broker.restart()  # the queued tasks and the chord's counter are gone
        omie_fake.delay = 0.0
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 1, out + err
        run = _only_run(env)
        assert run["status"] == "FAILED"
        assert run["failure_reason"].startswith("broker lost: no worker took the "), run["failure_reason"]
        assert f"close resume {run['id']}" in out + err
        _assert_alert(env, run)
        figures = _resume_completes(env, run["id"], "--wait")
    assert figures == _undisturbed(pg_url, tmp_path / "ref", config)


def test_broker_unreachable_at_close_run(pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group")
    port = free_port()
    env = _env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    done = close(env, "run", "--config", str(config), "--period", "2026-01", "--wait")
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - started < 60
    assert "Traceback" not in done.stderr
    run = _only_run(env)
    assert run["status"] == "FAILED"
    assert run["failure_reason"] == f"broker unreachable at redis://127.0.0.1:{port}/0"
    assert f"close resume {run['id']}" in done.stderr
    _assert_alert(env, run)
    broker = RedisServer(port=port).start()
    try:
        with celery_workers(env, 1, tmp_path):
            figures = _resume_completes(env, run["id"], "--wait")
    finally:
        broker.stop()
    assert figures == _undisturbed(pg_url, tmp_path / "ref", config, "2026-01")


def test_a_worker_serving_another_tenant(pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group")
    with private_redis() as broker:
        env = _env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=broker.url)
        other = {**env, "CLOSE_TENANT": f"t_other_{uuid.uuid4().hex[:6]}"}
        (tmp_path / "other").mkdir()
        with celery_workers(other, 1, tmp_path / "other") as workers:
            done = close(env, "run", "--config", str(config), "--period", "2026-01", "--wait")
            assert done.returncode == 1, done.stdout + done.stderr
            assert "rejected close.extract_entity" in workers[0].text()
        run = _only_run(env)
        assert run["status"] == "FAILED"
        assert run["failure_reason"].startswith("broker lost: no worker took the EXTRACTING"), run
        assert f"no worker serves tenant {env['CLOSE_TENANT']}" in run["failure_reason"]
        assert run["rejected_tasks"]["worker_tenant"] == other["CLOSE_TENANT"]
        assert int(run["rejected_tasks"]["count"]) >= 1
        assert "refused" in close(env, "status").stdout  # the table's note (wrapped) says so too
        _assert_alert(env, run)
        with celery_workers(env, 1, tmp_path):
            figures = _resume_completes(env, run["id"], "--wait")
    assert figures == _undisturbed(pg_url, tmp_path / "ref", config, "2026-01")


def test_an_extract_past_its_time_limit(pg_url: str, tmp_path: Path, omie_fake: OmieFake) -> None:
    with _omie_through_workers(pg_url, tmp_path, omie_fake, 3.0, CLOSE_EXTRACT_TIME_LIMIT="2") as (
            config, env, _):
        done = close(env, "run", "--config", str(config), "--period", PERIOD, "--wait")
        assert done.returncode == 1, done.stdout + done.stderr
        run = _only_run(env)
        assert run["status"] == "FAILED"
        assert run["failure_reason"] == "time limit: EXTRACTING for entity S ran past its 2 s limit"
        _assert_alert(env, run)
        omie_fake.delay = 0.0
        figures = _resume_completes(env, run["id"], "--wait")
    assert figures == _undisturbed(pg_url, tmp_path / "ref", config)
