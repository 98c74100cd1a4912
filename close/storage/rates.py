"""FX rates in ``fx_rates``: one row per (period, pair, rate type, equity item), with provenance.

Rates fetched from a source are shared by every run of the tenant (``run_id`` NULL), so a second
run for the period reuses them without a request. A figure from a group's rates file (source
``file`` or ``override``) is stored for that group only (``group_id``, migration 0006) and read
back only by it; official source rates stay shared (``group_id`` NULL). Figures cross this edge
as exact decimal text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from close.engine.types import Currency, Period, RunId
from close.rates.model import FxRate, RawRecord, raw_record
from close.storage.schema import current_tenant, fx_rates

_COLUMNS = ("period", "currency", "presentation_currency", "rate_type", "rate", "quoted",
            "quote_direction", "source", "method", "as_of", "path", "is_override", "raw",
            "retrieved_at", "entity_id", "account", "rate_date")
_FILE_SOURCES = frozenset({"file", "override"})  # figures a group's own rates file gave



def _upsert() -> sa.Insert:
    """Insert a rate, or replace the one stored for the same need.

    The conflict target repeats fx_rates_key's expressions (sql/0001_core.sql) so PostgreSQL can
    infer that index: a re-fetch or an override replaces the row instead of duplicating it. The
    empty strings are written inline (a bound parameter would not match the index's expressions).
    """
    c, empty = fx_rates.c, sa.literal_column("''")
    stmt = pg_insert(fx_rates).values(tenant_id=current_tenant())
    replaced = ("rate", "quoted", "quote_direction", "source", "method", "as_of", "path", "is_override",
                "raw", "retrieved_at", "rate_date")
    return stmt.on_conflict_do_update(
        index_elements=[c.tenant_id, c.period, c.currency, c.presentation_currency, c.rate_type,
                        sa.func.coalesce(c.entity_id, empty), sa.func.coalesce(c.account, empty),
                        sa.func.coalesce(sa.cast(c.run_id, sa.Text), empty),
                        sa.func.coalesce(c.group_id, empty)],
        set_={name: stmt.excluded[name] for name in replaced})


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
        "rate": r.rate, "quoted": r.quoted, "quote_direction": r.quote_direction,
        "source": r.source, "method": r.method, "as_of": r.as_of, "path": r.path,
        "is_override": r.is_override, "raw": r.raw_records(),
        "retrieved_at": r.retrieved_at, "entity_id": r.entity_id, "account": r.account,
        "rate_date": r.rate_date, "group_id": group_id if r.source in _FILE_SOURCES else None,
    } for r in rates]
    if params:
        conn.execute(_upsert(), params)
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
    c = fx_rates.c
    stmt = (sa.select(*(c[name] for name in _COLUMNS))
            .where(c.period.in_(list(periods)), c.run_id.is_not_distinct_from(run_id))
            .order_by(c.period, c.currency, c.presentation_currency, c.rate_type, c.entity_id.nulls_first(),
                      c.account.nulls_first(), c.group_id.nulls_first()))
    if presentation_currency is not None:
        stmt = stmt.where(c.presentation_currency == presentation_currency)
    if group_id is not None:
        stmt = stmt.where(sa.or_(c.group_id.is_(None), c.group_id == group_id))
    rows = conn.execute(stmt).all()
    rates = [_to_rate(r) for r in rows]
    if group_id is None:
        return tuple(rates)
    # The group's own figure (ordered after the shared one) replaces the shared one.
    return tuple({r.need: r for r in rates}.values())
