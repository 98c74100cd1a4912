"""Read-only views of runs for the REST API, the web page and the MCP server."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Connection

from close.engine.types import Period, RunId
from close.storage.artifacts import current_edition
from close.storage.runs import RUN_COLUMNS, Run, _to_run
from close.storage.schema import artifacts, close_runs, commentary, kpis, period_locks, run_stages, variances


def page_runs(conn: Connection, *, group_id: str | None = None, period: Period | None = None,
              status: str | None = None, limit: int = 50,
              after: RunId | None = None) -> tuple[list[Run], int]:
    """Return one page of the tenant's runs, newest first, and how many match the filters in all.

    One statement, keyset-paged: ``after`` is the id of the previous page's last run, and the
    page is the next ``limit`` runs in ``(created_at, id)`` descending order, read in that order
    from ``close_runs_newest`` (0014); the count rides along, so an empty page still has it.
    """
    c = close_runs.c
    matching = [c[column] == value for column, value in
                (("group_id", group_id), ("period", period), ("status", status)) if value is not None]
    keyset = []
    if after:
        previous = close_runs.alias("previous")
        keyset.append(sa.tuple_(c.created_at, c.id) < sa.select(previous.c.created_at, previous.c.id)
                      .where(previous.c.id == after).scalar_subquery())
    total = sa.select(sa.func.count().label("n")).select_from(close_runs).where(*matching).subquery("total")
    page = (sa.select(*RUN_COLUMNS).where(*matching, *keyset)
            .order_by(c.created_at.desc(), c.id.desc()).limit(limit).lateral("page"))
    rows = conn.execute(sa.select(total.c.n.label("total"), *page.c)
                        .select_from(total.outerjoin(page, sa.true()))).all()
    total_n = int(rows[0].total)
    return [_to_run(r) for r in rows if r.id is not None], total_n


def latest_by_month(conn: Connection) -> list[Run]:
    """Return the newest run of every (group, period): the close calendar's cells."""
    c = close_runs.c
    rows = conn.execute(sa.select(*RUN_COLUMNS).ext(distinct_on(c.group_id, c.period))
                        .order_by(c.group_id, c.period, c.created_at.desc()))
    return [_to_run(r) for r in rows]


def locked_periods(conn: Connection) -> set[tuple[str, str]]:
    """Return the locked ``(group_id, period)`` pairs."""
    return {(r[0], r[1]) for r in conn.execute(sa.select(period_locks.c.group_id, period_locks.c.period))}


def stage_rows(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the run's stage checkpoints with their times and durations, in the order they finished."""
    seconds = sa.extract("epoch", run_stages.c.finished_at - run_stages.c.started_at)
    rows = conn.execute(sa.select(run_stages.c.stage, run_stages.c.entity_id, run_stages.c.status,
                                  run_stages.c.attempt, run_stages.c.started_at, run_stages.c.finished_at,
                                  sa.func.round(seconds, 3).label("duration_s"))
                        .where(run_stages.c.run_id == run_id).order_by(run_stages.c.finished_at))
    return [dict(r._mapping) for r in rows]


def variance_rows(conn: Connection, run_id: RunId, *, account: str | None = None) -> list[dict[str, Any]]:
    """Return the run's material consolidated variances, each with its commentary when written."""
    cond = [variances.c.run_id == run_id, variances.c.material.is_(True), variances.c.entity_id.is_(None)]
    if account:
        cond.append(variances.c.account == account)
    rows = conn.execute(sa.select(variances.c.account, variances.c.kind, variances.c.current_amount,
                                  variances.c.comparison_amount, variances.c.delta, variances.c.pct,
                                  variances.c.detail).where(*cond).order_by(variances.c.seq))
    notes = {(r.account, r.kind): r for r in conn.execute(
        sa.select(commentary.c.account, commentary.c.kind, commentary.c.body, commentary.c.source,
                  commentary.c.light, commentary.c.confidence)
        .where(commentary.c.run_id == run_id, commentary.c.entity_id.is_(None)))}
    out = []
    for r in rows:
        item = dict(r._mapping)
        note = notes.get((r.account, r.kind))
        item["commentary"] = note.body if note else None
        item["light"] = note.light if note else None
        item["source"] = note.source if note else None
        out.append(item)
    return out


def kpi_rows(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the run's KPIs with their formula, or the reason one could not be computed."""
    rows = conn.execute(sa.select(kpis.c.code, kpis.c.name, kpis.c.value, kpis.c.unit, kpis.c.reason,
                                  kpis.c.formula).where(kpis.c.run_id == run_id).order_by(kpis.c.code))
    return [dict(r._mapping) for r in rows]


def artifact_rows(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the run's package files of its current edition (signed once signed off), without bytes."""
    edition = current_edition(conn, run_id)
    rows = conn.execute(sa.select(artifacts.c.name, artifacts.c.content_type, artifacts.c.sha256,
                                  artifacts.c.size, artifacts.c.edition)
                        .where(artifacts.c.run_id == run_id, artifacts.c.edition == edition)
                        .order_by(artifacts.c.name))
    return [dict(r._mapping) for r in rows]


def artifact_content(conn: Connection, run_id: RunId, name: str) -> tuple[bytes, str, str] | None:
    """Return one package file of the current edition as ``(bytes, content type, sha256)``, or None."""
    edition = current_edition(conn, run_id)
    row = conn.execute(sa.select(artifacts.c.content, artifacts.c.content_type, artifacts.c.sha256)
                       .where(artifacts.c.run_id == run_id, artifacts.c.name == name,
                              artifacts.c.edition == edition)).first()
    return (bytes(row[0]), row[1], row[2]) if row else None
