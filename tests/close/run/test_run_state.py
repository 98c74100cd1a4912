"""The run state machine: transitions from design.md, compare-and-set, one active run per period."""

from __future__ import annotations

import threading

import pytest

from close.errors import RunConflict
from close.run.state import ACTIVE_STATUSES, TERMINAL_STATUSES, TRANSITIONS, RunStatus, transition
from close.storage import Database
from close.storage.runs import create_run, get_run


def test_sets_partition_the_statuses() -> None:
    assert ACTIVE_STATUSES | TERMINAL_STATUSES == set(RunStatus)
    assert RunStatus.FAILED in ACTIVE_STATUSES and RunStatus.AWAITING_REVIEW in ACTIVE_STATUSES
    assert TRANSITIONS[RunStatus.CANCELLED] == frozenset()


def test_transition_is_compare_and_set(db: Database) -> None:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-01", actor="t")
        assert run is not None
        transition(conn, run.id, RunStatus.PENDING, RunStatus.EXTRACTING, actor="t", reason="go")
    with pytest.raises(RunConflict, match="no longer PENDING"), db.tx() as conn:
        transition(conn, run.id, RunStatus.PENDING, RunStatus.EXTRACTING, actor="t", reason="again")
    with pytest.raises(RunConflict, match="cannot move"), db.tx() as conn:
        transition(conn, run.id, RunStatus.EXTRACTING, RunStatus.COMPLETED, actor="t", reason="skip")
    with db.tx() as conn:
        assert get_run(conn, run.id).status == RunStatus.EXTRACTING


def test_a_failed_run_still_owns_its_period(db: Database) -> None:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-03", actor="t")
        transition(conn, run.id, RunStatus.PENDING, RunStatus.FAILED, actor="t", reason="boom")
    with pytest.raises(RunConflict, match=f"run {run.id} is FAILED.*close resume {run.id}"), db.tx() as conn:
        create_run(conn, group_id="g", period="2026-03", actor="t")


def test_two_concurrent_creations_make_one_run(db: Database) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create() -> None:
        barrier.wait()
        try:
            with db.tx() as conn:
                create_run(conn, group_id="g", period="2026-04", actor="t")
            outcomes.append("created")
        except RunConflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "refused"]
