"""The month's checklist: which tasks are open, overdue, blocked, or hold a gate closed (pure).

A task is due on its business day after the period end (``close.run.workflow.calendar``). It may be
done once its dependencies are: the tasks it names are DONE and the stages it names are DONE in
the period's run. A gate (a stage, or SIGNOFF) stays closed while any task that names it is open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from close.config import GroupConfig
from close.engine.types import Period
from close.run.state import STAGE_ORDER
from close.run.workflow.calendar import business_day
from close.storage.workflow import TaskRow

_STAGES = {s.value for s in STAGE_ORDER}


def task_template(config: GroupConfig, period: Period) -> list[tuple[str, str, str, date, tuple[str, ...],
                                                                      str | None]]:
    """Return the period's tasks as rows to store: id, title, owner, due date, dependencies, gate."""
    return [(t.id, t.title, t.owner, business_day(period, t.due_day, config.calendar), t.depends_on, t.gate)
            for t in config.checklist]


def blocking(tasks: Iterable[TaskRow], gate: str) -> list[TaskRow]:
    """Return the open tasks that keep ``gate`` closed."""
    return [t for t in tasks if t.gate == gate and t.status == "OPEN"]


def overdue(tasks: Iterable[TaskRow], today: date) -> list[TaskRow]:
    """Return the open tasks whose due date has passed."""
    return [t for t in tasks if t.status == "OPEN" and t.due_on < today]


def missing_dependencies(task: TaskRow, tasks: Sequence[TaskRow], stages_done: set[str]) -> list[str]:
    """Return what ``task`` still waits for: open tasks and stages not done, by name."""
    done = {t.task_id for t in tasks if t.status == "DONE"}
    return [d for d in task.depends_on if (d in _STAGES and d not in stages_done)
            or (d not in _STAGES and d not in done)]
