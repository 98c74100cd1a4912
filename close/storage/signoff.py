"""The sign-off of a run as the signed package prints it, read from the sealed audit trail.

Names and times come from ``run_events`` (the database sets ``at`` and the actor the session
carries), waivers from ``validation_results``: nothing the signing process could pass in itself.
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import RunId
from close.errors import RunConflict
from reports.model import Signature, SignOff, Waiver

OPERATOR_ROLE = "operator"  # close.users.OPERATOR, recorded in the event's detail


def _last(conn: Connection, run_id: RunId, kind: str) -> Signature | None:
    row = conn.execute(sa.text(
        "SELECT actor, at, detail ->> 'role' FROM run_events WHERE run_id = CAST(:r AS uuid) AND kind = :k "
        "ORDER BY id DESC LIMIT 1"), {"r": run_id, "k": kind}).first()
    if row is None:
        return None
    return Signature(actor=row[0], time=row[1].astimezone(UTC), operator=row[2] == OPERATOR_ROLE)


def signoff_of(conn: Connection, run_id: RunId) -> SignOff:
    """Return who prepared, reviewed and signed off the run, with its waivers.

    Raises:
        RunConflict: the run has no ``created`` or no ``signed_off`` event (not signed off).

    """
    preparer, approver = _last(conn, run_id, "created"), _last(conn, run_id, "signed_off")
    if preparer is None or approver is None:
        raise RunConflict(f"run {run_id} is not signed off: no signed package to render")
    note = conn.execute(sa.text(
        "SELECT coalesce(detail ->> 'note', '') FROM run_events WHERE run_id = CAST(:r AS uuid) "
        "AND kind = 'signed_off' ORDER BY id DESC LIMIT 1"), {"r": run_id}).scalar_one()
    rows = conn.execute(sa.text(
        "SELECT code, entity_id, waived_by, waived_at, coalesce(waived_reason, '') FROM validation_results "
        "WHERE run_id = CAST(:r AS uuid) AND waived_by IS NOT NULL ORDER BY seq"), {"r": run_id}).all()
    waivers = tuple(Waiver(code=r[0], entity=r[1], waived_by=r[2], time=r[3].astimezone(UTC), reason=r[4])
                    for r in rows)
    return SignOff(preparer=preparer, reviewer=_last(conn, run_id, "approved"), approver=approver,
                   note=note, waivers=waivers)
