"""Shared fixtures: a fresh real PostgreSQL database per test session, a clean environment.

The suite needs PostgreSQL on 127.0.0.1:5432 (``TEST_DATABASE_URL`` overrides) and the
`redis-server` binary: tests that need Redis get a private server on a free port
(tests/redis_server.py), stopped at the end of the session; the suite never touches a shared
Redis. If PostgreSQL is missing the suite FAILS with how to start it; it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from close.resilience import reset_breakers
from close.storage import Database
from close.storage.engine import normalize_url
from close.storage.migrate import upgrade
from close.storage.roles import APP_ROLE, OWNER_ROLE, create_database, ensure_roles, url_for
from tests.redis_server import stop_private_redis

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
START_PG = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}). Start it with: {START_PG}",
                    pytrace=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this test session, owned by the owner role, migrated, dropped at the end."""
    name = f"monthclose_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        ensure_roles(admin)
        create_database(admin, name)
    upgrade_engine = sa.create_engine(normalize_url(url_for(ADMIN_URL, OWNER_ROLE, name)), poolclass=NullPool)
    upgrade(upgrade_engine)
    upgrade_engine.dispose()
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url(pg_database: str) -> str:
    """The session database as the application logs in to it (DATABASE_URL: monthclose_app)."""
    return url_for(ADMIN_URL, APP_ROLE, pg_database)


@pytest.fixture(scope="session")
def pg_owner_url(pg_database: str) -> str:
    """The session database as its owner (CLOSE_MIGRATE_URL: monthclose_owner)."""
    return url_for(ADMIN_URL, OWNER_ROLE, pg_database)


@pytest.fixture(scope="session")
def pg_admin_url(pg_database: str) -> str:
    """The session database as the server's superuser (for tests that play an attacker or a DBA)."""
    return url_for(ADMIN_URL, make_url(ADMIN_URL).username or "postgres", pg_database)


@pytest.fixture(scope="session")
def db_session(pg_url: str, pg_owner_url: str) -> Iterator[Database]:
    database = Database.connect(pg_url, "test", migrate_url=pg_owner_url)
    yield database
    database.dispose()


@pytest.fixture
def db(db_session: Database) -> Database:
    """The session database scoped to a tenant of its own, so tests never see each other's rows."""
    return db_session.for_tenant(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's DATABASE_URL, CLOSE_* settings or API key by accident."""
    for key in list(os.environ):
        if key == "DATABASE_URL" or key.startswith("CLOSE_") or key.startswith("ANTHROPIC_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def _closed_circuits() -> None:
    """Each test starts with no in-memory circuit breaker left open by another (fakes share ports)."""
    reset_breakers()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the session's private Redis (if a test started it)."""
    stop_private_redis()
