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


def fact_payloads(conn: Connection, run_id: RunId, kind: str, *, exact: bool = False) -> list[dict[str, Any]]:
    """Return the payloads of one kind of consolidation fact, in order.

    ``exact`` parses JSON decimals as ``Decimal`` (the reports' amounts); otherwise as JSON does.
    """
    texts = conn.execute(sa.text(
        "SELECT payload::text FROM consolidation_facts WHERE run_id = CAST(:r AS uuid) AND kind = :k "
        "ORDER BY seq"), {"r": run_id, "k": kind}).scalars().all()
    return [json.loads(t, parse_float=Decimal if exact else float) for t in texts]


def all_facts(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return every consolidation fact of the run as ``{"kind", "payload"}``, by kind then order."""
    rows = conn.execute(sa.text(
        "SELECT kind, payload FROM consolidation_facts WHERE run_id = CAST(:r AS uuid) ORDER BY kind, seq"),
        {"r": run_id})
    return [dict(r._mapping) for r in rows]


def average_rates(conn: Connection, run_id: RunId) -> dict[Currency, Decimal]:
    """Return the average rates a run translated its month with (presentation units per unit)."""
    rows = conn.execute(sa.text(
        "SELECT payload ->> 'currency', payload ->> 'rate' FROM consolidation_facts "
        "WHERE run_id = CAST(:r AS uuid) AND kind = 'rate' AND payload ->> 'rate_type' = 'average'"),
        {"r": run_id})
    return {c: Decimal(r) for c, r in rows}


class Balance(NamedTuple):
    """One consolidated balance: closing amount and the month's movement, in units."""

    account: AccountCode
    amount: Decimal
    movement: Decimal


def consolidated_rows(conn: Connection, run_id: RunId) -> list[Balance]:
    """Return the run's consolidated balances by account."""
    rows = conn.execute(sa.text(
        "SELECT std_account, amount, movement FROM consolidated_balances WHERE run_id = CAST(:r AS uuid) "
        "ORDER BY std_account"), {"r": run_id})
    return [Balance(*r) for r in rows]


def consolidated_of_runs(conn: Connection, run_ids: Iterable[RunId]) -> dict[RunId, list[Balance]]:
    """Return the consolidated balances of several runs, by account; a run without any is absent."""
    found: dict[RunId, list[Balance]] = {}
    for run_id, account, amount, movement in conn.execute(sa.text(
            "SELECT run_id::text, std_account, amount, movement FROM consolidated_balances "
            "WHERE run_id = ANY(CAST(:ids AS uuid[])) ORDER BY run_id, std_account"), {"ids": list(run_ids)}):
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
    return [WorksheetCell(*r) for r in conn.execute(sa.text(
        'SELECT entity_id, std_account, "column", amount FROM consolidation_worksheet '
        "WHERE run_id = CAST(:r AS uuid) AND basis = 'IFRS'"), {"r": run_id})]


class TranslatedLine(NamedTuple):
    """One of an entity's own translated lines (not a PPA push-down line)."""

    entity: EntityId
    account: AccountCode
    local_closing: Decimal
    rate: Decimal | None
    rate_type: str


def own_translated_lines(conn: Connection, run_id: RunId) -> list[TranslatedLine]:
    """Return the entities' own translated lines (book ``''``)."""
    return [TranslatedLine(*r) for r in conn.execute(sa.text(
        "SELECT entity_id, std_account, local_closing, rate, rate_type FROM translated_balances "
        "WHERE run_id = CAST(:r AS uuid) AND book = ''"), {"r": run_id})]


def account_trace(conn: Connection, run_id: RunId, account: AccountCode, *, except_book: str
                  ) -> list[dict[str, Any]]:
    """Return the translated lines of one standard account, by entity, leaving out one book's lines."""
    rows = conn.execute(sa.text(
        "SELECT entity_id AS entity, counterparty, local_closing, rate, rate_type, translated "
        "FROM translated_balances WHERE run_id = CAST(:r AS uuid) "
        "AND std_account = :a AND book <> :book ORDER BY entity_id"),
        {"r": run_id, "a": account, "book": except_book})
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
    return [EntityTotals(*r) for r in conn.execute(sa.text(
        "SELECT entity_id, min(currency), count(*), sum(opening), sum(debit), sum(credit), sum(closing) "
        "FROM trial_balances WHERE run_id = CAST(:r AS uuid) AND period = :p "
        "GROUP BY entity_id ORDER BY entity_id"), {"r": run_id, "p": period})]


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
    return [tuple(r) for r in conn.execute(sa.text(
        "SELECT entity_id AS entity, account, std_account, source FROM account_mappings "
        "WHERE run_id = CAST(:r AS uuid)"), {"r": run_id})]


def journal_heads(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the consolidation journals (``journal_id``, ``kind``, ``basis``, ``memo``) by id."""
    rows = conn.execute(sa.text(
        "SELECT journal_id, kind, basis, memo FROM journal_entries WHERE run_id = CAST(:r AS uuid) "
        "ORDER BY journal_id"), {"r": run_id})
    return [dict(r._mapping) for r in rows]


def journal_lines(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return the journals' lines, by journal then line.

    Keys: ``journal_id``, ``line_no``, ``entity``, ``account``, ``counterparty``, ``amount``, ``memo``.
    """
    rows = conn.execute(sa.text(
        "SELECT journal_id, line_no, entity_id AS entity, std_account AS account, counterparty, amount, memo "
        "FROM journal_lines WHERE run_id = CAST(:r AS uuid) ORDER BY journal_id, line_no"), {"r": run_id})
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
    return [Comment(*r) for r in conn.execute(sa.text(
        "SELECT account, kind, body, source, confidence, light FROM commentary "
        "WHERE run_id = CAST(:r AS uuid) AND coalesce(figures->>'entity', '') = '' ORDER BY seq"),
        {"r": run_id})]


def comment_rows(conn: Connection, run_id: RunId) -> list[dict[str, Any]]:
    """Return every comment of the run with its model, cache use, tokens and cost, in writing order."""
    rows = conn.execute(sa.text(
        "SELECT entity_id AS entity, account, kind, source, model, cached, revised, input_tokens, "
        "output_tokens, cost, confidence, light, fallback_reason FROM commentary "
        "WHERE run_id = CAST(:r AS uuid) ORDER BY seq"), {"r": run_id})
    return [dict(r._mapping) for r in rows]


def comment_digests(conn: Connection, run_id: RunId) -> dict[tuple[EntityId | None, AccountCode, str], str]:
    """Return the figure digest of each comment by ``(entity, account, kind)``, leaving out those without."""
    rows = conn.execute(sa.text(
        "SELECT entity_id, account, kind, figures ->> 'digest' FROM commentary "
        "WHERE run_id = CAST(:r AS uuid)"), {"r": run_id})
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
    return [StoredVariance(*r[:7], json.loads(r[7], parse_float=Decimal)) for r in conn.execute(sa.text(
        "SELECT account, kind, current_amount, comparison_amount, delta, pct, material, detail::text "
        "FROM variances WHERE run_id = CAST(:r AS uuid) ORDER BY seq"), {"r": run_id})]


class StoredKpi(NamedTuple):
    """One stored KPI; ``value`` None with the ``reason`` it could not be computed."""

    code: str
    name: str
    value: Decimal | None
    unit: str
    reason: str | None


def kpi_list(conn: Connection, run_id: RunId) -> list[StoredKpi]:
    """Return the run's KPIs by code."""
    return [StoredKpi(*r) for r in conn.execute(sa.text(
        "SELECT code, name, value, unit, reason FROM kpis WHERE run_id = CAST(:r AS uuid) ORDER BY code"),
        {"r": run_id})]

