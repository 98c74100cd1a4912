"""No run stays active without a live holder: leases, their heartbeat, and the reaper.

Every stage, and every per-entity extract, holds a lease in PostgreSQL while it works
(``run_leases``), renewed by a heartbeat thread every third of ``CLOSE_LEASE_SECONDS``. A task handed
to the broker is recorded as a lease with no holder that a worker must take within the same time.
A run in a working status whose leases have all expired has nobody working on it: the worker died,
the broker lost the task, or no worker serves its tenant. The reaper moves such a run to FAILED
with the reason and an alert carrying the ``close resume`` command. It runs wherever it is cheap
and timely: every ``close`` command that touches the group, ``close status``, ``close run --wait``,
the beat and ``close runs reap``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from close.engine.types import RunId
from close.run.failures import record_failure
from close.run.state import ACTIVE_STATUSES, AWAITING_PEOPLE, RunStatus
from close.run.transient import is_transient
from close.storage import Database
from close.storage.leases import (
    DeadLease,
    LeaseKey,
    drop_leases,
    last_dead_lease,
    renew_lease,
    stranded_run_ids,
)
from close.storage.runs import Run, get_run

log = logging.getLogger(__name__)

# Working: a process should be holding the run. FAILED and AWAITING_REVIEW wait for a person.
WORKING_STATUSES: frozenset[RunStatus] = ACTIVE_STATUSES - {RunStatus.FAILED} - AWAITING_PEOPLE


def new_holder(task_id: str | None = None) -> str:
    """Name a lease holder: the broker message (for takeover on redelivery), host, pid and a token."""
    return f"{task_id or uuid.uuid4().hex}|{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def takeover_prefix(task_id: str | None) -> str | None:
    """Return the holder prefix a redelivery of the same broker message may take over (None: none)."""
    return f"{task_id}|" if task_id else None


def reap_grace(lease_seconds: int) -> float:
    """How long after expiry a lease counts as dead: a redelivery waiting for it takes it first."""
    return min(2.0, lease_seconds / 4)


class Heartbeat:
    """A thread that renews one lease until stopped, on its own database connection.

    A beat that cannot reach the database is logged and tried again at the next beat; ``lost`` is
    set when the lease was taken from us (reaped, or taken over by a redelivery).
    """

    def __init__(self, db: Database, key: LeaseKey, holder: str, seconds: int) -> None:
        """Prepare the heartbeat; nothing runs until :meth:`start`."""
        self.db, self.key, self.holder, self.seconds = db, key, holder, seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start beating (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, daemon=True,
                                            name=f"lease-{self.key.stage}-{self.key.entity_id}")
            self._thread.start()

    def _beat(self) -> None:
        interval = max(0.2, self.seconds / 3)
        while not self._stop.wait(interval):
            try:
                with self.db.tx() as conn:
                    if not renew_lease(conn, self.key, self.holder, self.seconds):
                        self.lost.set()
                        return
            except Exception as exc:  # noqa: BLE001 - a heartbeat survives anything; the stage decides
                log.warning("lease heartbeat of %s %s: %s", self.key.stage, self.key.run_id,
                            "database unreachable" if is_transient(exc) else type(exc).__name__)

    def stop(self) -> None:
        """Stop beating and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def stranded_reason(lease: DeadLease | None, status: RunStatus, lease_seconds: int, tenant: str) -> str:
    """Say why a run has nobody working on it, from the lease that expired last."""
    if lease is None:
        return f"worker lost during {status}"
    what = lease.stage + (f" for entity {lease.entity_id}" if lease.entity_id else "")
    if lease.holder is None:
        return (f"broker lost: no worker took the {what} task within {lease_seconds} s "
                f"(the broker lost it, or no worker serves tenant {tenant})")
    if lease.past_deadline:
        return f"time limit: {what} ran past its hard time limit"
    return f"worker lost during {what}"


def reap(db: Database, lease_seconds: int, *, actor: str, group_id: str | None = None,
         run_id: RunId | None = None) -> list[Run]:
    """Move every stranded run (of the group, or the one run, when given) to FAILED, with the alert.

    Returns:
        The runs this call failed.

    """
    failed: list[Run] = []
    with db.tx() as conn:
        ids = stranded_run_ids(conn, sorted(s.value for s in WORKING_STATUSES), lease_seconds,
                               reap_grace(lease_seconds), group_id=group_id, run_id=run_id)
        for rid in ids:
            run = get_run(conn, rid)
            assert run is not None
            lease = last_dead_lease(conn, rid)
            reason = stranded_reason(lease, run.status, lease_seconds, db.tenant)
            stage = RunStatus(lease.stage) if lease and lease.stage in RunStatus.__members__ else (
                run.status if run.status != RunStatus.PENDING else run.start_stage)
            entity = (lease.entity_id or None) if lease else None
            log.error("run %s has no live holder: %s", rid, reason)
            record_failure(conn, run, stage, entity, reason, actor=actor)
            drop_leases(conn, rid)
            failed.append(get_run(conn, rid) or run)
    return failed

