"""Receivables in PostgreSQL (``0011_receivables``): aging snapshots, collection templates and drafts.

The functions take a connection inside the caller's transaction, so a stage writes the snapshot
together with its other outputs and its done-mark (convention 7). Row-level security scopes
every statement to the connection's tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from close.analysis.receivables.aging import TITLE_COLUMNS
from close.analysis.receivables.drafts import DEFAULT_TEMPLATES, Draft, Template
from close.engine.money import from_minor, to_minor
from close.engine.types import Period, RunId
from close.storage.schema import (
    ar_aging_snapshots,
    close_runs,
    collection_drafts,
    collection_templates,
    current_tenant,
)

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
    # Counted by RETURNING: an executemany's rowcount is not reported (-1) under insertmanyvalues.
    stmt = (pg_insert(ar_aging_snapshots).values(tenant_id=current_tenant())
            .on_conflict_do_nothing(index_elements=["run_id", "entity", "document"])
            .returning(ar_aging_snapshots.c.document))
    return len(conn.execute(stmt, rows).all())


def load_aging_snapshot(conn: Connection, run_id: RunId) -> pd.DataFrame:
    """Return a run's aged titles (``SNAPSHOT_COLUMNS``, amounts int64 minor) by entity and document."""
    a = ar_aging_snapshots.c
    rows = conn.execute(sa.select(*(a[name] for name in SNAPSHOT_COLUMNS)).where(a.run_id == run_id)
                        .order_by(a.entity, a.document)).mappings().all()
    frame = pd.DataFrame([{**r, "currency": r["currency"].strip(),
                           "open_amount": to_minor(r["open_amount"], r["currency"].strip())} for r in rows],
                         columns=list(SNAPSHOT_COLUMNS))
    return frame.astype({"open_amount": "int64", "days_past_due": "int64"})


def latest_snapshot_run(conn: Connection, group_id: str, period: Period) -> RunId | None:
    """Return the newest run of ``period`` that holds an aging snapshot, or None (last month's base)."""
    r = close_runs.c
    snapshotted = sa.exists().where(ar_aging_snapshots.c.run_id == r.id)
    return conn.execute(sa.select(r.id).where(r.group_id == group_id, r.period == period, snapshotted)
                        .order_by(r.created_at.desc()).limit(1)).scalar_one_or_none()


def ensure_templates(conn: Connection, templates: Iterable[Template] = DEFAULT_TEMPLATES) -> None:
    """Insert the built-in templates (version 1) for this tenant where they are missing."""
    conn.execute(pg_insert(collection_templates).values(tenant_id=current_tenant()).on_conflict_do_nothing(),
                 [asdict(t) for t in templates])


def load_templates(conn: Connection) -> tuple[Template, ...]:
    """Return every version of every template of this tenant."""
    t = collection_templates.c
    rows = conn.execute(sa.select(t.tone, t.language, t.version, t.subject, t.body)
                        .order_by(t.tone, t.language, t.version)).mappings().all()
    return tuple(Template(**r) for r in rows)


def save_drafts(conn: Connection, run_id: RunId, drafts: Iterable[Draft]) -> int:
    """Insert a run's drafts as DRAFT; a customer already drafted for the run keeps its draft."""
    rows = [{**{k: getattr(d, k) for k in _DRAFT_FIELDS}, "run_id": run_id} for d in drafts]
    if not rows:
        return 0
    stmt = (pg_insert(collection_drafts).values(tenant_id=current_tenant())
            .on_conflict_do_nothing(index_elements=["run_id", "entity", "customer"])
            .returning(collection_drafts.c.id))
    return len(conn.execute(stmt, rows).all())


@dataclass(frozen=True, slots=True)
class StoredDraft:
    """A draft as stored, with its id and approval."""

    id: str
    run_id: RunId
    draft: Draft
    status: str
    approved_by: str | None
    approved_at: datetime | None


_DRAFT_FIELDS = ("entity", "customer", "email", "tone", "language", "template_version", "subject", "body",
                 "source", "rejected_reason", "input_tokens", "output_tokens", "cost_usd")
_SELECT_DRAFTS = sa.select(sa.cast(collection_drafts.c.id, sa.Text).label("id"),
                           sa.cast(collection_drafts.c.run_id, sa.Text).label("run_id"),
                           *(collection_drafts.c[k] for k in ("status", "approved_by", "approved_at",
                                                              *_DRAFT_FIELDS)))


def _stored(row: Mapping[str, object]) -> StoredDraft:
    return StoredDraft(str(row["id"]), str(row["run_id"]), Draft(**{k: row[k] for k in _DRAFT_FIELDS}),
                       str(row["status"]), row["approved_by"], row["approved_at"])  # type: ignore[arg-type]


def list_drafts(conn: Connection, run_id: RunId) -> tuple[StoredDraft, ...]:
    """Return a run's drafts, by entity and customer."""
    d = collection_drafts.c
    query = _SELECT_DRAFTS.where(d.run_id == run_id).order_by(d.entity, d.customer)
    rows = conn.execute(query).mappings().all()
    return tuple(_stored(r) for r in rows)


def get_draft(conn: Connection, draft_id: str) -> StoredDraft | None:
    """Return one draft by id (a prefix of at least 8 characters is enough), or None."""
    id_text = sa.cast(collection_drafts.c.id, sa.Text)
    query = _SELECT_DRAFTS.where(id_text.startswith(draft_id, autoescape=True)).limit(2)
    rows = conn.execute(query).mappings().all()
    return _stored(rows[0]) if len(rows) == 1 and len(draft_id) >= 8 else None


def approve_draft(conn: Connection, draft_id: str, actor: str) -> bool:
    """Mark a DRAFT approved by ``actor``; False when it was not a DRAFT (already approved)."""
    d = collection_drafts.c
    result = conn.execute(collection_drafts.update().where(d.id == draft_id, d.status == "DRAFT")
                          .values(status="APPROVED", approved_by=actor, approved_at=sa.func.now()))
    return result.rowcount == 1
