"""Aging of open receivable titles at period end, per entity and consolidated.

A title is one open customer document (invoice, boleto, duplicata): ``TITLE_COLUMNS``. Its days
past due are counted from its due date to the last day of the period; a title not yet due is
``current``. Amounts are integer minor units of the title's currency (the entity's functional
currency: ``close/analysis/receivables/titles.py`` refuses others), translated to the presentation
currency at the closing rate bucket by bucket, so the consolidated total is the sum of its
buckets and the local amounts are kept beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from close.engine.fx import translate_amount
from close.engine.types import Currency

TITLE_COLUMNS = ("entity", "customer", "document", "issue_date", "due_date", "open_amount", "currency")
# Bucket names and their upper bound in days past due (inclusive); the last bucket is open.
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "over_120")
_UPPER = (0, 30, 60, 90, 120)
OVERDUE = BUCKETS[1:]


def bucket_of(days_past_due: int) -> str:
    """Return the bucket of a number of days past due (0 or fewer: current).

    Example:
        >>> bucket_of(0), bucket_of(1), bucket_of(30), bucket_of(31), bucket_of(121)
        ('current', '1-30', '1-30', '31-60', 'over_120')

    """
    for name, upper in zip(BUCKETS, _UPPER, strict=False):
        if days_past_due <= upper:
            return name
    return BUCKETS[-1]


def age_titles(titles: pd.DataFrame, period_end: date) -> pd.DataFrame:
    """Add ``days_past_due`` and ``bucket`` to each title, as of the period's last day.

    Args:
        titles: ``TITLE_COLUMNS``; dates as ``datetime.date`` or datetime64, amounts int64 minor.
        period_end: the last day of the close period.

    Returns:
        A copy with ``days_past_due`` (int64, negative when not yet due) and ``bucket``.

    """
    out = titles.loc[:, list(TITLE_COLUMNS)].copy()
    due = pd.to_datetime(out["due_date"])
    out["days_past_due"] = (pd.Timestamp(period_end) - due).dt.days.astype("int64")
    edges = [-np.inf, *_UPPER, np.inf]
    out["bucket"] = pd.cut(out["days_past_due"], bins=edges, labels=list(BUCKETS), right=True).astype(str)
    out["open_amount"] = out["open_amount"].astype("int64")
    return out


def aging_by_entity(aged: pd.DataFrame) -> pd.DataFrame:
    """Sum aged titles into one row per entity: a column per bucket and ``total`` (local minor units).

    Args:
        aged: ``age_titles`` output.

    Returns:
        entity, currency, one int64 column per bucket, total; sorted by entity.

    """
    table = aged.pivot_table(index=["entity", "currency"], columns="bucket", values="open_amount",
                             aggfunc="sum", fill_value=0, observed=False)
    table = table.reindex(columns=list(BUCKETS), fill_value=0).astype("int64")
    table["total"] = table[list(BUCKETS)].sum(axis=1)
    return table.reset_index().rename_axis(columns=None).sort_values("entity", ignore_index=True)


def translate_aging(by_entity: pd.DataFrame, closing: Mapping[Currency, Decimal],
                    presentation: Currency) -> pd.DataFrame:
    """Translate each entity's buckets at the closing rate; the total is the sum of its buckets.

    Args:
        by_entity: ``aging_by_entity`` output.
        closing: presentation-currency units per one unit of each functional currency.
        presentation: the group's presentation currency.

    Returns:
        entity, currency, rate, the buckets and total in presentation minor units, plus
        ``local_total`` (the entity's local total, kept).

    Raises:
        KeyError: a currency without a closing rate (the rates stage guarantees one).

    """
    rows = []
    for r in by_entity.to_dict("records"):
        currency = r["currency"]
        rate = Decimal(1) if currency == presentation else closing[currency]
        buckets = {b: translate_amount(int(r[b]), rate, currency, presentation) for b in BUCKETS}
        rows.append({"entity": r["entity"], "currency": currency, "rate": rate, **buckets,
                     "total": sum(buckets.values()), "local_total": int(r["total"])})
    columns = ["entity", "currency", "rate", *BUCKETS, "total", "local_total"]
    amounts = (*BUCKETS, "total", "local_total")
    return pd.DataFrame(rows, columns=columns).astype(dict.fromkeys(amounts, "int64"))


def consolidated_aging(translated: pd.DataFrame) -> pd.Series:
    """Return the group's aging: each bucket and the total summed over the translated entities."""
    return translated[[*BUCKETS, "total"]].sum().astype("int64")


def top_overdue_customers(aged: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Rank customers by overdue amount (titles past due), per entity and currency.

    Returns:
        entity, customer, currency, overdue (int64 minor), titles, oldest_days; largest first.

    """
    late = aged[aged["days_past_due"] > 0]
    grouped = late.groupby(["entity", "customer", "currency"], as_index=False).agg(
        overdue=("open_amount", "sum"), titles=("document", "count"), oldest_days=("days_past_due", "max"))
    return grouped.sort_values(["overdue", "entity", "customer"], ascending=[False, True, True],
                               ignore_index=True).head(n)


def bucket_movement(prior: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Amounts that moved between buckets since the prior month's aging, title by title.

    A title in both agings moves its prior amount from its prior bucket to its current bucket,
    and any change in its open amount goes to ``settled`` (paid down) or comes from ``new``
    (increased); a title only in the prior aging was ``settled``; one only in the current aging is
    ``new``. So prior total + new − settled = current total, per entity, exactly.

    Args:
        prior: last month's ``age_titles`` output (from its snapshot).
        current: this month's ``age_titles`` output.

    Returns:
        entity, currency, from_bucket, to_bucket, amount (int64 minor, positive).

    """
    keys = ["entity", "document"]
    cols = [*keys, "currency", "open_amount", "bucket"]
    both = prior[cols].merge(current[cols], on=keys, how="outer", suffixes=("_prior", "_now"),
                             indicator="side")
    rows: list[tuple[str, str, str, str, int]] = []
    for r in both.to_dict("records"):
        entity, side = r["entity"], r["side"]
        if side == "left_only":
            amount = int(r["open_amount_prior"])
            rows.append((entity, r["currency_prior"], r["bucket_prior"], "settled", amount))
            continue
        if side == "right_only":
            rows.append((entity, r["currency_now"], "new", r["bucket_now"], int(r["open_amount_now"])))
            continue
        before, after = int(r["open_amount_prior"]), int(r["open_amount_now"])
        currency = r["currency_now"]
        rows.append((entity, currency, r["bucket_prior"], r["bucket_now"], min(before, after)))
        if before > after:
            rows.append((entity, currency, r["bucket_prior"], "settled", before - after))
        elif after > before:
            rows.append((entity, currency, "new", r["bucket_now"], after - before))
    frame = pd.DataFrame(rows, columns=["entity", "currency", "from_bucket", "to_bucket", "amount"])
    frame = frame[frame["amount"] != 0]
    return (frame.groupby(["entity", "currency", "from_bucket", "to_bucket"], as_index=False)["amount"]
            .sum().astype({"amount": "int64"}))

