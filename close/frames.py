"""Column contracts of the frames that carry trial-balance data through the pure stages.

Amounts are ``int64`` integer minor units of the frame's currency (the entity's functional
currency for local frames, the presentation currency for translated and consolidated frames).
Text columns hold ``str``; an absent counterparty or dimension is ``""`` (never NaN/None, so
group-bys keep the rows). Sign convention: debit positive, credit negative.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

AMOUNT_COLUMNS: tuple[str, ...] = ("opening", "debit", "credit", "closing")
DIMENSION_COLUMNS: tuple[str, ...] = ("cost_center", "department")

# One row per entity account (and counterparty / dimension) as extracted from the ERP or file.
LOCAL_TB_COLUMNS: tuple[str, ...] = (
    "entity", "account", "account_name", "counterparty", *DIMENSION_COLUMNS, *AMOUNT_COLUMNS,
)
# The local TB after MAPPING: the same rows with the standard-chart account they map to.
MAPPED_TB_COLUMNS: tuple[str, ...] = (*LOCAL_TB_COLUMNS[:3], "std_account", *LOCAL_TB_COLUMNS[3:])


def empty_frame(columns: Iterable[str]) -> pd.DataFrame:
    """Return an empty frame with the given columns, amounts typed ``int64``, text ``object``."""
    cols = list(columns)
    return pd.DataFrame({
        c: pd.Series(dtype="int64" if c in AMOUNT_COLUMNS or c == "amount" else object)
        for c in cols
    })


def normalize_text_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Return a copy whose text columns hold ``str`` with ``""`` for missing values."""
    out = frame.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
            out[c] = out[c].astype(object)
    return out
