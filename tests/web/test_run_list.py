"""The run list: keyset pages newest first, filters, the count, and one transaction per read."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from close.api import CloseSession
from close.config import Settings
from close.run.env import StageEnv
from close.storage import Database
from close.storage.run_views import page_runs
from close.storage.runs import create_run
from close.users import Principal


def _seeded(db_session: Database) -> Database:
    """A tenant with 25 runs: 5 groups × 5 months, created a minute apart, some failed."""
    db = db_session.for_tenant(f"list_{uuid.uuid4().hex[:10]}")
    with db.tx() as conn:
        for i in range(25):
            run = create_run(conn, group_id=f"g{i % 5}", period=f"2025-0{i // 5 + 1}", actor="seed")
            conn.execute(sa.text("UPDATE close_runs SET created_at = now() - make_interval(mins => :m), "
                                 "status = CASE WHEN :f THEN 'FAILED' ELSE status END "
                                 "WHERE id = CAST(:r AS uuid)"), {"m": 25 - i, "f": i % 4 == 0, "r": run.id})
    return db


def test_keyset_pages_walk_every_run_newest_first_once(db_session: Database) -> None:
    db = _seeded(db_session)
    with db.tx() as conn:
        everything = conn.execute(sa.text("SELECT id::text FROM close_runs ORDER BY created_at DESC, id DESC")
                                  ).scalars().all()
        seen, after = [], None
        while True:
            runs, total = page_runs(conn, limit=7, after=after)
            assert total == 25
            if not runs:
                break
            seen += [r.id for r in runs]
            after = runs[-1].id
        assert seen == everything
        failed, total = page_runs(conn, status="FAILED", limit=200)
        assert total == len(failed) == 7 and {r.status.value for r in failed} == {"FAILED"}
        one, total = page_runs(conn, group_id="g2", period="2025-03")
        assert total == 1 and (one[0].group_id, one[0].period) == ("g2", "2025-03")
        assert page_runs(conn, group_id="nope") == ([], 0)


def test_a_listed_read_is_logged_in_its_own_transaction_with_the_read(db_session: Database) -> None:
    db = _seeded(db_session)
    session = CloseSession(StageEnv(db=db, settings=Settings(), actor="t"), Principal("ann", "viewer", "api"))
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        views, total = session.page_runs(limit=10)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert total == 25 and len(views) == 10
    # The binding (with no wait for the flush), the access-log row, and one statement for the page.
    assert len(statements) == 3 and "synchronous_commit" in statements[0], statements
    assert statements[1].startswith("INSERT INTO access_log") and "LIMIT" in statements[2]
    with db.tx() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM access_log WHERE actor = 'ann'")).scalar_one() == 1
