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
from close.storage.schema import collection_drafts

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


def ensure_templates(conn: Connection, templates: Iterable[Template] = DEFAULT_TEMPLATES) -> None:
    """Insert the built-in templates (version 1) for this tenant where they are missing."""
    conn.execute(sa.text(
        "INSERT INTO collection_templates (tenant_id, tone, language, version, subject, body) VALUES "
        "(current_setting('app.tenant_id'), :tone, :language, :version, :subject, :body) "
        "ON CONFLICT DO NOTHING"), [asdict(t) for t in templates])


def load_templates(conn: Connection) -> tuple[Template, ...]:
    """Return every version of every template of this tenant."""
    rows = conn.execute(sa.text(
        "SELECT tone, language, version, subject, body FROM collection_templates "
        "ORDER BY tone, language, version")).mappings().all()
    return tuple(Template(**r) for r in rows)


def save_drafts(conn: Connection, run_id: RunId, drafts: Iterable[Draft]) -> int:
    """Insert a run's drafts as DRAFT; a customer already drafted for the run keeps its draft."""
    rows = [{**{k: getattr(d, k) for k in _DRAFT_FIELDS}, "run_id": run_id} for d in drafts]
    if not rows:
        return 0
    stmt = (pg_insert(collection_drafts).values(tenant_id=sa.func.current_setting("app.tenant_id"))
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
    result = conn.execute(sa.text(
        "UPDATE collection_drafts SET status = 'APPROVED', approved_by = :a, approved_at = now() "
        "WHERE id = CAST(:i AS uuid) AND status = 'DRAFT'"), {"i": draft_id, "a": actor})
    return result.rowcount == 1
