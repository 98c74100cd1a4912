"""DISTRIBUTING: write the board package to the group's output folder; the run is COMPLETED.

In the same transaction the period's previous effective run is marked superseded by this one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from close.engine.types import EntityId
from close.run.env import StageEnv
from close.run.inputs import ORIGIN_INPUT, load_config
from close.run.stages import StageOutput
from close.run.state import RunStatus, append_event
from close.run.workflow.distribution import distribute_package
from close.storage.artifacts import package_bytes
from close.storage.runs import Run, effective_run, get_input, set_superseded, sha256


def package_path(output_dir: Path, group_id: str, period: str, run_id: str) -> Path:
    """Where a run's package lands: ``<output_dir>/<group>-<period>-<run prefix>.zip``."""
    return output_dir / f"{group_id}-{period}-{run_id[:8]}.zip"


def package_location(conn: Connection, run: Run) -> Path:
    """Return where the run's package zip is written: the config's output folder, beside the config."""
    config = load_config(conn, run.id)
    origin = get_input(conn, run.id, ORIGIN_INPUT)
    base = Path(origin[0].decode()).parent if origin else Path.cwd()
    return package_path(base / config.output_dir, config.id, run.period, run.id)


def distribute_run(env: StageEnv, run: Run, _entity: EntityId | None) -> StageOutput:
    """Write the package zip and complete the run."""
    with env.db.tx() as conn:
        config = load_config(conn, run.id)
        out = package_location(conn, run)
        data = package_bytes(conn, run)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    tmp.write_bytes(data)
    tmp.replace(out)  # readers never see half a zip
    # Messages go out before the done-mark: a resumed or redelivered DISTRIBUTING sends only what
    # its delivery records say is not SENT yet (close.run.workflow.delivery).
    report = distribute_package(env, run, config, out)
    sent = "" if report is None else (f"; sent to {len(report.sent)}, failed {len(report.failed)}, "
                                      f"{report.already_sent} sent before")

    def write(conn: Connection) -> None:
        previous = effective_run(conn, config.id, run.period)
        if previous is not None and previous.id != run.id:
            set_superseded(conn, previous.id, run.id)
            append_event(conn, previous.id, "superseded", f"superseded by run {run.id}", actor=env.actor,
                         detail={"superseded_by": run.id})
            append_event(conn, run.id, "supersedes", f"supersedes run {previous.id}", actor=env.actor,
                         detail={"supersedes": previous.id})

    return StageOutput(write=write, digest=sha256(data), message=f"package written to {out}{sent}",
                       detail={"path": str(out), "sha256": sha256(data), "bytes": len(data)},
                       then=RunStatus.COMPLETED, then_reason="close completed")
