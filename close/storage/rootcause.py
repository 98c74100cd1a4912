"""What the root-cause appendix explains: the run's anomalies and its largest material variances."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import AccountCode, RunId
from close.storage.schema import anomalies, variances


def anomaly_accounts(conn: Connection, run_id: RunId) -> list[AccountCode]:
    """Return the standard accounts flagged as anomalies in a run, by code."""
    a = anomalies.c
    return list(conn.execute(sa.select(a.account).where(a.run_id == run_id).order_by(a.account)).scalars())


def material_variance_accounts(conn: Connection, run_id: RunId, limit: int) -> list[AccountCode]:
    """Return the accounts of the run's largest material consolidated month-over-month variances."""
    v = variances.c
    return list(conn.execute(
        sa.select(v.account).where(v.run_id == run_id, v.material, v.kind == "mom", v.entity_id.is_(None))
        .order_by(sa.func.abs(v.delta).desc(), v.account).limit(limit)).scalars())
