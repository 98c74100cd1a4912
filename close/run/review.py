"""Review, sign-off, locks and adjustments: the human decisions around a run.

Every decision is a transition or a row written with an event in the same transaction, so the
audit trail says who decided what, when and why. An integrity failure is never waived: it is fixed
by a top-side journal (``adjust``), which cancels the run and continues in a child run from
CONSOLIDATING on the parent's extraction and mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from pathlib import Path

from sqlalchemy.engine import Connection

from close.engine.types import Period, RunId
from close.errors import ConfigError, NotFound, RunConflict
from close.run.env import StageEnv
from close.run.inputs import ADJUSTMENT_PREFIX
from close.run.state import RunStatus, append_event, transition
from close.run.workflow.checklist import blocking
from close.run.workflow.settings import SIGNOFF_GATE
from close.storage.findings import findings, waive_findings
from close.storage.runs import (
    Run,
    copy_to_child,
    create_run,
    effective_run,
    ensure_not_locked,
    get_run,
    lock_period,
    put_input,
    set_signed_off,
    unlock_period,
)
from close.storage.workflow import list_tasks


def _run(conn: Connection, run_id: RunId) -> Run:
    run = get_run(conn, run_id, for_update=True)
    if run is None:
        raise NotFound(f"no run {run_id}")
    return run


def _require_reason(reason: str, option: str) -> str:
    """Return the reason a decision records in the audit trail; a blank one explains nothing."""
    if not reason.strip():
        raise ConfigError("a reason is required and was blank", key=option, expected="a non-empty text")
    return reason.strip()


def approve(env: StageEnv, run_id: RunId, reason: str, waivers: Mapping[str, str], *,
            role: str | None = None) -> Run:
    """Approve a run in review: waive its non-integrity findings and continue to ANALYZING.

    Args:
        env: database, settings and the approving actor.
        run_id: a run at AWAITING_REVIEW.
        reason: why it may continue (recorded with the approval).
        waivers: a reason per finding code; codes not named are waived with ``reason``.
        role: the approver's role (``operator`` for the CLI's operator mode), kept in the event.

    Raises:
        RunConflict: the run is not in review, or an integrity check failed (never waivable).
        ConfigError: a blank reason, or a waiver for a code the run has no finding of.

    """
    reason = _require_reason(reason, "--reason")
    with env.db.tx() as conn:
        run = _run(conn, run_id)
        if run.status != RunStatus.AWAITING_REVIEW:
            raise RunConflict(f"refused: run {run_id} is {run.status}; "
                              "only a run AWAITING_REVIEW is approved")
        items = findings(conn, run_id)
        integrity = [f for f in items if f["category"] == "integrity" and f["severity"] == "fail"]
        if integrity:
            codes = ", ".join(sorted({str(f["code"]) for f in integrity}))
            raise RunConflict(f"refused: integrity checks failed ({codes}) and are never waived; correct "
                              f"them with a top-side journal: close adjust add {run_id} --file JOURNAL.csv")
        unknown = sorted(set(waivers) - {str(f["code"]) for f in items})
        if unknown:
            raise ConfigError(f"run {run_id} has no finding {unknown[0]!r}", key="--waive")
        waive_findings(conn, run_id, actor=env.actor, reason=reason, waivers=waivers)
        waived = [f for f in items if f["severity"] != "pass"]
        append_event(conn, run_id, "approved", f"approved by {env.actor}: {reason}", actor=env.actor,
                     detail={"reason": reason, "waived": len(waived), "waivers": dict(waivers),
                             **_role(role)})
        transition(conn, run_id, RunStatus.AWAITING_REVIEW, RunStatus.ANALYZING, actor=env.actor,
                   reason=f"approved: {reason}")
        return get_run(conn, run_id) or run


def reject(env: StageEnv, run_id: RunId, reason: str) -> Run:
    """Reject a run in review: it is CANCELLED with the reason.

    Raises:
        RunConflict: the run is not in review.
        ConfigError: a blank reason.

    """
    reason = _require_reason(reason, "--reason")
    with env.db.tx() as conn:
        run = _run(conn, run_id)
        if run.status != RunStatus.AWAITING_REVIEW:
            raise RunConflict(f"refused: run {run_id} is {run.status}; "
                              "only a run AWAITING_REVIEW is rejected")
        transition(conn, run_id, RunStatus.AWAITING_REVIEW, RunStatus.CANCELLED, actor=env.actor,
                   reason=f"rejected: {reason}", detail={"rejected": True, "reason": reason})
        return get_run(conn, run_id) or run


def _role(role: str | None) -> dict[str, str]:
    return {} if role is None else {"role": role}


def signoff(env: StageEnv, run_id: RunId, note: str = "", *, role: str | None = None) -> Run:
    """Sign off a COMPLETED run: who and when, in the run and the audit trail, and the signed package.

    In the same transaction the package is rendered again as its signed edition (``close.run.signing``):
    the sign-off and its package exist together or not at all.

    Raises:
        RunConflict: the run is not COMPLETED, was superseded, or is already signed off.

    """
    from close.run.signing import sign_package  # the renderers load only when something is signed

    with env.db.tx() as conn:
        run = _run(conn, run_id)
        if run.superseded_by:
            raise RunConflict(f"refused: run {run_id} was superseded by run {run.superseded_by}; "
                              f"sign off that one (close signoff {run.superseded_by})")
        if run.status != RunStatus.COMPLETED:
            raise RunConflict(f"refused: run {run_id} is {run.status}; only a COMPLETED run is signed off")
        if run.signed_off_by:
            raise RunConflict(f"refused: run {run_id} was signed off by {run.signed_off_by} "
                              f"at {run.signed_off_at.astimezone(UTC):%Y-%m-%d %H:%M UTC}")
        waiting = blocking(list_tasks(conn, run.group_id, run.period), SIGNOFF_GATE)
        if waiting:
            raise RunConflict(f"refused: the checklist tasks that gate the sign-off are not done: "
                              f"{', '.join(t.task_id for t in waiting)} (close tasks done "
                              f"{run.group_id} {run.period} TASK)")
        set_signed_off(conn, run_id, env.actor)
        append_event(conn, run_id, "signed_off", f"signed off by {env.actor}" + (f": {note}" if note else ""),
                     actor=env.actor, detail={"note": note, **_role(role)})
        signed = get_run(conn, run_id) or run
        sign_package(env, conn, signed)
        return signed


def lock(env: StageEnv, group_id: str, period: Period, reason: str = "") -> Run:
    """Lock a period: its effective run must be signed off.

    Raises:
        RunConflict: no effective run, not signed off, or already locked.

    """
    with env.db.tx() as conn:
        run = effective_run(conn, group_id, period)
        if run is None:
            raise RunConflict(f"refused: group {group_id} has no completed run for {period} to lock")
        if not run.signed_off_by:
            raise RunConflict(f"refused: run {run.id} of {period} is not signed off; "
                              f"`close signoff {run.id}` first")
        ensure_not_locked(conn, group_id, period)
        lock_period(conn, group_id, period, run.id, actor=env.actor, reason=reason)
        append_event(conn, run.id, "locked", f"period {period} locked by {env.actor}", actor=env.actor,
                     detail={"reason": reason})
        return run


def unlock(env: StageEnv, group_id: str, period: Period, reason: str) -> None:
    """Unlock a period, with a reason kept in the audit trail of the run it locked.

    Raises:
        RunConflict: the period is not locked.
        ConfigError: a blank reason.

    """
    reason = _require_reason(reason, "--reason")
    with env.db.tx() as conn:
        removed = unlock_period(conn, group_id, period)
        if removed is None:
            raise RunConflict(f"refused: period {period} of group {group_id} is not locked")
        append_event(conn, removed.run_id, "unlocked", f"period {period} unlocked by {env.actor}: {reason}",
                     actor=env.actor, detail={"reason": reason, "locked_by": removed.locked_by})


_REUSED_STAGES = (RunStatus.EXTRACTING.value, RunStatus.MAPPING.value)


def adjust(env: StageEnv, run_id: RunId, journal: Path) -> Run:
    """Add a top-side journal: cancel the run (reason: adjusted) and start a child run from CONSOLIDATING.

    The child reuses the parent's extracted trial balances, mapping and inputs, plus the journal.

    Raises:
        RunConflict: the run is neither AWAITING_REVIEW nor COMPLETED, or its period is locked.
        ConfigError: the journal file cannot be read.

    """
    try:
        data = journal.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {journal}: {exc.strerror}", key="--file") from None
    with env.db.tx() as conn:
        parent = _run(conn, run_id)
        if parent.status not in (RunStatus.AWAITING_REVIEW, RunStatus.COMPLETED):
            raise RunConflict(f"refused: run {run_id} is {parent.status}; adjustments apply to a run "
                              "AWAITING_REVIEW or COMPLETED")
        ensure_not_locked(conn, parent.group_id, parent.period)
        transition(conn, run_id, parent.status, RunStatus.CANCELLED, actor=env.actor, reason="adjusted",
                   detail={"adjustment": journal.name})
        child = create_run(conn, group_id=parent.group_id, period=parent.period, actor=env.actor,
                           parent_run_id=parent.id, root_run_id=parent.root_run_id or parent.id,
                           start_stage=RunStatus.CONSOLIDATING)
        assert child is not None
        # The child reuses the parent's inputs, extracted trial balances, mapping and their DONE marks.
        copy_to_child(conn, parent.id, child.id, _REUSED_STAGES)
        _, digest = put_input(conn, child.id, ADJUSTMENT_PREFIX + journal.name, data, kind="file")
        append_event(conn, child.id, "adjusted",
                     f"child of run {parent.id} with top-side journal {journal.name}", actor=env.actor,
                     detail={"parent_run_id": parent.id, "file": journal.name, "sha256": digest})
        return child
