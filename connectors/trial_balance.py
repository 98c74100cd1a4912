"""Normalization and integrity of extracted trial balances, shared by every connector.

Whatever the source, a local trial balance leaves a connector as a frame with
``close.engine.frames.LOCAL_TB_COLUMNS``: text columns ``str`` ("" when absent), amounts ``int64`` minor
units, debit positive and credit negative for ``opening``/``closing``, ``debit``/``credit`` as
non-negative turnovers, each line obeying ``closing == opening + debit - credit``, and the whole
entity summing to zero. A trial balance that does not is bad input, reported with the difference
as money the way beancount reports a failed balance assertion::

    debits 1,000.00 != credits 990.00 (10.00 too much)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from close.engine.frames import AMOUNT_COLUMNS, LOCAL_TB_COLUMNS
from close.engine.money import from_minor
from close.engine.types import Currency, EntityId
from close.errors import InputDataError

TEXT_COLUMNS: tuple[str, ...] = tuple(c for c in LOCAL_TB_COLUMNS if c not in AMOUNT_COLUMNS)


def format_money(minor: int, currency: Currency | None = None) -> str:
    """Format minor units with thousands separators: ``100000`` → ``"1,000.00"``.

    Args:
        minor: integer minor units.
        currency: fixes the number of decimals (2 when ``None``).

    Returns:
        The amount as text, e.g. ``"-1,234.56"``.

    """
    amount = from_minor(minor, currency) if currency else Decimal(int(minor)).scaleb(-2)
    return f"{amount:,}"


def build_local_tb(records: Iterable[Mapping[str, Any]], entity: EntityId) -> pd.DataFrame:
    """Build a ``LOCAL_TB_COLUMNS`` frame from per-line mappings.

    Args:
        records: mappings with ``account`` and the amount columns as ``int`` minor units; the
            other text columns are optional (missing → ``""``).
        entity: written in the ``entity`` column of every row.

    Returns:
        The frame, text columns of ``object`` dtype holding ``str``, amounts ``int64``.

    """
    rows = list(records)
    columns: dict[str, Sequence[Any]] = {
        col: [str(r.get(col) or "") for r in rows] for col in TEXT_COLUMNS if col != "entity"}
    columns.update({col: [int(r.get(col) or 0) for r in rows] for col in AMOUNT_COLUMNS})
    return local_tb_from_columns(columns, entity)


def local_tb_from_columns(columns: Mapping[str, Sequence[Any]], entity: EntityId) -> pd.DataFrame:
    """Build a ``LOCAL_TB_COLUMNS`` frame from whole columns (the vectorised readers' form).

    Args:
        columns: text columns of ``str`` and amount columns of ``int`` minor units (sequences or
            numpy arrays of one length); an absent text column becomes ``""``, ``entity`` is set.
        entity: written in the ``entity`` column of every row.

    Returns:
        The frame, text columns of ``object`` dtype holding ``str``, amounts ``int64``.

    """
    length = len(next(iter(columns.values()))) if columns else 0
    data: dict[str, Any] = {}
    for col in TEXT_COLUMNS:
        values = [entity] * length if col == "entity" else columns.get(col, [""] * length)
        data[col] = pd.Series(values, dtype=object)
    for col in AMOUNT_COLUMNS:
        data[col] = pd.Series(columns.get(col, [0] * length), dtype="int64")
    # Each Series owns its values already: kept as they are rather than copied into one block
    # per dtype, which for a million lines took longer than building the columns.
    return pd.DataFrame(data, columns=list(LOCAL_TB_COLUMNS), copy=False)


def check_trial_balance_balances(frame: pd.DataFrame, *, entity: EntityId, source: str,
                                 currency: Currency | None = None) -> None:
    """Refuse an entity trial balance that does not sum to zero.

    Three equalities must hold: Σ debit == Σ credit, Σ opening == 0 and Σ closing == 0 (debit
    positive, credit negative). All failures are reported in one message.

    Args:
        frame: a ``LOCAL_TB_COLUMNS`` frame of one entity.
        entity: the entity, named in the error.
        source: the file or endpoint the lines came from, named in the error.
        currency: the frame's currency (formats the differences; 2 decimals when ``None``).

    Raises:
        InputDataError: naming entity and source, e.g. ``debits 1,000.00 != credits 990.00
            (10.00 too much)``.

    """
    def total(col: str) -> int:
        return int(frame[col].sum()) if len(frame) else 0

    debit, credit, opening, closing = (total(c) for c in ("debit", "credit", "opening", "closing"))
    problems: list[str] = []
    if debit != credit:
        side = "debits" if debit > credit else "credits"
        problems.append(f"debits {format_money(debit, currency)} != credits "
                        f"{format_money(credit, currency)} "
                        f"({format_money(abs(debit - credit), currency)} too much in {side})")
    for label, value in (("opening", opening), ("closing", closing)):
        if value:
            side = "debit" if value > 0 else "credit"
            problems.append(f"{label} balances sum to {format_money(value, currency)} != 0.00 "
                            f"({format_money(abs(value), currency)} too much {side})")
    if problems:
        raise InputDataError(f"trial balance from {source} does not sum to zero: "
                             + "; ".join(problems), entity=entity)


def check_line_arithmetic(frame: pd.DataFrame, *, entity: EntityId, source: str,
                          currency: Currency | None = None) -> None:
    """Refuse lines where ``closing != opening + debit - credit`` (the first one is named).

    Args:
        frame: a ``LOCAL_TB_COLUMNS`` frame.
        entity: named in the error.
        source: the file or endpoint, named in the error.
        currency: formats the amounts (2 decimals when ``None``).

    Raises:
        InputDataError: naming entity, source and account, with both figures.

    """
    expected = frame["opening"] + frame["debit"] - frame["credit"]
    bad = frame.index[expected != frame["closing"]]
    if len(bad):
        i = bad[0]
        exp, act = int(expected[i]), int(frame.at[i, "closing"])
        raise InputDataError(
            f"{source}: closing {format_money(act, currency)} != opening + debit - credit "
            f"{format_money(exp, currency)} ({format_money(abs(act - exp), currency)} too "
            f"{'much' if act > exp else 'little'})", entity=entity,
            account=str(frame.at[i, "account"]))


__all__ = ["build_local_tb", "check_line_arithmetic", "check_trial_balance_balances",
           "format_money", "local_tb_from_columns"]
