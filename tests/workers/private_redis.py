"""A private ``redis-server`` for one test: a free port, nothing on disk, killed at the end.

The stranding and chaos tests restart it empty (a Redis that lost its state), so each test owns
its server instead of sharing one. Shaped like ``tests/redis_server.py`` of the suite-wide fixture
(``RedisServer.start/stop/restart``, ``base_url``) so the two can be merged into one.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """One ``redis-server`` on a port of its own; ``restart()`` brings it back empty."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="test-redis-")))

    @property
    def base_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The URL of database 0, the only one the test uses."""
        return f"{self.base_url}/0"

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)", pytrace=False)
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log_text = (self.folder / "redis.log").read_text()
                    pytest.fail(f"private redis-server did not start: {log_text}", pytrace=False)
                time.sleep(0.05)

    def kill(self) -> None:
        """Kill the server at once (its state is lost)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Kill the server and start it again on the same port, empty."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_redis(*, started: bool = True) -> Iterator[RedisServer]:
    """A private server for the ``with`` block (not started when ``started`` is False)."""
    server = RedisServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
