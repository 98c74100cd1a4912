"""The run state machine: statuses, named sets, allowed transitions, and the one way to move.

Copied from design.md:

    PENDING → EXTRACTING → MAPPING → CONSOLIDATING → VALIDATING → ANALYZING → REPORTING
            → DISTRIBUTING → COMPLETED
    VALIDATING → AWAITING_REVIEW → ANALYZING (approve) | CANCELLED (reject)
    any state → FAILED → the stage that failed (resume); any non-terminal state → CANCELLED

The ``status`` column of ``close_runs`` is the only source of truth; every change goes through
:func:`transition`, a compare-and-set that appends to the audit trail in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.errors import RunConflict
from close.storage.run_status import compare_and_set_status, insert_event


class RunStatus(StrEnum):
    """Where a run is; the values are the strings stored in the database."""

    PENDING = "PENDING"  # created, inputs snapshotted, no stage started
    EXTRACTING = "EXTRACTING"  # pulling each entity's trial balance (one task per entity)
    MAPPING = "MAPPING"  # mapping entity accounts to the standard chart
    CONSOLIDATING = "CONSOLIDATING"  # translation, eliminations, NCI, PPA, adjustments
    VALIDATING = "VALIDATING"  # integrity and reasonableness checks, the score
    AWAITING_REVIEW = "AWAITING_REVIEW"  # red score or failed integrity: a human decides
    AWAITING_TASKS = "AWAITING_TASKS"  # at a checklist gate: the tasks that gate the next stage are open
    ANALYZING = "ANALYZING"  # variances, KPIs, commentary
    REPORTING = "REPORTING"  # Excel, PowerPoint, PDF
    DISTRIBUTING = "DISTRIBUTING"  # the package leaves the building
    COMPLETED = "COMPLETED"  # done; may be signed off, locked, superseded
    FAILED = "FAILED"  # an error after retries; resumable
    CANCELLED = "CANCELLED"  # rejected, adjusted, or cancelled by hand


# The stages in order, each named by the status a run has while the stage works.
STAGE_ORDER: tuple[RunStatus, ...] = (
    RunStatus.EXTRACTING, RunStatus.MAPPING, RunStatus.CONSOLIDATING, RunStatus.VALIDATING,
    RunStatus.ANALYZING, RunStatus.REPORTING, RunStatus.DISTRIBUTING,
)

# Stages whose work is split into named parts, each its own checkpoint (keyed where per-entity
# stages put the entity) and task, run in parallel and then finished by the stage's whole-run
# checkpoint. REPORTING's parts are ``reports.package.PARTS`` (named here so the canvas need not
# import the renderers).
STAGE_PARTS: dict[RunStatus, tuple[str, ...]] = {RunStatus.REPORTING: ("workbook", "deck", "pdf")}

# Terminal: nothing more happens to the run. COMPLETED is terminal for the pipeline; an
# adjustment cancels a completed run and continues in a child run instead of reopening it.
TERMINAL_STATUSES: frozenset[RunStatus] = frozenset({RunStatus.COMPLETED, RunStatus.CANCELLED})

# Active: the run still owns its (tenant, group, period). FAILED and AWAITING_REVIEW are active on
# purpose: a failed run is resumed or cancelled, never silently replaced by a new one.
# The partial unique index close_runs_one_active in sql/0001_core.sql lists the same set.
ACTIVE_STATUSES: frozenset[RunStatus] = frozenset(RunStatus) - TERMINAL_STATUSES

# Waiting for people: nothing works on the run until someone acts (approve, or the gating tasks
# done). Followers stop here and no lease is held.
AWAITING_PEOPLE: frozenset[RunStatus] = frozenset({RunStatus.AWAITING_REVIEW, RunStatus.AWAITING_TASKS})

# Resumable: only FAILED. AWAITING_REVIEW continues through approve, AWAITING_TASKS through the
# tasks that gate it, not resume.
RESUMABLE_STATUSES: frozenset[RunStatus] = frozenset({RunStatus.FAILED})

_ANY_ACTIVE_TO = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})
# Any stage may stop at a gate before the next one; PENDING too (a gate before EXTRACTING).
_GATE = frozenset({RunStatus.AWAITING_TASKS})
TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = {
    # PENDING → CONSOLIDATING: an adjusted child run reuses its parent's extraction and mapping.
    RunStatus.PENDING: frozenset({RunStatus.EXTRACTING, RunStatus.CONSOLIDATING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.EXTRACTING: frozenset({RunStatus.MAPPING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.MAPPING: frozenset({RunStatus.CONSOLIDATING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.CONSOLIDATING: frozenset({RunStatus.VALIDATING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.VALIDATING: (frozenset({RunStatus.ANALYZING, RunStatus.AWAITING_REVIEW})
                           | _ANY_ACTIVE_TO | _GATE),
    RunStatus.AWAITING_REVIEW: frozenset({RunStatus.ANALYZING, RunStatus.CANCELLED}),
    # Released: back to the status of the last stage done, and the canvas starts the gated stage.
    RunStatus.AWAITING_TASKS: frozenset({RunStatus.PENDING, *STAGE_ORDER}) | _ANY_ACTIVE_TO,
    RunStatus.ANALYZING: frozenset({RunStatus.REPORTING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.REPORTING: frozenset({RunStatus.DISTRIBUTING}) | _ANY_ACTIVE_TO | _GATE,
    RunStatus.DISTRIBUTING: frozenset({RunStatus.COMPLETED}) | _ANY_ACTIVE_TO,
    RunStatus.FAILED: frozenset(STAGE_ORDER) | {RunStatus.CANCELLED},
    # Only an adjustment moves a completed run (to CANCELLED, reason "adjusted").
    RunStatus.COMPLETED: frozenset({RunStatus.CANCELLED}),
    RunStatus.CANCELLED: frozenset(),
}


def append_event(conn: Connection, run_id: RunId, kind: str, message: str, *, actor: str,
                 stage: str | None = None, entity_id: str | None = None,
                 detail: Mapping[str, Any] | None = None) -> None:
    """Append one row to the run's audit trail (``run_events`` is append-only)."""
    insert_event(conn, run_id, kind, message, actor=actor, stage=stage, entity_id=entity_id,
                 detail_json=json.dumps(dict(detail or {}), default=str, sort_keys=True))


def transition(conn: Connection, run_id: RunId, expected: RunStatus, to: RunStatus, *, actor: str,
               reason: str, detail: Mapping[str, Any] | None = None,
               extra: Mapping[str, Any] | None = None) -> None:
    """Move a run from ``expected`` to ``to`` and record it, or raise if another got there first.

    Args:
        conn: a connection inside the caller's transaction (tenant already set).
        run_id: the run.
        expected: the status the caller believes the run has (compare-and-set).
        to: the new status; must be allowed by ``TRANSITIONS``.
        actor: who, for the audit trail.
        reason: why, for the audit trail.
        detail: structured detail for the event.
        extra: other ``close_runs`` columns to set in the same UPDATE (e.g. failure_reason).

    Raises:
        RunConflict: the transition is not allowed, or the run was not in ``expected``.

    """
    if to not in TRANSITIONS[expected]:
        raise RunConflict(f"run {run_id}: {expected} cannot move to {to}")
    if not compare_and_set_status(conn, run_id, expected.value, to.value, finished=to in TERMINAL_STATUSES,
                                  extra=extra or {}):
        raise RunConflict(f"run {run_id} is no longer {expected}: another worker or user moved it")
    append_event(conn, run_id, "transition", reason, actor=actor,
                 detail={"from": expected.value, "to": to.value, **dict(detail or {})})
