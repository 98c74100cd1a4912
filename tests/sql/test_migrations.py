"""The migration runner refuses a database whose applied migration file was edited since."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.close.run.cli_helpers import cli_env, close
from tests.conftest import ADMIN_URL


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database of this test's own (the session database must keep its migrations intact)."""
    name = f"monthclose_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_edited_applied_migration_is_refused_naming_the_file(empty_database: str, tmp_path: Path) -> None:
    env = cli_env(empty_database, tmp_path)
    first = close(env, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert close(env, "db", "upgrade").stdout.strip() == "database is up to date"

    # What an edit of the file after it was applied looks like from the database's side.
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET sha256 = repeat('0', 64) WHERE version = '0001_core'")

    refused = close(env, "db", "upgrade")
    assert refused.returncode == 2
    assert "close/sql/0001_core.sql" in refused.stderr
    assert "edited after it was applied" in refused.stderr
    assert "Traceback" not in refused.stderr
