"""Receivables in PostgreSQL: the per-run aging snapshots (append-only) of ``0011_receivables``.

The functions take a connection inside the caller's transaction, so a stage writes the snapshot
together with its other outputs and its done-mark (convention 7). Row-level security scopes
every statement to the connection's tenant.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.money import from_minor, to_minor
from close.receivables.aging import TITLE_COLUMNS
from close.types import Period, RunId

SNAPSHOT_COLUMNS = (*TITLE_COLUMNS, "days_past_due", "bucket", "language", "email")


def save_aging_snapshot(conn: Connection, run_id: RunId, aged: pd.DataFrame) -> int:
    """Insert the run's aged titles; a title already snapshotted for the run is kept as it was.

    Args:
        conn: a tenant-scoped connection in the caller's transaction.
        run_id: the run.
        aged: ``age_titles`` output with ``language`` and ``email``.

    Returns:
        The number of rows inserted (0 on a redelivery).

    """
    if aged.empty:
        return 0
    rows = [{**r, "run_id": run_id, "open_amount": from_minor(int(r["open_amount"]), r["currency"]),
             "days_past_due": int(r["days_past_due"])}
            for r in aged.loc[:, list(SNAPSHOT_COLUMNS)].to_dict("records")]
    result = conn.execute(sa.text(
        "INSERT INTO ar_aging_snapshots (tenant_id, run_id, entity, document, customer, issue_date, "
        "due_date, currency, open_amount, days_past_due, bucket, language, email) VALUES "
        "(current_setting('app.tenant_id'), :run_id, :entity, :document, :customer, :issue_date, "
        ":due_date, :currency, :open_amount, :days_past_due, :bucket, :language, :email) "
        "ON CONFLICT (run_id, entity, document) DO NOTHING"), rows)
    return int(result.rowcount)


def load_aging_snapshot(conn: Connection, run_id: RunId) -> pd.DataFrame:
    """Return a run's aged titles (``SNAPSHOT_COLUMNS``, amounts int64 minor) by entity and document."""
    rows = conn.execute(sa.text(
        "SELECT entity, customer, document, issue_date, due_date, open_amount, currency, days_past_due, "
        "bucket, language, email FROM ar_aging_snapshots WHERE run_id = :r ORDER BY entity, document"),
        {"r": run_id}).mappings().all()
    frame = pd.DataFrame([{**r, "currency": r["currency"].strip(),
                           "open_amount": to_minor(r["open_amount"], r["currency"].strip())} for r in rows],
                         columns=list(SNAPSHOT_COLUMNS))
    return frame.astype({"open_amount": "int64", "days_past_due": "int64"})


def latest_snapshot_run(conn: Connection, group_id: str, period: Period) -> RunId | None:
    """Return the newest run of ``period`` that holds an aging snapshot, or None (last month's base)."""
    return conn.execute(sa.text(
        "SELECT r.id::text FROM close_runs r WHERE r.group_id = :g AND r.period = :p AND EXISTS "
        "(SELECT 1 FROM ar_aging_snapshots s WHERE s.run_id = r.id) ORDER BY r.created_at DESC LIMIT 1"),
        {"g": group_id, "p": period}).scalar_one_or_none()
