"""Engines, the embedded PostgreSQL, and tenant-scoped transactions."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from close.config import Settings
from close.errors import ConfigError
from close.storage.migrate import migration_files, upgrade
from close.storage.roles import APP_ROLE, OWNER_ROLE, create_database, ensure_roles

log = logging.getLogger(__name__)
EMBEDDED_DB = "monthclose"
_NONCE = "monthclose_session_nonce"


def normalize_url(url: str, *, key: str = "DATABASE_URL") -> str:
    """Make a PostgreSQL URL use the psycopg 3 driver (``postgresql+psycopg://``).

    Raises:
        ConfigError: for a URL that is not PostgreSQL, naming ``key``.

    """
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError("not a PostgreSQL URL", key=key, expected="postgresql+psycopg://user@host:port/db")


def embedded_urls(home: Path) -> tuple[str, str]:
    """Start (or reuse) the embedded PostgreSQL in ``home/pg``; return its (application, owner) URLs.

    The server keeps running after this process exits, so later commands reuse it. Both roles are
    created on first use; the owner URL logs in as the database's owner (``monthclose_owner`` for a
    database created here, the server's superuser for one created before the roles existed).
    """
    pgdata = home / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers, when pgserver is imported (its class
        # body asks for the runtime dir) and when it starts.
        warnings.simplefilter("ignore")
        import pgserver  # the embedded server is only imported when it is the one in use

        server = pgserver.get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
    with psycopg.connect(info.get_uri(database="postgres"), autocommit=True) as admin:
        ensure_roles(admin)
        owner = admin.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                              (EMBEDDED_DB,)).fetchone()
        if owner is None:
            create_database(admin, EMBEDDED_DB)
            owner = (OWNER_ROLE,)
    return (normalize_url(info.get_uri(user=APP_ROLE, database=EMBEDDED_DB)),
            normalize_url(info.get_uri(user=owner[0], database=EMBEDDED_DB)))


def session_nonce(conn: Connection) -> str:
    """Return the nonce of the connection's database session (see ``0004_tenant_wall_audit_seal.sql``)."""
    return conn.connection.info[_NONCE]


def _open_session(dbapi_conn: psycopg.Connection, record: Any) -> None:  # noqa: ANN401 - SQLAlchemy's pool record
    """Open the connection's database session once, keeping its nonce with the pooled connection."""
    with dbapi_conn.cursor() as cur:
        cur.execute("SELECT monthclose_open_session()")
        record.info[_NONCE] = cur.fetchone()[0]
    dbapi_conn.commit()


def check_application_role(url: str) -> None:
    """Refuse an application login that could leave its tenant, or a schema not migrated yet.

    Raises:
        ConfigError: the role is a superuser, bypasses RLS, owns tables or the database, is a member
            of another role; or migrations are pending (naming them and how to apply them).

    """
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            # Text, not Core: the system catalogs and schema_migrations are no tables of schema.py.
            role = conn.execute(sa.text(
                "SELECT r.rolname, r.rolsuper OR r.rolbypassrls "
                "OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid "
                "           AND c.relnamespace = 'public'::regnamespace) "
                "OR EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = current_database() "
                "           AND d.datdba = r.oid) "
                "OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid), "
                "coalesce(has_table_privilege(to_regclass('schema_migrations')::oid, 'SELECT'), false) "
                "FROM pg_roles r WHERE r.rolname = current_user")).one()
            applied = set(conn.execute(sa.text("SELECT version FROM schema_migrations")).scalars()) \
                if role[2] else set()
    except sa.exc.OperationalError as exc:
        raise ConfigError(f"cannot connect ({type(exc.orig).__name__})", key="DATABASE_URL",
                          expected="a reachable PostgreSQL and the application role's login") from None
    finally:
        engine.dispose()
    if role[1]:
        raise ConfigError(f"the application logs in as {role[0]!r}, which is a superuser, owns the tables "
                          "or can SET ROLE to another role", key="DATABASE_URL",
                          expected=f"the {APP_ROLE} login (README: Database roles); "
                                   "migrations use CLOSE_MIGRATE_URL")
    pending = [version for version, _ in migration_files() if version not in applied]
    if pending:
        raise ConfigError(f"the database lacks migrations {', '.join(pending)}", key="CLOSE_MIGRATE_URL",
                          expected="the owner's URL, to apply them with `close db upgrade`")


@dataclass(frozen=True)
class Database:
    """The application's handle on PostgreSQL for one tenant."""

    engine: Engine  # logs in as the application role (DATABASE_URL)
    owner_engine: Engine | None  # the owner (CLOSE_MIGRATE_URL): migrations and test set-up only
    tenant: str
    url: str

    @classmethod
    def connect(cls, url: str, tenant: str, *, migrate_url: str | None = None) -> Database:
        """Open the application engine on ``url`` scoped to ``tenant``.

        With ``migrate_url`` (the owner's login) pending migrations are applied first. The
        application login is checked: it must own nothing and have no role to SET ROLE to.
        """
        url = normalize_url(url)
        owner = None
        if migrate_url:
            owner = sa.create_engine(normalize_url(migrate_url, key="CLOSE_MIGRATE_URL"), poolclass=NullPool)
            upgrade(owner)
        check_application_role(url)
        app = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        sa.event.listen(app, "connect", _open_session)
        return cls(engine=app, owner_engine=owner, tenant=tenant, url=url)

    @contextlib.contextmanager
    def tx(self, *, durable: bool = True) -> Iterator[Connection]:
        """Yield a connection in one transaction bound to the tenant (commit on success).

        The binding is made by the database (``monthclose_bind`` with the session's nonce) and
        expires with the transaction; the SQL run inside cannot switch it.

        Args:
            durable: False for a transaction whose writes a crash may lose — a read, whose only
                write is the binding itself, and the access-log row of a read. Its commit then
                does not wait for the WAL flush (``synchronous_commit`` off for it alone), which
                under a busy disk is most of a read's time; set in the binding's round trip.

        """
        # Text, not Core: a call of sql/0004's binding function and set_config, no table to build from.
        bind = ("SELECT monthclose_bind(:n, :t)" if durable else
                "SELECT monthclose_bind(:n, :t), set_config('synchronous_commit', 'off', true)")
        with self.engine.begin() as conn:
            conn.execute(sa.text(bind), {"n": session_nonce(conn), "t": self.tenant})
            yield conn

    def for_tenant(self, tenant: str) -> Database:
        """Return the same engines scoped to another tenant."""
        return Database(engine=self.engine, owner_engine=self.owner_engine, tenant=tenant, url=self.url)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self.owner_engine is not None:
            self.owner_engine.dispose()


def open_database(settings: Settings) -> Database:
    """Open the configured database, or the embedded one when ``DATABASE_URL`` is unset.

    ``DATABASE_URL`` is migrated first when ``CLOSE_MIGRATE_URL`` (its owner) is set; the embedded
    database is always migrated as its owner.
    """
    if settings.database_url:
        return Database.connect(settings.database_url, settings.tenant, migrate_url=settings.migrate_url)
    app_url, owner_url = embedded_urls(settings.home)
    return Database.connect(app_url, settings.tenant, migrate_url=owner_url)
