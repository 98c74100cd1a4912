"""The schema: migrations are idempotent, RLS isolates tenants in every table.

The audit trail is append-only.
"""

from __future__ import annotations

import re

import psycopg
import pytest
import sqlalchemy as sa

from close.run.state import ACTIVE_STATUSES
from close.storage import Database
from close.storage.migrate import migration_files, upgrade
from close.storage.runs import create_run, put_input


def test_upgrade_twice_is_a_noop(db: Database) -> None:
    assert upgrade(db.owner_engine) == []
    with db.owner_engine.connect() as conn:
        versions = conn.execute(
            sa.text("SELECT version FROM schema_migrations ORDER BY version")).scalars().all()
    assert versions == [v for v, _ in migration_files()]


def test_active_index_matches_active_statuses() -> None:
    # The latest migration that (re)creates the index defines it.
    latest = [text for _, text in migration_files() if "INDEX close_runs_one_active" in text][-1]
    index = re.search(r"INDEX close_runs_one_active.*?WHERE status IN \((.*?)\);", latest, re.S)
    assert index is not None
    assert set(re.findall(r"'([A-Z_]+)'", index.group(1))) == {s.value for s in ACTIVE_STATUSES}


def _tenant_tables(db: Database) -> list[str]:
    with db.owner_engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE a.attname = 'tenant_id' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND c.relnamespace = 'public'::regnamespace ORDER BY 1")).scalars().all()


def test_every_tenant_table_forces_row_level_security(db: Database) -> None:
    with db.owner_engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:t)"),
            {"t": _tenant_tables(db)}).all()
    assert rows and all(r[1] and r[2] for r in rows), rows


def test_tenant_b_reads_none_of_tenant_a_rows(db: Database) -> None:
    tenant_a, tenant_b = db, db.for_tenant(db.tenant + "_b")
    with tenant_a.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-01", actor="test")
        assert run is not None
        put_input(conn, run.id, "group.toml", b"x", kind="config")
        conn.execute(sa.text(
            "INSERT INTO consolidated_balances VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), "
            "'1000', 1, 1)"), {"r": run.id})
    counts_a, counts_b = {}, {}
    for tenant, counts in ((tenant_a, counts_a), (tenant_b, counts_b)):
        with tenant.tx() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == "monthclose_app"
            for table in _tenant_tables(db):
                counts[table] = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar()  # noqa: S608
    assert counts_a["close_runs"] == 1 and counts_a["run_events"] >= 1 and counts_a["run_inputs"] == 1
    assert all(v == 0 for v in counts_b.values()), counts_b
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), tenant_b.tx() as conn:
        conn.execute(sa.text("INSERT INTO groups VALUES (:t, 'x', 'x', 'USD')"), {"t": tenant_a.tenant})


def test_run_events_refuse_update_and_delete(db: Database) -> None:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period="2026-02", actor="test")
    assert run is not None
    for statement in ("UPDATE run_events SET message = 'rewritten'", "DELETE FROM run_events"):
        with pytest.raises(sa.exc.ProgrammingError) as info, db.tx() as conn:
            conn.execute(sa.text(statement))
        assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege)
