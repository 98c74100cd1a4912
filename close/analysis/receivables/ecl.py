"""IFRS 9 simplified approach: a provision matrix of lifetime expected-credit-loss rates by bucket.

IFRS 9 §5.5.15 requires trade receivables without a significant financing component to carry a
loss allowance of lifetime expected credit losses; §B5.5.35 allows a provision matrix — a
fixed rate per days-past-due band — as the practical expedient. The rates are the group's
(``[receivables.ecl_rates]``), based on its own loss history; the defaults below are only a
starting point and say so in the config reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from close.analysis.receivables.aging import BUCKETS
from close.engine.fx import translate_amount
from close.engine.types import Currency

DEFAULT_ECL_RATES: Mapping[str, Decimal] = {
    "current": Decimal("0.01"), "1-30": Decimal("0.03"), "31-60": Decimal("0.10"),
    "61-90": Decimal("0.20"), "91-120": Decimal("0.50"), "over_120": Decimal("1"),
}


def ecl_provision(by_entity: pd.DataFrame, rates: Mapping[str, Decimal]) -> pd.DataFrame:
    """Apply the provision matrix to each entity's buckets, half-even per bucket.

    Args:
        by_entity: ``aging_by_entity`` output (local minor units).
        rates: the loss rate per bucket (every bucket of ``BUCKETS``).

    Returns:
        entity, currency, one provision column per bucket and ``total`` (int64 local minor).

    """
    rows = []
    for r in by_entity.to_dict("records"):
        # The rate is a fraction: translate_amount with equal currencies multiplies exactly and
        # rounds half-even once, without a float.
        per = {b: translate_amount(int(r[b]), rates[b], r["currency"], r["currency"]) for b in BUCKETS}
        rows.append({"entity": r["entity"], "currency": r["currency"], **per, "total": sum(per.values())})
    frame = pd.DataFrame(rows, columns=["entity", "currency", *BUCKETS, "total"])
    return frame.astype({c: "int64" for c in (*BUCKETS, "total")})


def required_vs_booked(provision: pd.DataFrame, booked: Mapping[str, int]) -> pd.DataFrame:
    """Compare the required provision with the allowance booked in each entity's TB.

    Args:
        provision: ``ecl_provision`` output.
        booked: per entity, the allowance booked (a positive magnitude, local minor units).

    Returns:
        entity, currency, required, booked, shortfall (required − booked; positive when short).

    """
    frame = provision[["entity", "currency", "total"]].rename(columns={"total": "required"})
    frame["booked"] = [int(booked.get(e, 0)) for e in frame["entity"]]
    frame["shortfall"] = frame["required"] - frame["booked"]
    return frame.astype({"required": "int64", "booked": "int64", "shortfall": "int64"})


def translate_required(provision: pd.DataFrame, closing: Mapping[Currency, Decimal],
                       presentation: Currency) -> int:
    """Return the group's required provision in presentation minor units (bucket by bucket)."""
    total = 0
    for r in provision.to_dict("records"):
        rate = Decimal(1) if r["currency"] == presentation else closing[r["currency"]]
        total += sum(translate_amount(int(r[b]), rate, r["currency"], presentation) for b in BUCKETS)
    return total
