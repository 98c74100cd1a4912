"""FX rates in ``fx_rates``: one row per (period, pair, rate type, equity item), with provenance.

Rates fetched from a source are shared by every run of the tenant (``run_id`` NULL), so a second
run for the period reuses them without a request. A figure from a group's rates file (source
``file`` or ``override``) is stored for that group only (``group_id``, migration 0006) and read
back only by it; official source rates stay shared (``group_id`` NULL). Figures cross this edge
as exact decimal text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.types import Currency, Period, RunId
from close.rates.model import FxRate, RawRecord, raw_record

_COLUMNS = ("period", "currency", "presentation_currency", "rate_type", "rate", "quoted",
            "quote_direction", "source", "method", "as_of", "path", "is_override", "raw",
            "retrieved_at", "entity_id", "account", "rate_date")
_FILE_SOURCES = frozenset({"file", "override"})  # figures a group's own rates file gave

# The conflict target repeats fx_rates_key's expressions (sql/0001_core.sql) so PostgreSQL can
# infer that index: a re-fetch or an override replaces the row instead of duplicating it.
_UPSERT = sa.text(
    "INSERT INTO fx_rates (tenant_id, run_id, period, currency, presentation_currency, rate_type, "
    "rate, quoted, quote_direction, source, method, as_of, path, is_override, raw, retrieved_at, "
    "entity_id, account, rate_date, group_id) VALUES (current_setting('app.tenant_id'), "
    "CAST(:run_id AS uuid), "
    ":period, :currency, :presentation_currency, :rate_type, :rate, :quoted, :quote_direction, "
    ":source, :method, :as_of, :path, :is_override, CAST(:raw AS jsonb), :retrieved_at, "
    ":entity_id, :account, :rate_date, :group_id) "
    "ON CONFLICT (tenant_id, period, currency, presentation_currency, rate_type, "
    "coalesce(entity_id, ''), coalesce(account, ''), coalesce(run_id::text, ''), "
    "coalesce(group_id, '')) DO UPDATE SET "
    "rate = EXCLUDED.rate, quoted = EXCLUDED.quoted, quote_direction = EXCLUDED.quote_direction, "
    "source = EXCLUDED.source, method = EXCLUDED.method, as_of = EXCLUDED.as_of, "
    "path = EXCLUDED.path, is_override = EXCLUDED.is_override, raw = EXCLUDED.raw, "
    "retrieved_at = EXCLUDED.retrieved_at, rate_date = EXCLUDED.rate_date"
)


def save_rates(conn: Connection, rates: Iterable[FxRate], *, run_id: RunId | None = None,
               group_id: str | None = None) -> int:
    """Insert or replace rates inside the caller's transaction.

    Args:
        conn: a connection in a tenant-scoped transaction (``Database.tx()``).
        rates: the rates to store.
        run_id: the run the rates belong to; ``None`` (default) for rates shared by all runs.
        group_id: the group whose rates file gave the ``file`` and ``override`` figures; they
            are stored for it alone. Source rates are always shared.

    Returns:
        The number of rows written.

    """
    params = [{
        "run_id": run_id, "period": r.period, "currency": r.currency,
        "presentation_currency": r.presentation_currency, "rate_type": r.rate_type,
        "rate": str(r.rate), "quoted": str(r.quoted), "quote_direction": r.quote_direction,
        "source": r.source, "method": r.method, "as_of": r.as_of, "path": r.path,
        "is_override": r.is_override, "raw": json.dumps(r.raw_records(), ensure_ascii=False),
        "retrieved_at": r.retrieved_at, "entity_id": r.entity_id, "account": r.account,
        "rate_date": r.rate_date, "group_id": group_id if r.source in _FILE_SOURCES else None,
    } for r in rates]
    if params:
        conn.execute(_UPSERT, params)
    return len(params)


def _to_rate(row: sa.Row) -> FxRate:
    m = dict(row._mapping)
    raw: list[dict[str, str]] = m["raw"] if isinstance(m["raw"], list) else []
    records: tuple[RawRecord, ...] = tuple(raw_record(r) for r in raw)
    as_of: date | None = m["as_of"]
    retrieved_at: datetime = m["retrieved_at"]
    return FxRate(
        period=m["period"], currency=m["currency"], presentation_currency=m["presentation_currency"],
        rate_type=m["rate_type"], rate=Decimal(m["rate"]), quoted=Decimal(m["quoted"]),
        quote_direction=m["quote_direction"] or "", source=m["source"], method=m["method"],
        as_of=as_of, path=m["path"] or "", is_override=m["is_override"], raw=records,
        retrieved_at=retrieved_at, entity_id=m["entity_id"], account=m["account"],
        rate_date=m["rate_date"],
    )


def load_rates(conn: Connection, periods: Sequence[Period], *,
               presentation_currency: Currency | None = None,
               run_id: RunId | None = None, group_id: str | None = None) -> tuple[FxRate, ...]:
    """Return the stored rates of some periods (the tenant's, through row-level security).

    Args:
        conn: a connection in a tenant-scoped transaction.
        periods: ``YYYY-MM`` periods.
        presentation_currency: only rates into this currency; ``None`` for all.
        run_id: only the rates stored for this run; ``None`` for the shared ones.
        group_id: the shared source rates and this group's own file figures, the group's
            figure winning over a shared one for the same need; ``None`` for every group's.

    Returns:
        The rates, ordered by period, currency, rate type, entity and account.

    """
    rows = conn.execute(sa.text(
        f"SELECT {', '.join(_COLUMNS)} FROM fx_rates "  # noqa: S608 - column names are our constants
        "WHERE period = ANY(:periods) "
        "AND (CAST(:pres AS text) IS NULL OR presentation_currency = :pres) "
        "AND run_id IS NOT DISTINCT FROM CAST(:run_id AS uuid) "
        "AND (CAST(:group_id AS text) IS NULL OR group_id IS NULL OR group_id = :group_id) "
        "ORDER BY period, currency, presentation_currency, rate_type, entity_id NULLS FIRST, "
        "account NULLS FIRST, group_id NULLS FIRST"),
        {"periods": list(periods), "pres": presentation_currency, "run_id": run_id,
         "group_id": group_id}).all()
    rates = [_to_rate(r) for r in rows]
    if group_id is None:
        return tuple(rates)
    # The group's own figure (ordered after the shared one) replaces the shared one.
    return tuple({r.need: r for r in rates}.values())
