"""How long a close takes: stage and entity durations from the audit trail, and what to expect.

A stage lasts from the run's move into it to its move out (the next transition); an entity's
extract from the move into EXTRACTING to its ``stage_done`` event. The history is the group's last
20 completed runs. ``close status`` shows a working stage's elapsed time beside its median and p90
and an expected finish: now + what is left of the median of the current stage + the medians of the
stages after it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from close.run.state import STAGE_ORDER, RunStatus
from close.storage.runs import Run
from close.storage.workflow import Transition, completed_runs_of, transitions_of


def stage_durations(transitions: Sequence[Transition]) -> dict[tuple[str, str], list[float]]:
    """Return seconds per (stage, entity or '') for every run in ``transitions`` (sorted by run)."""
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_run: dict[str, list[Transition]] = defaultdict(list)
    for t in transitions:
        by_run[t[0]].append(t)
    stages = {s.value for s in STAGE_ORDER}
    for rows in by_run.values():
        entered: dict[str, datetime] = {}
        current: tuple[str, datetime] | None = None
        for _, at, to, entity in rows:
            if entity is not None:  # an entity's extract finished
                if "EXTRACTING" in entered:
                    out[("EXTRACTING", entity)].append((at - entered["EXTRACTING"]).total_seconds())
                continue
            if current is not None and current[0] in stages:
                out[(current[0], "")].append((at - current[1]).total_seconds())
            current = (to, at)
            entered.setdefault(to, at)
    return dict(out)


@dataclass(frozen=True, slots=True)
class StageTiming:
    """A stage's history: median and 90th percentile in seconds, and how many runs they come from."""

    median: float
    p90: float
    samples: int


def _timing(values: list[float]) -> StageTiming:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return StageTiming(median=statistics.median(ordered), p90=p90, samples=len(ordered))


def history(conn: Connection, group_id: str) -> dict[str, StageTiming]:
    """Return each stage's timing over the group's last completed runs."""
    durations = stage_durations(transitions_of(conn, completed_runs_of(conn, group_id)))
    return {stage: _timing(values) for (stage, entity), values in durations.items() if not entity}


@dataclass(frozen=True, slots=True)
class Progress:
    """A working run against its history."""

    stage: str
    elapsed: float
    timing: StageTiming | None
    expected_finish: datetime | None


def progress(conn: Connection, run: Run, now: datetime | None = None) -> Progress | None:
    """Return the working stage's elapsed time, its history and the expected finish (None if idle)."""
    if run.status not in STAGE_ORDER:
        return None
    now = now or datetime.now(UTC)
    mine = [t for t in transitions_of(conn, [run.id]) if t[3] is None and t[2] == run.status.value]
    if not mine:
        return None
    elapsed = (now - mine[-1][1]).total_seconds()
    timings = history(conn, run.group_id)
    timing = timings.get(run.status.value)
    later = STAGE_ORDER[STAGE_ORDER.index(RunStatus(run.status)) + 1:]
    if timing is None or any(s.value not in timings for s in later):
        return Progress(run.status.value, elapsed, timing, None)
    left = max(timing.median - elapsed, 0.0) + sum(timings[s.value].median for s in later)
    return Progress(run.status.value, elapsed, timing, now + timedelta(seconds=left))


def slow_stages(conn: Connection, run: Run, factor: int) -> list[tuple[str, float, float]]:
    """Return (stage, elapsed, median) when the working stage is ``factor`` × its median and past its p90."""
    found = progress(conn, run)
    if found is None or found.timing is None or found.timing.samples < 3:
        return []
    t = found.timing
    if found.elapsed > max(factor * t.median, t.p90) and found.elapsed > 5:
        return [(found.stage, found.elapsed, t.median)]
    return []
