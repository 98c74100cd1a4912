"""Trial balances, mappings and consolidation outputs: frames of minor units in, NUMERIC out.

Amounts cross this edge as integer minor units or text of the exact decimal (``from_minor``) and
come back as integer minor units, so nothing passes through a binary float. Trial balances, the
bulk of the data, move in one COPY each way: PostgreSQL scales minor units to NUMERIC on the way
in and back to bigint minor units on the way out (exact NUMERIC arithmetic), and pandas parses
the CSV in one pass, so no Decimal or Python tuple is made per line.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from close.engine.frames import AMOUNT_COLUMNS, LOCAL_TB_COLUMNS, empty_frame
from close.engine.money import DEFAULT_EXPONENT, EXPONENT_EXCEPTIONS, exponent, from_minor
from close.engine.types import Currency, EntityId, Period, RunId
from close.storage.schema import consolidated_balances


def _staged_insert(conn: Connection, table: str, columns: Sequence[str],  # noqa: PLR0913 - one COPY's parts
                   load: Callable[[str, str], int], select: Sequence[str] | None = None,
                   params: dict[str, object] | None = None, join: str = "") -> int:
    """Load rows into a temporary twin of ``table`` and move them into it; return the count.

    ``load(staging, cols)`` fills the twin (a COPY); one INSERT … SELECT ``select`` (the columns
    themselves by default; ``join`` may add a joined table to select from) moves the rows.

    PostgreSQL refuses COPY into a table under row-level security, so the rows are COPied into a
    temporary table and moved with one INSERT … SELECT, which the RLS policy checks. ``table``,
    ``columns`` and ``select`` come from our own code, never from input.
    """
    # Text, not Core: a temporary table made LIKE another and filled by COPY, which has no Table.
    cols = ", ".join(f'"{c}"' for c in columns)
    staging = f"_copy_{table}"
    conn.execute(sa.text(f"CREATE TEMP TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"))
    count = load(staging, cols)
    exprs = ", ".join(select) if select else cols
    conn.execute(sa.text(f"INSERT INTO {table} ({cols}) SELECT {exprs} FROM {staging} {join}"),  # noqa: S608
                 params or {})
    conn.execute(sa.text(f"DROP TABLE {staging}"))
    return count


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Bulk-insert rows inside the caller's transaction (COPY through a staging table); return the count."""
    def load(staging: str, cols: str) -> int:
        count = 0
        with conn.connection.cursor().copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    return _staged_insert(conn, table, columns, load)


def write_trial_balance(conn: Connection, run_id: RunId, period: Period, currency: Currency,
                        frame: pd.DataFrame, tenant: str) -> int:
    """Store one entity's extracted trial balance; return the number of lines.

    The lines go in as one CSV COPY of their integer minor units, which the INSERT … SELECT scales
    to the currency's decimals in exact NUMERIC arithmetic (12345 × 0.01 = 123.45): no Decimal
    and no Python tuple per line. An empty counterparty, cost centre or department is NULL.
    """
    lines = pd.DataFrame({
        "tenant_id": tenant, "run_id": run_id, "period": period, "currency": currency,
        "entity_id": frame["entity"], "account": frame["account"], "account_name": frame["account_name"],
        # None and "" both become an unquoted empty field, which COPY reads as NULL
        **{c: frame[c].where(frame[c] != "") for c in ("counterparty", "cost_center", "department")},
        "line_no": np.arange(1, len(frame) + 1), **{c: frame[c] for c in AMOUNT_COLUMNS}})
    data = lines.to_csv(index=False, header=False)

    def load(staging: str, cols: str) -> int:
        with conn.connection.cursor().copy(f"COPY {staging} ({cols}) FROM STDIN (FORMAT csv, "
                                           "FORCE_NOT_NULL (entity_id, account, account_name))") as copy:
            copy.write(data)
        return len(lines)
    select = [f'"{c}" * CAST(:unit AS numeric)' if c in AMOUNT_COLUMNS else f'"{c}"' for c in lines.columns]
    return _staged_insert(conn, "trial_balances", list(lines.columns), load, select,
                          {"unit": _unit(currency)})


def _minor(value: Decimal, currency: Currency) -> int:
    return int(value.scaleb(exponent(currency)))


def copy_out_frame(conn: Connection, query: str, params: Sequence[object] | Mapping[str, object],
                   columns: Sequence[str], ints: Sequence[str] = ()) -> pd.DataFrame:
    """Run ``COPY (query) TO STDOUT`` and parse it in one pass into a frame.

    ``ints`` are int64 columns (minor units computed by the query); the others are text, a NULL
    read as "" (select only columns whose NULL and "" mean the same). ``query`` uses psycopg
    placeholders (``%s``), bound on the client as COPY requires.
    """
    buffer = io.BytesIO()
    with conn.connection.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return empty_frame(tuple(columns))
    buffer.seek(0)
    return pd.read_csv(buffer, header=None, names=list(columns), keep_default_na=False, na_filter=False,
                       dtype={c: "int64" if c in ints else str for c in columns})


def minor_units_sql(column: str) -> str:
    """Return SQL that turns a NUMERIC amount into bigint minor units of its row's currency.

    The query must join ``_exponents`` (``exponents_join``, bound with ``exponent_params()``).
    """
    return f"({column} * coalesce(_exponents.factor, %(default_factor)s::numeric))::bigint"


def exponents_join(currency: str) -> str:
    """Return the LEFT JOIN of a query that converts amounts with ``minor_units_sql``."""
    return (f"LEFT JOIN unnest(%(exp_currencies)s::text[], %(exp_factors)s::numeric[]) "
            f"AS _exponents(currency, factor) ON _exponents.currency = upper({currency}::text)")


def exponent_params() -> dict[str, object]:
    """Return the parameters of ``exponents_join`` and ``minor_units_sql``: 10^exponent per currency."""
    return {"exp_currencies": list(EXPONENT_EXCEPTIONS),
            "exp_factors": [10**e for e in EXPONENT_EXCEPTIONS.values()],
            "default_factor": 10**DEFAULT_EXPONENT}


def read_trial_balances(conn: Connection, run_id: RunId,
                        entities: Sequence[EntityId] | None = None) -> pd.DataFrame:
    """Return the run's extracted lines (LOCAL_TB_COLUMNS plus ``currency``), minor units.

    One COPY out; PostgreSQL converts the amounts to minor units, pandas parses them as int64.
    """
    amounts = ", ".join(minor_units_sql(f"t.{c}") for c in AMOUNT_COLUMNS)
    return copy_out_frame(conn, (
        "SELECT t.entity_id, t.account, t.account_name, t.counterparty, t.cost_center, t.department, "  # noqa: S608 - our own SQL fragments
        f"{amounts}, t.currency FROM trial_balances t {exponents_join('t.currency')} "
        "WHERE t.run_id = %(run)s::uuid "
        "AND (%(entities)s::text[] IS NULL OR t.entity_id = ANY(%(entities)s)) "
        "ORDER BY t.entity_id, t.line_no"),
        {"run": run_id, "entities": list(entities) if entities else None, **exponent_params()},
        [*LOCAL_TB_COLUMNS, "currency"], ints=AMOUNT_COLUMNS)


def read_translated_balances(conn: Connection, run_id: RunId, currencies: Mapping[EntityId, Currency],
                             presentation: Currency, columns: Sequence[str]) -> pd.DataFrame:
    """Return a run's translated entity balances in ``columns`` order (``rate`` as text, "" if none).

    Local amounts are minor units of the entity's currency (``currencies``; the presentation
    currency for an entity not there), translated ones of ``presentation``; one COPY out.
    """
    entities = list(currencies)
    local = "(%(default_local)s::numeric)"
    joined = ("LEFT JOIN unnest(%(entities)s::text[], %(factors)s::numeric[]) AS _local(entity_id, factor) "
              "ON _local.entity_id = t.entity_id")
    exprs = {"local_closing": f"(t.local_closing * coalesce(_local.factor, {local}))::bigint",
             "local_movement": f"(t.local_movement * coalesce(_local.factor, {local}))::bigint",
             "translated": "(t.translated * %(presentation)s::numeric)::bigint",
             "translated_movement": "(t.translated_movement * %(presentation)s::numeric)::bigint",
             "rate": "t.rate::text", "entity": "t.entity_id"}
    select = ", ".join(exprs.get(c, f"t.{c}") for c in columns)
    return copy_out_frame(conn, (
        f"SELECT {select} FROM translated_balances t {joined} WHERE t.run_id = %(run)s::uuid "  # noqa: S608
        "ORDER BY t.entity_id, t.std_account, t.account"),
        {"run": run_id, "entities": entities, "factors": [10**exponent(currencies[e]) for e in entities],
         "default_local": 10**exponent(presentation), "presentation": 10**exponent(presentation)},
        columns, ints=("local_closing", "local_movement", "translated", "translated_movement"))


def read_account_mappings(conn: Connection, run_id: RunId) -> pd.DataFrame:
    """Return the run's resolved mapping: ``entity``, ``account``, ``std_account`` (one COPY out)."""
    return copy_out_frame(conn, "SELECT entity_id, account, std_account FROM account_mappings "
                                "WHERE run_id = %(run)s::uuid", {"run": run_id},
                          ["entity", "account", "std_account"])


def _copy_csv(conn: Connection, table: str, frame: pd.DataFrame, *, nullable: Sequence[str] = (),
              scaled: Mapping[str, str] | None = None, params: dict[str, object] | None = None,
              join: str = "") -> int:
    """COPY ``frame`` (named as ``table``'s columns) in as CSV; return the row count.

    Every column but ``nullable`` reads an empty field as "" (an empty field of a ``nullable``
    column is NULL). ``scaled`` maps a column to the SQL the INSERT … SELECT stores instead of it
    (``"amount" * 0.01``: minor units to the NUMERIC), over the staging table and ``join``.
    """
    data = frame.to_csv(index=False, header=False)
    not_null = ", ".join(f'"{c}"' for c in frame.columns if c not in nullable)

    def load(staging: str, cols: str) -> int:
        options = f"FORMAT csv, FORCE_NOT_NULL ({not_null})" if not_null else "FORMAT csv"
        with conn.connection.cursor().copy(f"COPY {staging} ({cols}) FROM STDIN ({options})") as copy:
            copy.write(data)
        return len(frame)
    select = [(scaled or {}).get(c, f'_s."{c}"') for c in frame.columns]
    return _staged_insert(conn, table, list(frame.columns), load, select, params, f"_s {join}")


def _unit(currency: Currency) -> str:
    """Return the NUMERIC one minor unit of ``currency`` is, as text (BRL 0.01, JPY 1)."""
    return str(Decimal(1).scaleb(-exponent(currency)))


def write_frame(conn: Connection, table: str, frame: pd.DataFrame, *, run_id: RunId, tenant: str,
                columns: Sequence[str], money: dict[str, Currency]) -> int:
    """COPY a result frame into ``table``; ``money`` names the int64 columns and their currency.

    One CSV COPY, PostgreSQL scaling the minor units; a frame holding a missing value goes row by
    row instead, so a None still becomes NULL and "" stays "".
    """
    if frame[list(columns)].isna().to_numpy().any():
        def rows() -> Iterable[Sequence[object]]:
            for r in frame[list(columns)].itertuples(index=False):
                yield (tenant, run_id, *(str(from_minor(v, money[c])) if c in money else v
                                         for c, v in zip(columns, r, strict=True)))
        return copy_rows(conn, table, ("tenant_id", "run_id", *columns), rows())
    out = pd.DataFrame({"tenant_id": tenant, "run_id": run_id, **{c: frame[c] for c in columns}},
                       index=frame.index)
    scaled = {c: f'_s."{c}" * CAST(:unit_{i} AS numeric)' for i, c in enumerate(columns) if c in money}
    return _copy_csv(conn, table, out, scaled=scaled,
                     params={f"unit_{i}": _unit(money[c]) for i, c in enumerate(columns) if c in money})


def write_translated_balances(conn: Connection, run_id: RunId, tenant: str, frame: pd.DataFrame,
                              currencies: Mapping[EntityId, Currency], presentation: Currency) -> int:
    """COPY a consolidation's translated lines into ``translated_balances``; return the count.

    Local amounts are minor units of the entity's currency (``currencies``; the presentation
    currency for an engine line of an entity not there), translated ones of ``presentation``;
    an empty ``rate`` is NULL.
    """
    out = pd.DataFrame({
        "tenant_id": tenant, "run_id": run_id, "entity_id": frame["entity"],
        **{c: frame[c] for c in ("account", "std_account", "counterparty", "cost_center", "department",
                                 "book", "local_closing", "local_movement")},
        "rate": frame["rate"].where(frame["rate"] != ""),
        **{c: frame[c] for c in ("rate_type", "translated", "translated_movement")}}, index=frame.index)
    local = "coalesce(_local.unit, CAST(:presentation AS numeric))"
    entities = list(currencies)
    return _copy_csv(conn, "translated_balances", out, nullable=("rate",), scaled={
        "local_closing": f"_s.local_closing * {local}", "local_movement": f"_s.local_movement * {local}",
        "translated": "_s.translated * CAST(:presentation AS numeric)",
        "translated_movement": "_s.translated_movement * CAST(:presentation AS numeric)"},
        params={"entities": entities, "units": [_unit(currencies[e]) for e in entities],
                "presentation": _unit(presentation)},
        join="LEFT JOIN unnest(CAST(:entities AS text[]), CAST(:units AS numeric[])) "
             "AS _local(entity_id, unit) ON _local.entity_id = _s.entity_id")


def read_consolidated(conn: Connection, run_id: RunId, currency: Currency) -> pd.DataFrame:
    """Read a run's consolidated balances: std_account, amount, movement (int64 minor units)."""
    b = consolidated_balances.c
    return _read_frame(conn, sa.select(b.std_account, b.amount, b.movement).where(b.run_id == run_id)
                       .order_by(b.std_account), money={"amount": currency, "movement": currency})


def _read_frame(conn: Connection, query: sa.Select, *, money: dict[str, Currency]) -> pd.DataFrame:
    """Run a SELECT and return a frame whose ``money`` columns are int64 minor units."""
    result = conn.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for col, currency in money.items():
        if col in frame.columns:
            frame[col] = pd.Series([_minor(v, currency) for v in frame[col]], dtype="int64",
                                   index=frame.index)
    return frame
