"""A second `close run` for a period with an active run is refused with exit code 2.

Issue 3, acceptance 5.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import SUB_TB, write_group


def test_two_concurrent_processes_one_is_refused(pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group")
    env = cli_env(pg_url, tmp_path / "home")
    args = [sys.executable, "-c", "from close.cli import main; main()", "run", "--config", str(config),
            "--period", "2026-01"]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(timeout=240), *p.communicate()) for p in procs]
    refused = [r for r in results if r[0] == 2]
    assert len(refused) == 1, results
    assert "already has an active run" in refused[0][2]
    assert len(close_json(env, "status")["runs"]) == 1


def test_a_failed_run_blocks_a_new_run_of_its_period(pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group", sub_tb=SUB_TB.replace("150.00", "15x.00"))
    env = cli_env(pg_url, tmp_path / "home")
    assert close(env, "run", "--config", str(config), "--period", "2026-01").returncode == 1
    failed = close_json(env, "status")["runs"][0]
    again = close(env, "run", "--config", str(config), "--period", "2026-01")
    assert again.returncode == 2
    assert f"run {failed['id']} is FAILED" in again.stderr and f"close resume {failed['id']}" in again.stderr
