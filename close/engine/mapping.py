"""Mapping entity accounts to the standard chart (pure).

A mapping file has rows ``entity,account,std_account``; ``entity`` ``*`` (or blank) applies to every
entity using that local code, and an entity's own row wins over it. An account that no row maps is
never dropped: it is carried on the suspense account with source ``unmapped`` so every trial
balance still sums to zero, and validation reports it (design.md, "Consolidation" 1).

Example: rows ``*,1.1.01.001,1000`` and ``BR2,1.1.01.001,1300`` map BR2's ``1.1.01.001`` to 1300
and every other entity's to 1000.
"""

from __future__ import annotations

import pandas as pd

from close.engine.chart import Chart, SystemRole
from close.engine.csv_records import csv_records, require_columns
from close.errors import InputDataError

MAPPING_COLUMNS: tuple[str, ...] = ("entity", "account", "std_account")


def parse_mapping(data: bytes, *, source: str, chart: Chart) -> pd.DataFrame:
    """Parse and check a mapping file.

    Args:
        data: CSV bytes with columns entity, account, std_account.
        source: the file name for messages.
        chart: the standard chart the targets must exist in.

    Returns:
        A frame with MAPPING_COLUMNS (entity ``*`` for the wildcard rows).

    Raises:
        InputDataError: a missing column, an unknown standard account, or a conflicting duplicate,
            naming the file and row.

    """
    header, records = csv_records(data, source=source)
    require_columns([c.lower() for c in header], MAPPING_COLUMNS, source=source)
    rows: dict[tuple[str, str], tuple[str, int]] = {}
    for number, record in records:
        values = {k.lower(): v.strip() for k, v in record.items()}
        entity, account, std_account = (values[c] for c in MAPPING_COLUMNS)
        entity = entity or "*"
        if not chart.has(std_account):
            raise InputDataError(f"standard account {std_account!r} is not in the chart of accounts",
                                 file=source, row=number, column="std_account", account=account)
        first = rows.setdefault((entity, account), (std_account, number))
        if first[0] != std_account:
            raise InputDataError(f"account {account} of entity {entity} is mapped to two standard "
                                 f"accounts ({first[0]} on row {first[1]})", file=source, row=number,
                                 column="std_account", account=account)
    frame = pd.DataFrame([(e, a, std) for (e, a), (std, _) in rows.items()],
                         columns=list(MAPPING_COLUMNS), dtype=object)
    return frame


def resolve_mapping(accounts: pd.DataFrame, mapping: pd.DataFrame, chart: Chart) -> pd.DataFrame:
    """Map each (entity, account) to a standard account.

    Args:
        accounts: distinct ``entity, account`` pairs of the extracted trial balances.
        mapping: the parsed mapping file.
        chart: the chart, for the suspense account of unmapped accounts.

    Returns:
        ``entity, account, std_account, source`` with source ``entity`` / ``default`` / ``unmapped``.

    """
    pairs = accounts[["entity", "account"]].drop_duplicates()
    own = mapping[mapping["entity"] != "*"].rename(columns={"std_account": "own"})
    wildcard = mapping[mapping["entity"] == "*"][["account", "std_account"]].rename(
        columns={"std_account": "default"})
    out = pairs.merge(own, on=["entity", "account"], how="left").merge(wildcard, on="account", how="left")
    suspense = chart.by_role(SystemRole.SUSPENSE)
    out["source"] = "entity"
    out.loc[out["own"].isna() & out["default"].notna(), "source"] = "default"
    out.loc[out["own"].isna() & out["default"].isna(), "source"] = "unmapped"
    out["std_account"] = out["own"].fillna(out["default"]).fillna(suspense)
    return out[["entity", "account", "std_account", "source"]].reset_index(drop=True)
