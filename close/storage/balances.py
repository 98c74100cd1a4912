"""Trial balances, mappings and consolidation outputs: frames of minor units in, NUMERIC out.

Amounts cross this edge as text of the exact decimal (``from_minor``) and come back as integer
minor units, so nothing passes through a binary float.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.frames import AMOUNT_COLUMNS, LOCAL_TB_COLUMNS, empty_frame
from close.money import exponent, from_minor
from close.types import Currency, EntityId, Period, RunId


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Bulk-insert rows inside the caller's transaction; return the count.

    PostgreSQL refuses COPY into a table under row-level security, so the rows are COPied into a
    temporary table and moved with one INSERT … SELECT, which the RLS policy checks. ``table`` and
    ``columns`` are names from our own code, never from input.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    staging = f"_copy_{table}"
    conn.execute(sa.text(f"CREATE TEMP TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"))
    count = 0
    cursor = conn.connection.cursor()
    with cursor.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    conn.execute(sa.text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging}"))  # noqa: S608
    conn.execute(sa.text(f"DROP TABLE {staging}"))
    return count


def write_trial_balance(conn: Connection, run_id: RunId, period: Period, currency: Currency,
                        frame: pd.DataFrame, tenant: str) -> int:
    """Store one entity's extracted trial balance (COPY); return the number of lines."""
    def rows() -> Iterable[Sequence[object]]:
        for i, r in enumerate(frame.itertuples(index=False), start=1):
            yield (tenant, run_id, r.entity, period, i, r.account, r.account_name, r.counterparty or None,
                   r.cost_center or None, r.department or None, currency,
                   *(str(from_minor(getattr(r, c), currency)) for c in AMOUNT_COLUMNS))
    return copy_rows(conn, "trial_balances", (
        "tenant_id", "run_id", "entity_id", "period", "line_no", "account", "account_name", "counterparty",
        "cost_center", "department", "currency", *AMOUNT_COLUMNS), rows())


def _minor(value: Decimal, currency: Currency) -> int:
    return int(value.scaleb(exponent(currency)))


def read_trial_balances(conn: Connection, run_id: RunId,
                        entities: Sequence[EntityId] | None = None) -> pd.DataFrame:
    """Return the run's extracted lines (LOCAL_TB_COLUMNS plus ``currency``), minor units."""
    rows = conn.execute(sa.text(
        "SELECT entity_id, account, account_name, coalesce(counterparty, ''), coalesce(cost_center, ''), "
        "coalesce(department, ''), opening, debit, credit, closing, currency FROM trial_balances "
        "WHERE run_id = CAST(:r AS uuid) AND (CAST(:e AS text[]) IS NULL OR entity_id = ANY(:e)) "
        "ORDER BY entity_id, line_no"), {"r": run_id, "e": list(entities) if entities else None}).all()
    if not rows:
        return empty_frame((*LOCAL_TB_COLUMNS, "currency"))
    records = [(*r[:6], *(_minor(v, r[10]) for v in r[6:10]), r[10]) for r in rows]
    frame = pd.DataFrame.from_records(records, columns=[*LOCAL_TB_COLUMNS, "currency"])
    for c in AMOUNT_COLUMNS:
        frame[c] = frame[c].astype("int64")
    return frame


def write_frame(conn: Connection, table: str, frame: pd.DataFrame, *, run_id: RunId, tenant: str,
                columns: Sequence[str], money: dict[str, Currency]) -> int:
    """COPY a result frame into ``table``; ``money`` names the int64 columns and their currency."""
    def rows() -> Iterable[Sequence[object]]:
        for r in frame[list(columns)].itertuples(index=False):
            yield (tenant, run_id, *(str(from_minor(v, money[c])) if c in money else v
                                     for c, v in zip(columns, r, strict=True)))
    return copy_rows(conn, table, ("tenant_id", "run_id", *columns), rows())


def read_frame(conn: Connection, sql: str, params: dict[str, object], *,
               money: dict[str, Currency]) -> pd.DataFrame:
    """Run a SELECT and return a frame whose ``money`` columns are int64 minor units."""
    result = conn.execute(sa.text(sql), params)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for col, currency in money.items():
        if col in frame.columns:
            frame[col] = pd.Series([_minor(v, currency) for v in frame[col]], dtype="int64",
                                   index=frame.index)
    return frame
