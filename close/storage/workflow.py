"""SQL of the close's human side: the period's checklist tasks and the record of messages sent."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import Period, RunId


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


_TASK_COLUMNS = ("task_id, title, owner, due_on, depends_on, gate, status, done_by, done_at, note, "
                 "evidence_name, evidence_sha256")


def instantiate_tasks(conn: Connection, group_id: str, period: Period,
                      tasks: Iterable[tuple[str, str, str, date, Sequence[str], str | None]]) -> None:
    """Create the period's tasks from the template; tasks already there (a re-run) are kept."""
    for task_id, title, owner, due_on, depends_on, gate in tasks:
        conn.execute(sa.text(
            "INSERT INTO close_tasks (tenant_id, group_id, period, task_id, title, owner, due_on, "
            "depends_on, gate) VALUES (current_setting('app.tenant_id'), :g, :p, :t, :title, :o, :d, "
            "CAST(:deps AS jsonb), :gate) "
            "ON CONFLICT (tenant_id, group_id, period, task_id) DO NOTHING"),
            {"g": group_id, "p": period, "t": task_id, "title": title, "o": owner, "d": due_on,
             "deps": json.dumps(list(depends_on)), "gate": gate})


def list_tasks(conn: Connection, group_id: str, period: Period) -> list[TaskRow]:
    """Return the period's tasks by due date, then id."""
    rows = conn.execute(sa.text(
        f"SELECT {_TASK_COLUMNS} FROM close_tasks WHERE group_id = :g AND period = :p "  # noqa: S608 - our columns
        "ORDER BY due_on, task_id"), {"g": group_id, "p": period}).all()
    return [TaskRow(*row[:4], tuple(row[4]), *row[5:]) for row in rows]


def set_task_done(conn: Connection, group_id: str, period: Period, task_id: str, *, actor: str, note: str,
                  evidence: tuple[str, str, bytes] | None) -> bool:
    """Mark a task done (with its evidence: name, sha256, bytes); False when it was not open."""
    name, digest, content = evidence or (None, None, None)
    result = conn.execute(sa.text(
        "UPDATE close_tasks SET status = 'DONE', done_by = :a, done_at = now(), note = :n, "
        "evidence_name = :en, evidence_sha256 = :es, evidence = :ev "
        "WHERE group_id = :g AND period = :p AND task_id = :t AND status = 'OPEN'"),
        {"a": actor, "n": note, "en": name, "es": digest, "ev": content, "g": group_id, "p": period,
         "t": task_id})
    return result.rowcount == 1


def reopen_task(conn: Connection, group_id: str, period: Period, task_id: str) -> bool:
    """Reopen a done task (its evidence is cleared with it); False when it was not done."""
    result = conn.execute(sa.text(
        "UPDATE close_tasks SET status = 'OPEN', done_by = NULL, done_at = NULL, note = NULL, "
        "evidence_name = NULL, evidence_sha256 = NULL, evidence = NULL "
        "WHERE group_id = :g AND period = :p AND task_id = :t AND status = 'DONE'"),
        {"g": group_id, "p": period, "t": task_id})
    return result.rowcount == 1


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


def record_deliveries(conn: Connection, run_id: RunId, kind: str,
                      items: Iterable[tuple[str, str, str, str]]) -> list[Delivery]:
    """Record each (key, channel, recipient, subject) once, before sending; return those not SENT."""
    keys = []
    for key, channel, recipient, subject in items:
        conn.execute(sa.text(
            "INSERT INTO deliveries (tenant_id, run_id, idempotency_key, kind, channel, recipient, subject) "
            "VALUES (current_setting('app.tenant_id'), CAST(:r AS uuid), :k, :kind, :c, :to, :s) "
            "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING"),
            {"r": run_id, "k": key, "kind": kind, "c": channel, "to": recipient, "s": subject})
        keys.append(key)
    if not keys:
        return []
    rows = conn.execute(sa.text(
        "SELECT id, idempotency_key, kind, channel, recipient, subject, status, attempts FROM deliveries "
        "WHERE idempotency_key = ANY(:keys) AND status <> 'SENT' ORDER BY id"), {"keys": keys}).all()
    return [Delivery(*row) for row in rows]


def mark_delivery(conn: Connection, delivery_id: int, *, sent: bool, error: str | None = None) -> None:
    """Record one attempt's outcome."""
    conn.execute(sa.text(
        "UPDATE deliveries SET attempts = attempts + 1, status = :s, last_error = :e, "
        "sent_at = CASE WHEN :sent THEN now() ELSE sent_at END WHERE id = :id"),
        {"s": "SENT" if sent else "FAILED", "e": error, "sent": sent, "id": delivery_id})


def deliveries_of(conn: Connection, run_id: RunId) -> list[Delivery]:
    """Return every message recorded for a run."""
    rows = conn.execute(sa.text(
        "SELECT id, idempotency_key, kind, channel, recipient, subject, status, attempts FROM deliveries "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY id"), {"r": run_id}).all()
    return [Delivery(*row) for row in rows]


def alert_keys(conn: Connection, run_id: RunId) -> set[str]:
    """Return the de-duplication keys of the alerts already raised for a run."""
    return set(conn.execute(sa.text(
        "SELECT detail->>'key' FROM run_events WHERE run_id = CAST(:r AS uuid) AND kind = 'alert' "
        "AND detail ? 'key'"), {"r": run_id}).scalars())


def undelivered_alerts(conn: Connection, *, limit: int = 500) -> list[dict[str, object]]:
    """Alert events of the tenant with no SENT delivery yet (oldest first)."""
    rows = conn.execute(sa.text(
        "SELECT e.id, e.run_id::text, e.message, e.stage, e.entity_id, e.detail, r.group_id, r.period "
        "FROM run_events e JOIN close_runs r ON r.id = e.run_id WHERE e.kind = 'alert' AND NOT EXISTS ("
        "SELECT 1 FROM deliveries d WHERE d.kind = 'alert' AND d.status = 'SENT' "
        "AND d.idempotency_key LIKE 'alert:' || e.id || ':%') ORDER BY e.id LIMIT :n"), {"n": limit}).all()
    return [{"event_id": r[0], "run_id": r[1], "message": r[2], "stage": r[3], "entity": r[4],
             "detail": r[5], "group_id": r[6], "period": r[7]} for r in rows]


def runs_awaiting_tasks(conn: Connection) -> list[tuple[RunId, str, Period]]:
    """Return the tenant's runs waiting at a checklist gate: (run, group, period)."""
    rows = conn.execute(sa.text(
        "SELECT id::text, group_id, period FROM close_runs WHERE status = 'AWAITING_TASKS' "
        "ORDER BY created_at"))
    return [(r[0], r[1], r[2]) for r in rows]


def latest_runs_with_tasks(conn: Connection) -> list[tuple[RunId, str, Period]]:
    """For each (group, period) with open tasks, its latest run: where overdue alerts are filed."""
    rows = conn.execute(sa.text(
        "SELECT DISTINCT ON (t.group_id, t.period) r.id::text, t.group_id, t.period FROM close_tasks t "
        "JOIN close_runs r ON r.group_id = t.group_id AND r.period = t.period WHERE t.status = 'OPEN' "
        "ORDER BY t.group_id, t.period, r.created_at DESC"))
    return [(r[0], r[1], r[2]) for r in rows]


def gate_of(conn: Connection, run_id: RunId) -> dict[str, object] | None:
    """Return the detail of the run's latest move to AWAITING_TASKS: gate, resume_from, tasks."""
    return conn.execute(sa.text(
        "SELECT detail FROM run_events WHERE run_id = CAST(:r AS uuid) AND kind = 'transition' "
        "AND detail->>'to' = 'AWAITING_TASKS' ORDER BY id DESC LIMIT 1"), {"r": run_id}).scalar()


Transition = tuple[RunId, datetime, str, str | None]


def transitions_of(conn: Connection, run_ids: Sequence[RunId]) -> list[Transition]:
    """Return the runs' status changes and entity extracts: (run, at, to-status or stage, entity)."""
    rows = conn.execute(sa.text(
        "SELECT run_id::text, at, CASE WHEN kind = 'transition' THEN detail->>'to' ELSE stage END, entity_id "
        "FROM run_events WHERE run_id = ANY(CAST(:ids AS uuid[])) AND (kind = 'transition' OR "
        "(kind = 'stage_done' AND stage = 'EXTRACTING')) ORDER BY run_id, id"), {"ids": list(run_ids)}).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def completed_runs_of(conn: Connection, group_id: str, *, limit: int = 20) -> list[RunId]:
    """Return the group's latest COMPLETED runs (the history durations are measured on)."""
    return list(conn.execute(sa.text(
        "SELECT id::text FROM close_runs WHERE group_id = :g AND status = 'COMPLETED' "
        "ORDER BY finished_at DESC LIMIT :n"), {"g": group_id, "n": limit}).scalars())


def recent_run_ids(conn: Connection, *, limit: int) -> list[RunId]:
    """Return the tenant's latest runs (durations are measured on them)."""
    return list(conn.execute(sa.text("SELECT id::text FROM close_runs ORDER BY created_at DESC LIMIT :n"),
                             {"n": limit}).scalars())


def metric_totals(conn: Connection) -> dict[str, Any]:
    """Return the tenant's counts for the metrics endpoint: runs, retries, deliveries, Claude usage."""
    runs = dict(conn.execute(sa.text(
        "SELECT status, count(*) FROM close_runs GROUP BY status")).tuples().all())
    retries = dict(conn.execute(sa.text(
        "SELECT stage, count(*) FROM run_events WHERE kind = 'retry' GROUP BY stage")).tuples().all())
    deliveries = {(c, s): n for c, s, n in conn.execute(sa.text(
        "SELECT channel, status, count(*) FROM deliveries GROUP BY channel, status"))}
    tokens_in, tokens_out, cost = conn.execute(sa.text(
        "SELECT coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cost), 0) "
        "FROM commentary")).one()
    return {"runs": runs, "retries": retries, "deliveries": deliveries, "input_tokens": tokens_in,
            "output_tokens": tokens_out, "cost_usd": cost}


def _reporting_cutoff(conn: Connection, run_id: RunId) -> int:
    """Return the id of the run's last move into REPORTING (the newest event when it has none).

    The package shows the close as it stood then, so rendering the same run again later
    (completed, signed off, a task reopened) gives the same bytes.
    """
    return conn.execute(sa.text(
        "SELECT coalesce((SELECT max(id) FROM run_events WHERE run_id = CAST(:r AS uuid) "
        "AND kind = 'transition' AND detail->>'to' = 'REPORTING'), 9223372036854775807)"),
        {"r": run_id}).scalar_one()


def steps_until_reporting(conn: Connection, run_id: RunId) -> list[tuple[datetime, str]]:
    """Return the run's status changes up to its last move into REPORTING: (at, to-status)."""
    rows = conn.execute(sa.text(
        "SELECT at, detail->>'to' FROM run_events WHERE run_id = CAST(:r AS uuid) AND kind = 'transition' "
        "AND id <= :cut ORDER BY id"), {"r": run_id, "cut": _reporting_cutoff(conn, run_id)}).all()
    return [(at, to) for at, to in rows]


def tasks_until_reporting(conn: Connection, run_id: RunId, group_id: str, period: Period) -> list[TaskRow]:
    """Return the period's tasks as they stood at the run's last move into REPORTING.

    A task counts as done when its latest ``task_done`` / ``task_reopened`` event (of any run of the
    period) before that moment is a ``task_done``; who did it, when and the evidence's sha256 come
    from that event (the audit trail is append-only, the task row is not).
    """
    rows = conn.execute(sa.text(
        "SELECT t.task_id, t.title, t.owner, t.due_on, t.depends_on, t.gate, e.kind, e.actor, e.at, "
        "e.detail->>'evidence', e.detail->>'evidence_sha256' FROM close_tasks t LEFT JOIN LATERAL ("
        "SELECT ev.kind, ev.actor, ev.at, ev.detail FROM run_events ev JOIN close_runs r ON r.id = ev.run_id "
        "WHERE r.group_id = t.group_id AND r.period = t.period AND ev.kind IN ('task_done', 'task_reopened') "
        "AND ev.detail->>'task' = t.task_id AND ev.id <= :cut ORDER BY ev.id DESC LIMIT 1) e ON true "
        "WHERE t.group_id = :g AND t.period = :p ORDER BY t.due_on, t.task_id"),
        {"cut": _reporting_cutoff(conn, run_id), "g": group_id, "p": period}).all()
    out = []
    for task_id, title, owner, due_on, deps, gate, kind, actor, at, name, digest in rows:
        done = kind == "task_done"
        out.append(TaskRow(task_id, title, owner, due_on, tuple(deps), gate, "DONE" if done else "OPEN",
                           actor if done else None, at if done else None, None,
                           name if done else None, digest if done else None))
    return out


def events_until_reporting(conn: Connection, run_id: RunId) -> list[tuple[datetime, str, str, str]]:
    """Return the run's audit trail up to its last move into REPORTING: (at, actor, kind, message)."""
    rows = conn.execute(sa.text(
        "SELECT at, actor, kind, message FROM run_events WHERE run_id = CAST(:r AS uuid) AND id <= :cut "
        "ORDER BY id"), {"r": run_id, "cut": _reporting_cutoff(conn, run_id)}).all()
    return [(at, actor, kind, message) for at, actor, kind, message in rows]
