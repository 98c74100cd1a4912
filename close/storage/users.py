"""Users, their token hashes and the access log, in PostgreSQL (all per tenant, under RLS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from close.errors import ConfigError
from close.storage.schema import access_log, close_runs, current_tenant, run_events, users


@dataclass(frozen=True, slots=True)
class UserRow:
    """One stored user (the token hash stays in this module's callers that verify it)."""

    name: str
    role: str
    token_id: str
    token_hash: str
    created_by: str
    created_at: datetime
    disabled_at: datetime | None


def insert_user(conn: Connection, *, name: str, role: str, token_id: str, token_hash: str,
                created_by: str) -> None:
    """Store a new user.

    Raises:
        ConfigError: a user of that name exists in this tenant.

    """
    try:
        with conn.begin_nested():
            conn.execute(users.insert().values(tenant_id=current_tenant(), name=name, role=role,
                                               token_id=token_id, token_hash=token_hash,
                                               created_by=created_by))
    except IntegrityError:
        raise ConfigError(f"a user named {name!r} already exists", key="NAME") from None


def _row(r: sa.Row) -> UserRow:
    return UserRow(**{k: r._mapping[k] for k in UserRow.__slots__})


def user_by_name(conn: Connection, name: str) -> UserRow | None:
    """Return the tenant's user of that name, or None."""
    row = conn.execute(sa.select(users).where(users.c.name == name)).first()
    return _row(row) if row else None


def user_by_token_id(conn: Connection, token_id: str) -> UserRow | None:
    """Return the tenant's user holding the token with that public id, or None."""
    row = conn.execute(sa.select(users).where(users.c.token_id == token_id)).first()
    return _row(row) if row else None


def list_users(conn: Connection) -> list[UserRow]:
    """Return the tenant's users by name."""
    return [_row(r) for r in conn.execute(sa.select(users).order_by(users.c.name))]


def count_users(conn: Connection) -> int:
    """Return how many users the tenant has (disabled included)."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def disable_user(conn: Connection, name: str) -> bool:
    """Disable a user (their token stops working); False when there is no such active user."""
    done = conn.execute(users.update().where(users.c.name == name, users.c.disabled_at.is_(None))
                        .values(disabled_at=sa.func.now()))
    return done.rowcount == 1


def record_access(conn: Connection, *, actor: str, role: str, door: str, action: str, target: str,
                  allowed: bool, reason: str = "") -> None:
    """Append one row to the access log (the caller's transaction says whether it waits for the flush)."""
    conn.execute(access_log.insert().values(tenant_id=current_tenant(), actor=actor, role=role, door=door,
                                            action=action, target=target, allowed=allowed, reason=reason))


def access_entries(conn: Connection, *, limit: int = 200) -> list[dict[str, object]]:
    """Return the latest access-log rows, newest first."""
    rows = conn.execute(sa.select(access_log.c.at, access_log.c.actor, access_log.c.role, access_log.c.door,
                                  access_log.c.action, access_log.c.target, access_log.c.allowed,
                                  access_log.c.reason).order_by(access_log.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def lineage_actors(conn: Connection, run_id: str, kinds: tuple[str, ...]) -> set[str]:
    """Return who recorded events of ``kinds`` on the run or any run it descends from.

    An adjusted run's child carries its parent's work (extracts, mapping), so whoever prepared
    the parent prepared the child too.
    """
    run, e = close_runs.c, run_events.c
    line = (sa.select(run.id, run.parent_run_id.label("parent")).where(run.id == run_id)
            .cte("line", recursive=True))
    earlier = close_runs.alias("c")
    line = line.union(sa.select(earlier.c.id, earlier.c.parent_run_id)
                      .join(line, earlier.c.id == line.c.parent))
    rows = conn.execute(sa.select(e.actor).distinct().join(line, e.run_id == line.c.id)
                        .where(e.kind.in_(list(kinds))))
    return {r[0] for r in rows}
