"""The two writes behind every change of a run's state: the status compare-and-set and the audit event.

Kept apart from ``close.storage.runs`` because ``close.run.state`` calls them and ``runs`` imports
``run_state``; this module imports neither.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.storage.engine import session_nonce
from close.storage.schema import close_runs

# The only close_runs columns a transition may set besides the status; names are checked against
# this set before they reach the UPDATE (values are always bound parameters).
SETTABLE_COLUMNS = frozenset({"failed_stage", "failed_entity", "failure_reason", "superseded_by",
                              "validation_score"})


def insert_event(conn: Connection, run_id: RunId, kind: str, message: str, *, actor: str,  # noqa: PLR0913 - one event's fields
                 stage: str | None, entity_id: str | None, detail_json: str) -> None:
    """Append one row to ``run_events`` through the sealing function of sql/0004.

    The database sets the time, the id and the hash chain; the nonce proves this process opened
    the session, which then carries the actor (close/sql/0004_tenant_wall_audit_seal.sql).
    """
    # The sealing function of sql/0004, called as written there (it is not a table to build from).
    conn.execute(sa.text(
        "SELECT monthclose_append_event(:nonce, :actor, CAST(:run AS uuid), :kind, :stage, :entity, :msg, "
        "CAST(:detail AS jsonb))"),
        {"nonce": session_nonce(conn), "run": run_id, "actor": actor, "kind": kind, "stage": stage,
         "entity": entity_id, "msg": message, "detail": detail_json})


def check_settable(columns: Mapping[str, object]) -> None:
    """Refuse columns a transition may not set.

    Raises:
        ValueError: a column outside ``SETTABLE_COLUMNS``.

    """
    unknown = set(columns) - SETTABLE_COLUMNS
    if unknown:
        raise ValueError(f"transition() cannot set {sorted(unknown)}")


def compare_and_set_status(conn: Connection, run_id: RunId, expected: str, to: str, *, finished: bool,
                           extra: Mapping[str, object]) -> bool:
    """Set the run's status to ``to`` only if it is still ``expected``; return whether it was.

    ``finished`` also stamps ``finished_at``; ``extra`` sets other columns of ``SETTABLE_COLUMNS``
    in the same UPDATE.
    """
    check_settable(extra)
    values: dict[str, object] = {"status": to, "updated_at": sa.func.now(), **extra}
    if finished:
        values["finished_at"] = sa.func.now()
    run = close_runs.c
    result = conn.execute(close_runs.update().where(run.id == run_id, run.status == expected).values(values))
    return result.rowcount == 1
