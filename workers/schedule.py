"""The beat's schedule as data: one entry per group config, and the checklist's five-minute tick.

Which runs a tick creates is decided in ``close.run.schedule`` (through ``CloseSession.tick_schedule``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from close.api import group_schedule

WORKFLOW_TICK_SECONDS = 300.0


def beat_schedule(config_paths: Iterable[Path]) -> dict[str, dict[str, object]]:
    """Celery's ``beat_schedule``: one entry per group, firing its cron with the config path."""
    schedule: dict[str, dict[str, object]] = {}
    for path in config_paths:
        group_id, cron = group_schedule(path)
        schedule[f"close-{group_id}"] = {
            "task": "close.beat_tick",
            "schedule": cron,
            "args": (str(path.resolve()),),
            "options": {"expires": 6 * 3600},
        }
    # The checklist's gates and the alerts: every five minutes, for the whole tenant.
    schedule["close-workflow"] = {"task": "close.workflow_tick", "schedule": WORKFLOW_TICK_SECONDS,
                                  "options": {"expires": WORKFLOW_TICK_SECONDS}}
    return schedule


def config_paths(values: Sequence[str]) -> list[Path]:
    """Config files from ``--config`` options or the ``CLOSE_CONFIGS`` list (``:``-separated)."""
    return [Path(v) for value in values for v in value.split(":") if v]
