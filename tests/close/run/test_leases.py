"""Leases and the reaper on real PostgreSQL (issue 15): who holds a run, and what happens when nobody does."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from close.config import Settings
from close.errors import RunConflict
from close.run.env import StageEnv
from close.run.leases import new_holder, reap, takeover_prefix
from close.run.lifecycle import create_close_run
from close.run.stages import run_stage
from close.run.state import RunStatus, transition
from close.run.transient import short_reason
from close.storage import Database
from close.storage.leases import LeaseKey, acquire_lease, queue_leases
from close.storage.runs import events, get_run
from tests.close.run.small_group import write_group


def _env(db: Database, tmp_path: Path, lease: int = 1) -> StageEnv:
    return StageEnv(db=db, settings=Settings(home=tmp_path, lease_seconds=lease), actor="test")


def _at(env: StageEnv, run_id: str, status: RunStatus) -> None:
    with env.db.tx() as conn:
        transition(conn, run_id, RunStatus.PENDING, status, actor="test", reason="test")


def test_an_expired_lease_with_a_holder_is_a_lost_worker(db: Database, tmp_path: Path) -> None:
    env = _env(db, tmp_path)
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    _at(env, run.id, RunStatus.EXTRACTING)
    with db.tx() as conn:
        assert acquire_lease(conn, LeaseKey(run.id, "EXTRACTING", "S"), new_holder("task-1"), 1)
    assert reap(db, 1, actor="test") == []  # still live
    time.sleep(1.6)  # past the lease and the reaper's grace
    [failed] = reap(db, 1, actor="test")
    assert failed.status == RunStatus.FAILED
    assert failed.failure_reason == "worker lost during EXTRACTING for entity S"
    assert failed.failed_stage == "EXTRACTING" and failed.failed_entity == "S"
    with db.tx() as conn:
        alert = [e for e in events(conn, run.id) if e["kind"] == "alert"][-1]
    assert alert["detail"]["resume"] == f"close resume {run.id}"
    assert reap(db, 1, actor="test") == []  # once


def test_a_task_nobody_took_is_a_lost_broker(db: Database, tmp_path: Path) -> None:
    env = _env(db, tmp_path)
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    with db.tx() as conn:
        queue_leases(conn, [LeaseKey(run.id, "MAPPING")], 1)
    time.sleep(1.6)
    [failed] = reap(db, 1, actor="test", run_id=run.id)
    assert failed.failure_reason == (f"broker lost: no worker took the MAPPING task within 1 s (the broker "
                                     f"lost it, or no worker serves tenant {db.tenant})")


def test_a_redelivery_of_the_same_task_takes_the_lease_over(db: Database, tmp_path: Path) -> None:
    env = _env(db, tmp_path, lease=60)
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    key = LeaseKey(run.id, "EXTRACTING", "S")
    with db.tx() as conn:
        assert acquire_lease(conn, key, new_holder("task-1"), 60)
        other = new_holder("task-2")
        assert not acquire_lease(conn, key, other, 60, takeover_prefix=takeover_prefix("task-2"))
        assert acquire_lease(conn, key, new_holder("task-1"), 60, takeover_prefix=takeover_prefix("task-1"))


def test_a_second_delivery_waits_for_the_live_lease_then_finds_the_work_done(db: Database,
                                                                             tmp_path: Path) -> None:
    env = _env(db, tmp_path, lease=2)
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    key = LeaseKey(run.id, "EXTRACTING", "S")
    first = new_holder("task-1")
    with db.tx() as conn:
        assert acquire_lease(conn, key, first, 2)
    outcome: list[bool] = []
    second = threading.Thread(target=lambda: outcome.append(run_stage(env, run.id, RunStatus.EXTRACTING, "S",
                                                                      task_id="task-2")))
    second.start()
    time.sleep(1)
    assert not outcome, "the second delivery must wait while the first holds a live lease"
    second.join(timeout=60)  # the first never renews: its lease expires and the second takes over
    assert outcome == [True]


def test_the_refusal_of_a_second_run_does_not_suggest_resuming_an_active_run(db: Database,
                                                                             tmp_path: Path) -> None:
    env = _env(db, tmp_path, lease=60)
    config = write_group(tmp_path)
    run = create_close_run(env, config, "2026-01")
    _at(env, run.id, RunStatus.EXTRACTING)
    with db.tx() as conn:
        queue_leases(conn, [LeaseKey(run.id, "EXTRACTING", "S")], 60)
    with pytest.raises(RunConflict) as refused:
        create_close_run(env, config, "2026-01")
    assert "close resume" not in str(refused.value)
    assert f"run {run.id} is EXTRACTING" in str(refused.value)
    assert f"close cancel {run.id}" in str(refused.value)


def test_a_cancelled_run_loses_its_leases(db: Database, tmp_path: Path) -> None:
    from close.run.lifecycle import cancel_run

    env = _env(db, tmp_path, lease=60)
    run = create_close_run(env, write_group(tmp_path), "2026-01")
    with db.tx() as conn:
        queue_leases(conn, [LeaseKey(run.id, "EXTRACTING", "S")], 60)
    cancel_run(env, run.id, "test")
    with db.tx() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM run_leases")).scalar_one() == 0
        assert get_run(conn, run.id).status == RunStatus.CANCELLED


def test_a_database_error_reason_carries_no_sql(db: Database) -> None:
    with pytest.raises(DBAPIError) as raised, db.tx() as conn:
        conn.execute(sa.text("SELECT CAST(:x AS integer) FROM close_runs"), {"x": "not a number"})
    reason = short_reason(raised.value)
    assert "SELECT" not in reason and "close_runs" not in reason
    assert reason.startswith("the database refused the work: invalid input syntax for type integer")
