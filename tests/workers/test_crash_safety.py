"""Killed workers and flaky ERPs: the run still completes, once (issue 4, acceptance 2 and 5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.fakes.omie import OmieFake
from tests.close.run.cli_helpers import cli_env, close_json
from tests.workers.celery_workers import Worker, celery_workers, fresh_redis_url
from tests.workers.omie_group import OMIE_SECRETS, PERIOD, write_omie_group


@pytest.fixture
def omie_fake() -> Iterator[OmieFake]:
    fake = OmieFake().start()
    yield fake
    fake.stop()


def _socket_inodes_to(port: int) -> set[str]:
    """Inodes of the TCP sockets on this machine connected to ``port`` on 127.0.0.1."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _pid_talking_to(workers: list[Worker], port: int) -> tuple[Worker, int]:
    """The worker, and its pool process, whose socket is connected to the fake."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        inodes = _socket_inodes_to(port)
        for worker in workers:
            for pid in worker.pool_children():
                try:
                    links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
                except (FileNotFoundError, PermissionError):
                    continue
                if any(link == f"socket:[{i}]" for i in inodes for link in links):
                    return worker, pid
        time.sleep(0.1)
    raise AssertionError("no worker process is talking to the ERP fake")


def _start_run(env: dict[str, str], config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "run", "--config",
                             str(config), "--period", PERIOD, "--wait"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_first_request(fake: OmieFake) -> None:
    deadline = time.monotonic() + 120
    while not fake.requests:
        assert time.monotonic() < deadline, "the extract never reached the ERP"
        time.sleep(0.05)


def _assert_completed_once(env: dict[str, str], done: subprocess.Popen[str]) -> dict:
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, out + err
    run = close_json(env, "status")["runs"][0]
    shown = close_json(env, "show", run["id"])
    assert shown["run"]["status"] == "COMPLETED"
    extracts = [e for e in shown["events"] if e["kind"] == "stage_done" and e["stage"] == "EXTRACTING"]
    assert sorted(e["entity_id"] for e in extracts) == ["@rates", "P", "S"]
    assert {e["entity_id"]: e["detail"].get("lines") for e in extracts} == {"@rates": None, "P": 3, "S": 10}
    lines = {r["account"]: r["amount"] for r in shown["consolidated"]}
    assert lines["1000"] == "11080.00"  # 1,200.00 + 52,000.00 BRL × 0.19: extracted once, not twice
    return shown


@pytest.mark.parametrize("victim", ["pool process", "whole worker"])
def test_worker_killed_mid_extract_the_run_still_completes_once(
        victim: str, pg_url: str, tmp_path: Path, omie_fake: OmieFake) -> None:
    config = write_omie_group(tmp_path / "group", omie_fake.url + "/api/v1")
    env = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=fresh_redis_url(), CLOSE_VISIBILITY_TIMEOUT="5",
                  **OMIE_SECRETS)
    omie_fake.delay = 2.0  # each ERP request hangs long enough to kill its worker in the middle
    with celery_workers(env, 2, tmp_path) as workers:
        done = _start_run(env, config)
        _wait_first_request(omie_fake)
        worker, pid = _pid_talking_to(workers, int(omie_fake.url.rsplit(":", 1)[1]))
        if victim == "pool process":
            os.kill(pid, signal.SIGKILL)
        else:
            os.killpg(worker.process.pid, signal.SIGKILL)
        omie_fake.delay = 0.0
        _assert_completed_once(env, done)


def test_transient_failures_are_retried_and_recorded(pg_url: str, tmp_path: Path,
                                                     omie_fake: OmieFake) -> None:
    config = write_omie_group(tmp_path / "group", omie_fake.url + "/api/v1")
    env = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=fresh_redis_url(), **OMIE_SECRETS)
    omie_fake.fail_next(2, 503, {"faultstring": "Serviço indisponível", "faultcode": "SOAP-ENV:Server"})
    with celery_workers(env, 2, tmp_path):
        shown = _assert_completed_once(env, _start_run(env, config))
    retries = [e for e in shown["events"] if e["kind"] == "retry"]
    assert [(e["entity_id"], e["detail"]["attempt"]) for e in retries] == [("S", 1), ("S", 2)]
