"""Bad trial balances fail EXTRACTING for that entity, clearly; a resume re-extracts only it.

Issue 3, acceptance 3 and 7.
"""

from __future__ import annotations

from pathlib import Path

from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import SUB_TB, write_group


def _failed_run(env: dict[str, str]) -> dict:
    runs = close_json(env, "status")["runs"]
    assert len(runs) == 1
    return runs[0]


def test_non_numeric_amount_fails_naming_file_row_and_column_then_resume_reextracts_only_it(
        pg_url: str, tmp_path: Path) -> None:
    config = write_group(tmp_path / "group", sub_tb=SUB_TB.replace("1150.00", "1150.0O"))
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01")
    assert done.returncode == 1, done.stderr
    run = _failed_run(env)
    assert run["status"] == "FAILED" and run["failed_stage"] == "EXTRACTING" and run["failed_entity"] == "S"
    reason = run["failure_reason"]
    assert "tb/S/2026-01.csv" in reason and "row 2" in reason and "closing" in reason.lower(), reason
    assert "Traceback" not in done.stdout + done.stderr

    (tmp_path / "group" / "tb" / "S" / "2026-01.csv").write_text(SUB_TB, encoding="utf-8")
    resumed = close(env, "resume", run["id"])
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    shown = close_json(env, "show", run["id"])
    assert shown["run"]["status"] == "COMPLETED"
    extracts = [e for e in shown["events"] if e["kind"] == "stage_done" and e["stage"] == "EXTRACTING"]
    assert sorted(e["entity_id"] for e in extracts) == ["@rates", "P", "S"]
    after_resume = shown["events"][[e["kind"] for e in shown["events"]].index("resumed"):]
    assert [e["entity_id"] for e in after_resume
            if e["kind"] == "stage_done" and e["stage"] == "EXTRACTING"] == ["S"]
    reread = [e for e in shown["events"] if e["kind"] == "input_reread"]
    assert [e["detail"]["file"] for e in reread] == ["tb/S/2026-01.csv"]
    assert reread[0]["detail"]["changed"] is True
    new_digest = reread[0]["detail"]["sha256"]
    assert after_resume and any(e["detail"].get("inputs", {}).get("tb/S/2026-01.csv") == new_digest
                                for e in after_resume if e["kind"] == "stage_done")


def test_unbalanced_trial_balance_fails_extracting_for_that_entity(pg_url: str, tmp_path: Path) -> None:
    unbalanced = SUB_TB.replace("0.00,150.00,-150.00", "0.00,140.00,-140.00")
    config = write_group(tmp_path / "group", sub_tb=unbalanced)
    env = cli_env(pg_url, tmp_path / "home")
    done = close(env, "run", "--config", str(config), "--period", "2026-01")
    assert done.returncode == 1
    run = _failed_run(env)
    assert run["failed_stage"] == "EXTRACTING" and run["failed_entity"] == "S"
    reason = run["failure_reason"]
    assert "entity S" in reason and "tb/S/2026-01.csv" in reason and "10.00" in reason, reason
    assert "Traceback" not in done.stdout + done.stderr
