"""Impacted re-runs: what a re-run may take over from the run it supersedes, and why (issue 22).

A re-run of a period (``close run --rerun``, ``close rerun --stale``) is a child of the period's
effective run. Every stage checkpoint records the sha256 of each of its inputs (``run_stages.inputs``:
an entity's source files and settings, the mapping file, the chart, the config, the rates, the prior
period's closing). Where an entity's inputs equal those its parent recorded, the child copies that
entity's extracted lines and mapping from the parent inside PostgreSQL (INSERT … SELECT, in the
transaction of its own DONE mark) instead of reading and mapping them again, and its event says so;
an entity whose inputs changed is redone and its event names what changed. CONSOLIDATING is one
computation over every entity: it is taken over whole when all its inputs are the same (the
extracted lines, the mapping, config, rates, files and the prior period's run and closing), else
redone with the changed inputs named. VALIDATING and the stages after it always run again (they
also read earlier periods, the commentary cache and the checklist).

Example: January closed with P's and S's files; P's file is corrected and January re-run. EXTRACTING
reads ``tb/P/2026-01.csv`` again ("changed: file:tb/P/2026-01.csv") and copies S's lines ("inputs
unchanged"); MAPPING maps P's accounts and copies S's; CONSOLIDATING runs on both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeGuard

from sqlalchemy.engine import Connection

from close.config import EntityConfig
from close.engine.types import EntityId
from close.run.stages import digest_of
from close.storage.runs import Run, StageRecord, stage_records

SOURCE_INPUT = "source"  # an entity's connector, currency and source settings
FILE_PREFIX = "file:"  # a snapshotted file, by the name the config gives it
PAYLOAD_INPUT = "payload"  # what an ERP connector returned (known only by fetching)
EXTRACT_PREFIX = "extract:"  # an entity's extracted lines (EXTRACTING's output digest)


def source_digest(entity: EntityConfig) -> str:
    """Return the sha256 of the settings an entity's extraction depends on, as canonical JSON."""
    return digest_of(json.dumps({"connector": entity.connector, "currency": entity.currency,
                                 "source": dict(entity.source)}, sort_keys=True, default=str))


def parent_record(conn: Connection, run: Run, stage: str,
                  entity_id: EntityId | None = None) -> StageRecord | None:
    """Return the parent run's DONE checkpoint of ``stage`` (for ``entity_id``), if the run has a parent."""
    if run.parent_run_id is None:
        return None
    return stage_records(conn, [run.parent_run_id], stage, entity_id).get(run.parent_run_id)


def changed_inputs(now: Mapping[str, str], before: Mapping[str, str]) -> list[str]:
    """Return the names of the inputs that differ (added, removed or changed), sorted."""
    return sorted(k for k in now.keys() | before.keys() if now.get(k) != before.get(k))


def rerun_reason(run: Run, now: Mapping[str, str], before: StageRecord | None) -> str:
    """Say why a re-run redoes work: what changed since the parent, or why it cannot tell."""
    if run.parent_run_id is None:
        return ""
    if before is None or not before.inputs:
        return f"run {run.parent_run_id[:8]} recorded no inputs for it"
    changed = changed_inputs(now, before.inputs)
    return f"changed since run {run.parent_run_id[:8]}: {', '.join(changed)}" if changed else ""


def reusable(before: StageRecord | None, now: Mapping[str, str]) -> TypeGuard[StageRecord]:
    """Whether the parent's work was computed from exactly these inputs (and left an output)."""
    return (before is not None and bool(now) and dict(before.inputs) == dict(now)
            and bool(before.output_digest))
