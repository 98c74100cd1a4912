"""The audit trail's hash chain: recompute every event's hash and find the first broken link.

Each tenant's ``run_events`` form a chain (close/sql/0004_tenant_wall_audit_seal.sql): an event
stores ``prev_hash`` (the previous event's ``row_hash``, 64 zeros for the first) and ``row_hash``
(``run_event_hash`` of ``prev_hash`` and its own content). An edited event no longer matches its
hash; a deleted or inserted one breaks the next event's link.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.storage.schema import run_events

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The result of verifying one tenant's chain."""

    events: int
    broken_event: int | None = None  # the first event whose link or content does not verify
    broken_run: str | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        """Whether every event verified."""
        return self.broken_event is None


def verify_chain(conn: Connection) -> ChainCheck:
    """Verify the bound tenant's event chain, oldest first, and report the first broken event."""
    e = run_events.c
    previous = sa.func.coalesce(sa.func.lag(e.row_hash).over(order_by=e.id),
                                sa.literal(GENESIS, e.prev_hash.type))
    # run_event_hash is sql/0004's function, the one the sealing trigger computes row_hash with.
    content = sa.func.run_event_hash(e.prev_hash, e.tenant_id, e.id, e.run_id, e.at, e.actor, e.kind, e.stage,
                                     e.entity_id, e.message, e.detail)
    rows = conn.execute(sa.select(e.id, e.run_id, e.prev_hash == previous, e.row_hash == content)
                        .order_by(e.id))
    count = 0
    for event_id, run_id, linked, matches in rows:
        count += 1
        if not linked:
            return ChainCheck(count, event_id, run_id, "its link to the previous event is broken "
                              "(an event before it was deleted, inserted or rewritten)")
        if not matches:
            return ChainCheck(count, event_id, run_id,
                              "its content no longer matches its hash (it was edited)")
    return ChainCheck(count)
