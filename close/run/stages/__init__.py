"""Stage checkpoints: each stage writes its outputs and its DONE mark in one transaction.

``run_stage`` is what every Celery task calls (conventions 7, Luigi's task/complete split):

1. if the (run, stage, entity) is DONE, return: a redelivered task changes nothing;
2. move the run into the stage's status, compute from PostgreSQL, then in ONE transaction take an
   advisory lock on the (run, stage, entity) key, re-check DONE, write the outputs, insert the DONE
   row and append the event; a concurrent delivery that got there first wins and ours is dropped;
3. after commit, assert the DONE row exists.

A ``PermanentError`` marks the run FAILED at once (stage, entity, reason and the resume command);
a ``RetriableError`` propagates for Celery to retry, and the task base marks FAILED when retries
run out.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from close.engine.types import EntityId, RunId
from close.errors import CloseError, PermanentError
from close.logs import log_context
from close.run.env import StageEnv
from close.run.failures import mark_failed
from close.run.leases import WORKING_STATUSES, Heartbeat, new_holder, takeover_prefix
from close.run.state import STAGE_ORDER, STAGE_PARTS, TRANSITIONS, RunStatus, append_event, transition
from close.run.transient import DatabaseUnavailable, patience, retry_database
from close.run.workflow.checklist import blocking
from close.storage import Database
from close.storage.leases import (
    LeaseKey,
    acquire_lease,
    count_leases,
    holds_lease,
    queue_leases,
    release_lease,
)
from close.storage.runs import Run, done_stages, get_run, lock_stage, mark_stage_done
from close.storage.workflow import list_tasks

log = logging.getLogger(__name__)


class RunStopped(CloseError):
    """The run is not in a state where this stage may work (cancelled, failed, in review)."""


class UnknownRun(RunStopped):
    """The task names a run this tenant does not have: unknown, or another tenant's."""


@dataclass(frozen=True)
class StageOutput:
    """What a stage computed: a writer for its outputs, a digest, and what to tell the audit trail."""

    write: Callable[[Connection], None]
    digest: str
    message: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    # The status to move to in the same transaction (DISTRIBUTING → COMPLETED, or a review stop).
    then: RunStatus | None = None
    then_reason: str = ""
    then_extra: Mapping[str, Any] = field(default_factory=dict)
    # What the outputs were computed from (name → sha256) and each entity's share of them: a re-run
    # compares them with its parent's to reuse unchanged work (close.run.stages.reuse).
    inputs: Mapping[str, str] = field(default_factory=dict)
    parts: Mapping[str, str] = field(default_factory=dict)


StageFn = Callable[[StageEnv, Run, EntityId | None], StageOutput]


def digest_of(*parts: bytes | str) -> str:
    """Return the sha256 of the concatenated parts (a stage's output digest)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
    return h.hexdigest()


def _enter(db: Database, run_id: RunId, stage: RunStatus, actor: str) -> Run:
    """Move the run into ``stage`` if it is at the stage before; refuse if it cannot work now."""
    with db.tx() as conn:
        run = get_run(conn, run_id, for_update=True)
        if run is None:
            raise RunStopped(f"no run {run_id} for this tenant")
        if run.status == stage:
            return run
        if stage == RunStatus.EXTRACTING and run.status == RunStatus.FAILED:
            # Sibling entity extracts keep going after one entity failed: their work is kept.
            return run
        index = STAGE_ORDER.index(stage)
        previous = STAGE_ORDER[index - 1] if index else RunStatus.PENDING
        allowed_from = {previous, RunStatus.PENDING} if stage == run.start_stage else {previous}
        if run.status in allowed_from and stage in TRANSITIONS[run.status]:
            waiting = blocking(list_tasks(conn, run.group_id, run.period), stage.value)
            if not waiting:
                transition(conn, run_id, run.status, stage, actor=actor, reason=f"stage {stage} started")
                return get_run(conn, run_id) or run
            names = ", ".join(t.task_id for t in waiting)
            transition(conn, run_id, run.status, RunStatus.AWAITING_TASKS, actor=actor,
                       reason=f"waiting at the gate before {stage}: {names} not done",
                       detail={"gate": stage.value, "resume_from": run.status.value,
                               "tasks": [t.task_id for t in waiting]})
        else:
            raise RunStopped(f"run {run_id} is {run.status}; stage {stage} does not run now")
    # Committed above: the run waits, visibly, until the tasks are done (close tasks done, the beat).
    raise GateClosed(f"run {run_id} waits at the gate before {stage}: {names} not done")


class GateClosed(RunStopped):
    """The next stage is gated by checklist tasks that are still open: the run waits."""


def _lock_key(run_id: RunId, stage: str, entity_id: str) -> int:
    digest = hashlib.sha256(f"{run_id}|{stage}|{entity_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run_stage(env: StageEnv, run_id: RunId, stage: RunStatus, entity_id: EntityId | None = None,
              *, attempt: int = 1, task_id: str | None = None, time_limit: int | None = None) -> bool:
    """Run one stage (for one entity when given) at most once, under a lease; see the module docstring.

    A lost database connection is retried with backoff for ``CLOSE_DB_RETRY_SECONDS`` (the stage is
    idempotent, so it simply starts again); past that the run is marked FAILED with a short reason.

    Args:
        env: database, settings and actor.
        run_id: the run.
        stage: the stage, named by its status.
        entity_id: the entity, for per-entity stages (EXTRACTING).
        attempt: the delivery attempt, recorded with the DONE mark.
        task_id: the broker message's id: a redelivery of the same message takes its lease over.
        time_limit: the task's hard time limit in seconds, recorded on the lease.

    Returns:
        True when this call did the work, False when it was already done.

    Raises:
        UnknownRun: this tenant has no such run (unknown, or another tenant's).
        RunStopped: the run is cancelled, failed elsewhere or awaiting review, or the lease was lost.
        PermanentError: after marking the run FAILED.
        RetriableError: for the caller to retry.

    """
    key = LeaseKey(run_id, stage.value, entity_id or "")
    holder = new_holder(task_id)
    beat = Heartbeat(env.db, key, holder, env.settings.lease_seconds)
    what = f"{stage}" + (f" for entity {entity_id}" if entity_id else "")
    try:
        return retry_database(
            lambda: _run_stage_once(env, key, stage, entity_id, attempt=attempt, holder=holder, beat=beat,
                                    task_id=task_id, time_limit=time_limit),
            seconds=env.settings.db_retry_seconds, what=what)
    except DatabaseUnavailable as exc:
        mark_failed(env.db, run_id, stage, entity_id, str(exc), actor=env.actor, settings=env.settings,
                    retry_seconds=patience(env.settings.db_retry_seconds))
        raise
    finally:
        beat.stop()


def _take_lease(env: StageEnv, key: LeaseKey, holder: str, *, task_id: str | None,
                time_limit: int | None) -> bool:
    """Wait until this call holds the key's lease (True) or another delivery finished the work (False)."""
    seconds = env.settings.lease_seconds
    while True:
        with env.db.tx() as conn:
            if (key.stage, key.entity_id) in done_stages(conn, key.run_id):
                return False
            if acquire_lease(conn, key, holder, seconds, deadline_seconds=time_limit,
                             takeover_prefix=takeover_prefix(task_id)):
                return True
        time.sleep(min(1.0, max(0.1, seconds / 10)))


def _run_stage_once(env: StageEnv, key: LeaseKey, stage: RunStatus, entity_id: EntityId | None, *,
                    attempt: int, holder: str, beat: Heartbeat, task_id: str | None,
                    time_limit: int | None) -> bool:
    from close.run.stages.registry import stage_function  # the adapters import this module

    db, actor, run_id = env.db, env.actor, key.run_id
    with db.tx() as conn:
        if (key.stage, key.entity_id) in done_stages(conn, run_id):
            return False
        if get_run(conn, run_id) is None:
            raise UnknownRun(f"no run {run_id} for tenant {db.tenant}")
    if not _take_lease(env, key, holder, task_id=task_id, time_limit=time_limit):
        return False
    beat.start()
    try:
        run = _enter(db, run_id, stage, actor)
        with log_context(run_id=run_id, stage=stage.value, entity=entity_id):
            output = stage_function(stage)(env, run, entity_id)
    except PermanentError as exc:
        mark_failed(db, run_id, stage, entity_id, str(exc), actor=actor, settings=env.settings)
        raise
    except RunStopped:
        with db.tx() as conn:
            release_lease(conn, key, holder)
        raise
    with db.tx() as conn:
        lock_stage(conn, _lock_key(run_id, stage, key.entity_id))
        if (stage.value, key.entity_id) in done_stages(conn, run_id):
            log.info("stage %s %s of run %s was finished by another delivery", stage, key.entity_id, run_id)
            release_lease(conn, key, holder)
            return False
        if not holds_lease(conn, key, holder):
            # Reaped while we worked (or a redelivery took over): whoever holds the run now decides.
            log.warning("stage %s %s of run %s lost its lease; its work is dropped", stage, key.entity_id,
                        run_id)
            raise RunStopped(f"run {run_id}: the lease of {stage} was lost; the work was dropped")
        output.write(conn)
        mark_stage_done(conn, run_id, stage.value, key.entity_id, attempt=attempt, digest=output.digest,
                        inputs=output.inputs, parts=output.parts)
        append_event(conn, run_id, "stage_done", output.message, actor=actor, stage=stage.value,
                     entity_id=entity_id, detail={"digest": output.digest, **dict(output.detail)})
        release_lease(conn, key, holder)
        if output.then is not None:
            transition(conn, run_id, stage, output.then, actor=actor, reason=output.then_reason,
                       extra=output.then_extra)
        _queue_next(conn, key, env.settings.lease_seconds)
    with db.tx() as conn:
        if (stage.value, key.entity_id) not in done_stages(conn, run_id):
            raise RuntimeError(f"stage {stage} {key.entity_id} of run {run_id} finished but is not marked DONE")  # noqa: E501
    return True


def _queue_next(conn: Connection, key: LeaseKey, seconds: int) -> None:
    """When nobody else works on the run any more, the next task is in the broker's hands."""
    run_id, stage = key.run_id, RunStatus(key.stage)
    run = get_run(conn, run_id)
    if run is None or run.status not in WORKING_STATUSES:
        return
    if key.entity_id in STAGE_PARTS.get(stage, ()):  # a part: its stage's whole key is next
        # Also renews the whole key's queued lease, which may have expired while the parts ran.
        queue_leases(conn, [LeaseKey(run_id, stage.value)], seconds)
        return
    if count_leases(conn, run_id):
        return
    index = STAGE_ORDER.index(stage)
    if index + 1 < len(STAGE_ORDER):
        queue_leases(conn, [LeaseKey(run_id, STAGE_ORDER[index + 1].value)], seconds)
