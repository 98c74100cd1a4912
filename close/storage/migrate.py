"""Apply the numbered SQL migrations of ``sql/`` once each, recorded in ``schema_migrations``."""

from __future__ import annotations

import hashlib
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from close.errors import ConfigError

# Any constant works; it only has to be the same in every process that migrates.
_MIGRATION_LOCK = 727_001


def migration_files() -> list[tuple[str, str]]:
    """Return ``(version, sql_text)`` for every ``NNNN_name.sql`` file, in order."""
    folder = resources.files("close.sql")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql") and p.name[:4].isdigit())
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


def upgrade(owner: Engine) -> list[str]:
    """Apply pending migrations as the owner; a no-op when none is pending.

    Concurrent callers serialize on an advisory lock, so two processes starting at once apply
    each migration once.

    Returns:
        The versions applied by this call.

    """
    applied: list[str] = []
    # Text, not Core: the runner's own bookkeeping table is created here, before any migration
    # (schema.py mirrors what the migrations create, not this).
    with owner.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        conn.execute(sa.text(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
            "sha256 char(64) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"))
        done = {v: s for v, s in conn.execute(sa.text("SELECT version, sha256 FROM schema_migrations"))}
        for version, text in migration_files():
            if version in done:
                _refuse_edited(version, text, done[version])
                continue
            # Migrations hold DO blocks and many statements: run them as one simple query.
            # With no parameters psycopg sends it as is (no %-placeholder parsing: format() uses %s).
            conn.connection.cursor().execute(text)
            conn.execute(sa.text("INSERT INTO schema_migrations (version, sha256) VALUES (:v, :s)"),
                         {"v": version, "s": hashlib.sha256(text.encode()).hexdigest()})
            applied.append(version)
    return applied


def _refuse_edited(version: str, text: str, recorded: str) -> None:
    """Refuse to run on a database whose applied migration file was edited since.

    An applied migration is history: editing it would leave databases migrated before the edit
    different from those migrated after, with nothing to tell them apart. A change goes in a new
    numbered file.

    Raises:
        ConfigError: the file's sha256 differs from the one recorded when it was applied.

    """
    actual = hashlib.sha256(text.encode()).hexdigest()
    if actual != recorded:
        raise ConfigError(
            f"migration {version}.sql was edited after it was applied (recorded sha256 {recorded[:12]}…, "
            f"file {actual[:12]}…); restore it and put the change in a new numbered migration",
            file=f"close/sql/{version}.sql", expected="the file as it was applied")
