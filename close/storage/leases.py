"""Leases in PostgreSQL: who works on which (run, stage, entity) right now, and until when.

A lease row with a holder is a process working on the key, renewed by its heartbeat; a row with
no holder is a task handed to the broker that no worker has taken yet. Times are the database's
(``now()``), so the clocks of the machines never matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.storage.schema import close_runs, current_tenant, run_leases


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


_LEASE_KEY = ["run_id", "stage", "entity_id"]  # the primary key: ON CONFLICT's target


def _is(key: LeaseKey) -> tuple[sa.ColumnElement[bool], ...]:
    """Return the WHERE clause of the lease of ``key``."""
    lease = run_leases.c
    return lease.run_id == key.run_id, lease.stage == key.stage, lease.entity_id == key.entity_id


def _in(seconds: float | None) -> sa.ColumnElement[datetime]:
    """``now() + make_interval(secs => seconds)``: an exact count of seconds (NULL stays NULL).

    make_interval's arguments given by position (years … mins, then secs): Core has no named-argument
    notation.
    """
    return sa.func.now() + sa.func.make_interval(0, 0, 0, 0, 0, 0, sa.literal(seconds, sa.Float))


def _insert(key: LeaseKey, holder: str | None, seconds: int, **more: object) -> sa.Insert:
    return pg_insert(run_leases).values(tenant_id=current_tenant(), run_id=key.run_id, stage=key.stage,
                                        entity_id=key.entity_id, holder=holder, expires_at=_in(seconds),
                                        **more)


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
    stmt = _insert(key, holder, seconds, deadline=_in(deadline_seconds))
    lease, new = run_leases.c, stmt.excluded
    free = [lease.holder.is_(None), lease.holder == new.holder, lease.expires_at < sa.func.now()]
    if takeover_prefix is not None:
        free.append(sa.func.starts_with(lease.holder, takeover_prefix))
    row = conn.execute(stmt.on_conflict_do_update(
        index_elements=_LEASE_KEY,
        set_={"holder": new.holder, "acquired_at": sa.func.now(), "renewed_at": sa.func.now(),
              "expires_at": new.expires_at, "deadline": new.deadline},
        where=sa.or_(*free)).returning(lease.holder)).first()
    return row is not None


def renew_lease(conn: Connection, key: LeaseKey, holder: str, seconds: int) -> bool:
    """Push the lease's expiry ``seconds`` ahead; False when ``holder`` no longer holds it."""
    done = conn.execute(run_leases.update().where(*_is(key), run_leases.c.holder == holder)
                        .values(renewed_at=sa.func.now(), expires_at=_in(seconds)))
    return done.rowcount == 1


def holds_lease(conn: Connection, key: LeaseKey, holder: str) -> bool:
    """Lock the lease row and tell whether ``holder`` still holds it (the fence before a write)."""
    row = conn.execute(sa.select(run_leases.c.holder).where(*_is(key)).with_for_update()).first()
    return row is not None and row[0] == holder


def release_lease(conn: Connection, key: LeaseKey, holder: str) -> None:
    """Give the lease up (the work is done or abandoned)."""
    conn.execute(run_leases.delete().where(*_is(key), run_leases.c.holder == holder))


def release_key(conn: Connection, key: LeaseKey) -> None:
    """Forget the lease of ``key`` whoever holds it (its work failed and was recorded)."""
    conn.execute(run_leases.delete().where(*_is(key)))


def queue_leases(conn: Connection, keys: list[LeaseKey], seconds: int) -> None:
    """Record tasks handed to the broker: holder-less leases a worker must take within ``seconds``.

    A key whose lease a live holder has is left alone.
    """
    for key in keys:
        stmt = _insert(key, None, seconds)
        lease = run_leases.c
        conn.execute(stmt.on_conflict_do_update(
            index_elements=_LEASE_KEY,
            set_={"holder": None, "acquired_at": sa.func.now(), "renewed_at": sa.func.now(),
                  "expires_at": stmt.excluded.expires_at, "deadline": None},
            where=sa.or_(lease.holder.is_(None), lease.expires_at < sa.func.now())))


def count_leases(conn: Connection, run_id: RunId) -> int:
    """Return how many leases the run has, live or not."""
    return conn.execute(sa.select(sa.func.count()).select_from(run_leases)
                        .where(run_leases.c.run_id == run_id)).scalar_one()


def drop_leases(conn: Connection, run_id: RunId) -> None:
    """Forget every lease of a run (it failed or was cancelled: nobody works on it any more)."""
    conn.execute(run_leases.delete().where(run_leases.c.run_id == run_id))


def stranded_run_ids(conn: Connection, working: list[str], seconds: int, grace: float, *,
                     group_id: str | None = None, run_id: RunId | None = None) -> list[RunId]:
    """Return the runs in a working status with no live lease.

    Either every lease expired ``grace`` seconds ago, or there is none and the run was untouched for
    ``seconds`` (created by a process that died before launching it).

    Locked ``FOR UPDATE SKIP LOCKED``: a run another reaper is failing right now is left to it.
    """
    run, lease = close_runs.c, run_leases.c
    leased = sa.exists().where(lease.run_id == run.id)
    live = sa.exists().where(lease.run_id == run.id, lease.expires_at > _in(-grace))
    stmt = (sa.select(run.id)
            .where(run.status.in_(working), ~live, sa.or_(leased, run.updated_at < _in(-seconds)))
            .order_by(run.created_at).with_for_update(of=close_runs, skip_locked=True))
    if group_id is not None:
        stmt = stmt.where(run.group_id == group_id)
    if run_id is not None:
        stmt = stmt.where(run.id == run_id)
    return list(conn.execute(stmt).scalars())


def last_dead_lease(conn: Connection, run_id: RunId) -> DeadLease | None:
    """Return the run's lease that expired last (the work that was going on when it was lost)."""
    lease = run_leases.c
    row = conn.execute(
        sa.select(lease.stage, lease.entity_id, lease.holder, lease.expires_at,
                  sa.func.coalesce(lease.deadline <= sa.func.now(), sa.false()))
        .where(lease.run_id == run_id).order_by(lease.holder.is_(None), lease.expires_at.desc())
        .limit(1)).first()
    return DeadLease(*row) if row else None
