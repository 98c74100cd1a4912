"""SQL of the close's human side: the period's checklist tasks and the record of messages sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from close.engine.types import Period, RunId
from close.storage.schema import close_runs, close_tasks, commentary, current_tenant, deliveries, run_events


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One checklist task of a period, as stored."""

    task_id: str
    title: str
    owner: str
    due_on: date
    depends_on: tuple[str, ...]
    gate: str | None
    status: str  # OPEN | DONE
    done_by: str | None
    done_at: datetime | None
    note: str | None
    evidence_name: str | None
    evidence_sha256: str | None


_TASK_COLUMNS = tuple(close_tasks.c[name] for name in TaskRow.__slots__)


def instantiate_tasks(conn: Connection, group_id: str, period: Period,
                      tasks: Iterable[tuple[str, str, str, date, Sequence[str], str | None]]) -> None:
    """Create the period's tasks from the template; tasks already there (a re-run) are kept."""
    for task_id, title, owner, due_on, depends_on, gate in tasks:
        conn.execute(pg_insert(close_tasks).values(
            tenant_id=current_tenant(), group_id=group_id, period=period, task_id=task_id, title=title,
            owner=owner, due_on=due_on, depends_on=list(depends_on), gate=gate)
            .on_conflict_do_nothing(index_elements=["tenant_id", "group_id", "period", "task_id"]))


def list_tasks(conn: Connection, group_id: str, period: Period) -> list[TaskRow]:
    """Return the period's tasks by due date, then id."""
    t = close_tasks.c
    rows = conn.execute(sa.select(*_TASK_COLUMNS).where(t.group_id == group_id, t.period == period)
                        .order_by(t.due_on, t.task_id)).all()
    return [TaskRow(*row[:4], tuple(row[4]), *row[5:]) for row in rows]


def set_task_done(conn: Connection, group_id: str, period: Period, task_id: str, *, actor: str, note: str,
                  evidence: tuple[str, str, bytes] | None) -> bool:
    """Mark a task done (with its evidence: name, sha256, bytes); False when it was not open."""
    name, digest, content = evidence or (None, None, None)
    result = conn.execute(
        close_tasks.update().where(*_task(group_id, period, task_id), close_tasks.c.status == "OPEN")
        .values(status="DONE", done_by=actor, done_at=sa.func.now(), note=note, evidence_name=name,
                evidence_sha256=digest, evidence=content))
    return result.rowcount == 1


def reopen_task(conn: Connection, group_id: str, period: Period, task_id: str) -> bool:
    """Reopen a done task (its evidence is cleared with it); False when it was not done."""
    result = conn.execute(
        close_tasks.update().where(*_task(group_id, period, task_id), close_tasks.c.status == "DONE")
        .values(status="OPEN", done_by=None, done_at=None, note=None, evidence_name=None,
                evidence_sha256=None, evidence=None))
    return result.rowcount == 1


def _task(group_id: str, period: Period, task_id: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Return the WHERE clause of one task of the period."""
    t = close_tasks.c
    return t.group_id == group_id, t.period == period, t.task_id == task_id


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one recipient."""

    id: int
    idempotency_key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    status: str  # PENDING | SENT | FAILED
    attempts: int


_DELIVERY_COLUMNS = tuple(deliveries.c[name] for name in Delivery.__slots__)


def record_deliveries(conn: Connection, run_id: RunId, kind: str,
                      items: Iterable[tuple[str, str, str, str]]) -> list[Delivery]:
    """Record each (key, channel, recipient, subject) once, before sending; return those not SENT."""
    keys = []
    for key, channel, recipient, subject in items:
        conn.execute(pg_insert(deliveries).values(
            tenant_id=current_tenant(), run_id=run_id, idempotency_key=key, kind=kind, channel=channel,
            recipient=recipient, subject=subject)
            .on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"]))
        keys.append(key)
    if not keys:
        return []
    d = deliveries.c
    rows = conn.execute(sa.select(*_DELIVERY_COLUMNS).where(d.idempotency_key.in_(keys), d.status != "SENT")
                        .order_by(d.id)).all()
    return [Delivery(*row) for row in rows]


def mark_delivery(conn: Connection, delivery_id: int, *, sent: bool, error: str | None = None) -> None:
    """Record one attempt's outcome."""
    d = deliveries.c
    values: dict[str, Any] = {"attempts": d.attempts + 1, "status": "SENT" if sent else "FAILED",
                              "last_error": error}
    if sent:
        values["sent_at"] = sa.func.now()
    conn.execute(deliveries.update().where(d.id == delivery_id).values(values))


def deliveries_of(conn: Connection, run_id: RunId) -> list[Delivery]:
    """Return every message recorded for a run."""
    rows = conn.execute(sa.select(*_DELIVERY_COLUMNS).where(deliveries.c.run_id == run_id)
                        .order_by(deliveries.c.id)).all()
    return [Delivery(*row) for row in rows]


def alert_keys(conn: Connection, run_id: RunId) -> set[str]:
    """Return the de-duplication keys of the alerts already raised for a run."""
    e = run_events.c
    return set(conn.execute(sa.select(e.detail["key"].astext)
                            .where(e.run_id == run_id, e.kind == "alert", e.detail.has_key("key"))).scalars())


def undelivered_alerts(conn: Connection, *, limit: int = 500) -> list[dict[str, object]]:
    """Alert events of the tenant with no SENT delivery yet (oldest first)."""
    e, r, d = run_events.c, close_runs.c, deliveries.c
    sent = sa.exists().where(d.kind == "alert", d.status == "SENT",
                             d.idempotency_key.like(sa.func.concat("alert:", e.id, ":%")))
    rows = conn.execute(sa.select(e.id, e.run_id, e.message, e.stage, e.entity_id, e.detail, r.group_id,
                                  r.period)
                        .select_from(run_events.join(close_runs, r.id == e.run_id))
                        .where(e.kind == "alert", ~sent).order_by(e.id).limit(limit)).all()
    return [{"event_id": r[0], "run_id": r[1], "message": r[2], "stage": r[3], "entity": r[4],
             "detail": r[5], "group_id": r[6], "period": r[7]} for r in rows]


def runs_awaiting_tasks(conn: Connection) -> list[tuple[RunId, str, Period]]:
    """Return the tenant's runs waiting at a checklist gate: (run, group, period)."""
    r = close_runs.c
    rows = conn.execute(sa.select(r.id, r.group_id, r.period).where(r.status == "AWAITING_TASKS")
                        .order_by(r.created_at))
    return [(r[0], r[1], r[2]) for r in rows]


def latest_runs_with_tasks(conn: Connection) -> list[tuple[RunId, str, Period]]:
    """For each (group, period) with open tasks, its latest run: where overdue alerts are filed."""
    t, r = close_tasks.c, close_runs.c
    rows = conn.execute(sa.select(r.id, t.group_id, t.period).ext(distinct_on(t.group_id, t.period))
                        .select_from(close_tasks.join(close_runs, sa.and_(r.group_id == t.group_id,
                                                                          r.period == t.period)))
                        .where(t.status == "OPEN").order_by(t.group_id, t.period, r.created_at.desc()))
    return [(r[0], r[1], r[2]) for r in rows]


def gate_of(conn: Connection, run_id: RunId) -> dict[str, object] | None:
    """Return the detail of the run's latest move to AWAITING_TASKS: gate, resume_from, tasks."""
    e = run_events.c
    return conn.execute(sa.select(e.detail).where(*_moves_to(run_id, "AWAITING_TASKS"))
                        .order_by(e.id.desc()).limit(1)).scalar()


def _moves_to(run_id: RunId, status: str) -> tuple[sa.ColumnElement[bool], ...]:
    """Return the WHERE clause of the run's transition events into ``status``."""
    e = run_events.c
    return e.run_id == run_id, e.kind == "transition", e.detail["to"].astext == status


Transition = tuple[RunId, datetime, str, str | None]


def transitions_of(conn: Connection, run_ids: Sequence[RunId]) -> list[Transition]:
    """Return the runs' status changes and entity extracts: (run, at, to-status or stage, entity)."""
    e = run_events.c
    step = sa.case((e.kind == "transition", e.detail["to"].astext), else_=e.stage)
    rows = conn.execute(sa.select(e.run_id, e.at, step, e.entity_id)
                        .where(e.run_id.in_(list(run_ids)),
                               sa.or_(e.kind == "transition",
                                      sa.and_(e.kind == "stage_done", e.stage == "EXTRACTING")))
                        .order_by(e.run_id, e.id)).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def completed_runs_of(conn: Connection, group_id: str, *, limit: int = 20) -> list[RunId]:
    """Return the group's latest COMPLETED runs (the history durations are measured on)."""
    r = close_runs.c
    return list(conn.execute(sa.select(r.id).where(r.group_id == group_id, r.status == "COMPLETED")
                             .order_by(r.finished_at.desc()).limit(limit)).scalars())


def recent_run_ids(conn: Connection, *, limit: int) -> list[RunId]:
    """Return the tenant's latest runs (durations are measured on them)."""
    return list(conn.execute(sa.select(close_runs.c.id).order_by(close_runs.c.created_at.desc())
                             .limit(limit)).scalars())


def metric_totals(conn: Connection) -> dict[str, Any]:
    """Return the tenant's counts for the metrics endpoint: runs, retries, deliveries, Claude usage."""
    r, e, d, c = close_runs.c, run_events.c, deliveries.c, commentary.c
    count = sa.func.count()
    runs = {status: n for status, n in conn.execute(sa.select(r.status, count).group_by(r.status))}
    retries = {stage: n for stage, n in conn.execute(
        sa.select(e.stage, count).where(e.kind == "retry").group_by(e.stage))}
    sent = {(channel, status): n for channel, status, n in conn.execute(
        sa.select(d.channel, d.status, count).group_by(d.channel, d.status))}
    tokens_in, tokens_out, cost = conn.execute(sa.select(
        *(sa.func.coalesce(sa.func.sum(column), 0) for column in (c.input_tokens, c.output_tokens, c.cost))
    )).one()
    return {"runs": runs, "retries": retries, "deliveries": sent, "input_tokens": tokens_in,
            "output_tokens": tokens_out, "cost_usd": cost}


def _reporting_cutoff(conn: Connection, run_id: RunId) -> int:
    """Return the id of the run's last move into REPORTING (the newest event when it has none).

    The package shows the close as it stood then, so rendering the same run again later
    (completed, signed off, a task reopened) gives the same bytes.
    """
    last = sa.select(sa.func.max(run_events.c.id)).where(*_moves_to(run_id, "REPORTING")).scalar_subquery()
    return conn.execute(sa.select(sa.func.coalesce(last, sa.literal(_NO_CUTOFF, sa.BigInteger)))).scalar_one()


_NO_CUTOFF = 2**63 - 1  # the largest bigint: every event of a run that never reached REPORTING


def steps_until_reporting(conn: Connection, run_id: RunId) -> list[tuple[datetime, str]]:
    """Return the run's status changes up to its last move into REPORTING: (at, to-status)."""
    e = run_events.c
    rows = conn.execute(sa.select(e.at, e.detail["to"].astext)
                        .where(e.run_id == run_id, e.kind == "transition",
                               e.id <= _reporting_cutoff(conn, run_id))
                        .order_by(e.id)).all()
    return [(at, to) for at, to in rows]


def tasks_until_reporting(conn: Connection, run_id: RunId, group_id: str, period: Period) -> list[TaskRow]:
    """Return the period's tasks as they stood at the run's last move into REPORTING.

    A task counts as done when its latest ``task_done`` / ``task_reopened`` event (of any run of the
    period) before that moment is a ``task_done``; who did it, when and the evidence's sha256 come
    from that event (the audit trail is append-only, the task row is not).
    """
    t, ev, r = close_tasks.c, run_events.c, close_runs.c
    last = (sa.select(ev.kind, ev.actor, ev.at, ev.detail)
            .select_from(run_events.join(close_runs, r.id == ev.run_id))
            .where(r.group_id == t.group_id, r.period == t.period,
                   ev.kind.in_(["task_done", "task_reopened"]), ev.detail["task"].astext == t.task_id,
                   ev.id <= _reporting_cutoff(conn, run_id))
            .order_by(ev.id.desc()).limit(1).lateral("e"))
    rows = conn.execute(sa.select(t.task_id, t.title, t.owner, t.due_on, t.depends_on, t.gate, last.c.kind,
                                  last.c.actor, last.c.at, last.c.detail["evidence"].astext,
                                  last.c.detail["evidence_sha256"].astext)
                        .select_from(close_tasks.outerjoin(last, sa.true()))
                        .where(t.group_id == group_id, t.period == period)
                        .order_by(t.due_on, t.task_id)).all()
    out = []
    for task_id, title, owner, due_on, deps, gate, kind, actor, at, name, digest in rows:
        done = kind == "task_done"
        out.append(TaskRow(task_id, title, owner, due_on, tuple(deps), gate, "DONE" if done else "OPEN",
                           actor if done else None, at if done else None, None,
                           name if done else None, digest if done else None))
    return out


def events_until_reporting(conn: Connection, run_id: RunId) -> list[tuple[datetime, str, str, str]]:
    """Return the run's audit trail up to its last move into REPORTING: (at, actor, kind, message)."""
    e = run_events.c
    rows = conn.execute(sa.select(e.at, e.actor, e.kind, e.message)
                        .where(e.run_id == run_id, e.id <= _reporting_cutoff(conn, run_id))
                        .order_by(e.id)).all()
    return [(at, actor, kind, message) for at, actor, kind, message in rows]
