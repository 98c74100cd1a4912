"""Orchestration of a run: create it with its inputs snapshot, launch, resume, cancel.

``close run`` reads the group config and every file it names ONCE, here, and stores them in
``run_inputs`` (bytes and sha256) before the first stage; stages read only PostgreSQL. A resume
re-reads the files of what failed and records the new digests in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

from close.config import GroupConfig, load_group_config
from close.config.guard import check_sources
from close.engine.types import EntityId, Period, RunId
from close.errors import ConfigError, NotFound, RunConflict
from close.run.env import StageEnv
from close.run.failures import send_alerts
from close.run.inputs import CONFIG_INPUT, ORIGIN_INPUT, load_config
from close.run.leases import reap
from close.run.stages.rates import extract_keys
from close.run.state import STAGE_ORDER, RunStatus, append_event, transition
from close.run.workflow.checklist import task_template
from close.storage.groups import upsert_group
from close.storage.leases import LeaseKey, drop_leases, queue_leases
from close.storage.runs import (
    Run,
    create_run,
    done_stages,
    effective_run,
    ensure_not_locked,
    get_input,
    get_run,
    is_locked,
    put_input,
)
from close.storage.workflow import instantiate_tasks
from connectors.registry import files_for

Launcher = Callable[[RunId, RunStatus, list[EntityId]], None]


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file a run reads: its name as written in the config, and for whom."""

    name: str
    entity_id: EntityId | None


def input_files(config: GroupConfig, period: Period) -> list[InputFile]:
    """Every file the run of ``period`` reads: group files, then each entity's source files."""
    files = [InputFile(n, None) for n in config.named_files()]
    for e in config.entities:
        files += [InputFile(n, e.id) for n in files_for(e.connector, e.source, period, entity=e.id)]
    return files


def _read(base: Path, f: InputFile, *, required: bool) -> bytes | None:
    path = base / f.name
    try:
        return path.read_bytes()
    except OSError as exc:
        if required:
            raise ConfigError(f"cannot read {path}: {exc.strerror}", key=f.name) from None
        return None


def snapshot_inputs(conn: Connection, run_id: RunId, config_path: Path, config: GroupConfig,
                    period: Period) -> None:
    """Store the config text and every file it names in ``run_inputs``.

    Group-level files must exist (ConfigError); a missing entity file fails that entity's
    extraction later, with the file named.
    """
    put_input(conn, run_id, CONFIG_INPUT, config_path.read_bytes(), kind="config")
    put_input(conn, run_id, ORIGIN_INPUT, str(config_path.resolve()).encode(), kind="config")
    base = config_path.resolve().parent
    for f in input_files(config, period):
        data = _read(base, f, required=f.entity_id is None)
        if data is not None:
            put_input(conn, run_id, f.name, data, kind="file", entity_id=f.entity_id)


def create_close_run(env: StageEnv, config_path: Path, period: Period, *, rerun: bool = False) -> Run:
    """Create a run with its inputs snapshot, in one transaction.

    Args:
        env: database, settings and who asks.
        config_path: the group config.
        period: the period to close.
        rerun: the period already has a completed run and a new one is wanted: it supersedes
            that run when it completes (its ``parent_run_id`` names it).

    Raises:
        ConfigError: the config or a group file is invalid or unreadable.
        RunConflict: the period is locked, an active run exists, or a completed run exists and
            ``rerun`` was not asked for.

    """
    config = checked_config(config_path)
    reap_stranded(env, group_id=config.id)
    with env.db.tx() as conn:
        ensure_not_locked(conn, config.id, period)
        upsert_group(conn, config)
        # Re-running a completed period makes a child of its effective run (lineage kept, conventions 11);
        # the old run is superseded when the new one completes.
        previous = effective_run(conn, config.id, period)
        if previous is not None and not rerun:
            signed = f", signed off by {previous.signed_off_by}" if previous.signed_off_by else ""
            raise RunConflict(f"refused: {config.id} {period} already has a completed run {previous.id}"
                              f"{signed}; pass --rerun to start a new run that supersedes it when it "
                              "completes")
        run = create_run(conn, group_id=config.id, period=period, actor=env.actor,
                         parent_run_id=previous.id if previous else None,
                         root_run_id=(previous.root_run_id or previous.id) if previous else None)
        assert run is not None
        _prepare(conn, run, config_path, config)
    return run


def create_scheduled_run(env: StageEnv, config_path: Path, config: GroupConfig, period: Period,
                         trigger_key: str) -> Run | None:
    """Create the run a schedule tick asks for, unless the period needs none (see close.run.schedule).

    ``config`` is :func:`checked_config` of ``config_path``.

    Returns:
        The new run, or None when the period is locked, already has an effective or an active run,
        or this tick (``trigger_key``) created its run already, however many times it is delivered.

    Raises:
        ConfigError: a group file is unreadable.

    """
    with env.db.tx() as conn:
        if is_locked(conn, config.id, period) or effective_run(conn, config.id, period) is not None:
            return None
        upsert_group(conn, config)
        run = create_run(conn, group_id=config.id, period=period, actor=env.actor,
                         trigger_key=trigger_key, on_conflict_nothing=True)
        if run is not None:
            _prepare(conn, run, config_path, config)
        return run


def checked_config(config_path: Path) -> GroupConfig:
    """Load the group config, its entities' source settings checked too.

    Raises:
        ConfigError: naming the file and key.

    """
    config = load_group_config(config_path)
    check_sources(config.entities)  # every source setting checked before anything is stored
    return config


def _prepare(conn: Connection, run: Run, config_path: Path, config: GroupConfig) -> None:
    """Give a new run its inputs snapshot and its period its checklist, in the run's transaction."""
    snapshot_inputs(conn, run.id, config_path, config, run.period)
    instantiate_tasks(conn, config.id, run.period, task_template(config, run.period))


def next_stage(conn: Connection, run: Run, config: GroupConfig) -> tuple[RunStatus | None, list[EntityId]]:
    """Return the first stage that is not DONE, and for EXTRACTING the entities still to extract."""
    done = done_stages(conn, run.id)
    pending = [key for key in extract_keys(config) if (RunStatus.EXTRACTING.value, key) not in done]
    for stage in STAGE_ORDER[STAGE_ORDER.index(run.start_stage):]:
        if stage == RunStatus.EXTRACTING:
            if pending:
                return stage, pending
        elif (stage.value, "") not in done:
            return stage, []
    return None, []


def launch(env: StageEnv, run_id: RunId, launcher: Launcher) -> None:
    """Hand the run to the canvas from its first stage that is not DONE.

    The tasks handed over are recorded as leases with no holder first: a task the broker loses, or
    that no worker takes, leaves leases that expire, and the reaper fails the run.
    """
    with env.db.tx() as conn:
        run = get_run(conn, run_id)
        if run is None:
            raise NotFound(f"no run {run_id}")
        stage, entities = next_stage(conn, run, load_config(conn, run_id))
        if stage is not None:
            keys = ([LeaseKey(run_id, stage.value, e) for e in entities] if stage == RunStatus.EXTRACTING
                    else [LeaseKey(run_id, stage.value)])
            queue_leases(conn, keys, env.settings.lease_seconds)
    if stage is not None:
        launcher(run_id, stage, entities)


def reap_stranded(env: StageEnv, *, group_id: str | None = None, run_id: RunId | None = None) -> list[Run]:
    """Fail the runs of the group (or the one run) that nobody works on any more; see close.run.leases.

    Each failed run's alert goes to the group's alert channels at once (the beat's tick retries).
    """
    failed = reap(env.db, env.settings.lease_seconds, actor=env.actor, group_id=group_id, run_id=run_id)
    for run in failed:
        send_alerts(env, run.id)
    return failed


def _origin(conn: Connection, run_id: RunId) -> Path:
    found = get_input(conn, run_id, ORIGIN_INPUT)
    if found is None:
        raise ConfigError(f"run {run_id} has no recorded config path")
    return Path(found[0].decode())


def resume_run(env: StageEnv, run_id: RunId) -> Run:
    """Re-read the inputs of what failed, then put the run back at the stage that failed.

    Raises:
        RunConflict: the run is not FAILED, or its period is locked.

    """
    reap_stranded(env, run_id=run_id)
    with env.db.tx() as conn:
        run = get_run(conn, run_id, for_update=True)
        if run is None:
            raise NotFound(f"no run {run_id}")
        if run.status != RunStatus.FAILED:
            raise RunConflict(f"refused: run {run_id} is {run.status}; only a FAILED run can be resumed")
        config = load_config(conn, run_id)
        ensure_not_locked(conn, config.id, run.period)
        stage, pending = next_stage(conn, run, config)
        origin = _origin(conn, run_id)
        base = origin.parent
        wanted = [f for f in input_files(config, run.period)
                  if (f.entity_id in pending) or (f.entity_id is None and stage != RunStatus.EXTRACTING)]
        for f in wanted:
            data = _read(base, f, required=False)
            if data is None:
                continue
            old = get_input(conn, run_id, f.name)
            version, digest = put_input(conn, run_id, f.name, data, kind="file", entity_id=f.entity_id)
            changed = old is None or old[1] != digest
            append_event(conn, run_id, "input_reread",
                         f"re-read {f.name}: sha256 {digest[:12]}"
                         f"{' (changed)' if changed else ' (unchanged)'}",
                         actor=env.actor, entity_id=f.entity_id,
                         detail={"file": f.name, "sha256": digest, "version": version,
                                 "previous_sha256": old[1] if old else None, "changed": changed})
        target = stage or RunStatus.DISTRIBUTING
        transition(conn, run_id, RunStatus.FAILED, target, actor=env.actor, reason=f"resumed at {target}",
                   detail={"resumed": True, "entities": pending},
                   extra={"failed_stage": None, "failed_entity": None, "failure_reason": None})
        append_event(conn, run_id, "resumed", f"resumed by {env.actor} at {target}", actor=env.actor,
                     detail={"stage": target.value, "entities": pending})
        return get_run(conn, run_id) or run


def cancel_run(env: StageEnv, run_id: RunId, reason: str) -> Run:
    """Cancel an active run, with a reason.

    Raises:
        RunConflict: the run is already terminal.

    """
    with env.db.tx() as conn:
        run = get_run(conn, run_id, for_update=True)
        if run is None:
            raise NotFound(f"no run {run_id}")
        if run.status in (RunStatus.COMPLETED, RunStatus.CANCELLED):
            raise RunConflict(f"refused: run {run_id} is {run.status}; nothing to cancel")
        transition(conn, run_id, run.status, RunStatus.CANCELLED, actor=env.actor,
                   reason=f"cancelled: {reason}", detail={"reason": reason})
        drop_leases(conn, run_id)  # a stage still working finds its lease gone and drops its work
        return get_run(conn, run_id) or run
