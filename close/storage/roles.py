"""The database roles: an owner that migrates, and the application's LOGIN role that owns nothing.

``monthclose_owner`` owns the database and every table (it runs the migrations, through
``CLOSE_MIGRATE_URL``). ``monthclose_app`` is the role the application logs in as (``DATABASE_URL``):
it owns nothing, is a member of no role (so ``SET ROLE`` leads nowhere and ``RESET ROLE`` comes
back to itself) and gets only the grants of the migrations. The embedded server and the tests create
both with :func:`ensure_roles`; compose creates them in ``deploy/postgres/10-roles.sh``.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

OWNER_ROLE = "monthclose_owner"
APP_ROLE = "monthclose_app"

_ATTRIBUTES = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def ensure_roles(admin: psycopg.Connection) -> None:
    """Create (or correct) both roles with a superuser connection; idempotent and race-safe.

    The owner is granted the application role WITH ADMIN OPTION: migration 0002 grants it to the
    migrating role, which lets the owner's SECURITY DEFINER functions see the application's own
    backend in ``pg_stat_activity``. The application role is a member of nothing.
    """
    statements = [
        sql.SQL("CREATE ROLE {} LOGIN " + _ATTRIBUTES).format(sql.Identifier(OWNER_ROLE)),
        sql.SQL("CREATE ROLE {} LOGIN " + _ATTRIBUTES).format(sql.Identifier(APP_ROLE)),
    ]
    for statement in statements:
        try:
            admin.execute(statement)
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # created before, or by a concurrent process
    for attempt in range(5):  # concurrent GRANT/ALTER ROLE may see "tuple concurrently updated"
        try:
            admin.execute(sql.SQL("ALTER ROLE {} LOGIN " + _ATTRIBUTES).format(sql.Identifier(APP_ROLE)))
            admin.execute(sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
                sql.Identifier(APP_ROLE), sql.Identifier(OWNER_ROLE)))
            memberships = admin.execute(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", (APP_ROLE,)).fetchall()
            for (group,) in memberships:
                admin.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group),
                                                                  sql.Identifier(APP_ROLE)))
        except psycopg.errors.InternalError:
            time.sleep(0.2 * (attempt + 1))
        else:
            return
    raise RuntimeError("could not set up the database roles")  # pragma: no cover - five races in a row


def create_database(admin: psycopg.Connection, name: str) -> None:
    """Create database ``name`` owned by the owner role (the application may only connect)."""
    admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name),
                                                                sql.Identifier(OWNER_ROLE)))
    admin.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))
    admin.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
        sql.Identifier(name), sql.Identifier(APP_ROLE)))


def url_for(url: str, role: str, database: str | None = None) -> str:
    """Return the same server's URL logged in as ``role`` (no password: trust or a password file)."""
    parsed = make_url(url).set(username=role, password=None)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)
