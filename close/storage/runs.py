"""Runs, their inputs snapshot, stage checkpoints and events, in PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from close.engine.types import EntityId, Period, RunId
from close.errors import RunConflict
from close.run.state import ACTIVE_STATUSES, RunStatus, append_event


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


_RUN_COLUMNS = ", ".join(
    ("id::text AS id", "group_id", "period", "status", "created_by", "created_at", "updated_at",
     "as_of", "start_stage", "trigger_key", "parent_run_id::text AS parent_run_id",
     "root_run_id::text AS root_run_id", "superseded_by::text AS superseded_by", "finished_at",
     "failed_stage", "failed_entity", "failure_reason", "signed_off_by", "signed_off_at",
     "validation_score::text AS validation_score"))


_RUN_FIELDS = tuple(Run.__dataclass_fields__)


def _to_run(row: sa.Row) -> Run:
    """Build a run from a row holding ``_RUN_COLUMNS`` (and maybe more columns, left out)."""
    m = {k: row._mapping[k] for k in _RUN_FIELDS}
    m["status"] = RunStatus(m["status"])
    m["start_stage"] = RunStatus(m["start_stage"])
    return Run(**m)


def get_run(conn: Connection, run_id: RunId, *, for_update: bool = False) -> Run | None:
    """Return a run by id (None when this tenant has no such run)."""
    lock = " FOR UPDATE" if for_update else ""
    try:
        # _RUN_COLUMNS and lock are our own constants; the id is a bound parameter.
        row = conn.execute(sa.text(
            f"SELECT {_RUN_COLUMNS} FROM close_runs WHERE id = CAST(:id AS uuid){lock}"),  # noqa: S608
            {"id": run_id}).first()
    except sa.exc.DataError:
        return None
    return _to_run(row) if row else None


def find_runs(conn: Connection, *, group_id: str | None = None, period: Period | None = None,
              limit: int = 50) -> list[Run]:
    """Return the tenant's runs, newest first, optionally for one group and period."""
    rows = conn.execute(sa.text(
        f"SELECT {_RUN_COLUMNS} FROM close_runs WHERE (CAST(:g AS text) IS NULL OR group_id = :g) "  # noqa: S608
        "AND (CAST(:p AS text) IS NULL OR period = :p) ORDER BY created_at DESC, id LIMIT :n"),
        {"g": group_id, "p": period, "n": limit})
    return [_to_run(r) for r in rows]


def effective_run(conn: Connection, group_id: str, period: Period) -> Run | None:
    """Return the period's latest COMPLETED run that has not been superseded."""
    row = conn.execute(sa.text(
        f"SELECT {_RUN_COLUMNS} FROM close_runs WHERE group_id = :g AND period = :p "  # noqa: S608
        "AND status = 'COMPLETED' AND superseded_by IS NULL ORDER BY finished_at DESC LIMIT 1"),
        {"g": group_id, "p": period}).first()
    return _to_run(row) if row else None


def effective_runs(conn: Connection, group_id: str) -> list[Run]:
    """Return the effective run of each period of a group (latest COMPLETED, not superseded), by period."""
    rows = conn.execute(sa.text(
        f"SELECT DISTINCT ON (period) {_RUN_COLUMNS} FROM close_runs WHERE group_id = :g "  # noqa: S608
        "AND status = 'COMPLETED' AND superseded_by IS NULL ORDER BY period, finished_at DESC"),
        {"g": group_id})
    return [_to_run(r) for r in rows]


def active_run(conn: Connection, group_id: str, period: Period) -> Run | None:
    """Return the period's active run, if any (the database allows at most one)."""
    rows = conn.execute(sa.text(
        f"SELECT {_RUN_COLUMNS} FROM close_runs WHERE group_id = :g AND period = :p "  # noqa: S608
        "AND status = ANY(:active)"),
        {"g": group_id, "p": period, "active": sorted(s.value for s in ACTIVE_STATUSES)}).first()
    return _to_run(rows) if rows else None


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
    stmt = ("INSERT INTO close_runs (tenant_id, group_id, period, status, trigger_key, parent_run_id, "
            "root_run_id, created_by, start_stage) VALUES (current_setting('app.tenant_id'), :g, :p, "
            "'PENDING', :tk, CAST(:parent AS uuid), CAST(:root AS uuid), :actor, :start)")
    params = {"g": group_id, "p": period, "tk": trigger_key, "parent": parent_run_id,
              "root": root_run_id, "actor": actor, "start": start_stage.value}
    if on_conflict_nothing:
        row = conn.execute(sa.text(stmt + " ON CONFLICT DO NOTHING RETURNING id::text"), params).first()
        if row is None:
            return None
        run_id = row[0]
    else:
        try:
            with conn.begin_nested():
                run_id = conn.execute(sa.text(stmt + " RETURNING id::text"), params).scalar_one()
        except IntegrityError:
            other = active_run(conn, group_id, period)
            what = f"run {other.id} is {other.status}" if other else "another run exists"
            hint = _next_step(other) if other else ""
            raise RunConflict(f"refused: group {group_id} period {period} already has an active run: "
                              f"{what}; {hint}".rstrip("; ")) from None
    if root_run_id is None:
        conn.execute(sa.text("UPDATE close_runs SET root_run_id = id WHERE id = CAST(:id AS uuid)"),
                     {"id": run_id})
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
    version = conn.execute(sa.text(
        "SELECT coalesce(max(version), 0) + 1 FROM run_inputs WHERE run_id = CAST(:r AS uuid) AND name = :n"),
        {"r": run_id, "n": name}).scalar_one()
    conn.execute(sa.text(
        "INSERT INTO run_inputs (tenant_id, run_id, name, version, kind, entity_id, sha256, size, content) "
        "VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), :n, :v, :k, :e, :s, :size, :c)"),
        {"r": run_id, "n": name, "v": version, "k": kind, "e": entity_id, "s": digest,
         "size": len(content), "c": content})
    return version, digest


def get_input(conn: Connection, run_id: RunId, name: str) -> tuple[bytes, str] | None:
    """Return the latest version of one input as ``(bytes, sha256)``, or None."""
    row = conn.execute(sa.text(
        "SELECT content, sha256 FROM run_inputs WHERE run_id = CAST(:r AS uuid) AND name = :n "
        "ORDER BY version DESC LIMIT 1"), {"r": run_id, "n": name}).first()
    return (bytes(row[0]), row[1]) if row else None


def list_inputs(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Return the latest version of every input: name, kind, entity, version, sha256, size."""
    rows = conn.execute(sa.text(
        "SELECT DISTINCT ON (name) name, kind, entity_id, version, sha256, size, recorded_at "
        "FROM run_inputs WHERE run_id = CAST(:r AS uuid) ORDER BY name, version DESC"), {"r": run_id})
    return [dict(r._mapping) for r in rows]


def done_stages(conn: Connection, run_id: RunId) -> set[tuple[str, str]]:
    """Return the ``(stage, entity_id)`` pairs marked DONE (entity ``""`` for whole-run stages)."""
    rows = conn.execute(sa.text(
        "SELECT stage, entity_id FROM run_stages WHERE run_id = CAST(:r AS uuid) AND status = 'DONE'"),
        {"r": run_id})
    return {(r[0], r[1]) for r in rows}


def events(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Return the run's audit trail, oldest first."""
    rows = conn.execute(sa.text(
        "SELECT id, at, actor, kind, stage, entity_id, message, detail FROM run_events "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY id"), {"r": run_id})
    return [dict(r._mapping) for r in rows]


def ensure_not_locked(conn: Connection, group_id: str, period: Period) -> None:
    """Refuse work on a locked period, naming the lock and who set it.

    Raises:
        RunConflict: the period is locked.

    """
    row = conn.execute(sa.text(
        "SELECT locked_by, locked_at, reason FROM period_locks WHERE group_id = :g AND period = :p"),
        {"g": group_id, "p": period}).first()
    if row:
        # The session's TimeZone need not be UTC: convert before labelling the time UTC.
        raise RunConflict(f"refused: period {period} of group {group_id} is locked (locked by "
                          f"{row[0]} at {row[1].astimezone(UTC):%Y-%m-%d %H:%M UTC}); unlock it with "
                          f"`close unlock {group_id} {period} --reason ...`")


def lock_stage(conn: Connection, key: int) -> None:
    """Take the transaction-scoped advisory lock of one (run, stage, entity) key; released at commit."""
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def mark_stage_done(conn: Connection, run_id: RunId, stage: str, entity_id: EntityId | None, *,  # noqa: PLR0913
                    attempt: int, digest: str, inputs: Mapping[str, str] | None = None,
                    parts: Mapping[str, str] | None = None) -> None:
    """Insert the DONE checkpoint of a stage (in the transaction that wrote its outputs).

    ``inputs`` (name → sha256) are what the stage was computed from, sealed by their own digest;
    ``parts`` (entity → sha256) are each entity's share of a whole-run stage's output.
    """
    conn.execute(sa.text(
        "INSERT INTO run_stages (tenant_id, run_id, stage, entity_id, status, attempt, output_digest, "
        "started_at, input_digest, inputs, parts) VALUES (current_setting('app.tenant_id'), "
        "CAST(:r AS uuid), :s, :e, 'DONE', :a, :d, now(), :i, CAST(:inputs AS jsonb), "
        "CAST(:parts AS jsonb))"),
        {"r": run_id, "s": stage, "e": entity_id, "a": attempt, "d": digest,
         "i": inputs_digest(inputs) if inputs else None, "inputs": json.dumps(dict(inputs or {})),
         "parts": json.dumps(dict(parts or {}))})


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
    rows = conn.execute(sa.text(
        "SELECT run_id::text, output_digest, input_digest, inputs, parts FROM run_stages "
        "WHERE run_id = ANY(CAST(:r AS uuid[])) AND stage = :s AND entity_id = :e AND status = 'DONE'"),
        {"r": list(run_ids), "s": stage, "e": entity_id or ""})
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
        columns = [c.name for c in metadata.tables[name].columns]
        select = ", ".join("CAST(:c AS uuid)" if c == "run_id" else f'"{c}"' for c in columns)
        # Table and column names are our schema's own; the run ids are bound parameters.
        conn.execute(sa.text(
            f"INSERT INTO {name} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}) "  # noqa: S608
            f"SELECT {select} FROM {name} WHERE run_id = CAST(:p AS uuid)"), {"p": parent, "c": child})


def output_digests(conn: Connection, run_id: RunId, stage: str) -> dict[EntityId, str]:
    """Return the output digest of each entity's DONE checkpoint of a per-entity stage (EXTRACTING)."""
    rows = conn.execute(sa.text(
        "SELECT entity_id, output_digest FROM run_stages WHERE run_id = CAST(:r AS uuid) AND stage = :s "
        "AND status = 'DONE'"), {"r": run_id, "s": stage})
    return {r[0]: r[1] or "" for r in rows}


def count_mappings(conn: Connection, run_id: RunId, entities: Sequence[EntityId]) -> int:
    """Return how many accounts of ``entities`` the run's mapping resolved."""
    return conn.execute(sa.text(
        "SELECT count(*) FROM account_mappings WHERE run_id = CAST(:r AS uuid) "
        "AND entity_id = ANY(CAST(:e AS text[]))"), {"r": run_id, "e": list(entities)}).scalar_one()


def copy_lines(conn: Connection, parent: RunId, child: RunId,
               entities: Sequence[EntityId] | None = None) -> int:
    """Copy the parent run's extracted lines (of ``entities``, else all) to the child, inside PostgreSQL."""
    return conn.execute(sa.text(
        "INSERT INTO trial_balances SELECT tenant_id, CAST(:c AS uuid), entity_id, period, line_no, account, "
        "account_name, counterparty, cost_center, department, currency, opening, debit, credit, closing "
        "FROM trial_balances WHERE run_id = CAST(:p AS uuid) "
        "AND (CAST(:e AS text[]) IS NULL OR entity_id = ANY(CAST(:e AS text[])))"),
        {"p": parent, "c": child, "e": list(entities) if entities is not None else None}).rowcount


def copy_mappings(conn: Connection, parent: RunId, child: RunId,
                  entities: Sequence[EntityId] | None = None) -> int:
    """Copy the parent run's resolved mapping (of ``entities``, else all) to the child, inside PostgreSQL."""
    return conn.execute(sa.text(
        "INSERT INTO account_mappings "
        "SELECT tenant_id, CAST(:c AS uuid), entity_id, account, std_account, source "
        "FROM account_mappings WHERE run_id = CAST(:p AS uuid) "
        "AND (CAST(:e AS text[]) IS NULL OR entity_id = ANY(CAST(:e AS text[])))"),
        {"p": parent, "c": child, "e": list(entities) if entities is not None else None}).rowcount


def set_validation_score(conn: Connection, run_id: RunId, score: object) -> None:
    """Record the run's validation score (VALIDATING, with its findings)."""
    conn.execute(sa.text("UPDATE close_runs SET validation_score = :s WHERE id = CAST(:r AS uuid)"),
                 {"s": score, "r": run_id})


def set_superseded(conn: Connection, old: RunId, new: RunId) -> None:
    """Mark run ``old`` as superseded by run ``new``."""
    conn.execute(sa.text("UPDATE close_runs SET superseded_by = CAST(:new AS uuid) "
                         "WHERE id = CAST(:old AS uuid)"), {"new": new, "old": old})


def set_signed_off(conn: Connection, run_id: RunId, actor: str) -> None:
    """Record who signed the run off, now."""
    conn.execute(sa.text("UPDATE close_runs SET signed_off_by = :who, signed_off_at = now() "
                         "WHERE id = CAST(:r AS uuid)"), {"who": actor, "r": run_id})


def copy_to_child(conn: Connection, parent: RunId, child: RunId, stages: Sequence[str]) -> None:
    """Give a child run the parent's inputs, extracted trial balances, mapping and ``stages``' DONE marks.

    Each input is copied at its latest version, as version 1 of the child's.
    """
    params = {"p": parent, "c": child}
    for item in list_inputs(conn, parent):
        conn.execute(sa.text(
            "INSERT INTO run_inputs "
            "(tenant_id, run_id, name, version, kind, entity_id, sha256, size, content) "
            "SELECT tenant_id, CAST(:c AS uuid), name, 1, kind, entity_id, sha256, size, content "
            "FROM run_inputs WHERE run_id = CAST(:p AS uuid) AND name = :n AND version = :v"),
            {**params, "n": item["name"], "v": item["version"]})
    copy_lines(conn, parent, child)
    copy_mappings(conn, parent, child)
    conn.execute(sa.text(
        "INSERT INTO run_stages (tenant_id, run_id, stage, entity_id, status, attempt, output_digest, "
        "started_at, input_digest, inputs, parts) "
        "SELECT tenant_id, CAST(:c AS uuid), stage, entity_id, status, attempt, output_digest, started_at, "
        "input_digest, inputs, parts FROM run_stages WHERE run_id = CAST(:p AS uuid) AND stage = ANY(:s)"),
        {**params, "s": list(stages)})


def is_locked(conn: Connection, group_id: str, period: Period) -> bool:
    """Return whether the period is locked."""
    return conn.execute(sa.text("SELECT 1 FROM period_locks WHERE group_id = :g AND period = :p"),
                        {"g": group_id, "p": period}).first() is not None


def lock_period(conn: Connection, group_id: str, period: Period, run_id: RunId, *, actor: str,
                reason: str) -> None:
    """Lock a period on its effective run (the primary key refuses a second lock)."""
    conn.execute(sa.text(
        "INSERT INTO period_locks (tenant_id, group_id, period, run_id, locked_by, reason) VALUES "
        "(current_setting('app.tenant_id'), :g, :p, CAST(:r AS uuid), :who, :why)"),
        {"g": group_id, "p": period, "r": run_id, "who": actor, "why": reason})


@dataclass(frozen=True, slots=True)
class RemovedLock:
    """A period lock just removed: the run it locked and who had locked it."""

    run_id: RunId
    locked_by: str


def unlock_period(conn: Connection, group_id: str, period: Period) -> RemovedLock | None:
    """Remove a period's lock; None when it was not locked."""
    row = conn.execute(sa.text(
        "DELETE FROM period_locks WHERE group_id = :g AND period = :p RETURNING run_id::text, locked_by"),
        {"g": group_id, "p": period}).first()
    return RemovedLock(run_id=row[0], locked_by=row[1]) if row else None


def stage_done_detail(conn: Connection, run_id: RunId, stage: str,
                      entity_id: EntityId | None = None) -> dict[str, Any] | None:
    """Return the detail of the stage's (or entity's) latest ``stage_done`` event, None if never done."""
    return conn.execute(sa.text(
        "SELECT detail FROM run_events WHERE run_id = CAST(:r AS uuid) AND kind = 'stage_done' "
        "AND stage = :s AND (CAST(:e AS text) IS NULL OR entity_id = :e) ORDER BY id DESC LIMIT 1"),
        {"r": run_id, "s": stage, "e": entity_id}).scalar()
