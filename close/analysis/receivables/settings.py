"""``[receivables]`` of the group config: accounts, the provision matrix and the drafts' threshold.

Example::

    [files]
    receivables = "receivables.csv"

    [receivables]
    receivables_account = "1100"   # standard account the aging reconciles to
    allowance_account = "1190"     # standard account of the IFRS 9 loss allowance (credit)
    draft_threshold = "1000.00"    # overdue amount per customer (entity currency) to draft for
    top_customers = 10
    [receivables.ecl_rates]
    current = "0.01"
    "1-30" = "0.03"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from close.analysis.receivables.aging import BUCKETS
from close.analysis.receivables.ecl import DEFAULT_ECL_RATES


@dataclass(frozen=True, slots=True)
class ReceivablesSettings:
    """What the receivables analysis needs besides the titles."""

    receivables_account: str = "1100"  # standard account the aging total reconciles to
    allowance_account: str | None = None  # standard account of the loss allowance (credit balance)
    ecl_rates: tuple[tuple[str, Decimal], ...] = tuple(DEFAULT_ECL_RATES.items())  # bucket → rate
    draft_threshold: Decimal = Decimal(0)  # overdue per customer (entity currency) before a draft
    top_customers: int = 10

    def rates(self) -> Mapping[str, Decimal]:
        """Return the provision matrix as a mapping bucket → rate."""
        return dict(self.ecl_rates)


def parse_receivables(t: Any) -> ReceivablesSettings:  # noqa: ANN401 - config._Table, not importable here
    """Parse ``[receivables]`` (a ``close.config._Table``); errors name the file and key."""
    base = ReceivablesSettings()
    rates_table = t.table("ecl_rates")
    rates = dict(base.ecl_rates)
    for name in rates_table.data:
        if name not in BUCKETS:
            raise rates_table._err(name, "unknown bucket", " | ".join(BUCKETS))  # noqa: SLF001
        rate = rates_table.decimal(name)
        if not Decimal(0) <= rate <= Decimal(1):
            raise rates_table._err(name, f"got {rate}", "a rate from 0 to 1")  # noqa: SLF001
        rates[name] = rate
    threshold = t.decimal("draft_threshold", base.draft_threshold)
    if threshold < 0:
        raise t._err("draft_threshold", f"got {threshold}", "an amount of zero or more")  # noqa: SLF001
    settings = ReceivablesSettings(
        receivables_account=t.text("receivables_account", base.receivables_account),
        allowance_account=t.text("allowance_account", None),
        ecl_rates=tuple((b, rates[b]) for b in BUCKETS),
        draft_threshold=threshold,
        top_customers=t.integer("top_customers", base.top_customers, lo=1, hi=1000),
    )
    t.reject_unknown()
    return settings
