"""Real Celery worker processes on real Redis, started and stopped by the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.redis_server import fresh_redis_url

__all__ = ["Worker", "celery_workers", "fresh_redis_url"]


@dataclass
class Worker:
    """One `celery worker` process and its log."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pool_children(self) -> list[int]:
        """PIDs of the worker's pool processes (children of the main process)."""
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True,
                             check=False)
        return [int(p) for p in out.stdout.split()]


@contextmanager
def celery_workers(env: dict[str, str], count: int, folder: Path) -> Iterator[list[Worker]]:
    """Start ``count`` workers on every queue (one pool process each) and stop them afterwards."""
    workers = []
    for i in range(count):
        log = folder / f"worker{i}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", "extract,compute,reports",
               "-c", "1", "-n", f"w{i}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "--loglevel=INFO"]
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        workers.append(Worker(f"w{i}", proc, log))
    try:
        deadline = time.monotonic() + 90
        while not all(" ready." in w.text() for w in workers):
            dead = [w for w in workers if w.process.poll() is not None]
            if dead or time.monotonic() > deadline:
                pytest.fail("worker did not start:\n" + "\n".join(w.text()[-3000:] for w in workers))
            time.sleep(0.3)
        yield workers
    finally:
        for w in workers:
            if w.process.poll() is None:
                os.killpg(w.process.pid, signal.SIGTERM)
        for w in workers:
            try:
                w.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(w.process.pid, signal.SIGKILL)
                w.process.wait()
