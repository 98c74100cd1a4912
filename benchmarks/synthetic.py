"""A synthetic group generator for the consolidation benchmark (and for trying the engine out).

``synthetic_group(n_entities, n_accounts)`` builds a parent (USD) and ``n_entities − 1`` founded,
wholly owned subsidiaries in five currencies, each with ``n_accounts`` trial-balance lines mapped to
the default chart (20 cost centres), one intercompany payable to the parent, share capital and the
parent's investment. Month 1 (January, opening zero) and month 2 (opening = month 1's closing) are
both balanced to the cent. Amounts are int64 minor units; generation is vectorized and seeded.

Text columns are pandas categoricals by default, the form the engine's own output (the next
period's ``prior``) takes; ``text="object"`` gives plain Python-string columns instead, as a frame
built row by row from a database cursor would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from close.config import EntityConfig, IntercompanySettings
from close.engine.chart import Chart, load_chart
from close.engine.consolidation import ConsolidationInputs
from close.engine.frames import AMOUNT_COLUMNS, MAPPED_TB_COLUMNS
from close.engine.fx import PeriodRates
from close.engine.money import exponent

CURRENCIES = ("BRL", "EUR", "GBP", "JPY", "MXN")
CLOSING_1 = {"BRL": "0.1812", "EUR": "1.0843", "GBP": "1.2671", "JPY": "0.0067", "MXN": "0.0584"}
AVERAGE_1 = {"BRL": "0.1830", "EUR": "1.0790", "GBP": "1.2602", "JPY": "0.0068", "MXN": "0.0579"}
CLOSING_2 = {"BRL": "0.1795", "EUR": "1.0911", "GBP": "1.2733", "JPY": "0.0066", "MXN": "0.0590"}
AVERAGE_2 = {"BRL": "0.1801", "EUR": "1.0877", "GBP": "1.2705", "JPY": "0.0066", "MXN": "0.0587"}
TEXT_COLUMNS = tuple(c for c in MAPPED_TB_COLUMNS if c not in AMOUNT_COLUMNS)
# Ordinary accounts of the default chart the generated lines map to (no system roles).
STD_ACCOUNTS = (
    "1100",
    "1200",
    "1300",
    "1310",
    "1500",
    "1550",
    "1600",
    "2000",
    "2100",
    "2200",
    "2300",
    "2500",
    "4000",
    "4100",
    "4200",
    "4900",
    "5000",
    "6000",
    "6100",
    "6200",
    "6300",
    "6400",
    "6500",
    "7000",
    "7100",
    "7200",
    "8000",
)


@dataclass(frozen=True, slots=True)
class SyntheticGroup:
    """A generated group: config, chart, two months of balances and their rates."""

    entities: tuple[EntityConfig, ...]
    chart: Chart
    month1: pd.DataFrame
    month2: pd.DataFrame
    rates1: PeriodRates
    rates2: PeriodRates

    def inputs(
        self, month: int, prior: pd.DataFrame | None = None, prior_consolidated: pd.DataFrame | None = None
    ) -> ConsolidationInputs:
        """Return the consolidation inputs of month 1 (2025-01) or month 2 (2025-02)."""
        return ConsolidationInputs(
            period=f"2025-0{month}",
            fiscal_year_start=1,
            presentation_currency="USD",
            chart=self.chart,
            entities=self.entities,
            balances=self.month1 if month == 1 else self.month2,
            rates=self.rates1 if month == 1 else self.rates2,
            prior=prior,
            opening=None,
            adjustments=(),
            intercompany=IntercompanySettings(),
            prior_consolidated=prior_consolidated,
        )


def _rates(closing: dict[str, str], average: dict[str, str]) -> PeriodRates:
    return PeriodRates(
        closing={k: Decimal(v) for k, v in closing.items()},
        average={k: Decimal(v) for k, v in average.items()},
    )


def synthetic_group(
    n_entities: int, n_accounts: int, *, seed: int = 7, text: str = "category"
) -> SyntheticGroup:
    """Generate a balanced group of ``n_entities`` entities × ``n_accounts`` lines.

    Raises:
        ValueError: for a ``text`` other than ``category`` or ``object``.

    """
    if text not in ("category", "object"):
        raise ValueError(f"text must be 'category' or 'object', not {text!r}")
    rng = np.random.default_rng(seed)
    ids = np.array(["HOLD", *(f"S{i:04d}" for i in range(1, n_entities))], dtype=object)
    ccy = {"HOLD": "USD", **{s: CURRENCIES[i % len(CURRENCIES)] for i, s in enumerate(ids[1:])}}
    entities = (
        EntityConfig("HOLD", "Holding", "USD", "file", {}),
        *(EntityConfig(s, s, ccy[s], "file", {}, parent="HOLD") for s in ids[1:]),
    )
    n_lines = n_entities * n_accounts
    std_pool = np.array(STD_ACCOUNTS, dtype=object)
    acc_idx = np.tile(np.arange(n_accounts), n_entities)
    local_names = np.array([f"A{i:05d}" for i in range(n_accounts)], dtype=object)
    cc_names = np.array([f"CC{i:02d}" for i in range(20)], dtype=object)
    lines = pd.DataFrame(
        {
            "entity": np.repeat(ids, n_accounts),
            "account": local_names[acc_idx],
            "account_name": local_names[acc_idx],
            "std_account": std_pool[acc_idx % len(std_pool)],
            "counterparty": "",
            "cost_center": cc_names[acc_idx % 20],
            "department": "",
        }
    )
    close1 = rng.integers(-(10**9), 10**9, n_lines, dtype=np.int64)
    move2 = rng.integers(-(10**7), 10**7, n_lines, dtype=np.int64)
    close2 = close1 + move2
    # Per subsidiary: share capital, the parent's investment, an intercompany payable; cash balances.
    subs = ids[1:]
    capital = rng.integers(10**8, 10**10, len(subs), dtype=np.int64)
    ic = rng.integers(10**5, 10**8, len(subs), dtype=np.int64)
    avg1 = np.array([Decimal(AVERAGE_1[ccy[s]]) for s in subs], dtype=object)
    close_rate1 = np.array([Decimal(CLOSING_1[ccy[s]]) for s in subs], dtype=object)
    # Local minor units → USD cents: the rate, and the gap between the currencies' decimals (JPY 0).
    shift = np.array([Decimal(10) ** (2 - exponent(ccy[s])) for s in subs], dtype=object)
    inv_usd = np.array([int(c * a * k) for c, a, k in zip(capital, avg1, shift, strict=True)],
                       dtype=np.int64)
    ic_usd = np.array([int(v * r * k) for v, r, k in zip(ic, close_rate1, shift, strict=True)],
                      dtype=np.int64)
    extra = pd.DataFrame(
        {
            "entity": np.concatenate([subs, subs, ["HOLD"] * len(subs), ["HOLD"] * len(subs)]),
            "account": np.concatenate(
                [["SC"] * len(subs), ["ICP"] * len(subs), ["INV"] * len(subs), ["ICR"] * len(subs)]
            ),
            "std_account": np.concatenate(
                [["3000"] * len(subs), ["2050"] * len(subs), ["1800"] * len(subs), ["1150"] * len(subs)]
            ),
            "counterparty": np.concatenate([[""] * len(subs), ["HOLD"] * len(subs), subs, subs]),
            "cost_center": "",
            "department": "",
        }
    )
    extra["account_name"] = extra["account"]
    extra_close = np.concatenate([-capital, -ic, inv_usd, ic_usd])
    all_lines = pd.concat([lines, extra], ignore_index=True)
    c1 = np.concatenate([close1, extra_close])
    c2 = np.concatenate([close2, extra_close])
    # A cash line per entity balances each month.
    ent_codes, uniques = pd.factorize(all_lines["entity"])
    bal1 = -_sum_by(ent_codes, c1, len(uniques))
    bal2 = -_sum_by(ent_codes, c2, len(uniques))
    cash = pd.DataFrame(
        {
            "entity": uniques,
            "account": "CASH",
            "account_name": "Cash",
            "std_account": "1000",
            "counterparty": "",
            "cost_center": "",
            "department": "",
        }
    )
    frame = pd.concat([all_lines, cash], ignore_index=True)
    c1 = np.concatenate([c1, bal1])
    c2 = np.concatenate([c2, bal2])
    frame = frame.astype({c: text for c in TEXT_COLUMNS})
    month1 = _tb(frame, np.zeros_like(c1), c1)
    month2 = _tb(frame, c1, c2)
    return SyntheticGroup(
        entities=entities,
        chart=load_chart(),
        month1=month1,
        month2=month2,
        rates1=_rates(CLOSING_1, AVERAGE_1),
        rates2=_rates(CLOSING_2, AVERAGE_2),
    )


def _sum_by(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, codes, values)
    return out


def _tb(frame: pd.DataFrame, opening: np.ndarray, closing: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    move = closing - opening
    out["opening"], out["closing"] = opening.astype(np.int64), closing.astype(np.int64)
    out["debit"], out["credit"] = np.maximum(move, 0), np.maximum(-move, 0)
    return out[list(MAPPED_TB_COLUMNS)]
