"""Validation findings of a run (``validation_results``) and their waivers."""

from __future__ import annotations

import json
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import RunId


def findings(conn: Connection, run_id: RunId) -> list[dict[str, object]]:
    """Every validation finding of a run with its waiver, in check order."""
    rows = conn.execute(sa.text(
        "SELECT seq, code, category, severity, entity_id AS entity, account, expected, actual, difference, "
        "message, waived_by, waived_reason, waived_at FROM validation_results "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY seq"),
        {"r": run_id})
    return [dict(r._mapping) for r in rows]


def waive_findings(conn: Connection, run_id: RunId, *, actor: str, reason: str,
                   waivers: Mapping[str, str]) -> None:
    """Waive every finding that did not pass: with its code's reason in ``waivers``, else ``reason``."""
    conn.execute(sa.text(
        "UPDATE validation_results SET waived_by = :who, waived_at = now(), "
        "waived_reason = coalesce(CAST(:reasons AS jsonb) ->> code, :reason) "
        "WHERE run_id = CAST(:r AS uuid) AND severity <> 'pass'"),
        {"who": actor, "reason": reason, "r": run_id, "reasons": json.dumps(dict(waivers))})
