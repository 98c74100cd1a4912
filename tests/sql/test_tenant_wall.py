"""The tenant wall and the sealed audit trail, tried from the application's own connection (issue 15).

Every statement here is what an SQL injection in the application could send: it runs on a
connection of ``db.engine`` (the monthclose_app login) inside ``db.tx()``, bound to tenant A.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa

from close.errors import ConfigError
from close.run.state import STAGE_ORDER, RunStatus, append_event, transition
from close.storage import Database
from close.storage.audit import verify_chain
from close.storage.runs import Run, create_run, events, put_input

RUN = "CAST(:r AS uuid)"


def _run_with_outputs(db: Database, period: str) -> Run:
    with db.tx() as conn:
        run = create_run(conn, group_id="g", period=period, actor="test")
        assert run is not None
        put_input(conn, run.id, "group.toml", b"x", kind="config")
        conn.execute(sa.text(
            "INSERT INTO consolidated_balances VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), "
            "'1000', 1, 1)"), {"r": run.id})
        conn.execute(sa.text(
            "INSERT INTO validation_results (tenant_id, run_id, seq, code, category, severity, message) "
            "VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), 1, 'c', 'x', 'warn', 'm')"),
            {"r": run.id})
    return run


def _complete(db: Database, run: Run) -> None:
    status = RunStatus.PENDING
    with db.tx() as conn:
        for stage in (*STAGE_ORDER, RunStatus.COMPLETED):
            transition(conn, run.id, status, stage, actor="worker", reason=f"to {stage}")
            status = stage


@pytest.fixture
def victim(db: Database) -> Iterator[tuple[Database, Run]]:
    """Tenant B with a run and outputs; the test works from tenant A's transactions."""
    other = db.for_tenant(f"victim_{uuid.uuid4().hex[:8]}")
    yield other, _run_with_outputs(other, "2026-01")


def _visible_runs(conn: sa.Connection) -> set[str]:
    return set(conn.execute(sa.text("SELECT id::text FROM close_runs")).scalars())


def test_reset_role_and_set_role_lead_nowhere(db: Database, victim: tuple[Database, Run]) -> None:
    _, theirs = victim
    with db.tx() as conn:
        conn.execute(sa.text("RESET ROLE"))
        assert conn.execute(sa.text("SELECT current_user, session_user")).one() == ("monthclose_app",
                                                                                    "monthclose_app")
        assert theirs.id not in _visible_runs(conn)
    for role in ("postgres", "monthclose_owner"):
        with pytest.raises(sa.exc.ProgrammingError) as info, db.tx() as conn:
            conn.execute(sa.text(f"SET ROLE {role}"))
        assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege), role
    with db.tx() as conn:
        login = conn.execute(sa.text(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, "
            "(SELECT count(*) FROM pg_auth_members WHERE member = r.oid), "
            "(SELECT count(*) FROM pg_class WHERE relowner = r.oid "
            " AND relnamespace = 'public'::regnamespace) "
            "FROM pg_roles r WHERE rolname = current_user")).one()
    assert tuple(login) == (False, False, False, 0, 0)  # owns nothing, member of nothing


def test_set_config_does_not_switch_tenant(db: Database, victim: tuple[Database, Run]) -> None:
    them, theirs = victim
    with db.tx() as conn:
        conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, false)"), {"t": them.tenant})
        assert conn.execute(sa.text("SELECT current_setting('app.tenant_id')")).scalar() == them.tenant
        assert theirs.id not in _visible_runs(conn)
        assert conn.execute(sa.text(f"SELECT count(*) FROM consolidated_balances WHERE run_id = {RUN}"),
                            {"r": theirs.id}).scalar() == 0
        assert conn.execute(sa.text("UPDATE close_runs SET failure_reason = 'x' WHERE id = CAST(:r AS uuid)"),
                            {"r": theirs.id}).rowcount == 0
    with pytest.raises(sa.exc.ProgrammingError, match="row-level security"), db.tx() as conn:
        conn.execute(sa.text("SELECT set_config('app.tenant_id', :t, true)"), {"t": them.tenant})
        conn.execute(sa.text("INSERT INTO groups VALUES (current_setting('app.tenant_id'), 'x', 'x', 'USD')"))


def test_the_binding_functions_refuse_a_caller_without_the_nonce(db: Database,
                                                                   victim: tuple[Database, Run]) -> None:
    them, theirs = victim
    attempts = ["SELECT monthclose_bind('guess', :t)", "SELECT monthclose_open_session()",
                "SELECT monthclose_append_event('guess', 'cfo', CAST(:r AS uuid), 'signed_off', NULL, NULL, "
                "'forged', '{}')",
                "UPDATE app_sessions SET bound_tenant = :t", "SELECT * FROM app_sessions"]
    for statement in attempts:
        with pytest.raises(sa.exc.DBAPIError) as info, db.tx() as conn:
            conn.execute(sa.text(statement), {"t": them.tenant, "r": theirs.id})
        assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege), statement
    with db.tx() as conn:  # the connection still works, still as tenant A
        assert theirs.id not in _visible_runs(conn)


def test_a_forged_event_insert_fails_and_the_database_sets_time_and_actor(db: Database) -> None:
    run = _run_with_outputs(db, "2026-02")
    with db.tx() as conn:
        before = events(conn, run.id)
    forged = ("INSERT INTO run_events (tenant_id, run_id, at, actor, kind, message) VALUES "
              "(current_setting('app.tenant_id'), CAST(:r AS uuid), '2020-01-01', 'cfo@acme', 'signed_off', "
              "'signed off')")
    with pytest.raises(sa.exc.ProgrammingError) as info, db.tx() as conn:
        conn.execute(sa.text(forged), {"r": run.id})
    assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege)
    start = datetime.now(UTC)
    with db.tx() as conn:
        append_event(conn, run.id, "note", "a real event", actor="alice")
        after = events(conn, run.id)
    assert after[:-1] == before
    assert after[-1]["actor"] == "alice" and after[-1]["at"] >= start.replace(microsecond=0)
    with db.tx() as conn:
        assert verify_chain(conn).intact


def test_outputs_of_a_completed_run_are_sealed(db: Database) -> None:
    run = _run_with_outputs(db, "2026-03")
    _complete(db, run)
    attempts = [f"DELETE FROM consolidated_balances WHERE run_id = {RUN}",
                f"UPDATE consolidated_balances SET amount = 0 WHERE run_id = {RUN}",
                f"UPDATE validation_results SET waived_by = 'me' WHERE run_id = {RUN}",
                f"DELETE FROM run_inputs WHERE run_id = {RUN}",
                f"UPDATE close_runs SET status = 'FAILED' WHERE id = {RUN}",
                f"UPDATE close_runs SET validation_score = 1 WHERE id = {RUN}",
                f"DELETE FROM close_runs WHERE id = {RUN}",
                "TRUNCATE consolidated_balances"]
    for statement in attempts:
        with pytest.raises(sa.exc.DBAPIError) as info, db.tx() as conn:
            conn.execute(sa.text(statement), {"r": run.id})
        assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege), (statement, info.value.orig)
    with db.tx() as conn:  # the sign-off and superseded_by still land, once
        conn.execute(sa.text("UPDATE close_runs SET signed_off_by = 'cfo', signed_off_at = now() "
                             "WHERE id = CAST(:r AS uuid)"), {"r": run.id})
        assert conn.execute(sa.text(f"SELECT count(*) FROM consolidated_balances WHERE run_id = {RUN}"),
                            {"r": run.id}).scalar() == 1
    with pytest.raises(sa.exc.DBAPIError), db.tx() as conn:
        conn.execute(sa.text(f"UPDATE close_runs SET signed_off_by = 'someone else' WHERE id = {RUN}"),
                     {"r": run.id})
    with db.tx() as conn:  # an adjustment cancels the completed run: its rows stay sealed
        transition(conn, run.id, RunStatus.COMPLETED, RunStatus.CANCELLED, actor="t", reason="adjusted")
    for statement in attempts[:4]:
        with pytest.raises(sa.exc.DBAPIError) as info, db.tx() as conn:
            conn.execute(sa.text(statement), {"r": run.id})
        assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege), (statement, info.value.orig)


def test_a_direct_edit_by_the_database_owner_is_reported_at_its_row(db: Database, pg_admin_url: str) -> None:
    run = _run_with_outputs(db, "2026-04")
    with db.tx() as conn:
        append_event(conn, run.id, "note", "second", actor="bob")
        append_event(conn, run.id, "note", "third", actor="bob")
        trail = events(conn, run.id)
        assert verify_chain(conn).intact
    edited = trail[1]["id"]
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        # A superuser skipping the append-only trigger, as a DBA editing the table by hand would.
        admin.execute("SET session_replication_role = replica")
        admin.execute("UPDATE run_events SET actor = 'mallory' WHERE id = %s", (edited,))
    with db.tx() as conn:
        check = verify_chain(conn)
    assert (check.broken_event, check.broken_run) == (edited, run.id), check
    assert "edited" in (check.problem or "")
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:  # put it back, then delete it
        admin.execute("SET session_replication_role = replica")
        admin.execute("UPDATE run_events SET actor = %s WHERE id = %s", (trail[1]["actor"], edited))
        with db.tx() as conn:
            assert verify_chain(conn).intact
        admin.execute("DELETE FROM run_events WHERE id = %s", (edited,))
    with db.tx() as conn:
        check = verify_chain(conn)
    assert check.broken_event == trail[2]["id"] and "link" in (check.problem or ""), check


def test_the_application_refuses_to_log_in_as_a_superuser_or_the_owner(pg_admin_url: str,
                                                                       pg_owner_url: str) -> None:
    for url, who in ((pg_admin_url, "postgres"), (pg_owner_url, "monthclose_owner")):
        with pytest.raises(ConfigError, match=f"logs in as '{who}'") as info:
            Database.connect(url, "t1")
        assert info.value.key == "DATABASE_URL"
