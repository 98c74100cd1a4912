"""Engines, the embedded PostgreSQL, and tenant-scoped transactions."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from close.config import Settings
from close.errors import ConfigError
from close.storage.migrate import upgrade

log = logging.getLogger(__name__)
APP_ROLE = "monthclose_app"
EMBEDDED_DB = "monthclose"


def normalize_url(url: str) -> str:
    """Make a PostgreSQL URL use the psycopg 3 driver (``postgresql+psycopg://``).

    Raises:
        ConfigError: for a URL that is not PostgreSQL.

    """
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ConfigError("not a PostgreSQL URL", key="DATABASE_URL",
                      expected="postgresql+psycopg://user@host:port/db")


def embedded_url(home: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL in ``home/pg`` and return its URL.

    The server keeps running after this process exits, so later commands reuse it.
    """
    pgdata = home / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers, when pgserver is imported (its class
        # body asks for the runtime dir) and when it starts.
        warnings.simplefilter("ignore")
        import pgserver  # the embedded server is only imported when it is the one in use

        server = pgserver.get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB}';")  # noqa: S608 - EMBEDDED_DB is our constant; psql binds no parameters
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB};")
    return normalize_url(server.get_uri(EMBEDDED_DB))


@dataclass(frozen=True)
class Database:
    """The application's handle on PostgreSQL for one tenant."""

    engine: Engine  # connections run as the application role
    owner_engine: Engine  # the URL's own user: migrations and test set-up only
    tenant: str
    url: str

    @classmethod
    def connect(cls, url: str, tenant: str, *, migrate: bool = True) -> Database:
        """Open engines on ``url``, apply pending migrations, and scope to ``tenant``."""
        url = normalize_url(url)
        owner = sa.create_engine(url, poolclass=NullPool)
        if migrate:
            upgrade(owner)
        app = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)

        @sa.event.listens_for(app, "connect")
        def _assume_app_role(dbapi_conn, _record) -> None:  # noqa: ANN001
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET ROLE {APP_ROLE}")
            dbapi_conn.commit()

        return cls(engine=app, owner_engine=owner, tenant=tenant, url=url)

    @contextlib.contextmanager
    def tx(self) -> Iterator[Connection]:
        """Yield a connection in one transaction scoped to the tenant (commit on success)."""
        with self.engine.begin() as conn:
            conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": self.tenant})
            yield conn

    def for_tenant(self, tenant: str) -> Database:
        """Return the same engines scoped to another tenant."""
        return Database(engine=self.engine, owner_engine=self.owner_engine, tenant=tenant, url=self.url)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.owner_engine.dispose()


def open_database(settings: Settings) -> Database:
    """Open the configured database, or the embedded one when ``DATABASE_URL`` is unset."""
    url = settings.database_url or embedded_url(settings.home)
    return Database.connect(url, settings.tenant)
