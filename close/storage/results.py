"""Reads of a run's stored consolidation results: facts, balances, journals, variances, KPIs, comments.

Each reader returns plain values (Decimals as the NUMERIC columns hold them) or small named
tuples; turning them into report models or frames is the caller's business.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import AccountCode, Currency, EntityId, Period, RunId
from close.storage.schema import (
    account_mappings,
    commentary,
    consolidated_balances,
    consolidation_facts,
    consolidation_worksheet,
    journal_entries,
    kpis,
    translated_balances,
    trial_balances,
    variances,
)
from close.storage.schema import journal_lines as journal_lines_table


def fact_payloads(conn: Connection, run_id: RunId, kind: str, *, exact: bool = False) -> list[dict[str, Any]]:
    """Return the payloads of one kind of consolidation fact, in order.

    ``exact`` parses JSON decimals as ``Decimal`` (the reports' amounts); otherwise as JSON does.
    """
    f = consolidation_facts.c
    # As text, so that json.loads can read the decimals exactly.
    texts = conn.execute(sa.select(sa.cast(f.payload, sa.Text)).where(f.run_id == run_id, f.kind == kind)
                         .order_by(f.seq)).scalars().all()
    return [json.loads(t, parse_float=Decimal if exact else float) for t in texts]


def all_facts(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return every consolidation fact of the run as ``{"kind", "payload"}``, by kind then order."""
    f = consolidation_facts.c
    rows = conn.execute(sa.select(f.kind, f.payload).where(f.run_id == run_id).order_by(f.kind, f.seq))
    return [dict(r._mapping) for r in rows]


def average_rates(conn: Connection, run_id: RunId) -> dict[Currency, Decimal]:
    """Return the average rates a run translated its month with (presentation units per unit)."""
    f = consolidation_facts.c
    rows = conn.execute(sa.select(f.payload["currency"].astext, f.payload["rate"].astext)
                        .where(f.run_id == run_id, f.kind == "rate",
                               f.payload["rate_type"].astext == "average"))
    return {c: Decimal(r) for c, r in rows}


class Balance(NamedTuple):
    """One consolidated balance: closing amount and the month's movement, in units."""

    account: AccountCode
    amount: Decimal
    movement: Decimal


def consolidated_rows(conn: Connection, run_id: RunId) -> list[Balance]:
    """Return the run's consolidated balances by account."""
    b = consolidated_balances.c
    rows = conn.execute(sa.select(b.std_account, b.amount, b.movement).where(b.run_id == run_id)
                        .order_by(b.std_account))
    return [Balance(*r) for r in rows]


def consolidated_of_runs(conn: Connection, run_ids: Iterable[RunId]) -> dict[RunId, list[Balance]]:
    """Return the consolidated balances of several runs, by account; a run without any is absent."""
    found: dict[RunId, list[Balance]] = {}
    b = consolidated_balances.c
    for run_id, account, amount, movement in conn.execute(
            sa.select(b.run_id, b.std_account, b.amount, b.movement).where(b.run_id.in_(list(run_ids)))
            .order_by(b.run_id, b.std_account)):
        found.setdefault(run_id, []).append(Balance(account, amount, movement))
    return found


class WorksheetCell(NamedTuple):
    """One IFRS amount of the consolidating worksheet."""

    entity: EntityId
    account: AccountCode
    column: str
    amount: Decimal


def worksheet_cells(conn: Connection, run_id: RunId) -> list[WorksheetCell]:
    """Return the run's IFRS consolidating worksheet cells."""
    w = consolidation_worksheet.c
    return [WorksheetCell(*r) for r in conn.execute(
        sa.select(w.entity_id, w.std_account, w.column, w.amount)
        .where(w.run_id == run_id, w.basis == "IFRS"))]


class TranslatedLine(NamedTuple):
    """One of an entity's own translated lines (not a PPA push-down line)."""

    entity: EntityId
    account: AccountCode
    local_closing: Decimal
    rate: Decimal | None
    rate_type: str


def own_translated_lines(conn: Connection, run_id: RunId) -> list[TranslatedLine]:
    """Return the entities' own translated lines (book ``''``)."""
    t = translated_balances.c
    return [TranslatedLine(*r) for r in conn.execute(
        sa.select(t.entity_id, t.std_account, t.local_closing, t.rate, t.rate_type)
        .where(t.run_id == run_id, t.book == ""))]


def account_trace(conn: Connection, run_id: RunId, account: AccountCode, *, except_book: str
                  ) -> list[dict[str, Any]]:
    """Return the translated lines of one standard account, by entity, leaving out one book's lines."""
    t = translated_balances.c
    rows = conn.execute(sa.select(t.entity_id.label("entity"), t.counterparty, t.local_closing, t.rate,
                                  t.rate_type, t.translated)
                        .where(t.run_id == run_id, t.std_account == account, t.book != except_book)
                        .order_by(t.entity_id))
    return [dict(r._mapping) for r in rows]


class EntityTotals(NamedTuple):
    """One entity's extracted lines of a period summed (exact NUMERIC sums, local currency)."""

    entity: EntityId
    currency: str
    lines: int
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal


def trial_balance_totals(conn: Connection, run_id: RunId, period: Period) -> list[EntityTotals]:
    """Return each entity's extracted lines of ``period`` summed, by entity."""
    t = trial_balances.c
    return [EntityTotals(*r) for r in conn.execute(
        sa.select(t.entity_id, sa.func.min(t.currency), sa.func.count(), sa.func.sum(t.opening),
                  sa.func.sum(t.debit), sa.func.sum(t.credit), sa.func.sum(t.closing))
        .where(t.run_id == run_id, t.period == period).group_by(t.entity_id).order_by(t.entity_id))]


# The columns of the package's trial-balance CSV, in order (its header row).
TRIAL_BALANCE_CSV_COLUMNS = ("entity", "account", "account_name", "std_account", "currency",
                             "counterparty", "opening", "debit", "credit", "closing")


def trial_balance_csv(conn: Connection, run_id: RunId, period: Period) -> bytes:
    """Return the run's extracted lines of ``period`` with their standard accounts as CSV, in line order.

    PostgreSQL writes the CSV itself (``COPY … TO STDOUT``): no Python object per line, amounts as
    their exact NUMERIC text, a header row of ``TRIAL_BALANCE_CSV_COLUMNS``. The same lines give the
    same bytes.
    """
    query = (
        "SELECT t.entity_id, t.account, t.account_name, m.std_account, btrim(t.currency), t.counterparty, "
        "t.opening, t.debit, t.credit, t.closing FROM trial_balances t LEFT JOIN account_mappings m "
        "ON m.run_id = t.run_id AND m.entity_id = t.entity_id AND m.account = t.account "
        "WHERE t.run_id = CAST(%s AS uuid) AND t.period = %s ORDER BY t.entity_id, t.line_no")
    buffer = io.BytesIO()
    buffer.write((",".join(TRIAL_BALANCE_CSV_COLUMNS) + "\n").encode())
    with conn.connection.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", (run_id, period)) as copy:
        for block in copy:
            buffer.write(block)
    return buffer.getvalue()


def mapping_rows(conn: Connection, run_id: RunId) -> list[tuple[EntityId, AccountCode, AccountCode, str]]:
    """Return the run's account mapping as ``(entity, account, std_account, source)``."""
    m = account_mappings.c
    return [tuple(r) for r in conn.execute(
        sa.select(m.entity_id, m.account, m.std_account, m.source).where(m.run_id == run_id))]


def journal_heads(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the consolidation journals (``journal_id``, ``kind``, ``basis``, ``memo``) by id."""
    j = journal_entries.c
    rows = conn.execute(sa.select(j.journal_id, j.kind, j.basis, j.memo).where(j.run_id == run_id)
                        .order_by(j.journal_id))
    return [dict(r._mapping) for r in rows]


def journal_lines(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the journals' lines, by journal then line.

    Keys: ``journal_id``, ``line_no``, ``entity``, ``account``, ``counterparty``, ``amount``, ``memo``.
    """
    j = journal_lines_table.c
    rows = conn.execute(sa.select(j.journal_id, j.line_no, j.entity_id.label("entity"),
                                  j.std_account.label("account"), j.counterparty, j.amount, j.memo)
                        .where(j.run_id == run_id).order_by(j.journal_id, j.line_no))
    return [dict(r._mapping) for r in rows]


class Comment(NamedTuple):
    """The stored commentary of one consolidated variance."""

    account: AccountCode
    kind: str
    body: str
    source: str
    confidence: int | None
    light: str | None


def consolidated_comments(conn: Connection, run_id: RunId) -> list[Comment]:
    """Return the comments on consolidated (not per-entity) variances, in writing order."""
    c = commentary.c
    return [Comment(*r) for r in conn.execute(
        sa.select(c.account, c.kind, c.body, c.source, c.confidence, c.light)
        .where(c.run_id == run_id, sa.func.coalesce(c.figures["entity"].astext, "") == "").order_by(c.seq))]


def comment_rows(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return every comment of the run with its model, cache use, tokens and cost, in writing order."""
    c = commentary.c
    rows = conn.execute(sa.select(c.entity_id.label("entity"), c.account, c.kind, c.source, c.model, c.cached,
                                  c.revised, c.input_tokens, c.output_tokens, c.cost, c.confidence, c.light,
                                  c.fallback_reason).where(c.run_id == run_id).order_by(c.seq))
    return [dict(r._mapping) for r in rows]


def comment_digests(conn: Connection, run_id: RunId) -> dict[tuple[EntityId | None, AccountCode, str], str]:
    """Return the figure digest of each comment by ``(entity, account, kind)``, leaving out those without."""
    c = commentary.c
    rows = conn.execute(sa.select(c.entity_id, c.account, c.kind, c.figures["digest"].astext)
                        .where(c.run_id == run_id))
    return {(r[0], r[1], r[2]): r[3] for r in rows if r[3]}


class StoredVariance(NamedTuple):
    """One stored variance; ``detail`` parsed with exact decimals."""

    account: AccountCode
    kind: str
    current_amount: Decimal
    comparison_amount: Decimal
    delta: Decimal
    pct: Decimal | None
    material: bool
    detail: dict[str, Any]


def variance_list(conn: Connection, run_id: RunId) -> list[StoredVariance]:
    """Return every stored variance of the run, in order."""
    v = variances.c
    # The detail as text, so that json.loads can read its decimals exactly.
    return [StoredVariance(*r[:7], json.loads(r[7], parse_float=Decimal)) for r in conn.execute(
        sa.select(v.account, v.kind, v.current_amount, v.comparison_amount, v.delta, v.pct, v.material,
                  sa.cast(v.detail, sa.Text)).where(v.run_id == run_id).order_by(v.seq))]


class StoredKpi(NamedTuple):
    """One stored KPI; ``value`` None with the ``reason`` it could not be computed."""

    code: str
    name: str
    value: Decimal | None
    unit: str
    reason: str | None


def kpi_list(conn: Connection, run_id: RunId) -> list[StoredKpi]:
    """Return the run's KPIs by code."""
    k = kpis.c
    return [StoredKpi(*r) for r in conn.execute(
        sa.select(k.code, k.name, k.value, k.unit, k.reason).where(k.run_id == run_id).order_by(k.code))]

