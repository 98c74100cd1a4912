"""The ``close`` command line: run, follow, resume, inspect and download a monthly close.

Exit codes (design.md "Interfaces"), mapped in close/cli/ only (a run's outcome in follow.py, errors
in main() here): 0 ok; 1 run FAILED or CANCELLED; 2 usage or config error, or refused (an active
run exists, the period is locked); 3 stopped at AWAITING_REVIEW.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from datetime import UTC
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.table import Table

from close.api import (
    CloseSession,
    DatabaseError,
    Run,
    RunStatus,
    database_error_reason,
    print_summary,
    upgrade_database,
)
from close.cli.ar import ar_app
from close.cli.audit import audit_app
from close.cli.common import (
    EXIT_FAILED,
    EXIT_REFUSED,
    ConfigOpt,
    JsonOpt,
    PeriodOpt,
    check_period,
    console,
    err,
    open_session,
    settings_from_env,
)
from close.cli.config import config_app
from close.cli.follow import (
    carry_on,
    exit_for,
    follow,
    report_outcome,
    run_json,
)
from close.cli.tasks import progress_json, progress_text, tasks_app, tick_command
from close.cli.tools import connectors_app, ic_app, mapping_app, rates_app, tb_app
from close.cli.users import cli_session, users_app
from close.cli.web import mcp, serve
from close.config import Settings, load_group_config
from close.engine.periods import period_range
from close.errors import CloseError, ConfigError, RunConflict
from close.users import Action

WAIT_HELP = "Follow the run until it ends (distributed mode)."
LOGLEVEL_HELP = "Celery log level: DEBUG, INFO, WARNING or ERROR."

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="monthclose: the monthly close of a multi-entity group, "
                       "from ERPs to the board package.")
db_app = typer.Typer(no_args_is_help=True, help="Database maintenance.")
app.add_typer(db_app, name="db")
@app.command()
def run(config: ConfigOpt, period: PeriodOpt,
        wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)]
        = False,
        rerun: Annotated[bool, typer.Option("--rerun", help=(
            "The period already has a completed run: start a new one that supersedes it when it "
            "completes. Without it such a period is refused (exit 2)."))] = False,
        as_json: JsonOpt = False) -> None:
    """Start the close of a group for a period."""
    session = cli_session()
    new = session.create_run(config, check_period(period), rerun=rerun)
    if not as_json:
        err.print(f"run {new.id} created for {new.group_id} {new.period}")
        if new.parent_run_id:
            err.print(f"it supersedes run {new.parent_run_id} when it completes (--rerun)")
    carry_on(session, new.id, wait=wait, as_json=as_json)


@app.command()
def rerun(config: ConfigOpt,
          stale: Annotated[bool, typer.Option("--stale", help=(
              "Re-close, in order, every period that close status shows stale (its prior period was "
              "re-closed with other figures)."))] = False,
          as_json: JsonOpt = False) -> None:
    """Re-close a group's stale periods, oldest first (each supersedes its period's run)."""
    if not stale:
        raise ConfigError("say what to re-run", key="--stale", expected="--stale (the only choice so far)")
    session = cli_session()
    session.allow(Action.START, target=f"{config} stale periods")
    reruns = session.rerun_stale(config)
    left = session.stale_periods(reruns[-1].group_id) if reruns else []
    if as_json:
        console.print_json(json.dumps({"reruns": [v.to_json() for v in reruns],
                                       "stale": [asdict(s) for s in left]}, default=str))
    else:
        if not reruns:
            console.print("nothing is stale")
        for v in reruns:
            console.print(f"{v.group_id} {v.period}: run {v.id} {v.status}")
        for s in left:
            console.print(f"[yellow]still stale:[/] {s.group_id} {s.period} run {s.run_id}: {s.reason}")
    if reruns and reruns[-1].status != RunStatus.COMPLETED:
        raise typer.Exit(exit_for(reruns[-1]))


@app.command()
def resume(run_id: str, wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)] = False,
           as_json: JsonOpt = False) -> None:
    """Resume a FAILED run at the stage that failed (re-reading the failed inputs)."""
    session = cli_session()
    carry_on(session, session.resume_run(run_id).id, wait=wait, as_json=as_json)


@app.command()
def cancel(run_id: str,
           reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")]) -> None:
    """Cancel an active run."""
    cancelled = cli_session().cancel(run_id, reason)
    console.print(f"run {cancelled.id} {cancelled.status}")


@app.command()
def status(run_id: Annotated[str | None, typer.Argument()] = None, as_json: JsonOpt = False,
           group: Annotated[str | None, typer.Option("--group", help="Only this group's runs.")]
           = None) -> None:
    """List recent runs, or show one run's stages (runs nobody works on any more are failed first)."""
    from workers.rejections import describe, rejections

    session = cli_session()
    report = session.status(run_id=run_id, group_id=group)
    runs, stages, stale, timing = report.runs, report.stages_done, report.stale, report.progress
    refused = rejections(session.settings, [r.id for r in runs])
    if as_json:
        console.print_json(json.dumps({"runs": [{**run_json(r), "stale": r.id in stale,
                                                  "stale_reason": stale.get(r.id),
                                                  "effective": r.status == RunStatus.COMPLETED
                                                  and not r.superseded_by,
                                                  "rejected_tasks": refused.get(r.id),
                                                  "progress": progress_json(timing.get(r.id))}
                                                 for r in runs],
                                       "stages_done": [list(s) for s in stages]}, default=str))
        return
    table = Table("run", "group", "period", "status", "created", "note")
    table.columns[0].no_wrap = True
    for r in runs:
        note = f"stale: {stale[r.id]}; `close rerun --stale`" if r.id in stale else (
            f"superseded by {r.superseded_by[:8]}" if r.superseded_by else (r.failure_reason or ""))
        note = progress_text(timing.get(r.id)) or note
        if r.id in refused:
            note = f"{note}; {describe(refused[r.id])}" if note else describe(refused[r.id])
        table.add_row(r.id, r.group_id, r.period, r.status.value, f"{r.created_at:%Y-%m-%d %H:%M}",
                      note[:160])
    console.print(table)
    if stages:
        console.print("done: " + ", ".join(f"{s}{'/' + e if e else ''}" for s, e in stages))


@app.command()
def show(run_id: str, as_json: JsonOpt = False,
         account: Annotated[str | None, typer.Option("--account", help="Trace one consolidated account.")]
         = None) -> None:
    """Show a run: consolidated balances, CTA, NCI, goodwill, eliminations, mismatches, events."""
    summary = cli_session().run_summary(run_id, account=account)
    if as_json:
        console.print_json(json.dumps(summary, default=str))
        return
    print_summary(console, summary)


@app.command()
def package(run_id: str, output: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")],
            preview: Annotated[Path | None, typer.Option("--preview", help="Render PDF pages as PNGs here.")]
            = None,
            unsigned: Annotated[bool, typer.Option("--unsigned", help=(
                "The package as rendered before sign-off, even when a signed one exists."))] = False) -> None:
    """Write a run's board package (zip with manifest) from PostgreSQL: the signed one once signed off."""
    data, edition = cli_session().package_edition(run_id, unsigned=unsigned)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"wrote {output} ({len(data):,} bytes, {edition})")
    if preview is not None:
        import io
        import zipfile  # noqa: E401

        from reports.package import render_previews
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pages = [page for name in sorted(n for n in z.namelist() if n.endswith(".pdf"))
                     for page in render_previews(z.read(name), preview, prefix=Path(name).stem)]
        console.print(f"{len(pages)} preview pages in {preview}")


@app.command()
def review(run_id: str, as_json: JsonOpt = False) -> None:
    """Show a run's validation findings and score (--json adds the score weights of the run's config)."""
    one, items, weights = cli_session().review(run_id)
    if as_json:
        # The weights travel with the findings so a script can recompute the score
        # (close.checks.score_of) when the group configured [validation.weights.<category>].
        console.print_json(json.dumps({"run_id": run_id, "status": one.status.value,
                                       "score": one.validation_score, "weights": [asdict(w) for w in weights],
                                       "findings": items}, default=str))
        return
    table = Table("severity", "category", "code", "entity", "account", "expected", "actual", "difference",
                  "message", "waived", title=f"run {run_id} — {one.status} — score {one.validation_score}")
    for f in items:
        if f["severity"] != "pass":
            table.add_row(*(str(f[k] or "") for k in ("severity", "category", "code", "entity", "account",
                                                      "expected", "actual", "difference", "message")),
                          f"{f['waived_by']}: {f['waived_reason']}" if f["waived_by"] else "")
    console.print(table)


def _parse_waivers(values: list[str]) -> dict[str, str]:
    waivers = {}
    for value in values:
        code, sep, why = value.partition("=")
        if not sep or not code.strip() or not why.strip():
            raise ConfigError(f"got {value!r}", key="--waive", expected="CODE=REASON")
        waivers[code.strip()] = why.strip()
    return waivers


@app.command()
def approve(run_id: str,
            reason: Annotated[str, typer.Option("--reason", "--note", help="Why the run may continue.")],
            waive: Annotated[list[str], typer.Option("--waive", help="CODE=REASON for one finding.")] = [],  # noqa: B006
            wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)] = False,
            as_json: JsonOpt = False) -> None:
    """Approve a run in review (never an integrity failure) and continue it."""
    session = cli_session()
    approved = session.approve_run(run_id, reason, _parse_waivers(waive))
    carry_on(session, approved.id, wait=wait, as_json=as_json)


@app.command()
def reject(run_id: str, reason: Annotated[str, typer.Option("--reason", help="Why.")]) -> None:
    """Reject a run in review (it is CANCELLED)."""
    rejected = cli_session().reject(run_id, reason)
    console.print(f"run {rejected.id} {rejected.status}")


@app.command()
def signoff(run_id: str,
            note: Annotated[str, typer.Option("--note", help="A note kept with the sign-off.")] = "") -> None:
    """Sign off a COMPLETED run."""
    session = cli_session()
    signed = session.sign_off_run(run_id, note)
    console.print(f"run {signed.id} signed off by {signed.signed_off_by} "
                  f"at {signed.signed_off_at.astimezone(UTC):%Y-%m-%d %H:%M UTC}; signed package: "
                  f"{session.package_path(signed.id)}")


@app.command()
def lock(group: str, period: str,
         reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")] = "") -> None:
    """Lock a period whose effective run is signed off."""
    locked = cli_session().lock(group, check_period(period), reason)
    console.print(f"period {period} of {group} locked on run {locked.id}")


@app.command()
def unlock(group: str, period: str, reason: Annotated[str, typer.Option("--reason", help="Why.")]) -> None:
    """Unlock a period."""
    cli_session().unlock(group, check_period(period), reason)
    console.print(f"period {period} of {group} unlocked")


adjust_app = typer.Typer(no_args_is_help=True, help="Top-side adjustments.")
app.add_typer(adjust_app, name="adjust")
app.add_typer(rates_app, name="rates")
app.add_typer(tasks_app, name="tasks")
app.add_typer(ar_app, name="ar")
app.command("tick")(tick_command)
app.add_typer(connectors_app, name="connectors")
app.add_typer(mapping_app, name="mapping")
app.add_typer(ic_app, name="ic")
app.add_typer(tb_app, name="tb")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(config_app, name="config")
app.command("serve")(serve)
app.command("mcp")(mcp)


@adjust_app.command("add")
def adjust_add(run_id: str, file: Annotated[Path, typer.Option("--file", "-f", help="The journal CSV.")],
               wait: Annotated[bool, typer.Option("--wait", help=WAIT_HELP)] = False,
            as_json: JsonOpt = False) -> None:
    """Add a top-side journal: the run is cancelled (adjusted); a child run continues from CONSOLIDATING."""
    session = cli_session()
    child = session.adjust_run(run_id, file)
    err.print(f"run {run_id} cancelled (adjusted); child run {child.id} starts at CONSOLIDATING")
    carry_on(session, child.id, wait=wait, as_json=as_json)


@app.command()
def demo(as_json: JsonOpt = False,
         erp: Annotated[bool, typer.Option("--erp", help=(
             "Close the ERP example (examples/erp) instead: Omie, Conta Azul, Bling and TOTVS RM read "
             "over HTTP from local fakes started in this process, so the run is in-process "
             "(no broker)."))] = False,
         months: Annotated[int | None, typer.Option("--months", min=1, help=(
             "Close only the first N months of the demo (a quick look); default: all of them."))] = None,
         ) -> None:
    """Run the demo group's close for every month without an effective run, oldest first."""
    if erp:
        from close.cli.demo_setup import prepare_erp_demo

        # Before cli_session: the settings it reads must carry the fakes' CLOSE_SECRET_* variables.
        config_path, periods = prepare_erp_demo(settings_from_env(), os.environ)
        session = cli_session()
        session.allow(Action.START, target="demo --erp")
    else:
        session = cli_session()
        session.allow(Action.START, target="demo")
        from close.cli.demo_setup import DEMO_EXAMPLE as source

        if not (source / "group.toml").exists():
            raise ConfigError(f"the demo group is not at {source}", key="examples/demo")
        target = session.settings.home / "demo"
        shutil.copytree(source, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("out", "__pycache__"))
        config_path = target / "group.toml"
        config = load_group_config(config_path)
        tb_folder = target / "tb" / config.entities[0].id
        files = sorted(p.name.removesuffix(".csv") for p in tb_folder.glob("*.csv"))
        periods = period_range(files[0], files[-1])
    last = close_periods(session, config_path, periods[:months], quiet=as_json)
    report_outcome(session, last, as_json=as_json)
    raise typer.Exit(exit_for(last))


def close_periods(session: CloseSession, config_path: Path, periods: list[str], *,
                  quiet: bool = False) -> Run:
    """Close each period without an effective run, oldest first (a FAILED run is resumed).

    Returns:
        The last period's run; the first run that does not complete stops the loop.

    Raises:
        RunConflict: a period has a run in progress or in review.

    """
    config = load_group_config(config_path)
    last: Run | None = None
    for period in periods:
        done, pending = session.period_runs(config.id, period)
        if done is not None:
            last = done
            continue
        if pending is not None and pending.status == RunStatus.FAILED:
            current = session.resume_run(pending.id)
        elif pending is not None:
            raise RunConflict(f"refused: run {pending.id} of {period} is {pending.status}")
        else:
            current = session.create_run(config_path, period)
        err.print(f"[bold]{config.name} {period}[/] run {current.id}")
        last = follow(session, current.id, quiet=quiet, worker=session.start_in_background(current.id))
        if last.status != RunStatus.COMPLETED:
            return last
    if last is None:
        raise ConfigError("no period to close", key="--from/--to")
    return last


@app.command()
def backfill(config: ConfigOpt, start: Annotated[str, typer.Option("--from", help="First period, YYYY-MM.")],
             end: Annotated[str, typer.Option("--to", help="Last period, YYYY-MM.")],
             as_json: JsonOpt = False) -> None:
    """Close every period in a range that has no effective run (comparatives for analysis)."""
    session = cli_session()
    session.allow(Action.START, target=f"{config} {start}..{end}")
    last = close_periods(session, config, period_range(check_period(start), check_period(end)), quiet=as_json)
    report_outcome(session, last, as_json=as_json)
    raise typer.Exit(exit_for(last))


def _require_broker(settings: Settings) -> None:
    if not settings.broker_url:
        raise ConfigError("workers and beat need a broker", key="CLOSE_BROKER_URL",
                          expected="redis://host:6379/0")


@app.command()
def worker(queues: Annotated[str, typer.Option("--queues", "-Q",
                                               help="Comma-separated: extract,compute,reports.")]
           = "extract,compute,reports",
           concurrency: Annotated[int, typer.Option("--concurrency", help="Worker processes.")] = 2,
           loglevel: Annotated[str, typer.Option("--loglevel", help=LOGLEVEL_HELP)] = "INFO",
           metrics_port: Annotated[int | None, typer.Option("--metrics-port", help="Serve Prometheus "
                                                            "metrics on this port.")] = None) -> None:
    """Start a Celery worker (the same as: celery -A workers worker)."""
    session = open_session()
    _require_broker(session.settings)
    from workers import app as celery_app

    if metrics_port:
        session.serve_metrics(metrics_port, addr="0.0.0.0")  # noqa: S104 - scraped from outside the container

    celery_app.worker_main(["worker", f"--queues={queues}", f"--concurrency={concurrency}",
                            f"--loglevel={loglevel}", "--prefetch-multiplier=1"])


@app.command()
def metrics(port: Annotated[int, typer.Option("--port", help="The port to serve /metrics on.")] = 9464,
            addr: Annotated[str, typer.Option("--addr", help="The address to listen on.")]
            = "127.0.0.1") -> None:
    """Serve the close's Prometheus metrics (runs, stage durations, retries, ERP calls, Claude usage)."""
    open_session().serve_metrics(port, addr=addr)
    err.print(f"metrics on http://{addr}:{port}/metrics")
    while True:
        time.sleep(3600)


@app.command()
def beat(config: Annotated[list[str], typer.Option("--config", "-c", help="Group configs to schedule "
                                                   "(repeat, or CLOSE_CONFIGS=a.toml:b.toml).")] = [],  # noqa: B006
         loglevel: Annotated[str, typer.Option("--loglevel", help=LOGLEVEL_HELP)] = "INFO") -> None:
    """Start Celery beat with one schedule entry per group config."""
    from workers.schedule import beat_schedule, config_paths

    settings = settings_from_env()
    _require_broker(settings)
    paths = config_paths(config or [settings.configs])
    if not paths:
        raise ConfigError("no group config to schedule", key="--config", expected="one or more TOML files")
    from workers import app as celery_app  # configured from the same environment as it is imported

    celery_app.conf.beat_schedule = beat_schedule(paths)
    settings.home.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", f"--loglevel={loglevel}",
                      f"--schedule={settings.home / 'celerybeat-schedule'}"])


runs_app = typer.Typer(no_args_is_help=True, help="Runs as a whole.")
app.add_typer(runs_app, name="runs")


@runs_app.command("reap")
def runs_reap(as_json: JsonOpt = False) -> None:
    """Fail every run of the tenant that nobody works on any more (lease expired), with the reason."""
    reaped = open_session().reap_stranded()
    if as_json:
        console.print_json(json.dumps({"reaped": [run_json(r) for r in reaped]}, default=str))
        return
    for r in reaped:
        console.print(f"run {r.id} ({r.group_id} {r.period}) [red]FAILED[/]: {r.failure_reason}; "
                      f"resume it with: [bold]close resume {r.id}[/]")
    console.print(f"{len(reaped)} run(s) reaped")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations as the owner (CLOSE_MIGRATE_URL; the embedded server's owner by default)."""
    applied = upgrade_database(settings_from_env())
    console.print(f"applied {', '.join(applied)}" if applied else "database is up to date")


def main() -> None:
    """Entry point: run the app and map errors to exit codes."""
    if os.environ.get("CLOSE_LOG_FORMAT") == "json":  # the CLI is an edge: it may read the environment
        from close.logs import use_json_logs
        use_json_logs()
    try:
        code = app(standalone_mode=False)
    except (click.exceptions.Exit, typer.Exit) as exc:
        code = exc.exit_code
    except click.UsageError as exc:
        exc.show()
        code = EXIT_REFUSED
    except (click.Abort, typer.Abort):
        code = EXIT_FAILED
    except (ConfigError, RunConflict) as exc:
        err.print(f"[red]error:[/] {exc}")
        code = EXIT_REFUSED
    except CloseError as exc:
        err.print(f"[red]error:[/] {exc}")
        code = EXIT_FAILED
    except DatabaseError as exc:  # never a traceback or SQL for the user: one sentence
        err.print(f"[red]error:[/] {database_error_reason(exc)}")
        code = EXIT_FAILED
    sys.exit(code or 0)
