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
from typing import Literal

from pydantic import model_validator

from close.analysis.receivables.aging import BUCKETS
from close.analysis.receivables.ecl import DEFAULT_ECL_RATES
from close.config.types import Exact, Integer, Text, TomlTable, default_of, described, invalid


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


_Bucket = Literal[BUCKETS]  # type: ignore[valid-type] # the aging's buckets are the table's keys


class ReceivablesTable(TomlTable):
    """``[receivables]`` of the group TOML.

    Absent rates keep the defaults of ``close.analysis.receivables.ecl``.
    """

    receivables_account: Text = described("the standard account the aging total reconciles to",
                                          default_of(ReceivablesSettings, "receivables_account"))
    allowance_account: Text | None = described("the standard account of the loss allowance", None)
    ecl_rates: dict[_Bucket, Exact] = described(
        'a table bucket = rate from 0 to 1, buckets ' + " | ".join(BUCKETS) + ', such as "0.03"', {})
    draft_threshold: Exact = described("an amount of zero or more (entity currency)",
                                       default_of(ReceivablesSettings, "draft_threshold"), ge=0)
    top_customers: Integer = described("an integer 1..1000", default_of(ReceivablesSettings, "top_customers"),
                                       ge=1, le=1000)

    @model_validator(mode="after")
    def _rates_are_fractions(self) -> ReceivablesTable:
        for bucket, rate in self.ecl_rates.items():
            if not Decimal(0) <= rate <= Decimal(1):
                raise invalid(f"ecl_rates.{bucket}", f"got {rate}", "a rate from 0 to 1")
        return self

    def settings(self) -> ReceivablesSettings:
        """Return the runtime settings, the provision matrix in bucket order."""
        rates = {**DEFAULT_ECL_RATES, **self.ecl_rates}
        return ReceivablesSettings(
            receivables_account=self.receivables_account, allowance_account=self.allowance_account,
            ecl_rates=tuple((b, rates[b]) for b in BUCKETS), draft_threshold=self.draft_threshold,
            top_customers=self.top_customers)
