"""The canvas of a run: a chord of per-entity extracts, then the remaining stages in a chain.

A resume or an approval rebuilds it from the first stage that is not DONE, so entities already
extracted are not extracted again.
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import chain, chord
from celery.canvas import Signature

from close.run import launch
from close.run_state import STAGE_ORDER, RunStatus
from close.stages import StageEnv
from workers.tasks import STAGE_TASKS, extract_entity


def build_canvas(run_id: str, *, from_stage: RunStatus, entities: Sequence[str]) -> Signature:
    """Return the signature that takes the run from ``from_stage`` to the end.

    Args:
        run_id: the run.
        from_stage: the first stage to run.
        entities: for EXTRACTING, the entities still to extract.

    """
    stages = [s for s in STAGE_ORDER[STAGE_ORDER.index(from_stage):] if s != RunStatus.EXTRACTING]
    if from_stage != RunStatus.EXTRACTING or not entities:
        return chain(*(STAGE_TASKS[s].si(run_id=run_id) for s in stages))
    # The chord body's first task receives the header results as positional args and ignores them.
    body = chain(STAGE_TASKS[stages[0]].s(run_id=run_id),
                 *(STAGE_TASKS[s].si(run_id=run_id) for s in stages[1:]))
    return chord([extract_entity.si(run_id, e) for e in entities], body)


def start_run(env: StageEnv, run_id: str) -> None:
    """Send the run's canvas from its first stage that is not DONE (in-process: run it now)."""
    launch(env, run_id, lambda rid, stage, entities: build_canvas(rid, from_stage=stage, entities=entities)
           .apply_async())
