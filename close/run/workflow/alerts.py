"""Alerts that reach a person: failed runs, overdue tasks, gates waiting past their due day, slow stages.

An alert is an ``alert`` event in the run's audit trail (``close.run.failures.mark_failed`` writes the
failures'); the checks here add the others once each, keyed (``detail.key``) so a second tick
raises nothing new. Delivery sends every alert event that has no SENT delivery yet to the group's
``[distribution.alerts]`` channels, with the run, stage, entity, reason and the command to run, and
records each send (``close.run.workflow.delivery``): a second tick sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from close.engine.types import RunId
from close.errors import CloseError
from close.run.env import StageEnv
from close.run.inputs import load_config
from close.run.state import STAGE_ORDER, RunStatus, append_event, transition
from close.run.workflow.checklist import blocking, overdue
from close.run.workflow.delivery import Message, deliver
from close.run.workflow.durations import slow_stages
from close.storage.runs import get_run
from close.storage.workflow import (
    alert_keys,
    gate_of,
    latest_runs_with_tasks,
    list_tasks,
    runs_awaiting_tasks,
    undelivered_alerts,
)

log = logging.getLogger(__name__)


def raise_alert(env: StageEnv, run_id: RunId, key: str, message: str, *, stage: str | None = None,
                detail: dict[str, Any] | None = None) -> bool:
    """Append an alert event unless one with ``key`` was raised for the run; True when new."""
    with env.db.tx() as conn:
        if key in alert_keys(conn, run_id):
            return False
        append_event(conn, run_id, "alert", message, actor=env.actor, stage=stage,
                     detail={"key": key, **(detail or {})})
    return True


def alert_messages(alert: dict[str, Any], config: Any) -> list[Message]:  # noqa: ANN401 - a GroupConfig
    """Build the messages of one alert event for the group's alert channels."""
    dist = config.distribution
    subject = f"[monthclose] {config.name} {alert['period']}: {alert['message'].split('. ')[0]}"[:180]
    lines = [alert["message"], "", f"Group: {config.name} ({alert['group_id']})",
             f"Period: {alert['period']}", f"Run: {alert['run_id']}"]
    if alert["stage"]:
        lines.append(f"Stage: {alert['stage']}")
    if alert["entity"]:
        lines.append(f"Entity: {alert['entity']}")
    command = alert["detail"].get("command") or alert["detail"].get("resume")
    if command:
        lines += ["", f"Command: {command}"]
    text = "\n".join(lines)
    key = f"alert:{alert['event_id']}"
    messages = []
    if "email" in dist.alert_channels and dist.email.host:
        roles = dist.alert_roles or None
        messages += [Message(key=f"{key}:email:{to}", channel="email", recipient=to, subject=subject,
                             text=text) for to in dist.email.addresses(roles)]
    if "slack" in dist.alert_channels:
        messages.append(Message(key=f"{key}:slack:webhook", channel="slack", recipient="webhook",
                                subject=subject, text=text))
    return messages


def deliver_alerts(env: StageEnv, *, run_id: RunId | None = None) -> int:
    """Send every alert not yet delivered (of one run, or of the tenant); return how many were sent.

    Never raises for a delivery problem: that is recorded on the delivery and in the audit trail.
    """
    with env.db.tx() as conn:
        pending = [a for a in undelivered_alerts(conn) if run_id is None or a["run_id"] == run_id]
    sent = 0
    for alert in pending:
        with env.db.tx() as conn:
            config = load_config(conn, alert["run_id"])
        messages = alert_messages(alert, config)
        if messages:
            sent += len(deliver(env, alert["run_id"], "alert", messages, config.distribution).sent)
    return sent


@dataclass(frozen=True, slots=True)
class TickReport:
    """What one tick did."""

    released: tuple[RunId, ...]  # runs whose gate opened: the caller starts their canvas
    alerts_raised: int
    alerts_sent: int


def release_gate(env: StageEnv, run_id: RunId) -> bool:
    """Move a run waiting at a gate back to work when the gate's tasks are done; True when released."""
    with env.db.tx() as conn:
        run = get_run(conn, run_id, for_update=True)
        if run is None or run.status != RunStatus.AWAITING_TASKS:
            return False
        gate = gate_of(conn, run_id) or {}
        if blocking(list_tasks(conn, run.group_id, run.period), str(gate.get("gate"))):
            return False
        back = RunStatus(str(gate.get("resume_from", RunStatus.PENDING.value)))
        transition(conn, run_id, RunStatus.AWAITING_TASKS, back, actor=env.actor,
                   reason=f"gate before {gate.get('gate')} open: its tasks are done", detail={"gate": gate})
    return True


def tick(env: StageEnv, today: date | None = None) -> TickReport:
    """Open gates whose tasks are done, raise new alerts, and send the alerts not delivered yet."""
    today = today or datetime.now(UTC).date()
    released, raised = [], 0
    with env.db.tx() as conn:
        waiting = runs_awaiting_tasks(conn)
        with_tasks = latest_runs_with_tasks(conn)
    for run_id, group_id, period in waiting:
        if release_gate(env, run_id):
            released.append(run_id)
            continue
        with env.db.tx() as conn:
            gate = gate_of(conn, run_id) or {}
            gating = blocking(list_tasks(conn, group_id, period), str(gate.get("gate")))
        late = [t.task_id for t in overdue(gating, today)]
        if late:
            raised += raise_alert(
                env, run_id, f"gate:{gate.get('gate')}", f"{group_id} {period} waits at the gate before "
                f"{gate.get('gate')} past its due day: {', '.join(late)} not done",
                stage=str(gate.get("gate")), detail={"command": f"close tasks done {group_id} {period} TASK"})
    for run_id, group_id, period in with_tasks:
        with env.db.tx() as conn:
            late_tasks = overdue(list_tasks(conn, group_id, period), today)
        for t in late_tasks:
            raised += raise_alert(
                env, run_id, f"overdue:{t.task_id}",
                f"Task {t.task_id} ({t.title}, owner {t.owner}) of {group_id} {period} was due {t.due_on}",
                detail={"task": t.task_id, "command": f"close tasks done {group_id} {period} {t.task_id}"})
    for run_id, stage, elapsed, median in _slow(env):
        raised += raise_alert(
            env, run_id, f"slow:{stage}", f"Stage {stage} has run {elapsed:.0f} s, far past its median of "
            f"{median:.0f} s", stage=stage, detail={"command": f"close status {run_id}"})
    try:
        sent = deliver_alerts(env)
    except CloseError as exc:  # a run whose config cannot be read: the rest still goes out next tick
        log.warning("alerts not delivered: %s", exc)
        sent = 0
    return TickReport(released=tuple(released), alerts_raised=raised, alerts_sent=sent)


def _slow(env: StageEnv) -> list[tuple[RunId, str, float, float]]:
    from close.storage.runs import find_runs

    with env.db.tx() as conn:
        working = [r for r in find_runs(conn, limit=200) if r.status in STAGE_ORDER]
        found = []
        for run in working:
            config = load_config(conn, run.id)
            factor = config.distribution.slow_stage_factor
            found += [(run.id, *slow) for slow in slow_stages(conn, run, factor)]
    return found
