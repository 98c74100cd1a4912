"""The suite never touches a Redis database it did not create (issue 15, acceptance 6).

Every Redis URL a test gets comes from ``tests/redis_server.py``: a ``redis-server`` this pytest
process started on a free port. The first test asks the server behind such a URL for its process
id and checks that its parent is this process; the second checks that no test names another
Redis (the shared ``6379``, a ``TEST_REDIS_URL`` from the environment) or flushes one itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis

from tests.redis_server import fresh_redis_url

TESTS = Path(__file__).resolve().parent


def _parent_pid(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after its ")".
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_a_tests_redis_is_a_server_this_session_started() -> None:
    url = fresh_redis_url()
    client = redis.Redis.from_url(url)
    server_pid = int(client.info("server")["process_id"])
    assert _parent_pid(server_pid) == os.getpid(), url
    assert client.connection_pool.connection_kwargs["port"] != 6379
    assert client.dbsize() == 0  # a database of its own, empty when handed out


def test_no_test_names_another_redis_or_flushes_one() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name in ("redis_server.py", Path(__file__).name):
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(TESTS)}: {word}" for word in
                      ("6379", "test_redis_url", "flushdb", "flushall") if word in text.lower()]
    assert not offenders, offenders
