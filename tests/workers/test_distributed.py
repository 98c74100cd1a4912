"""The same canvas on real Celery workers and Redis (issue 4, acceptance 1 and 4)."""

from __future__ import annotations

import shutil
from pathlib import Path

from close.cli.demo_setup import DEMO_EXAMPLE
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import SUB_TB, write_group
from tests.workers.celery_workers import celery_workers, fresh_redis_url


def _consolidated(env: dict[str, str], run_id: str) -> list[tuple[str, str, str]]:
    shown = close_json(env, "show", run_id)
    return [(r["account"], r["amount"], r["movement"]) for r in shown["consolidated"]]


def test_demo_month_through_two_workers_equals_the_in_process_run(pg_url: str, tmp_path: Path) -> None:
    group = tmp_path / "demo"
    shutil.copytree(DEMO_EXAMPLE, group, ignore=shutil.ignore_patterns("out", "__pycache__"))
    config = str(group / "group.toml")
    distributed = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=fresh_redis_url())
    with celery_workers(distributed, 2, tmp_path) as workers:
        done = close(distributed, "run", "--config", config, "--period", "2025-10", "--wait")
        assert done.returncode == 0, done.stdout + done.stderr + workers[0].text()[-2000:]
        logs = [w.text() for w in workers]
    assert all("close.extract_entity" in log for log in logs), "both workers should have extracted"
    run_id = close_json(distributed, "status")["runs"][0]["id"]

    in_process = cli_env(pg_url, tmp_path / "home2")
    assert close(in_process, "run", "--config", config, "--period", "2025-10").returncode == 0
    local_id = close_json(in_process, "status")["runs"][0]["id"]
    assert _consolidated(distributed, run_id) == _consolidated(in_process, local_id)


def test_permanent_failure_then_resume_through_the_workers(pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group", sub_tb=SUB_TB.replace("150.00,-150.00", "15O.00,-150.00"))
    env = cli_env(pg_url, tmp_path / "home", CLOSE_BROKER_URL=fresh_redis_url())
    with celery_workers(env, 2, tmp_path):
        failed = close(env, "run", "--config", str(config), "--period", "2026-01", "--wait")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        run = close_json(env, "status")["runs"][0]
        assert run["status"] == "FAILED" and run["failed_entity"] == "S"
        assert "tb/S/2026-01.csv" in run["failure_reason"]
        alerts = [e for e in close_json(env, "show", run["id"])["events"] if e["kind"] == "alert"]
        assert alerts and alerts[0]["detail"]["resume"] == f"close resume {run['id']}"
        assert f"close resume {run['id']}" in alerts[0]["message"]

        (tmp_path / "group" / "tb" / "S" / "2026-01.csv").write_text(SUB_TB)
        resumed = close(env, "resume", run["id"], "--wait")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert close_json(env, "status", run["id"])["runs"][0]["status"] == "COMPLETED"
