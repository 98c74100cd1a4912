"""``close tasks`` (the month's checklist) and ``close tick`` (gates, alerts and their delivery)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from close.api import CloseSession
from close.cli.common import JsonOpt, check_period, console, open_env
from close.cli.follow import carry_on
from close.errors import ConfigError
from close.run.workflow.alerts import release_gate, tick
from close.run.workflow.checklist import missing_dependencies
from close.run.workflow.durations import Progress
from close.storage.runs import done_stages, find_runs, sha256
from close.storage.workflow import list_tasks, reopen_task, set_task_done

tasks_app = typer.Typer(no_args_is_help=True, help="The month's checklist of human tasks.")
GroupArg = Annotated[str, typer.Argument(help="The group id.")]
PeriodArg = Annotated[str, typer.Argument(help="The period, YYYY-MM.")]
TaskArg = Annotated[str, typer.Argument(help="The task id from the group config's [[checklist]].")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow a released run until it ends (distributed).")]


@tasks_app.command("list")
def tasks_list(group: GroupArg, period: PeriodArg, as_json: JsonOpt = False) -> None:
    """List a period's tasks: owner, due date, gate, who did them; overdue ones flagged."""
    tasks = CloseSession(open_env()).checklist(group, check_period(period))
    if as_json:
        console.print_json(json.dumps(tasks, default=str))
        return
    if not tasks:
        console.print(f"no checklist tasks for {group} {period} (the group config has no [[checklist]], "
                      "or the period has no run yet)")
        return
    table = Table("task", "title", "owner", "due", "gate", "status", "done by",
                  title=f"Checklist {group} {period}")
    for t in tasks:
        status = "[red]OVERDUE[/]" if t["overdue"] else t["status"]
        done = f"{t['done_by']} {t['done_at']:%Y-%m-%d %H:%M}" if t["done_at"] else ""
        table.add_row(t["task_id"], t["title"], t["owner"], f"{t['due_on']}", t["gate"] or "", status,
                      done)
    console.print(table)


@tasks_app.command("done")
def tasks_done(group: GroupArg, period: PeriodArg, task: TaskArg,
               evidence: Annotated[Path | None, typer.Option("--evidence", help="A file kept with the task "
                                                            "(stored with its sha256).")] = None,
               note: Annotated[str, typer.Option("--note", help="A note kept with the task.")] = "",
               wait: WaitOpt = False) -> None:
    """Mark a task done; a run waiting at the gate it held continues on its own."""
    env = open_env()
    check_period(period)
    proof = None
    if evidence is not None:
        try:
            content = evidence.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {evidence}: {exc.strerror}", key="--evidence") from None
        proof = (evidence.name, sha256(content), content)
    with env.db.tx() as conn:
        tasks = list_tasks(conn, group, period)
        found = next((t for t in tasks if t.task_id == task), None)
        if found is None:
            raise ConfigError(f"no task {task!r} for {group} {period}", key="TASK",
                              expected=", ".join(t.task_id for t in tasks) or "a task of the checklist")
        runs = find_runs(conn, group_id=group, period=period, limit=1)
        stages = {s for s, e in done_stages(conn, runs[0].id) if e == ""} if runs else set()
        waiting_for = missing_dependencies(found, tasks, stages)
        if waiting_for:
            raise ConfigError(f"task {task} depends on what is not done yet: {', '.join(waiting_for)}",
                              key="TASK")
        if not set_task_done(conn, group, period, task, actor=env.actor, note=note, evidence=proof):
            raise ConfigError(f"task {task} is already done", key="TASK")
        if runs:
            from close.run.state import append_event
            append_event(conn, runs[0].id, "task_done", f"task {task} done by {env.actor}" + (
                f": {note}" if note else ""), actor=env.actor,
                detail={"task": task, "evidence": proof[0] if proof else None,
                        "evidence_sha256": proof[1] if proof else None})
    console.print(f"task {task} done")
    for run in runs:
        if release_gate(env, run.id):
            console.print(f"run {run.id} continues")
            carry_on(env, run.id, wait=wait, as_json=False)


@tasks_app.command("reopen")
def tasks_reopen(group: GroupArg, period: PeriodArg, task: TaskArg,
                 reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")]
                 ) -> None:
    """Reopen a done task (its evidence is cleared)."""
    env = open_env()
    with env.db.tx() as conn:
        if not reopen_task(conn, group, check_period(period), task):
            raise ConfigError(f"task {task} of {group} {period} is not done", key="TASK")
        runs = find_runs(conn, group_id=group, period=period, limit=1)
        if runs:
            from close.run.state import append_event
            append_event(conn, runs[0].id, "task_reopened", f"task {task} reopened: {reason}",
                         actor=env.actor, detail={"task": task, "reason": reason})
    console.print(f"task {task} reopened")


def tick_command(as_json: JsonOpt = False) -> None:
    """Open gates whose tasks are done, raise alerts (overdue, waiting, slow) and send pending ones."""
    from workers.canvas import start_run

    env = open_env()
    report = tick(env)
    for run_id in report.released:
        start_run(env, run_id)
    if as_json:
        console.print_json(json.dumps({"released": list(report.released), "alerts_sent": report.alerts_sent,
                                       "alerts_raised": report.alerts_raised}))
        return
    console.print(f"{len(report.released)} runs released, {report.alerts_raised} alerts raised, "
                  f"{report.alerts_sent} messages sent")


def progress_text(found: Progress | None) -> str:
    """Say how a working stage compares with its history, for ``close status``."""
    if found is None:
        return ""
    text = f"{found.stage.lower()} {found.elapsed:,.0f} s"
    if found.timing is not None:
        text += f" (median {found.timing.median:,.0f} s, p90 {found.timing.p90:,.0f} s)"
    if found.expected_finish is not None:
        text += f", expected to finish {found.expected_finish:%H:%M:%S} UTC"
    return text


def progress_json(found: Progress | None) -> dict[str, object] | None:
    """Return the same as plain values for ``--json``."""
    if found is None:
        return None
    return {"stage": found.stage, "elapsed_seconds": round(found.elapsed, 1),
            "median_seconds": found.timing and round(found.timing.median, 1),
            "p90_seconds": found.timing and round(found.timing.p90, 1),
            "expected_finish": found.expected_finish and found.expected_finish.isoformat()}
