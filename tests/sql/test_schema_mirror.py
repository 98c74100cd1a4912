"""close/storage/schema.py mirrors the migrated database (convention 12), both ways.

Reflection compares tables, columns (name, nullability, type), primary and foreign keys and the
named indexes. Defaults and index definitions (partial WHERE clauses, the fx_rates_key
expressions) are compared as PostgreSQL itself prints them: the mirror's DDL is created in a scratch
schema inside a transaction that is rolled back.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from close.run.state import ACTIVE_STATUSES
from close.storage import Database
from close.storage.schema import ACTIVE_RUN_STATUSES, metadata

# Created by close/storage/migrate.py before the first migration, not by a numbered migration.
NOT_MIRRORED = frozenset({"schema_migrations"})
SCRATCH = "schema_mirror_check"


def _kind(t: TypeEngine) -> str:
    """A type as the migrations spell it, with its length or precision where it has one."""
    # Subclasses before their bases: BigInteger is an Integer, JSONB a JSON, CHAR a String.
    if isinstance(t, sa.BigInteger):
        return "bigint"
    if isinstance(t, sa.Integer):
        return "integer"
    if isinstance(t, sa.Boolean):
        return "boolean"
    if isinstance(t, sa.Numeric):
        return "numeric" if t.precision is None else f"numeric({t.precision},{t.scale})"
    if isinstance(t, sa.DateTime):
        return "timestamptz" if t.timezone else "timestamp"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.Uuid):
        return "uuid"
    if isinstance(t, sa.LargeBinary):
        return "bytea"
    if isinstance(t, postgresql.JSONB):
        return "jsonb"
    if isinstance(t, sa.CHAR):
        return f"char({t.length})"
    if isinstance(t, sa.Text):
        return "text"
    return f"unknown {t!r}"


def _partitions(conn: Connection) -> set[str]:
    return set(conn.execute(sa.text(
        "SELECT relname FROM pg_class WHERE relispartition "
        "AND relnamespace = 'public'::regnamespace")).scalars())


def test_every_table_column_and_key_matches_both_ways(db: Database) -> None:
    with db.owner_engine.connect() as conn:
        inspector = sa.inspect(conn)
        database_tables = set(inspector.get_table_names()) - _partitions(conn) - NOT_MIRRORED
        assert database_tables == set(metadata.tables), (
            f"only in the database: {sorted(database_tables - set(metadata.tables))}; "
            f"only in schema.py: {sorted(set(metadata.tables) - database_tables)}")
        problems = []
        for name, table in metadata.tables.items():
            mirrored = [(c.name, c.nullable, _kind(c.type)) for c in table.columns]
            reflected = [(c["name"], c["nullable"], _kind(c["type"])) for c in inspector.get_columns(name)]
            if mirrored != reflected:
                problems.append(f"{name} columns (name, nullable, type): only in schema.py "
                                f"{[c for c in mirrored if c not in reflected]}, only in the database "
                                f"{[c for c in reflected if c not in mirrored]} (else the order differs)")
            pk = [c.name for c in table.primary_key.columns]
            if pk != inspector.get_pk_constraint(name)["constrained_columns"]:
                problems.append(f"{name} primary key: schema.py {pk} != database "
                                f"{inspector.get_pk_constraint(name)['constrained_columns']}")
            mirrored_fks = {(tuple(fk.column_keys), fk.referred_table.name,
                             tuple(e.column.name for e in fk.elements))
                            for fk in table.foreign_key_constraints}
            reflected_fks = {(tuple(fk["constrained_columns"]), fk["referred_table"],
                              tuple(fk["referred_columns"])) for fk in inspector.get_foreign_keys(name)}
            if mirrored_fks != reflected_fks:
                problems.append(f"{name} foreign keys: schema.py {mirrored_fks} != database {reflected_fks}")
            mirrored_indexes = {i.name: i.unique for i in table.indexes}
            reflected_indexes = {i["name"]: i["unique"] for i in inspector.get_indexes(name)}
            if mirrored_indexes != reflected_indexes:
                problems.append(f"{name} indexes (name: unique): schema.py {mirrored_indexes} "
                                f"!= database {reflected_indexes}")
    assert not problems, "\n".join(problems)


def test_the_named_indexes_exist_in_both(db: Database) -> None:
    expected = {"close_runs_one_active": "close_runs", "close_runs_trigger_key": "close_runs",
                "close_runs_group_period": "close_runs", "run_events_run": "run_events",
                "run_events_tenant_chain": "run_events",
                "fx_rates_key": "fx_rates", "translated_balances_run": "translated_balances",
                "deliveries_key": "deliveries", "deliveries_run": "deliveries",
                "collection_drafts_key": "collection_drafts"}
    expected |= {"users_token_id": "users", "access_log_at": "access_log"}  # 0010_users
    expected |= {"close_runs_newest": "close_runs"}  # 0014_run_list_index
    assert {i.name: t.name for t in metadata.tables.values() for i in t.indexes} == expected
    inspector = sa.inspect(db.owner_engine)
    for index, table in expected.items():
        assert index in {i["name"] for i in inspector.get_indexes(table)}, (table, index)


def _as_printed(conn: Connection, schema: str) -> tuple[dict[str, str], dict[str, str]]:
    """Column defaults and index definitions of ``schema`` as PostgreSQL prints them, unqualified."""
    defaults = conn.execute(sa.text(
        "SELECT c.relname || '.' || a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
        "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
        "JOIN pg_class c ON c.oid = d.adrelid "
        "WHERE c.relnamespace = CAST(:s AS regnamespace) AND NOT c.relispartition"), {"s": schema}).all()
    indexes = conn.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND indexname = ANY(:n)"),
        {"s": schema, "n": [i.name for t in metadata.tables.values() for i in t.indexes]}).all()
    return ({k: v.replace(f"{schema}.", "") for k, v in defaults},
            {k: v.replace(f"{schema}.", "") for k, v in indexes})


def test_defaults_and_index_definitions_match_as_postgres_prints_them(db: Database) -> None:
    with db.owner_engine.connect() as conn, conn.begin() as tx:
        conn.execute(sa.text(f"CREATE SCHEMA {SCRATCH}"))
        metadata.create_all(conn.execution_options(schema_translate_map={None: SCRATCH}))
        migrated, mirrored = _as_printed(conn, "public"), _as_printed(conn, SCRATCH)
        tx.rollback()
    prefixes = tuple(f"{t}." for t in metadata.tables)
    migrated_defaults = {k: v for k, v in migrated[0].items() if k.startswith(prefixes)}
    assert mirrored[0] == migrated_defaults, _differences("default", mirrored[0], migrated_defaults)
    assert len(migrated[1]) == sum(len(t.indexes) for t in metadata.tables.values()), migrated[1]
    assert mirrored[1] == migrated[1], _differences("index", mirrored[1], migrated[1])


def _differences(what: str, mirrored: dict[str, str], migrated: dict[str, str]) -> str:
    return "\n".join(f"{what} {k}: schema.py {mirrored.get(k)!r} != migrations {migrated.get(k)!r}"
                     for k in sorted(set(mirrored) | set(migrated)) if mirrored.get(k) != migrated.get(k))


def test_the_one_active_run_index_covers_run_states_active_statuses() -> None:
    # schema.py spells the partial index's statuses out (importing close.run.state would be a cycle).
    assert set(ACTIVE_RUN_STATUSES) == {s.value for s in ACTIVE_STATUSES}
