"""The canvas names its tasks; workers.tasks registers exactly those names, each for its stage.

``close.run.dispatch`` sends the stage tasks by name so the run layer never imports ``workers``;
this is what keeps the two sides of that name in step.
"""

from __future__ import annotations

from celery import chord

from close.run.broker import TASK_ROUTES, app, load_tasks
from close.run.dispatch import EXTRACT_TASK, REPORT_PART_TASK, STAGE_TASKS, build_canvas
from close.run.state import STAGE_ORDER, RunStatus


def test_every_task_the_canvas_sends_is_registered_for_its_stage_and_routed() -> None:
    load_tasks()
    names = {RunStatus.EXTRACTING: EXTRACT_TASK, **STAGE_TASKS}
    assert set(names) == set(STAGE_ORDER)
    for stage, name in (*names.items(), (RunStatus.REPORTING, REPORT_PART_TASK)):
        assert app.tasks[name].stage == stage, name
        assert name in TASK_ROUTES, name


def test_the_canvas_from_extraction_is_a_chord_of_extracts_then_the_stages() -> None:
    # In-process (parallel=False) REPORTING is one task; with workers it is a chord of its parts.
    canvas = build_canvas("r1", from_stage=RunStatus.EXTRACTING, entities=["a", "b"], parallel=False)
    assert isinstance(canvas, chord)
    assert [(s.task, s.args) for s in canvas.tasks] == [(EXTRACT_TASK, ("r1", e)) for e in ("a", "b")]
    body = canvas.body.tasks
    assert [s.task for s in body] == [STAGE_TASKS[s] for s in STAGE_ORDER[1:]]
    # The body's first task takes the header's results; the others are immutable.
    assert [s.immutable for s in body] == [False] + [True] * (len(body) - 1)
    assert all(s.kwargs == {"run_id": "r1"} for s in body)


def test_a_resumed_canvas_starts_at_the_stage_given() -> None:
    canvas = build_canvas("r1", from_stage=RunStatus.VALIDATING, entities=[], parallel=False)
    assert [s.task for s in canvas.tasks] == ["close.validate", "close.analyze", "close.report",
                                              "close.distribute"]
