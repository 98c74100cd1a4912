"""Mapping entity accounts to the standard chart (pure).

A mapping file has rows ``entity,account,std_account``; ``entity`` ``*`` (or blank) applies to every
entity using that local code, and an entity's own row wins over it. An account that no row maps is
never dropped: it is carried on the suspense account with source ``unmapped`` so every trial
balance still sums to zero, and validation reports it (design.md, "Consolidation" 1).

Example: rows ``*,1.1.01.001,1000`` and ``BR2,1.1.01.001,1300`` map BR2's ``1.1.01.001`` to 1300
and every other entity's to 1000.
"""

from __future__ import annotations

import io

import pandas as pd

from close.chart import Chart, SystemRole
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
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in MAPPING_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(f"missing columns {missing}; expected {', '.join(MAPPING_COLUMNS)}", file=source)
    frame = frame[list(MAPPING_COLUMNS)].map(str.strip)
    frame["entity"] = frame["entity"].replace("", "*")
    for i, row in frame.iterrows():
        if not chart.has(row["std_account"]):
            raise InputDataError(f"standard account {row['std_account']!r} is not in the chart of accounts",
                                 file=source, row=int(i) + 2, column="std_account", account=row["account"])
    dup = frame.duplicated(["entity", "account"], keep=False)
    conflicting = frame[dup].groupby(["entity", "account"])["std_account"].nunique()
    if (conflicting > 1).any():
        entity, account = conflicting[conflicting > 1].index[0]
        raise InputDataError(f"account {account} of entity {entity} is mapped to two standard accounts",
                             file=source, column="std_account", account=account)
    return frame.drop_duplicates(["entity", "account"]).reset_index(drop=True)


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
