"""Review, sign-off, locks and adjustments: the human decisions around a run.

Every decision is a transition or a row written with an event in the same transaction, so the
audit trail says who decided what, when and why. An integrity failure is never waived: it is fixed
by a top-side journal (``adjust``), which cancels the run and continues in a child run from
CONSOLIDATING on the parent's extraction and mapping.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import Period, RunId
from close.errors import ConfigError, NotFound, RunConflict
from close.run.stages import StageEnv
from close.run.stages.inputs import ADJUSTMENT_PREFIX
from close.run.state import RunStatus, append_event, transition
from close.run.workflow.checklist import blocking
from close.run.workflow.settings import SIGNOFF_GATE
from close.storage.runs import (
    Run,
    create_run,
    effective_run,
    ensure_not_locked,
    get_run,
    list_inputs,
    put_input,
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


def findings(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Every validation finding of a run with its waiver, in check order."""
    rows = conn.execute(sa.text(
        "SELECT seq, code, category, severity, entity_id AS entity, account, expected, actual, difference, "
        "message, waived_by, waived_reason, waived_at FROM validation_results "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY seq"),
        {"r": run_id})
    return [dict(r._mapping) for r in rows]


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
        conn.execute(sa.text(
            "UPDATE validation_results SET waived_by = :who, waived_at = now(), "
            "waived_reason = coalesce(CAST(:reasons AS jsonb) ->> code, :reason) "
            "WHERE run_id = CAST(:r AS uuid) AND severity <> 'pass'"),
            {"who": env.actor, "reason": reason, "r": run_id, "reasons": json.dumps(dict(waivers))})
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
        conn.execute(sa.text("UPDATE close_runs SET signed_off_by = :who, signed_off_at = now() "
                             "WHERE id = CAST(:r AS uuid)"), {"who": env.actor, "r": run_id})
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
        conn.execute(sa.text(
            "INSERT INTO period_locks (tenant_id, group_id, period, run_id, locked_by, reason) VALUES "
            "(current_setting('app.tenant_id'), :g, :p, CAST(:r AS uuid), :who, :why)"),
            {"g": group_id, "p": period, "r": run.id, "who": env.actor, "why": reason})
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
        row = conn.execute(sa.text(
            "DELETE FROM period_locks WHERE group_id = :g AND period = :p RETURNING run_id::text, locked_by"),
            {"g": group_id, "p": period}).first()
        if row is None:
            raise RunConflict(f"refused: period {period} of group {group_id} is not locked")
        append_event(conn, row[0], "unlocked", f"period {period} unlocked by {env.actor}: {reason}",
                     actor=env.actor, detail={"reason": reason, "locked_by": row[1]})


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
        _copy_parent(conn, parent.id, child.id)
        _, digest = put_input(conn, child.id, ADJUSTMENT_PREFIX + journal.name, data, kind="file")
        append_event(conn, child.id, "adjusted",
                     f"child of run {parent.id} with top-side journal {journal.name}", actor=env.actor,
                     detail={"parent_run_id": parent.id, "file": journal.name, "sha256": digest})
        return child


def _copy_parent(conn: Connection, parent: RunId, child: RunId) -> None:
    """Give the child the parent's inputs, extracted trial balances, mapping and their DONE marks."""
    params = {"p": parent, "c": child}
    for item in list_inputs(conn, parent):
        conn.execute(sa.text(
            "INSERT INTO run_inputs "
            "(tenant_id, run_id, name, version, kind, entity_id, sha256, size, content) "
            "SELECT tenant_id, CAST(:c AS uuid), name, 1, kind, entity_id, sha256, size, content "
            "FROM run_inputs WHERE run_id = CAST(:p AS uuid) AND name = :n AND version = :v"),
            {**params, "n": item["name"], "v": item["version"]})
    conn.execute(sa.text(
        "INSERT INTO trial_balances SELECT tenant_id, CAST(:c AS uuid), entity_id, period, line_no, account, "
        "account_name, counterparty, cost_center, department, currency, opening, debit, credit, closing "
        "FROM trial_balances WHERE run_id = CAST(:p AS uuid)"), params)
    conn.execute(sa.text(
        "INSERT INTO account_mappings "
        "SELECT tenant_id, CAST(:c AS uuid), entity_id, account, std_account, source "
        "FROM account_mappings WHERE run_id = CAST(:p AS uuid)"), params)
    conn.execute(sa.text(
        "INSERT INTO run_stages "
        "(tenant_id, run_id, stage, entity_id, status, attempt, output_digest, started_at) "
        "SELECT tenant_id, CAST(:c AS uuid), stage, entity_id, status, attempt, output_digest, started_at "
        "FROM run_stages WHERE run_id = CAST(:p AS uuid) AND stage = ANY(:s)"),
        {**params, "s": list(_REUSED_STAGES)})
