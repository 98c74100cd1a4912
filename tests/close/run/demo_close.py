"""One full demo close per test session, shared by the tests that check its results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.close.run.cli_helpers import cli_env, close, close_json


@dataclass(frozen=True)
class DemoClose:
    """The finished demo: its environment, runs (oldest first), output and package path."""

    env: dict[str, str]
    runs: list[dict]
    stdout: str
    package: Path
    folder: Path

    @property
    def latest(self) -> dict:
        return self.runs[-1]


# pytest keeps one instance of a session fixture per conftest.py that imports it (tests/close/run,
# tests/close/e2e …): remembering the close per session database keeps it at one demo per session.
_CLOSED: dict[str, DemoClose] = {}


@pytest.fixture(scope="session")
def demo_close(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> DemoClose:
    if pg_url in _CLOSED:
        return _CLOSED[pg_url]
    home = tmp_path_factory.mktemp("demo-home")
    env = cli_env(pg_url, home)
    done = close(env, "demo", timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    match = re.search(r"board package: (\S+\.zip)", done.stdout)
    assert match, done.stdout
    runs = sorted(close_json(env, "status")["runs"], key=lambda r: r["period"])
    _CLOSED[pg_url] = DemoClose(env=env, runs=runs, stdout=done.stdout, package=Path(match.group(1)),
                                folder=home / "demo")
    return _CLOSED[pg_url]


