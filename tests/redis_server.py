"""A private `redis-server` owned by the test session: the suite never touches a Redis it did not start.

The server listens on a free port of 127.0.0.1, keeps nothing on disk, starts lazily on the first
`fresh_redis_url()` and is stopped at the end of the session (`stop_private_redis`, called from
`tests/conftest.py`, and at interpreter exit as a fallback). Every `fresh_redis_url()` hands out a
database index of its own on that server, so tests never share broker state.
"""

from __future__ import annotations

import atexit
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

DATABASES = 1024


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    """One `redis-server` process on a port of its own; ``restart()`` brings it back empty."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="test-redis-")))
    next_index: int = 1

    @property
    def base_url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Database 0: a server of one test's own (``private_redis``) uses only that one."""
        return f"{self.base_url}/0"

    def start(self) -> RedisServer:
        """Start the server (nothing persisted) and wait until it answers PING."""
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server); the tests start "
                        "their own private Redis", pytrace=False)
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--databases", str(DATABASES), "--dir", str(self.folder)]
        log = (self.folder / "redis.log").open("ab")
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

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) if it runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Kill the server and start it again on the same port, empty (a Redis that lost its state)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.start()

    def fresh_url(self) -> str:
        """A database index on this server used by nobody else in the session."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        index = self.next_index
        self.next_index = 1 + self.next_index % (DATABASES - 1)
        redis.Redis(port=self.port, db=index).flushdb()  # ours: this server was started by the session
        return f"{self.base_url}/{index}"


_SESSION = RedisServer()


def fresh_redis_url() -> str:
    """A Redis database of its own for one test, on the session's private server (started lazily)."""
    return _SESSION.fresh_url()


def stop_private_redis() -> None:
    """Stop the session's private server (idempotent)."""
    _SESSION.stop()
    shutil.rmtree(_SESSION.folder, ignore_errors=True)


atexit.register(stop_private_redis)


@contextmanager
def private_redis(*, started: bool = True) -> Iterator[RedisServer]:
    """A server of one test's own, for tests that restart or stop it (a broker lost or emptied)."""
    server = RedisServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)
