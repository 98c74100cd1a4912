"""One thin Celery task per stage: ids in, one call to ``CloseSession.run_stage``.

Tasks carry only ``run_id`` (and ``entity_id``); everything else comes from PostgreSQL. A
``RetriableError`` is retried with exponential backoff and jitter; when retries run out, or on any
other unexpected error, the run is marked FAILED with the stage, entity and reason, and the error
is re-raised — never logged and swallowed. The tasks reach the close only through ``close.api``;
the run layer sends them by the names declared here (``close.run.dispatch``).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded

from close.api import CloseSession, RunStatus, RunStopped, UnknownRun, short_reason
from close.errors import PermanentError, RetriableError
from workers import app
from workers.rejections import record_rejection

log = logging.getLogger(__name__)


class StageTask(Task):
    """Shared settings and failure handling of the stage tasks."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (RetriableError,)
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 3
    ignore_result = True
    stage: RunStatus

    def on_retry(self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                 einfo: object) -> None:
        """Record the retry in the run's audit trail."""
        run_id, entity = _ids(args, kwargs)
        CloseSession.for_tasks().record_retry(run_id, self.stage, entity, attempt=self.request.retries + 1,
                                              of=self.max_retries, error=exc)

    def on_failure(self, exc: BaseException, task_id: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                   einfo: object) -> None:
        """Mark the run FAILED unless the stage already did (permanent errors) or it was stopped."""
        if isinstance(exc, PermanentError | RunStopped):
            return
        run_id, entity = _ids(args, kwargs)
        what = f"{self.stage}" + (f" for entity {entity}" if entity else "")
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = f"time limit: {what} ran past its {self.soft_time_limit} s limit"
        elif isinstance(exc, RetriableError):
            reason = f"still failing after {self.max_retries} retries: {short_reason(exc)}"
        else:
            reason = f"{type(exc).__name__}: {short_reason(exc)}"
        log.error("stage %s of run %s failed: %s", self.stage, run_id, reason)
        CloseSession.for_tasks().fail_stage(run_id, self.stage, entity, reason)


def _ids(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, str | None]:
    run_id = kwargs.get("run_id", args[0] if args else "")
    entity = kwargs.get("entity_id", args[1] if len(args) > 1 else None)
    return run_id, entity


def _run(task: StageTask, run_id: str, entity_id: str | None = None) -> None:
    session = CloseSession.for_tasks()
    try:
        session.run_stage(run_id, task.stage, entity_id, attempt=task.request.retries + 1,
                          task_id=task.request.id, time_limit=task.time_limit)
    except UnknownRun:
        # Loud, never silent: logged, counted where `close status` of the run's tenant shows it.
        tenant = session.tenant
        log.error("rejected %s for run %s: no such run for tenant %s (a worker serves one tenant: "  # noqa: TRY400
                  "CLOSE_TENANT)", task.name, run_id, tenant)
        record_rejection(session.settings, run_id, task.name, tenant)
        raise


@app.task(bind=True, base=StageTask, name="close.extract_entity", stage=RunStatus.EXTRACTING,
          ignore_result=False)  # a chord header: the chord counts its results in the backend
def extract_entity(self: StageTask, run_id: str, entity_id: str) -> None:
    """Run EXTRACTING for one entity."""
    _run(self, run_id, entity_id)


@app.task(bind=True, base=StageTask, name="close.map_accounts", stage=RunStatus.MAPPING)
def map_accounts(self: StageTask, *_chord_results: object, run_id: str) -> None:
    """Run MAPPING (the chord's body receives the header results, which it ignores)."""
    _run(self, run_id)


@app.task(bind=True, base=StageTask, name="close.consolidate", stage=RunStatus.CONSOLIDATING)
def consolidate(self: StageTask, run_id: str) -> None:
    """Run CONSOLIDATING."""
    _run(self, run_id)


@app.task(bind=True, base=StageTask, name="close.validate", stage=RunStatus.VALIDATING)
def validate(self: StageTask, run_id: str) -> None:
    """Run VALIDATING."""
    _run(self, run_id)


@app.task(bind=True, base=StageTask, name="close.analyze", stage=RunStatus.ANALYZING)
def analyze(self: StageTask, run_id: str) -> None:
    """Run ANALYZING."""
    _run(self, run_id)


@app.task(bind=True, base=StageTask, name="close.report_part", stage=RunStatus.REPORTING,
          ignore_result=False)  # a chord header: the chord counts its results in the backend
def report_part(self: StageTask, run_id: str, entity_id: str) -> None:
    """Render one part of the board package (``entity_id`` names the part: workbook, deck, pdf)."""
    _run(self, run_id, entity_id)


@app.task(bind=True, base=StageTask, name="close.report", stage=RunStatus.REPORTING)
def report(self: StageTask, *_chord_results: object, run_id: str) -> None:
    """Finish REPORTING once its parts are rendered (the chord's body ignores their results)."""
    _run(self, run_id)


@app.task(bind=True, base=StageTask, name="close.distribute", stage=RunStatus.DISTRIBUTING)
def distribute(self: StageTask, run_id: str) -> None:
    """Run DISTRIBUTING."""
    _run(self, run_id)


@app.task(name="close.beat_tick", acks_late=True, ignore_result=True)
def beat_tick(config_path: str) -> list[str]:
    """Tick the schedule of one group: create the due runs (idempotently) and start them."""
    return CloseSession.for_tasks().as_actor("beat").tick_schedule(config_path)


@app.task(name="close.workflow_tick", acks_late=True, ignore_result=True)
def workflow_tick() -> list[str]:
    """Every few minutes: open gates whose tasks are done, raise and send alerts (close tick)."""
    return list(CloseSession.for_tasks().as_actor("beat").tick().released)
