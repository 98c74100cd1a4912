"""A run that failed: FAILED once, with the stage, entity, reason and the command that resumes it.

Recorded by a stage that gives up, a task whose retries ran out, the reaper of expired leases and
a broker that refuses the canvas; each alert also goes to the group's alert channels.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Connection

from close.config import Settings
from close.engine.types import EntityId, RunId
from close.errors import CloseError, RunConflict
from close.run.env import StageEnv
from close.run.state import RunStatus, append_event, transition
from close.run.transient import DatabaseUnavailable, retry_database
from close.storage import Database
from close.storage.leases import LeaseKey, release_key
from close.storage.runs import Run, get_run

log = logging.getLogger(__name__)


def resume_command(run_id: RunId) -> str:
    """Return the exact command that resumes a failed run."""
    return f"close resume {run_id}"


def record_failure(conn: Connection, run: Run, stage: RunStatus, entity_id: EntityId | None,
                   reason: str, *, actor: str) -> None:
    """Move the run to FAILED (once) and append the alert with the resume command, in ``conn``'s tx."""
    hint = resume_command(run.id)
    where = f"{stage}" + (f" for entity {entity_id}" if entity_id else "")
    if run.status != RunStatus.FAILED:
        try:
            with conn.begin_nested():
                transition(conn, run.id, run.status, RunStatus.FAILED, actor=actor,
                           reason=f"failed at {where}: {reason}",
                           detail={"stage": stage.value, "entity": entity_id, "resume": hint},
                           extra={"failed_stage": stage.value, "failed_entity": entity_id,
                                  "failure_reason": reason})
        except RunConflict:
            log.warning("run %s moved while recording its failure", run.id)
    append_event(conn, run.id, "alert", f"{where} failed: {reason}. Fix the cause, then run: {hint}",
                 actor=actor, stage=stage.value, entity_id=entity_id,
                 detail={"resume": hint, "reason": reason})
    release_key(conn, LeaseKey(run.id, stage.value, entity_id or ""))


def mark_failed(db: Database, run_id: RunId, stage: RunStatus, entity_id: EntityId | None,
                reason: str, *, actor: str, settings: Settings | None = None,
                retry_seconds: float = 30) -> None:
    """Record a failure: the run becomes FAILED (once) and the audit trail gets the alert.

    A database that stays unreachable is retried for ``retry_seconds``; past that the failure is
    logged and left to the reaper (the run's lease expires). With ``settings`` the alert is also
    sent to the group's alert channels.
    """
    def record() -> bool:
        with db.tx() as conn:
            run = get_run(conn, run_id, for_update=True)
            if run is None or run.status in (RunStatus.COMPLETED, RunStatus.CANCELLED):
                return False
            record_failure(conn, run, stage, entity_id, reason, actor=actor)
            return True

    try:
        recorded = retry_database(record, seconds=retry_seconds, what=f"recording the failure of {stage}")
    except DatabaseUnavailable:
        log.error("run %s failed at %s (%s) but the database is unreachable; the reaper will fail it",  # noqa: TRY400 - no traceback wanted
                  run_id, stage, reason)
        return
    if recorded and settings is not None:
        send_alerts(StageEnv(db=db, settings=settings, actor=actor), run_id)


def send_alerts(env: StageEnv, run_id: RunId) -> None:
    """Send the run's new alert now, to the group's alert channels (the beat's tick retries)."""
    from close.run.workflow.alerts import deliver_alerts

    try:
        deliver_alerts(env, run_id=run_id)
    except CloseError as exc:  # a delivery problem never hides the failure it reports
        log.warning("alert for run %s not delivered now: %s", run_id, exc)
