"""Following a run from the terminal: start it, show its progress, report its outcome and exit.

Exit codes (design.md "Interfaces") are mapped in :func:`exit_for` only.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from close.api import AWAITING_PEOPLE, STAGE_ORDER, TERMINAL_STATUSES, CloseSession, Run, RunStatus
from close.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REVIEW,
    console,
    err,
)
from close.engine.types import RunId


def follow(session: CloseSession, run_id: RunId, *, quiet: bool = False,
           worker: threading.Thread | None = None) -> Run:
    """Show the run's progress from PostgreSQL until it stops working; return its final state."""
    settled = (*TERMINAL_STATUSES, RunStatus.FAILED, *AWAITING_PEOPLE)
    config_entities = len(session.entity_ids(run_id)) + 1  # the rates task
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False, disable=quiet) as progress:
        stages = progress.add_task("stages", total=len(STAGE_ORDER))
        entities = progress.add_task("entities and rates", total=config_entities)
        last_reap = 0.0
        while True:
            # A run nobody works on any more is failed, not awaited. While this process's own worker
            # thread is alive someone does work on it, so the reap (and its lease queries) waits.
            working_here = worker is not None and worker.is_alive()
            if not working_here and time.monotonic() - last_reap >= 1:
                session.reap_stranded(run_id=run_id, patient=True)
                last_reap = time.monotonic()
            run, done = session.poll(run_id)
            n_entities = sum(1 for s, e in done if s == RunStatus.EXTRACTING.value)
            n_stages = sum(1 for s, e in done if e == "") + (1 if n_entities == config_entities else 0)
            progress.update(entities, completed=n_entities)
            progress.update(stages, completed=n_stages, description=f"{run.status.value.lower():<15}")
            alive = worker is not None and worker.is_alive()
            if run.status in settled and not alive:
                return run
            time.sleep(0.2)


def exit_for(run: Run) -> int:
    """Return the exit code of a run's outcome: 0 ok, 1 FAILED or CANCELLED, 3 waiting for people."""
    return {RunStatus.COMPLETED: EXIT_OK, RunStatus.AWAITING_REVIEW: EXIT_REVIEW,
            RunStatus.AWAITING_TASKS: EXIT_REVIEW}.get(
        run.status, EXIT_FAILED if run.status in (RunStatus.FAILED, RunStatus.CANCELLED) else EXIT_OK)


def report_outcome(session: CloseSession, run: Run, *, as_json: bool) -> None:
    """Print where a run ended and what to do next (or its JSON with the package path)."""
    path = session.package_path(run.id) if run.status == RunStatus.COMPLETED else None
    if as_json:
        console.print_json(json.dumps({**run_json(run), "package": path}, default=str))
        return
    style = {RunStatus.COMPLETED: "green", RunStatus.FAILED: "red", RunStatus.AWAITING_REVIEW: "yellow",
             RunStatus.AWAITING_TASKS: "yellow"}
    console.print(f"run {run.id} [{style.get(run.status, 'white')}]{run.status}[/]")
    if run.status == RunStatus.FAILED:
        where = run.failed_stage + (f" / entity {run.failed_entity}" if run.failed_entity else "")
        console.print(f"[red]failed at {where}:[/] {run.failure_reason}")
        console.print(f"fix the cause, then: [bold]close resume {run.id}[/]")
    if run.status == RunStatus.AWAITING_REVIEW:
        console.print(f"review the findings: [bold]close review {run.id}[/]")
    if run.status == RunStatus.AWAITING_TASKS:
        console.print(f"waiting at a checklist gate: [bold]close tasks list {run.group_id} {run.period}[/], "
                      f"then [bold]close tasks done {run.group_id} {run.period} TASK[/]")
    if path:
        console.print(f"board package: [bold]{path}[/]")


def run_json(run: Run) -> dict[str, Any]:
    """Return a run as JSON-ready data, statuses as their database strings."""
    data = asdict(run)
    data["status"] = run.status.value
    data["start_stage"] = run.start_stage.value
    return data


def carry_on(session: CloseSession, run_id: RunId, *, wait: bool, as_json: bool) -> None:
    """Hand a run to the canvas; in-process (or with ``--wait``) follow it and exit with its outcome.

    Distributed without ``--wait``, print the run id (scripts capture it) and return.
    """
    worker = session.start_in_background(run_id)
    if session.settings.broker_url and not wait:
        console.print(json.dumps({"run_id": run_id}) if as_json else run_id)
        return
    final = follow(session, run_id, quiet=as_json, worker=worker)
    report_outcome(session, final, as_json=as_json)
    raise typer.Exit(exit_for(final))
