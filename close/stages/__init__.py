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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.config import Settings
from close.errors import CloseError, PermanentError, RunConflict
from close.logs import log_context
from close.run_state import STAGE_ORDER, TRANSITIONS, RunStatus, append_event, transition
from close.storage import Database
from close.storage.runs import Run, done_stages, get_run
from close.storage.workflow import list_tasks
from close.types import EntityId, RunId
from close.workflow.checklist import blocking

log = logging.getLogger(__name__)


class RunStopped(CloseError):
    """The run is not in a state where this stage may work (cancelled, failed, in review)."""


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


@dataclass(frozen=True)
class StageEnv:
    """What a stage works with: the tenant's database, the process settings, and who acts."""

    db: Database
    settings: Settings
    actor: str = "worker"


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
              *, attempt: int = 1) -> bool:
    """Run one stage (for one entity when given) at most once; see the module docstring.

    Args:
        env: database, settings and actor.
        run_id: the run.
        stage: the stage, named by its status.
        entity_id: the entity, for per-entity stages (EXTRACTING).
        attempt: the delivery attempt, recorded with the DONE mark.

    Returns:
        True when this call did the work, False when it was already done.

    Raises:
        RunStopped: the run is cancelled, failed elsewhere or awaiting review.
        PermanentError: after marking the run FAILED.
        RetriableError: for the caller to retry.

    """
    from close.stages.registry import stage_function  # the adapters import this module

    db, actor = env.db, env.actor
    key = entity_id or ""
    with db.tx() as conn:
        if (stage.value, key) in done_stages(conn, run_id):
            return False
    run = _enter(db, run_id, stage, actor)
    try:
        with log_context(run_id=run_id, stage=stage.value, entity=entity_id):
            output = stage_function(stage)(env, run, entity_id)
    except PermanentError as exc:
        mark_failed(db, run_id, stage, entity_id, str(exc), actor=actor, settings=env.settings)
        raise
    with db.tx() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(run_id, stage, key)})
        if (stage.value, key) in done_stages(conn, run_id):
            log.info("stage %s %s of run %s was finished by another delivery", stage, key, run_id)
            return False
        output.write(conn)
        conn.execute(sa.text(
            "INSERT INTO run_stages (tenant_id, run_id, stage, entity_id, status, attempt, output_digest, "
            "started_at) VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), :s, :e, 'DONE', :a, :d, "
            "now())"), {"r": run_id, "s": stage.value, "e": key, "a": attempt, "d": output.digest})
        append_event(conn, run_id, "stage_done", output.message, actor=actor, stage=stage.value,
                     entity_id=entity_id, detail={"digest": output.digest, **dict(output.detail)})
        if output.then is not None:
            transition(conn, run_id, stage, output.then, actor=actor, reason=output.then_reason,
                       extra=output.then_extra)
    with db.tx() as conn:
        if (stage.value, key) not in done_stages(conn, run_id):
            raise RuntimeError(f"stage {stage} {key} of run {run_id} finished but is not marked DONE")
    return True


def resume_command(run_id: RunId) -> str:
    """Return the exact command that resumes a failed run."""
    return f"close resume {run_id}"


def mark_failed(db: Database, run_id: RunId, stage: RunStatus, entity_id: EntityId | None,
                reason: str, *, actor: str, settings: Settings | None = None) -> None:
    """Record a failure: the run becomes FAILED (once) and the audit trail gets the alert."""
    hint = resume_command(run_id)
    with db.tx() as conn:
        run = get_run(conn, run_id, for_update=True)
        if run is None or run.status in (RunStatus.COMPLETED, RunStatus.CANCELLED):
            return
        where = f"{stage}" + (f" for entity {entity_id}" if entity_id else "")
        if run.status != RunStatus.FAILED:
            try:
                transition(conn, run_id, run.status, RunStatus.FAILED, actor=actor,
                           reason=f"failed at {where}: {reason}",
                           detail={"stage": stage.value, "entity": entity_id, "resume": hint},
                           extra={"failed_stage": stage.value, "failed_entity": entity_id,
                                  "failure_reason": reason})
            except RunConflict:
                log.warning("run %s moved while recording its failure", run_id)
        append_event(conn, run_id, "alert", f"{where} failed: {reason}. Fix the cause, then run: {hint}",
                     actor=actor, stage=stage.value, entity_id=entity_id,
                     detail={"resume": hint, "reason": reason})
    if settings is not None:
        _send_alerts(StageEnv(db=db, settings=settings, actor=actor), run_id)


def _send_alerts(env: StageEnv, run_id: RunId) -> None:
    """Send the run's new alert now, to the group's alert channels (the beat's tick retries)."""
    from close.workflow.alerts import deliver_alerts

    try:
        deliver_alerts(env, run_id=run_id)
    except CloseError as exc:  # a delivery problem never hides the failure it reports
        log.warning("alert for run %s not delivered now: %s", run_id, exc)
