"""Validation findings of a run (``validation_results``) and their waivers."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.storage.schema import validation_results


def findings(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Every validation finding of a run with its waiver, in check order."""
    v = validation_results.c
    rows = conn.execute(sa.select(v.seq, v.code, v.category, v.severity, v.entity_id.label("entity"),
                                  v.account, v.expected, v.actual, v.difference, v.message, v.waived_by,
                                  v.waived_reason, v.waived_at).where(v.run_id == run_id).order_by(v.seq))
    return [dict(r._mapping) for r in rows]


def waive_findings(conn: Connection, run_id: RunId, *, actor: str, reason: str,
                   waivers: Mapping[str, str]) -> None:
    """Waive every finding that did not pass: with its code's reason in ``waivers``, else ``reason``."""
    v = validation_results.c
    by_code = sa.literal(dict(waivers), JSONB)[v.code].astext
    conn.execute(validation_results.update().where(v.run_id == run_id, v.severity != "pass")
                 .values(waived_by=actor, waived_at=sa.func.now(),
                         waived_reason=sa.func.coalesce(by_code, reason)))
