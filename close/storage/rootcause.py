"""What the root-cause appendix explains: the run's anomalies and its largest material variances."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import AccountCode, RunId


def anomaly_accounts(conn: Connection, run_id: RunId) -> list[AccountCode]:
    """Return the standard accounts flagged as anomalies in a run, by code."""
    return [r[0] for r in conn.execute(sa.text(
        "SELECT account FROM anomalies WHERE run_id = CAST(:r AS uuid) ORDER BY account"), {"r": run_id})]


def material_variance_accounts(conn: Connection, run_id: RunId, limit: int) -> list[AccountCode]:
    """Return the accounts of the run's largest material consolidated month-over-month variances."""
    return [r[0] for r in conn.execute(sa.text(
        "SELECT account FROM variances WHERE run_id = CAST(:r AS uuid) AND material AND kind = 'mom' "
        "AND entity_id IS NULL ORDER BY abs(delta) DESC, account LIMIT :n"), {"r": run_id, "n": limit})]
