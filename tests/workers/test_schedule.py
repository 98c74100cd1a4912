"""The beat tick creates each scheduled run exactly once (issue 4, acceptance 3; conventions 9)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from close.api import CloseSession
from close.config import Settings
from close.errors import ConfigError
from close.run.env import StageEnv
from close.run.schedule import due_periods, last_fire_time, parse_cron, trigger_key
from close.run.state import RunStatus
from close.storage import Database
from close.storage.runs import find_runs
from tests.close.run.small_group import write_group
from workers.schedule import beat_schedule

TICK_AT = datetime(2026, 2, 1, 6, 0, 30, tzinfo=UTC)  # handled 30 s after the 06:00 tick


def _group(folder: Path) -> Path:
    config = write_group(folder)
    config.write_text(config.read_text().replace('presentation_currency = "USD"\n',
                                                 'presentation_currency = "USD"\ncatch_up_months = 0\n'))
    return config


def test_last_fire_time_and_due_periods() -> None:
    cron = parse_cron("0 6 1 * *")
    assert last_fire_time(cron, datetime(2026, 11, 23, 10, tzinfo=UTC)) == datetime(
        2026, 11, 1, 6, tzinfo=UTC)
    assert last_fire_time(cron, datetime(2026, 11, 1, 5, 59, tzinfo=UTC)) == datetime(
        2026, 10, 1, 6, tzinfo=UTC)
    assert due_periods(datetime(2026, 1, 1, 6, tzinfo=UTC), 2) == ["2025-10", "2025-11", "2025-12"]
    assert (trigger_key("acme", "2025-12", datetime(2026, 1, 1, 6, tzinfo=UTC))
            == "beat:acme:2025-12:2026-01-01T06:00Z")
    with pytest.raises(ConfigError, match="group.schedule"):
        parse_cron("every month")


def test_same_tick_twice_concurrently_and_after_completion_creates_one_run(db: Database,
                                                                           tmp_path: Path) -> None:
    session = CloseSession(StageEnv(db=db, settings=Settings(home=tmp_path), actor="beat")).install()
    config = _group(tmp_path / "group")
    barrier = threading.Barrier(2)
    created: list[list[str]] = []

    def deliver() -> None:
        barrier.wait()
        # In-process the tick's canvas runs before it returns: the run it created completes.
        created.append(session.tick_schedule(config, TICK_AT))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(c) for c in created) == [0, 1]
    (run_id,) = [r for c in created for r in c]
    with db.tx() as conn:
        (run,) = find_runs(conn, group_id="tiny")
    assert run.id == run_id and run.created_by == "beat"
    assert run.status == RunStatus.COMPLETED and run.trigger_key == "beat:tiny:2026-01:2026-02-01T06:00Z"

    assert session.tick_schedule(config, TICK_AT) == []  # the same tick, redelivered after completion
    # A later delivery of the same tick.
    assert session.tick_schedule(config, datetime(2026, 2, 1, 7, tzinfo=UTC)) == []
    with db.tx() as conn:
        assert len(find_runs(conn, group_id="tiny")) == 1


def test_beat_schedule_has_one_entry_per_group_and_the_workflow_tick(tmp_path: Path) -> None:
    config = _group(tmp_path / "group")
    schedule = beat_schedule([config])
    assert schedule["close-tiny"]["task"] == "close.beat_tick"
    assert schedule["close-tiny"]["args"] == (str(config.resolve()),)
    assert schedule["close-workflow"]["task"] == "close.workflow_tick"
