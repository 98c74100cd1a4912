"""Column contracts of the frames that carry trial-balance data through the pure stages.

Amounts are ``int64`` integer minor units of the frame's currency (the entity's functional
currency for local frames, the presentation currency for translated and consolidated frames).
Text columns hold ``str``; an absent counterparty or dimension is ``""`` (never NaN/None, so
group-bys keep the rows). A text column may also be a pandas categorical of ``str``: the
consolidation's translated frame is (millions of lines repeat a few thousand values), and the
engine reads categorical inputs from their codes. Sorting such a column orders it as text (its
categories are sorted); compare two of them as text (``to_numpy(dtype=object)``), since pandas
refuses to compare categoricals whose categories differ. Sign convention: debit positive,
credit negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
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


def frame_from_rows(
    rows: Sequence[Sequence[object]], columns: Sequence[str], *, ints: Iterable[str] = ()
) -> pd.DataFrame:
    """Build a frame from row tuples: the ``ints`` columns ``int64``, the others ``object``.

    Column by column, with no per-column inference or later ``astype``: journals, schedules
    and worksheets are rebuilt on every consolidation, where pandas' per-call overhead adds up.
    """
    wanted = set(ints)
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data: dict[str, pd.Series | np.ndarray] = {}
    for name, column in zip(columns, values, strict=True):
        if name in wanted:
            data[name] = np.array(column, dtype=np.int64)
        else:
            text = np.empty(len(column), dtype=object)
            text[:] = column
            data[name] = pd.Series(text, dtype=object, copy=False)
    return pd.DataFrame(data, copy=False)
