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
from close.storage.schema import run_events, validation_results
from reports.model import Signature, SignOff, Waiver

OPERATOR_ROLE = "operator"  # close.users.OPERATOR, recorded in the event's detail


def _last(conn: Connection, run_id: RunId, kind: str) -> Signature | None:
    e = run_events.c
    row = conn.execute(sa.select(e.actor, e.at, e.detail["role"].astext)
                       .where(e.run_id == run_id, e.kind == kind).order_by(e.id.desc()).limit(1)).first()
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
    e, v = run_events.c, validation_results.c
    note = conn.execute(sa.select(sa.func.coalesce(e.detail["note"].astext, ""))
                        .where(e.run_id == run_id, e.kind == "signed_off").order_by(e.id.desc()).limit(1)
                        ).scalar_one()
    rows = conn.execute(sa.select(v.code, v.entity_id, v.waived_by, v.waived_at,
                                  sa.func.coalesce(v.waived_reason, ""))
                        .where(v.run_id == run_id, v.waived_by.is_not(None)).order_by(v.seq)).all()
    waivers = tuple(Waiver(code=r[0], entity=r[1], waived_by=r[2], time=r[3].astimezone(UTC), reason=r[4])
                    for r in rows)
    return SignOff(preparer=preparer, reviewer=_last(conn, run_id, "approved"), approver=approver,
                   note=note, waivers=waivers)
