"""The canvas of a run: a chord of per-entity extracts, then the remaining stages in a chain.

REPORTING is a chord too when workers run the canvas: its parts (workbook, deck, PDFs) render in
parallel on the reports queue, then one task finishes the package. In-process the one task renders
them one after another, loading the package once.

A resume or an approval rebuilds it from the first stage that is not DONE, so entities already
extracted are not extracted again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis
from celery import chain, chord
from celery.canvas import Signature
from kombu.exceptions import OperationalError as KombuOperationalError
from kombu.utils.url import maybe_sanitize_url

from close.errors import CloseError
from close.run.lifecycle import launch
from close.run.stages import StageEnv, mark_failed, resume_command
from close.run.state import STAGE_ORDER, STAGE_PARTS, RunStatus
from workers.app import app
from workers.tasks import STAGE_TASKS, extract_entity, report, report_part

log = logging.getLogger(__name__)


def build_canvas(run_id: str, *, from_stage: RunStatus, entities: Sequence[str],
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
    body = chain(STAGE_TASKS[stages[0]].s(run_id=run_id), *rest)
    return chord([extract_entity.si(run_id, e) for e in entities], body)


def _stage(run_id: str, stage: RunStatus, parallel: bool) -> Signature:
    """Return one stage's signature: REPORTING's parts in parallel, then the task that finishes it."""
    if stage == RunStatus.REPORTING and parallel:
        return chord([report_part.si(run_id, p) for p in STAGE_PARTS[stage]], report.s(run_id=run_id))
    return STAGE_TASKS[stage].si(run_id=run_id)


def _check_broker() -> None:
    """Reach the broker and the result backend once before sending: fail fast, with one reason."""
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0.2)
    client = getattr(app.backend, "client", None)
    if client is not None:
        client.ping()


class BrokerUnreachable(CloseError):
    """The canvas could not be handed to the broker; the run is FAILED and resumable."""


def start_run(env: StageEnv, run_id: str) -> None:
    """Send the run's canvas from its first stage that is not DONE (in-process: run it now).

    Raises:
        BrokerUnreachable: the broker (or the result backend) refused the canvas; the run is then
            FAILED with that reason and the resume command, not left PENDING.

    """
    def send(rid: str, stage: RunStatus, entities: list[str]) -> None:
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
