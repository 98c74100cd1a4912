"""Runs, their inputs snapshot, stage checkpoints and events, in PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from close.engine.types import EntityId, Period, RunId
from close.errors import RunConflict
from close.run.state import ACTIVE_STATUSES, RunStatus, append_event
from close.storage.schema import (
    account_mappings,
    close_runs,
    current_tenant,
    period_locks,
    run_events,
    run_inputs,
    run_stages,
    trial_balances,
)


@dataclass(frozen=True, slots=True)
class Run:
    """One close run of a (tenant, group, period)."""

    id: RunId
    group_id: str
    period: Period
    status: RunStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    as_of: datetime
    start_stage: RunStatus
    trigger_key: str | None
    parent_run_id: RunId | None
    root_run_id: RunId | None
    superseded_by: RunId | None
    finished_at: datetime | None
    failed_stage: str | None
    failed_entity: str | None
    failure_reason: str | None
    signed_off_by: str | None
    signed_off_at: datetime | None
    validation_score: str | None


_RUN_FIELDS = tuple(Run.__dataclass_fields__)

# The columns of a Run (ids come back as text from their Uuid(as_uuid=False) columns); the score as
# PostgreSQL prints it, e.g. "87.50".
RUN_COLUMNS = tuple(sa.cast(close_runs.c.validation_score, sa.Text).label("validation_score")
                    if name == "validation_score" else close_runs.c[name] for name in _RUN_FIELDS)


def _to_run(row: sa.Row) -> Run:
    """Build a run from a row holding ``RUN_COLUMNS`` (and maybe more columns, left out)."""
    m = {k: row._mapping[k] for k in _RUN_FIELDS}
    m["status"] = RunStatus(m["status"])
    m["start_stage"] = RunStatus(m["start_stage"])
    return Run(**m)


def get_run(conn: Connection, run_id: RunId, *, for_update: bool = False) -> Run | None:
    """Return a run by id (None when this tenant has no such run)."""
    stmt = sa.select(*RUN_COLUMNS).where(close_runs.c.id == run_id)
    if for_update:
        stmt = stmt.with_for_update()
    try:
        row = conn.execute(stmt).first()
    except sa.exc.DataError:  # not a uuid
        return None
    return _to_run(row) if row else None


def find_runs(conn: Connection, *, group_id: str | None = None, period: Period | None = None,
              limit: int = 50) -> list[Run]:
    """Return the tenant's runs, newest first, optionally for one group and period."""
    stmt = sa.select(*RUN_COLUMNS)
    if group_id is not None:
        stmt = stmt.where(close_runs.c.group_id == group_id)
    if period is not None:
        stmt = stmt.where(close_runs.c.period == period)
    rows = conn.execute(stmt.order_by(close_runs.c.created_at.desc(), close_runs.c.id).limit(limit))
    return [_to_run(r) for r in rows]


def effective_run(conn: Connection, group_id: str, period: Period) -> Run | None:
    """Return the period's latest COMPLETED run that has not been superseded."""
    row = conn.execute(
        sa.select(*RUN_COLUMNS)
        .where(close_runs.c.group_id == group_id, close_runs.c.period == period,
               close_runs.c.status == RunStatus.COMPLETED.value, close_runs.c.superseded_by.is_(None))
        .order_by(close_runs.c.finished_at.desc()).limit(1)).first()
    return _to_run(row) if row else None


def effective_runs(conn: Connection, group_id: str) -> list[Run]:
    """Return the effective run of each period of a group (latest COMPLETED, not superseded), by period."""
    c = close_runs.c
    rows = conn.execute(
        sa.select(*RUN_COLUMNS).ext(distinct_on(c.period))
        .where(c.group_id == group_id, c.status == RunStatus.COMPLETED.value, c.superseded_by.is_(None))
        .order_by(c.period, c.finished_at.desc()))
    return [_to_run(r) for r in rows]


def active_run(conn: Connection, group_id: str, period: Period) -> Run | None:
    """Return the period's active run, if any (the database allows at most one)."""
    row = conn.execute(
        sa.select(*RUN_COLUMNS)
        .where(close_runs.c.group_id == group_id, close_runs.c.period == period,
               close_runs.c.status.in_(sorted(s.value for s in ACTIVE_STATUSES)))).first()
    return _to_run(row) if row else None


def create_run(conn: Connection, *, group_id: str, period: Period, actor: str,
               trigger_key: str | None = None, parent_run_id: RunId | None = None,
               root_run_id: RunId | None = None, start_stage: RunStatus = RunStatus.EXTRACTING,
               on_conflict_nothing: bool = False) -> Run | None:
    """Insert a PENDING run; the partial unique index refuses a second active run.

    Args:
        conn: a connection inside the caller's transaction.
        group_id: the group.
        period: the period closed.
        actor: who asked.
        trigger_key: the schedule tick that created it (unique across all states).
        parent_run_id: the run this one adjusts or re-runs.
        root_run_id: the first run of the lineage.
        start_stage: the first stage (CONSOLIDATING for an adjusted child).
        on_conflict_nothing: return None instead of raising when a run already exists (beat).

    Returns:
        The new run, or None with ``on_conflict_nothing`` when it already existed.

    Raises:
        RunConflict: another active run exists for (group, period), with its id and status.

    """
    values = {"tenant_id": current_tenant(), "group_id": group_id, "period": period,
              "status": RunStatus.PENDING.value, "trigger_key": trigger_key, "parent_run_id": parent_run_id,
              "root_run_id": root_run_id, "created_by": actor, "start_stage": start_stage.value}
    if on_conflict_nothing:
        row = conn.execute(pg_insert(close_runs).values(values).on_conflict_do_nothing()
                           .returning(close_runs.c.id)).first()
        if row is None:
            return None
        run_id = row[0]
    else:
        try:
            with conn.begin_nested():
                run_id = conn.execute(close_runs.insert().values(values)
                                      .returning(close_runs.c.id)).scalar_one()
        except IntegrityError:
            other = active_run(conn, group_id, period)
            what = f"run {other.id} is {other.status}" if other else "another run exists"
            hint = _next_step(other) if other else ""
            raise RunConflict(f"refused: group {group_id} period {period} already has an active run: "
                              f"{what}; {hint}".rstrip("; ")) from None
    if root_run_id is None:
        conn.execute(close_runs.update().where(close_runs.c.id == run_id)
                     .values(root_run_id=close_runs.c.id))
    append_event(conn, run_id, "created", f"run created for {group_id} {period}", actor=actor,
                 detail={"trigger_key": trigger_key, "parent_run_id": parent_run_id,
                         "start_stage": start_stage.value})
    run = get_run(conn, run_id)
    assert run is not None
    return run


def _next_step(other: Run) -> str:
    """Say what a person can do about the active run that refused a new one (resume only a FAILED one)."""
    cancel = f"`close cancel {other.id} --reason ...`"
    if other.status == RunStatus.FAILED:
        return f"resume it with `close resume {other.id}` or cancel it with {cancel}"
    if other.status == RunStatus.AWAITING_REVIEW:
        return f"review it with `close review {other.id}`, then approve or reject it"
    return f"it is in progress: follow it with `close status {other.id}`, or cancel it with {cancel}"


def sha256(data: bytes) -> str:
    """Return the hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def put_input(conn: Connection, run_id: RunId, name: str, content: bytes, *, kind: str,
              entity_id: EntityId | None = None) -> tuple[int, str]:
    """Store a new version of one input (config text or file bytes) with its sha256.

    Returns:
        ``(version, sha256)``.

    """
    digest = sha256(content)
    version = conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(run_inputs.c.version), 0) + 1)
        .where(run_inputs.c.run_id == run_id, run_inputs.c.name == name)).scalar_one()
    conn.execute(run_inputs.insert().values(
        tenant_id=current_tenant(), run_id=run_id, name=name, version=version, kind=kind,
        entity_id=entity_id, sha256=digest, size=len(content), content=content))
    return version, digest


def get_input(conn: Connection, run_id: RunId, name: str) -> tuple[bytes, str] | None:
    """Return the latest version of one input as ``(bytes, sha256)``, or None."""
    row = conn.execute(
        sa.select(run_inputs.c.content, run_inputs.c.sha256)
        .where(run_inputs.c.run_id == run_id, run_inputs.c.name == name)
        .order_by(run_inputs.c.version.desc()).limit(1)).first()
    return (bytes(row[0]), row[1]) if row else None


def list_inputs(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Return the latest version of every input: name, kind, entity, version, sha256, size."""
    c = run_inputs.c
    rows = conn.execute(
        sa.select(c.name, c.kind, c.entity_id, c.version, c.sha256, c.size, c.recorded_at)
        .ext(distinct_on(c.name)).where(c.run_id == run_id).order_by(c.name, c.version.desc()))
    return [dict(r._mapping) for r in rows]


def done_stages(conn: Connection, run_id: RunId) -> set[tuple[str, str]]:
    """Return the ``(stage, entity_id)`` pairs marked DONE (entity ``""`` for whole-run stages)."""
    rows = conn.execute(sa.select(run_stages.c.stage, run_stages.c.entity_id)
                        .where(run_stages.c.run_id == run_id, run_stages.c.status == "DONE"))
    return {(r[0], r[1]) for r in rows}


def events(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Return the run's audit trail, oldest first."""
    c = run_events.c
    rows = conn.execute(sa.select(c.id, c.at, c.actor, c.kind, c.stage, c.entity_id, c.message, c.detail)
                        .where(c.run_id == run_id).order_by(c.id))
    return [dict(r._mapping) for r in rows]


def ensure_not_locked(conn: Connection, group_id: str, period: Period) -> None:
    """Refuse work on a locked period, naming the lock and who set it.

    Raises:
        RunConflict: the period is locked.

    """
    row = conn.execute(
        sa.select(period_locks.c.locked_by, period_locks.c.locked_at, period_locks.c.reason)
        .where(period_locks.c.group_id == group_id, period_locks.c.period == period)).first()
    if row:
        # The session's TimeZone need not be UTC: convert before labelling the time UTC.
        raise RunConflict(f"refused: period {period} of group {group_id} is locked (locked by "
                          f"{row[0]} at {row[1].astimezone(UTC):%Y-%m-%d %H:%M UTC}); unlock it with "
                          f"`close unlock {group_id} {period} --reason ...`")


def lock_stage(conn: Connection, key: int) -> None:
    """Take the transaction-scoped advisory lock of one (run, stage, entity) key; released at commit."""
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


def mark_stage_done(conn: Connection, run_id: RunId, stage: str, entity_id: EntityId | None, *,  # noqa: PLR0913
                    attempt: int, digest: str, inputs: Mapping[str, str] | None = None,
                    parts: Mapping[str, str] | None = None) -> None:
    """Insert the DONE checkpoint of a stage (in the transaction that wrote its outputs).

    ``inputs`` (name → sha256) are what the stage was computed from, sealed by their own digest;
    ``parts`` (entity → sha256) are each entity's share of a whole-run stage's output.
    """
    conn.execute(run_stages.insert().values(
        tenant_id=current_tenant(), run_id=run_id, stage=stage, entity_id=entity_id, status="DONE",
        attempt=attempt, output_digest=digest, started_at=sa.func.now(),
        input_digest=inputs_digest(inputs) if inputs else None, inputs=dict(inputs or {}),
        parts=dict(parts or {})))


def inputs_digest(inputs: Mapping[str, str]) -> str:
    """Return the sha256 of a stage's inputs: their sorted ``name=digest`` lines."""
    return sha256("".join(f"{k}={v}\n" for k, v in sorted(inputs.items())).encode())


@dataclass(frozen=True, slots=True)
class StageRecord:
    """A DONE checkpoint's digests: its output, its inputs (name → sha256) and per-entity parts."""

    run_id: RunId
    output_digest: str | None
    input_digest: str | None
    inputs: Mapping[str, str]
    parts: Mapping[str, str]


def stage_records(conn: Connection, run_ids: Sequence[RunId], stage: str,
                  entity_id: EntityId | None = None) -> dict[RunId, StageRecord]:
    """Return the DONE checkpoint of ``stage`` (for one entity, else the whole-run one) of each run."""
    s = run_stages.c
    rows = conn.execute(
        sa.select(sa.cast(s.run_id, sa.Text), s.output_digest, s.input_digest, s.inputs, s.parts)
        .where(s.run_id.in_(list(run_ids)), s.stage == stage, s.entity_id == (entity_id or ""),
               s.status == "DONE"))
    return {r[0]: StageRecord(r[0], r[1], r[2], r[3] or {}, r[4] or {}) for r in rows}


# What CONSOLIDATING writes for a run, parents before children (journal lines name their journal).
CONSOLIDATION_OUTPUTS = ("translated_balances", "journal_entries", "journal_lines", "consolidated_balances",
                         "consolidation_worksheet", "consolidation_facts")


def copy_run_rows(conn: Connection, parent: RunId, child: RunId, tables: Sequence[str]) -> None:
    """Copy every row of ``tables`` of the parent run to the child, inside PostgreSQL (INSERT … SELECT).

    The column lists come from ``close.storage.schema`` (the migrated tables' mirror), so a column
    added by a migration is copied too.
    """
    from close.storage.schema import metadata

    for name in tables:
        table = metadata.tables[name]
        conn.execute(_copy_rows(table, child, {}, table.c.run_id == parent))


def output_digests(conn: Connection, run_id: RunId, stage: str) -> dict[EntityId, str]:
    """Return the output digest of each entity's DONE checkpoint of a per-entity stage (EXTRACTING)."""
    s = run_stages.c
    rows = conn.execute(sa.select(s.entity_id, s.output_digest)
                        .where(s.run_id == run_id, s.stage == stage, s.status == "DONE"))
    return {r[0]: r[1] or "" for r in rows}


def count_mappings(conn: Connection, run_id: RunId, entities: Sequence[EntityId]) -> int:
    """Return how many accounts of ``entities`` the run's mapping resolved."""
    m = account_mappings.c
    return conn.execute(sa.select(sa.func.count())
                        .where(m.run_id == run_id, m.entity_id.in_(list(entities)))).scalar_one()


def copy_lines(conn: Connection, parent: RunId, child: RunId,
               entities: Sequence[EntityId] | None = None) -> int:
    """Copy the parent run's extracted lines (of ``entities``, else all) to the child, inside PostgreSQL."""
    t = trial_balances.c
    where = [t.run_id == parent] + ([t.entity_id.in_(list(entities))] if entities is not None else [])
    return conn.execute(_copy_rows(trial_balances, child, {}, *where)).rowcount


def copy_mappings(conn: Connection, parent: RunId, child: RunId,
                  entities: Sequence[EntityId] | None = None) -> int:
    """Copy the parent run's resolved mapping (of ``entities``, else all) to the child, inside PostgreSQL."""
    m = account_mappings.c
    where = [m.run_id == parent] + ([m.entity_id.in_(list(entities))] if entities is not None else [])
    return conn.execute(_copy_rows(account_mappings, child, {}, *where)).rowcount


def set_validation_score(conn: Connection, run_id: RunId, score: object) -> None:
    """Record the run's validation score (VALIDATING, with its findings)."""
    conn.execute(close_runs.update().where(close_runs.c.id == run_id).values(validation_score=score))


def set_superseded(conn: Connection, old: RunId, new: RunId) -> None:
    """Mark run ``old`` as superseded by run ``new``."""
    conn.execute(close_runs.update().where(close_runs.c.id == old).values(superseded_by=new))


def set_signed_off(conn: Connection, run_id: RunId, actor: str) -> None:
    """Record who signed the run off, now."""
    conn.execute(close_runs.update().where(close_runs.c.id == run_id)
                 .values(signed_off_by=actor, signed_off_at=sa.func.now()))


def copy_to_child(conn: Connection, parent: RunId, child: RunId, stages: Sequence[str]) -> None:
    """Give a child run the parent's inputs, extracted trial balances, mapping and ``stages``' DONE marks.

    Each input is copied at its latest version, as version 1 of the child's.
    """
    for item in list_inputs(conn, parent):
        conn.execute(_copy_rows(run_inputs, child, {"version": sa.literal(1)},
                                run_inputs.c.run_id == parent, run_inputs.c.name == item["name"],
                                run_inputs.c.version == item["version"],
                                columns=("name", "version", "kind", "entity_id", "sha256", "size",
                                         "content")))
    copy_lines(conn, parent, child)
    copy_mappings(conn, parent, child)
    conn.execute(_copy_rows(run_stages, child, {}, run_stages.c.run_id == parent,
                            run_stages.c.stage.in_(list(stages)),
                            columns=("stage", "entity_id", "status", "attempt", "output_digest",
                                     "started_at", "input_digest", "inputs", "parts")))


def _copy_rows(table: sa.Table, child: RunId, replace: dict[str, sa.ColumnElement[Any]],
               *where: sa.ColumnElement[bool], columns: Sequence[str] | None = None) -> sa.Insert:
    """``INSERT INTO table (…) SELECT …`` the rows ``where`` picks, under run ``child``.

    ``columns`` (default: all the table's) follow tenant_id and run_id; ``replace`` gives some a new value.
    """
    if columns is None:
        columns = [c.name for c in table.columns if c.name not in ("tenant_id", "run_id")]
    names = ["tenant_id", "run_id", *columns]
    replace = {**replace, "run_id": sa.cast(sa.literal(child), table.c.run_id.type)}
    picked = sa.select(*(replace.get(n, table.c[n]) for n in names)).where(*where)
    return table.insert().from_select(names, picked)


def is_locked(conn: Connection, group_id: str, period: Period) -> bool:
    """Return whether the period is locked."""
    return conn.execute(sa.select(sa.literal(1))
                        .where(period_locks.c.group_id == group_id, period_locks.c.period == period)
                        ).first() is not None


def lock_period(conn: Connection, group_id: str, period: Period, run_id: RunId, *, actor: str,
                reason: str) -> None:
    """Lock a period on its effective run (the primary key refuses a second lock)."""
    conn.execute(period_locks.insert().values(tenant_id=current_tenant(), group_id=group_id, period=period,
                                              run_id=run_id, locked_by=actor, reason=reason))


@dataclass(frozen=True, slots=True)
class RemovedLock:
    """A period lock just removed: the run it locked and who had locked it."""

    run_id: RunId
    locked_by: str


def unlock_period(conn: Connection, group_id: str, period: Period) -> RemovedLock | None:
    """Remove a period's lock; None when it was not locked."""
    row = conn.execute(
        period_locks.delete().where(period_locks.c.group_id == group_id, period_locks.c.period == period)
        .returning(period_locks.c.run_id, period_locks.c.locked_by)).first()
    return RemovedLock(run_id=row[0], locked_by=row[1]) if row else None


def stage_done_detail(conn: Connection, run_id: RunId, stage: str,
                      entity_id: EntityId | None = None) -> dict[str, Any] | None:
    """Return the detail of the stage's (or entity's) latest ``stage_done`` event, None if never done."""
    e = run_events.c
    entity = [e.entity_id == entity_id] if entity_id is not None else []
    return conn.execute(
        sa.select(e.detail).where(e.run_id == run_id, e.kind == "stage_done", e.stage == stage, *entity)
        .order_by(e.id.desc()).limit(1)).scalar()
