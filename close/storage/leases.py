"""Leases in PostgreSQL: who works on which (run, stage, entity) right now, and until when.

A lease row with a holder is a process working on the key, renewed by its heartbeat; a row with
no holder is a task handed to the broker that no worker has taken yet. Times are the database's
(``now()``), so the clocks of the machines never matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import RunId


@dataclass(frozen=True, slots=True)
class LeaseKey:
    """The work a lease covers: a stage of a run, for one entity when the stage is per entity."""

    run_id: RunId
    stage: str
    entity_id: str = ""


@dataclass(frozen=True, slots=True)
class DeadLease:
    """The lease of a stranded run that expired last: what was being done, by whom, until when."""

    stage: str
    entity_id: str
    holder: str | None
    expires_at: datetime
    past_deadline: bool


_KEY = "run_id = CAST(:r AS uuid) AND stage = :s AND entity_id = :e"


def _params(key: LeaseKey, **more: object) -> dict[str, object]:
    return {"r": key.run_id, "s": key.stage, "e": key.entity_id, **more}


def acquire_lease(conn: Connection, key: LeaseKey, holder: str, seconds: int, *,
                  deadline_seconds: int | None = None, takeover_prefix: str | None = None) -> bool:
    """Take the lease of ``key`` unless another holder's lease is still live.

    Args:
        conn: a tenant-scoped connection.
        key: what the lease covers.
        holder: who takes it.
        seconds: how long it lasts without renewal.
        deadline_seconds: the task's hard time limit, recorded so a reaper can name it.
        takeover_prefix: a live lease whose holder starts with this is ours to take (the same
            broker message delivered again: the broker judged the earlier delivery dead).

    Returns:
        True when ``holder`` now holds the lease.

    """
    row = conn.execute(sa.text(
        "INSERT INTO run_leases (tenant_id, run_id, stage, entity_id, holder, expires_at, deadline) VALUES "
        "(current_setting('app.tenant_id'), CAST(:r AS uuid), :s, :e, :h, "
        "now() + make_interval(secs => :n), now() + make_interval(secs => CAST(:d AS integer))) "
        "ON CONFLICT (run_id, stage, entity_id) DO UPDATE "
        "SET holder = excluded.holder, acquired_at = now(), renewed_at = now(), "
        "expires_at = excluded.expires_at, deadline = excluded.deadline WHERE run_leases.holder IS NULL "
        "OR run_leases.holder = excluded.holder OR run_leases.expires_at < now() "
        "OR (CAST(:p AS text) IS NOT NULL AND starts_with(run_leases.holder, CAST(:p AS text))) "
        "RETURNING holder"),
        _params(key, h=holder, n=seconds, d=deadline_seconds, p=takeover_prefix)).first()
    return row is not None


def renew_lease(conn: Connection, key: LeaseKey, holder: str, seconds: int) -> bool:
    """Push the lease's expiry ``seconds`` ahead; False when ``holder`` no longer holds it."""
    done = conn.execute(sa.text(
        f"UPDATE run_leases SET renewed_at = now(), expires_at = now() + make_interval(secs => :n) "  # noqa: S608 - _KEY is ours
        f"WHERE {_KEY} AND holder = :h"), _params(key, h=holder, n=seconds))
    return done.rowcount == 1


def holds_lease(conn: Connection, key: LeaseKey, holder: str) -> bool:
    """Lock the lease row and tell whether ``holder`` still holds it (the fence before a write)."""
    row = conn.execute(sa.text(f"SELECT holder FROM run_leases WHERE {_KEY} FOR UPDATE"),  # noqa: S608
                       _params(key)).first()
    return row is not None and row[0] == holder


def release_lease(conn: Connection, key: LeaseKey, holder: str) -> None:
    """Give the lease up (the work is done or abandoned)."""
    conn.execute(sa.text(f"DELETE FROM run_leases WHERE {_KEY} AND holder = :h"),  # noqa: S608
                 _params(key, h=holder))


def release_key(conn: Connection, key: LeaseKey) -> None:
    """Forget the lease of ``key`` whoever holds it (its work failed and was recorded)."""
    conn.execute(sa.text(f"DELETE FROM run_leases WHERE {_KEY}"), _params(key))  # noqa: S608


def queue_leases(conn: Connection, keys: list[LeaseKey], seconds: int) -> None:
    """Record tasks handed to the broker: holder-less leases a worker must take within ``seconds``.

    A key whose lease a live holder has is left alone.
    """
    for key in keys:
        conn.execute(sa.text(
            "INSERT INTO run_leases (tenant_id, run_id, stage, entity_id, holder, expires_at) VALUES "
            "(current_setting('app.tenant_id'), CAST(:r AS uuid), :s, :e, NULL, "
            "now() + make_interval(secs => :n)) "
            "ON CONFLICT (run_id, stage, entity_id) DO UPDATE SET holder = NULL, acquired_at = now(), "
            "renewed_at = now(), expires_at = excluded.expires_at, deadline = NULL "
            "WHERE run_leases.holder IS NULL OR run_leases.expires_at < now()"), _params(key, n=seconds))


def count_leases(conn: Connection, run_id: RunId) -> int:
    """Return how many leases the run has, live or not."""
    return conn.execute(sa.text("SELECT count(*) FROM run_leases WHERE run_id = CAST(:r AS uuid)"),
                        {"r": run_id}).scalar_one()


def drop_leases(conn: Connection, run_id: RunId) -> None:
    """Forget every lease of a run (it failed or was cancelled: nobody works on it any more)."""
    conn.execute(sa.text("DELETE FROM run_leases WHERE run_id = CAST(:r AS uuid)"), {"r": run_id})


def stranded_run_ids(conn: Connection, working: list[str], seconds: int, grace: float, *,
                     group_id: str | None = None, run_id: RunId | None = None) -> list[RunId]:
    """Return the runs in a working status with no live lease.

    Either every lease expired ``grace`` seconds ago, or there is none and the run was untouched for
    ``seconds`` (created by a process that died before launching it).

    Locked ``FOR UPDATE SKIP LOCKED``: a run another reaper is failing right now is left to it.
    """
    rows = conn.execute(sa.text(
        "SELECT r.id::text FROM close_runs r WHERE r.status = ANY(:w) "
        "AND (CAST(:g AS text) IS NULL OR r.group_id = :g) "
        "AND (CAST(:id AS text) IS NULL OR r.id = CAST(:id AS uuid)) "
        "AND NOT EXISTS (SELECT 1 FROM run_leases l WHERE l.run_id = r.id "
        "               AND l.expires_at > now() - make_interval(secs => :grace)) "
        "AND (EXISTS (SELECT 1 FROM run_leases l WHERE l.run_id = r.id) "
        "     OR r.updated_at < now() - make_interval(secs => :n)) "
        "ORDER BY r.created_at FOR UPDATE OF r SKIP LOCKED"),
        {"w": working, "g": group_id, "id": run_id, "n": seconds, "grace": grace})
    return [r[0] for r in rows]


def last_dead_lease(conn: Connection, run_id: RunId) -> DeadLease | None:
    """Return the run's lease that expired last (the work that was going on when it was lost)."""
    row = conn.execute(sa.text(
        "SELECT stage, entity_id, holder, expires_at, coalesce(deadline <= now(), false) FROM run_leases "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY holder IS NULL, expires_at DESC LIMIT 1"),
        {"r": run_id}).first()
    return DeadLease(*row) if row else None
