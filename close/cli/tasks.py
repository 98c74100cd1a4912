"""``close tasks`` (the month's checklist) and ``close tick`` (gates, alerts and their delivery)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from close.api import Progress
from close.cli.common import JsonOpt, check_period, console, open_session
from close.cli.follow import carry_on
from close.errors import ConfigError

tasks_app = typer.Typer(no_args_is_help=True, help="The month's checklist of human tasks.")
GroupArg = Annotated[str, typer.Argument(help="The group id.")]
PeriodArg = Annotated[str, typer.Argument(help="The period, YYYY-MM.")]
TaskArg = Annotated[str, typer.Argument(help="The task id from the group config's [[checklist]].")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow a released run until it ends (distributed).")]


@tasks_app.command("list")
def tasks_list(group: GroupArg, period: PeriodArg, as_json: JsonOpt = False) -> None:
    """List a period's tasks: owner, due date, gate, who did them; overdue ones flagged."""
    tasks = open_session().checklist(group, check_period(period))
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
    session = open_session()
    check_period(period)
    proof = None
    if evidence is not None:
        try:
            proof = (evidence.name, evidence.read_bytes())
        except OSError as exc:
            raise ConfigError(f"cannot read {evidence}: {exc.strerror}", key="--evidence") from None
    runs = session.complete_task(group, period, task, note=note, evidence=proof)
    console.print(f"task {task} done")
    for run_id in runs:
        if session.release_gate(run_id):
            console.print(f"run {run_id} continues")
            carry_on(session, run_id, wait=wait, as_json=False)


@tasks_app.command("reopen")
def tasks_reopen(group: GroupArg, period: PeriodArg, task: TaskArg,
                 reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")]
                 ) -> None:
    """Reopen a done task (its evidence is cleared)."""
    open_session().reopen_task(group, check_period(period), task, reason)
    console.print(f"task {task} reopened")


def tick_command(as_json: JsonOpt = False) -> None:
    """Open gates whose tasks are done, raise alerts (overdue, waiting, slow) and send pending ones."""
    report = open_session().tick()
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
