"""Run the real ``close`` command in a subprocess against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any


def cli_env(pg_url: str, home: Path, tenant: str | None = None, **extra: str) -> dict[str, str]:
    """An environment for the CLI: the test database, a home of its own, a tenant of its own."""
    env = {k: v for k, v in os.environ.items()
           if not (k == "DATABASE_URL" or k.startswith(("CLOSE_", "ANTHROPIC_")))}
    env.update(DATABASE_URL=pg_url, CLOSE_HOME=str(home), CLOSE_TENANT=tenant or f"t_{uuid.uuid4().hex[:10]}",
               CLOSE_ACTOR="tester", **extra)
    return env


def close(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run ``close ARGS`` and return the finished process (stdout, stderr, returncode)."""
    return subprocess.run([sys.executable, "-c", "from close.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def close_json(env: dict[str, str], *args: str) -> Any:  # noqa: ANN401
    """Run ``close ARGS --json`` and parse its output."""
    done = close(env, *args, "--json")
    assert done.returncode in (0, 1, 3), done.stderr
    return json.loads(done.stdout)
