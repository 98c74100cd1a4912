"""Stale periods: effective runs whose prior period was re-closed with other closing figures.

A period's opening balances, CTA and retained earnings come from the prior period's effective run
(design.md "The run"). CONSOLIDATING records the digest of the prior closing it carried
(``prior_closing``, ``close.run.stages.consolidating``); when a newer run of the prior period
closes with a different digest, the later period is stale, and so is every period after a stale
one (its opening came from stale figures). A re-run of the prior period that reproduces the same
closing leaves the later periods as they are.

A run closed before runs recorded their inputs is judged by time instead: stale when its prior
period's effective run finished after it.

Example: January, February and March closed; January re-run after a corrected file changes its
closing: February is stale (its prior closing changed) and March too (its prior is stale).
``close rerun --stale`` re-closes February, then March.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from close.engine.periods import previous_period
from close.engine.types import Period, RunId
from close.run.stages.consolidating import PRIOR_CLOSING_INPUT
from close.run.state import RunStatus
from close.storage.runs import Run, StageRecord, effective_runs, stage_records


@dataclass(frozen=True, slots=True)
class StaleRun:
    """An effective run whose prior period changed under it, and why."""

    run_id: RunId
    group_id: str
    period: Period
    reason: str


def stale_runs(conn: Connection, group_ids: Sequence[str]) -> list[StaleRun]:
    """Return the stale effective runs of the groups, oldest period first."""
    found: list[StaleRun] = []
    for group_id in sorted(set(group_ids)):
        runs = {r.period: r for r in effective_runs(conn, group_id)}
        records = stage_records(conn, [r.id for r in runs.values()], RunStatus.CONSOLIDATING.value)
        stale: set[Period] = set()
        for period in sorted(runs):
            run, prior = runs[period], runs.get(previous_period(period))
            if prior is None:
                continue
            reason = _why_stale(run, prior, records, prior.period in stale)
            if reason:
                stale.add(period)
                found.append(StaleRun(run.id, group_id, period, reason))
    return found


def _why_stale(run: Run, prior: Run, records: Mapping[RunId, StageRecord], prior_stale: bool) -> str:
    """Say why ``run`` is stale against its prior period's effective run (empty when it is not)."""
    if prior_stale:
        return f"its prior period {prior.period} is stale"
    record = records.get(run.id)
    used = record.inputs.get(PRIOR_CLOSING_INPUT) if record else None
    if used is None:  # closed before runs recorded their inputs
        if prior.finished_at and run.finished_at and prior.finished_at > run.finished_at:
            return f"{prior.period} was re-closed after it (run {prior.id[:8]})"
        return ""
    now = records[prior.id].output_digest if prior.id in records else None
    if used != now:
        return f"{prior.period} was re-closed with a different closing (run {prior.id[:8]})"
    return ""
