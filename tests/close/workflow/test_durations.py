"""`close status` of a working close: elapsed time against the stage's history and an expected finish."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from close.run.workflow.durations import stage_durations
from tests.close.run.cli_helpers import close, close_json
from tests.close.workflow.test_distribution import env_for
from tests.close.workflow.workflow_group import write_workflow_group
from tests.fakes.smtp import SmtpServer

T0 = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)


def test_stage_and_entity_durations_come_from_the_audit_trail() -> None:
    at = [T0 + timedelta(seconds=s) for s in (0, 1, 4, 5, 9, 12)]
    transitions = [("r", at[0], "EXTRACTING", None), ("r", at[1], "EXTRACTING", "BR1"),
                   ("r", at[2], "EXTRACTING", "BR2"), ("r", at[3], "MAPPING", None),
                   ("r", at[4], "CONSOLIDATING", None), ("r", at[5], "FAILED", None)]
    assert stage_durations(transitions) == {
        ("EXTRACTING", "BR1"): [1.0], ("EXTRACTING", "BR2"): [4.0], ("EXTRACTING", ""): [5.0],
        ("MAPPING", ""): [4.0], ("CONSOLIDATING", ""): [3.0]}


def test_status_shows_a_working_stage_against_its_median_and_an_expected_finish(pg_url: str,
                                                                                 tmp_path: Path) -> None:
    with SmtpServer() as smtp:
        config = write_workflow_group(tmp_path / "g", smtp.port, slack=False)
        env = env_for(pg_url, tmp_path / "home", None)
        assert close(env, "run", "--config", str(config), "--period", "2026-01").returncode == 0  # history
        smtp.hold_for, smtp.hold_seconds = "cfo@example.com", 90  # DISTRIBUTING works for a while
        # A re-run of the same month: the same stages, now with a history to compare against.
        runner = subprocess.Popen([sys.executable, "-c", "from close.cli import main; main()", "run",
                                   "--config", str(config), "--period", "2026-01", "--rerun"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while True:
                asked = datetime.now(UTC)  # the expected finish is "now" in `close status` plus what is left
                runs = close_json(env, "status")["runs"]
                run = runs[0] if len(runs) == 2 else {}  # newest first
                if run.get("status") == "DISTRIBUTING" or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert run.get("status") == "DISTRIBUTING", run
            progress = run["progress"]
            assert progress is not None, run
            assert progress["stage"] == "DISTRIBUTING" and progress["elapsed_seconds"] >= 0
            assert progress["median_seconds"] is not None and progress["p90_seconds"] is not None
            finish = datetime.fromisoformat(progress["expected_finish"])
            assert finish >= asked
            table = close(env, "status").stdout
            assert "distributing" in table and "median" in table and "expected to finish" in table
        finally:
            smtp.hold_for = None
            runner.wait(timeout=300)
