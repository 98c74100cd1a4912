"""Re-runs supersede and make later periods stale; a locked period refuses work until unlocked.

Issue 10, acceptance 3, and the re-run rules of design.md "The run". One history per module:
January closed, February closed, then January re-closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from close.config import Settings
from close.errors import ConfigError, RunConflict
from close.run.env import StageEnv
from close.run.lifecycle import create_close_run, resume_run
from close.run.review import lock, unlock
from close.run.state import RunStatus, transition
from close.storage import Database
from close.storage.runs import events, find_runs
from tests.close.review.review_group import write_green_group
from tests.close.run.cli_helpers import cli_env, close, close_json
from tests.close.run.small_group import CORRECTED_PARENT_TB

LOCKER = "controller.ana"


@dataclass(frozen=True)
class History:
    """The closed periods: their environment, config, runs and ``close status --json`` right after."""

    env: dict[str, str]
    config: Path
    jan_old: str
    feb: str
    jan_new: str
    status: dict


def _closed(env: dict[str, str], config: Path, period: str, *rerun: str) -> str:
    done = close(env, "run", "--config", str(config), "--period", period, "--json", *rerun)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)["id"]


@pytest.fixture(scope="module")
def history(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> History:
    folder = tmp_path_factory.mktemp("reruns")
    env = cli_env(pg_url, folder / "home")
    config = write_green_group(folder / "group", "2026-01")
    jan_old = _closed(env, config, "2026-01")
    write_green_group(folder / "group", "2026-02")
    feb = _closed(env, config, "2026-02")
    # A completed period is refused without --rerun, naming the run it would supersede (issue 17).
    refused = close(env, "run", "--config", str(config), "--period", "2026-01")
    message = " ".join(refused.stderr.split())
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"tiny 2026-01 already has a completed run {jan_old}" in message, message
    assert "pass --rerun" in message, message
    # January is re-closed after P's file was corrected: February's opening came from other figures.
    (folder / "group" / "tb" / "P" / "2026-01.csv").write_text(CORRECTED_PARENT_TB, encoding="utf-8")
    jan_new = _closed(env, config, "2026-01", "--rerun")
    return History(env, config, jan_old, feb, jan_new, close_json(env, "status"))


def test_a_rerun_supersedes_the_old_run_keeps_both_and_marks_later_periods_stale(
    history: History, db_session: Database
) -> None:
    runs = {r["id"]: r for r in history.status["runs"]}
    assert set(runs) == {history.jan_old, history.feb, history.jan_new}
    old, new, feb = runs[history.jan_old], runs[history.jan_new], runs[history.feb]
    assert old["status"] == new["status"] == feb["status"] == "COMPLETED"
    assert old["superseded_by"] == history.jan_new and not old["effective"]
    assert new["superseded_by"] is None and new["effective"] and not new["stale"]
    # February's opening, CTA and retained earnings came from the January that was replaced.
    assert feb["effective"] and feb["stale"] and feb["superseded_by"] is None
    # Asked about February alone, `close status` still compares it with the group's other periods.
    alone = close_json(history.env, "status", history.feb)["runs"]
    assert [(r["id"], r["stale"]) for r in alone] == [(history.feb, True)]

    with db_session.for_tenant(history.env["CLOSE_TENANT"]).tx() as conn:
        old_trail, new_trail = events(conn, history.jan_old), events(conn, history.jan_new)
    assert [e["detail"] for e in old_trail if e["kind"] == "superseded"] == [
        {"superseded_by": history.jan_new}
    ]
    assert [e["detail"] for e in new_trail if e["kind"] == "supersedes"] == [{"supersedes": history.jan_old}]


def test_a_locked_period_refuses_run_resume_and_adjust_until_unlocked_with_a_reason(
    history: History, tmp_path: Path, db_session: Database
) -> None:
    env, config = history.env, history.config
    locker = {**env, "CLOSE_ACTOR": LOCKER}
    db = db_session.for_tenant(env["CLOSE_TENANT"])
    in_process = StageEnv(db=db, settings=Settings(), actor=LOCKER)
    # A re-run of February that failed (made in-process: how it failed does not matter here), to
    # be resumed once the period is locked.
    feb_failed = create_close_run(in_process, config, "2026-02", rerun=True).id
    with db.tx() as conn:
        transition(
            conn,
            feb_failed,
            RunStatus.PENDING,
            RunStatus.FAILED,
            actor="worker",
            reason="failed at EXTRACTING",
            extra={"failed_stage": "EXTRACTING"},
        )

    with pytest.raises(RunConflict, match=f"close signoff {history.feb}"):
        lock(in_process, "tiny", "2026-02")  # only a signed-off period is locked
    assert close(locker, "signoff", history.feb, "--note", "February reviewed").returncode == 0
    locked = close(locker, "lock", "tiny", "2026-02", "--reason", "board package sent")
    assert locked.returncode == 0, locked.stderr

    journal = tmp_path / "journal.csv"
    journal.write_text(
        "journal_id,basis,entity,account,amount,memo\nTS-1,IFRS,S,1000,1.00,x\nTS-1,IFRS,S,3100,-1.00,x\n",
        encoding="utf-8",
    )
    attempts = {
        "run": close(env, "run", "--config", str(config), "--period", "2026-02"),
        "resume": close(env, "resume", feb_failed),
        "adjust add": close(env, "adjust", "add", history.feb, "--file", str(journal)),
    }
    for command, done in attempts.items():
        message = " ".join(done.stderr.split())
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert f"period 2026-02 of group tiny is locked (locked by {LOCKER} at " in message, (
            command,
            message,
        )
        assert "close unlock tiny 2026-02 --reason" in message, (command, message)
    with db.tx() as conn:
        runs = {r.id: r.status for r in find_runs(conn, group_id="tiny")}
    assert runs == {
        history.jan_old: "COMPLETED",
        history.jan_new: "COMPLETED",
        history.feb: "COMPLETED",
        feb_failed: "FAILED",
    }  # nothing created, resumed or cancelled

    no_reason = close(locker, "unlock", "tiny", "2026-02")
    assert no_reason.returncode == 2 and "--reason" in no_reason.stderr, no_reason.stderr
    with pytest.raises(ConfigError, match="--reason"):
        unlock(in_process, "tiny", "2026-02", " ")
    unlocked = close(env, "unlock", "tiny", "2026-02", "--reason", "restate February")
    assert unlocked.returncode == 0, unlocked.stderr

    # Unlocked, the resume goes ahead: the run is put back at EXTRACTING (not launched here).
    assert resume_run(in_process, feb_failed).status == RunStatus.EXTRACTING
    with db.tx() as conn:
        feb_trail, failed_trail = events(conn, history.feb), events(conn, feb_failed)
    kinds = [(e["kind"], e["actor"]) for e in feb_trail if e["kind"] in ("signed_off", "locked", "unlocked")]
    assert kinds == [("signed_off", LOCKER), ("locked", LOCKER), ("unlocked", "tester")]
    lock_event = next(e for e in feb_trail if e["kind"] == "locked")
    unlock_event = next(e for e in feb_trail if e["kind"] == "unlocked")
    assert lock_event["detail"] == {"reason": "board package sent"}
    assert unlock_event["detail"] == {"reason": "restate February", "locked_by": LOCKER}
    assert [e["kind"] for e in failed_trail].count("resumed") == 1
