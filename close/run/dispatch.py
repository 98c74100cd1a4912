"""The canvas of a run: a chord of per-entity extracts, then the remaining stages in a chain.

REPORTING is a chord too when workers run the canvas: its parts (workbook, deck, PDFs) render in
parallel on the reports queue, then one task finishes the package. In-process the one task renders
them one after another, loading the package once.

A resume or an approval rebuilds it from the first stage that is not DONE, so entities already
extracted are not extracted again. The tasks are named by their registered names (conventions 10:
``close.extract_entity``, ``close.consolidate``…), so this layer sends work without importing the
task bodies (``workers.tasks``, above ``close.api``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis
from celery import chain, chord
from celery.canvas import Signature
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.utils.url import maybe_sanitize_url

from close.engine.types import EntityId, RunId
from close.errors import CloseError
from close.run.broker import app, load_tasks
from close.run.env import StageEnv
from close.run.failures import mark_failed, resume_command
from close.run.lifecycle import launch
from close.run.state import STAGE_ORDER, STAGE_PARTS, RunStatus

log = logging.getLogger(__name__)

EXTRACT_TASK = "close.extract_entity"
REPORT_PART_TASK = "close.report_part"  # one part of REPORTING (workbook, deck, PDFs)
# The task that runs each stage after extraction (the broker's routes and limits use the same names).
STAGE_TASKS: dict[RunStatus, str] = {
    RunStatus.MAPPING: "close.map_accounts", RunStatus.CONSOLIDATING: "close.consolidate",
    RunStatus.VALIDATING: "close.validate", RunStatus.ANALYZING: "close.analyze",
    RunStatus.REPORTING: "close.report", RunStatus.DISTRIBUTING: "close.distribute",
}


def build_canvas(run_id: RunId, *, from_stage: RunStatus, entities: Sequence[EntityId],
                 parallel: bool = True) -> Signature:
    """Return the signature that takes the run from ``from_stage`` to the end.

    Args:
        run_id: the run.
        from_stage: the first stage to run.
        entities: for EXTRACTING, the entities still to extract.
        parallel: render REPORTING's parts as parallel tasks (False in-process, where they would
            only run one after another, each loading the package again).

    """
    stages = [s for s in STAGE_ORDER[STAGE_ORDER.index(from_stage):] if s != RunStatus.EXTRACTING]
    rest = [_stage(run_id, s, parallel) for s in stages[1:]]
    if from_stage != RunStatus.EXTRACTING or not entities:
        return chain(_stage(run_id, stages[0], parallel), *rest)
    # The chord body's first task receives the header results as positional args and ignores them.
    body = chain(_stage(run_id, stages[0], parallel, immutable=False), *rest)
    header = [app.signature(EXTRACT_TASK, args=(run_id, e), immutable=True) for e in entities]
    return chord(header, body)


def _stage(run_id: RunId, stage: RunStatus, parallel: bool, *, immutable: bool = True) -> Signature:
    """Return one stage's signature: REPORTING's parts in parallel, then the task that finishes it."""
    if stage == RunStatus.REPORTING and parallel:
        parts = [app.signature(REPORT_PART_TASK, args=(run_id, p), immutable=True)
                 for p in STAGE_PARTS[stage]]
        return chord(parts, app.signature(STAGE_TASKS[stage], kwargs={"run_id": run_id}))
    return app.signature(STAGE_TASKS[stage], kwargs={"run_id": run_id}, immutable=immutable)


def _check_broker() -> None:
    """Reach the broker and the result backend once before sending: fail fast, with one reason."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0.2)
    client = getattr(app.backend, "client", None)
    if client is not None:
        client.ping()


class BrokerUnreachable(CloseError):
    """The canvas could not be handed to the broker; the run is FAILED and resumable."""


def start_run(env: StageEnv, run_id: RunId) -> None:
    """Send the run's canvas from its first stage that is not DONE (in-process: run it now).

    Raises:
        BrokerUnreachable: the broker (or the result backend) refused the canvas; the run is then
            FAILED with that reason and the resume command, not left PENDING.

    """
    def send(rid: RunId, stage: RunStatus, entities: list[EntityId]) -> None:
        load_tasks()
        try:
            if env.settings.broker_url:
                _check_broker()
            build_canvas(rid, from_stage=stage, entities=entities,
                         parallel=bool(env.settings.broker_url)).apply_async()
        # Celery's result backend reports a Redis it cannot reconnect to as a RuntimeError.
        except (KombuOperationalError, redis.RedisError, OSError, RuntimeError) as exc:
            where = maybe_sanitize_url(env.settings.broker_url or "memory://")
            reason = f"broker unreachable at {where}"
            log.error("run %s: %s (%s)", rid, reason, type(exc).__name__)  # noqa: TRY400 - no traceback
            mark_failed(env.db, rid, stage, None, reason, actor=env.actor)
            raise BrokerUnreachable(f"run {rid} FAILED: {reason}; start the broker, then run: "
                                    f"{resume_command(rid)}") from None

    launch(env, run_id, send)
